#!/usr/bin/env bash
# Measures `calibench ab` on spawned programs with real runs: the A/A false-positive and
# inconclusive rates, and how often +X % more work is called a regression, at a given
# threshold; with the wall time per comparison. Each comparison is one `calibench ab`
# of two commands (a Python loop by default) until the 95 % interval's half-width
# reaches TARGET or MAX_TIME passes.
#
#   bash scripts/ab-experiment.sh                          # defaults below
#   TRIALS=100 THRESHOLD=2% WORK="5 10" bash scripts/ab-experiment.sh
#   PROGRAM=gzip bash scripts/ab-experiment.sh             # gzip -1 of N MiB instead
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS=${TRIALS:-10}
THRESHOLD=${THRESHOLD:-2%}
WORK=${WORK:-"5"}
TARGET=${TARGET:-1%}
MAX_TIME=${MAX_TIME:-120s}
ITERATIONS=${ITERATIONS:-6000000}   # about 0.3 s of Python on this machine kind
PROGRAM=${PROGRAM:-python}

cargo build --release -q -p calibench
bin=$PWD/target/release/calibench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CALIBENCH_HOME=$work/state
export CALIBENCH_DATABASE_URL=sqlite://$work/ab.db
head -c $((64 * 1048576)) /dev/urandom > "$work/data.bin"

command_for() { # extra work in percent
  case "$PROGRAM" in
    python) echo "python3 -c 'for i in range($((ITERATIONS * (100 + $1) / 100))): pass'" ;;
    gzip) echo "head -c $((32 * 1048576 * (100 + $1) / 100)) $work/data.bin | gzip -1 > /dev/null" ;;
    sort) echo "seq $((400000 * (100 + $1) / 100)) | sort -r > /dev/null" ;;
    *) echo "unknown PROGRAM $PROGRAM" >&2; exit 2 ;;
  esac
}

one() { # extra-work label -> JSON file
  local start end
  start=$(date +%s.%N)
  "$bin" ab --cmd-a "$(command_for 0)" --cmd-b "$(command_for "$1")" \
    --max-regression "$THRESHOLD" --target-ci "$TARGET" --max-time "$MAX_TIME" \
    --json --quiet > "$2" || true
  end=$(date +%s.%N)
  python3 -c "import json,sys; d=json.load(open('$2')); d['wall_s']=$end-$start; json.dump(d, open('$2','w'))"
}

echo "program $PROGRAM, trials $TRIALS, threshold $THRESHOLD, target $TARGET, max $MAX_TIME, work +0 and +${WORK// / +} %" >&2
for i in $(seq 1 "$TRIALS"); do
  one 0 "$work/aa-$i.json"
  for w in $WORK; do one "$w" "$work/w$w-$i.json"; done
  echo "trial $i/$TRIALS done" >&2
done

python3 - "$work" "$TRIALS" "$WORK" <<'PY'
import json, sys
work, trials, extras = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def load(name):
    d = json.load(open(f"{work}/{name}.json"))
    return d["benchmarks"][0], d["wall_s"]
def line(label, rows):
    n = len(rows)
    reg = sum(r["regression"] for r, _ in rows)
    inc = sum(r["verdict"] == "inconclusive" for r, _ in rows)
    walls = sorted(w for _, w in rows)
    changes = sorted(r["change_pct"] for r, _ in rows if r["change_pct"] is not None)
    med = lambda v: v[len(v) // 2] if v else float("nan")
    print(f"| {label} | {n} | {reg} ({100*reg/n:.0f} %) | {inc} | {med(changes):+.2f} % | {med(walls):.0f} s (max {walls[-1]:.0f} s) |")
print("| comparison | n | called a regression | inconclusive | median change | wall time per comparison |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
line("A/A", [load(f"aa-{i}") for i in range(1, trials + 1)])
for w in extras:
    line(f"+{w} % work", [load(f"w{w}-{i}") for i in range(1, trials + 1)])
PY
