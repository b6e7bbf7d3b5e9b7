#!/usr/bin/env bash
# Measures the release gate on this machine with real runs (no synthetic samples):
#   - A/A: the same suite stored as baseline and as candidate; every regression the
#     gate reports is a false positive;
#   - injected regressions: the candidate's probes do X % more work (X in SLOWDOWNS);
# all gated with --max-regression 5%. Each tag holds REPEAT runs (the run is the unit of
# a comparison of stored runs). Prints the false-positive rate, the inconclusive rate,
# the detection rate per injected slowdown, and the smallest slowdown detected in
# >= 95 % of cases.
#
#   bash scripts/gate-experiment.sh              # TRIALS=12 -> 120 A/A comparisons
#   TRIALS=20 SLOWDOWNS="4 6 8 10" bash scripts/gate-experiment.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS=${TRIALS:-12}
SLOWDOWNS=${SLOWDOWNS:-"3 6 8 10 15"}
THRESHOLD=${THRESHOLD:-5%}
RUNTIME=${RUNTIME:-host}
REPEAT=${REPEAT:-3}

cargo build --release -q -p calibench
bin=$PWD/target/release/calibench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CALIBENCH_HOME=$work/state
export CALIBENCH_DATABASE_URL=sqlite://$work/experiment.db

# Ten benchmarks whose figure is proportional to their work, so "X % more work" is
# an X % slowdown.
write_suite() { # factor file
  python3 - "$1" "$2" <<'PY'
import sys
factor, path = float(sys.argv[1]), sys.argv[2]
benches = [("cpu-a", "cpu", 3_000_000), ("cpu-b", "cpu", 5_000_000), ("cpu-c", "cpu", 8_000_000),
           ("cpu-d", "cpu", 12_000_000), ("threads-a", "cpu-threads", 3_000_000),
           ("threads-b", "cpu-threads", 6_000_000), ("triad-a", "memory-triad", 1),
           ("triad-b", "memory-triad", 2), ("touch-a", "memory-touch", 64), ("touch-b", "memory-touch", 128)]
with open(path, "w") as f:
    f.write('[suite]\nname = "gate-experiment"\nwarmup = 1\nmin_runs = 15\nmax_runs = 60\ntime_budget = "1s"\n')
    for name, probe, w in benches:
        # Triad passes are whole numbers and cannot grow by a few percent: the triad
        # benchmarks keep their work and count only in the A/A comparisons.
        scaled = max(1, round(w * factor)) if probe != "memory-triad" else w
        f.write(f'[[benchmark]]\nname = "{name}"\nprobe = "{probe}"\nwork = {scaled}\n')
PY
}

write_suite 1.0 "$work/base.toml"
for s in $SLOWDOWNS; do
  write_suite "$(python3 -c "print(1 + $s / 100)")" "$work/slow-$s.toml"
done

gate() { # baseline candidate -> JSON on stdout
  "$bin" gate "$1" "$2" --max-regression "$THRESHOLD" --json || true
}

echo "trials: $TRIALS, slowdowns: $SLOWDOWNS %, threshold: $THRESHOLD, runtime: $RUNTIME" >&2
for i in $(seq 1 "$TRIALS"); do
  "$bin" run --quiet --repeat "$REPEAT" --runtime "$RUNTIME" --suite "$work/base.toml" --tag "base-$i" >/dev/null
  "$bin" run --quiet --repeat "$REPEAT" --runtime "$RUNTIME" --suite "$work/base.toml" --tag "aa-$i" >/dev/null
  gate "base-$i" "aa-$i" > "$work/aa-$i.json"
  for s in $SLOWDOWNS; do
    "$bin" run --quiet --repeat "$REPEAT" --runtime "$RUNTIME" --suite "$work/slow-$s.toml" --tag "slow-$s-$i" >/dev/null
    gate "base-$i" "slow-$s-$i" > "$work/slow-$s-$i.json"
  done
  echo "trial $i/$TRIALS done" >&2
done

python3 - "$work" "$TRIALS" "$SLOWDOWNS" <<'PY'
import json, sys, glob
work, trials, slowdowns = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3].split()]
def rows(path):
    return json.load(open(path))["benchmarks"]
aa = [r for i in range(1, trials + 1) for r in rows(f"{work}/aa-{i}.json")]
fp = sum(r["regression"] for r in aa)
changed = sum(r["verdict"] in ("slower", "faster") for r in aa)
inconclusive = sum(r["verdict"] == "inconclusive" for r in aa)
print(f"A/A: {fp} false positives in {len(aa)} comparisons = {100 * fp / len(aa):.1f} %"
      f" (called slower or faster: {changed}; inconclusive: {inconclusive})")
smallest = None
for s in slowdowns:
    rs = [r for i in range(1, trials + 1) for r in rows(f"{work}/slow-{s}-{i}.json") if not r["name"].startswith("triad")]
    hit = sum(r["regression"] for r in rs)
    changes = sorted(r["change_pct"] for r in rs if r["change_pct"] is not None)
    med = changes[len(changes) // 2] if changes else float("nan")
    rate = hit / len(rs)
    inc = sum(r["verdict"] == "inconclusive" for r in rs)
    print(f"injected +{s} %: detected {hit}/{len(rs)} = {100 * rate:.1f} %, inconclusive {inc} (median measured change {med:+.1f} %)")
    if rate >= 0.95 and smallest is None:
        smallest = s
print("smallest injected slowdown detected in >= 95 % of comparisons:",
      f"+{smallest} %" if smallest is not None else "none of those tried")
PY
