#!/usr/bin/env bash
# calibench's host launcher against hyperfine -N (no shell), interleaved: for each
# round, hyperfine times the command, then calibench does, and the medians are printed
# side by side. `true` shows the launcher's own cost per spawn; `sleep 0.2` shows that
# long runs agree. Installs hyperfine from Debian when missing. About 2 minutes.
#
#   bash scripts/hyperfine-fidelity.sh
#   ROUNDS=10 bash scripts/hyperfine-fidelity.sh
#   CALIBENCH=/path/to/other/calibench bash scripts/hyperfine-fidelity.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${ROUNDS:-5}
. scripts/debian.sh
install_missing hyperfine
if [ -n "${CALIBENCH:-}" ]; then
  bin=$CALIBENCH
else
  cargo build --release -q -p calibench
  bin="$root/target/release/calibench"
fi
work=$(mktemp -d /tmp/calibench-fidelity.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
export CALIBENCH_HOME="$work/state" CALIBENCH_DATABASE_URL="sqlite://$work/results.db"

measure() { # name runs argv...
  local name=$1 runs=$2; shift 2
  local argv; argv=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "$@")
  printf '[suite]\nname = "fidelity"\nwarmup = 3\nmin_runs = %s\nmax_runs = %s\n[[benchmark]]\nname = "%s"\ncommand = %s\n' \
    "$runs" "$runs" "$name" "$argv" > suite.toml
  for r in $(seq "$rounds"); do
    hyperfine -N --warmup 3 --runs "$runs" --export-json "hf-$name-$r.json" -- "$*" > /dev/null 2>&1
    "$bin" run --suite suite.toml --runtime host --json -q > "cb-$name-$r.json"
  done
  python3 - "$name" "$rounds" <<'PY'
import json, statistics, sys
name, rounds = sys.argv[1], int(sys.argv[2])
rows = []
for r in range(1, rounds + 1):
    hf = statistics.median(json.load(open(f"hf-{name}-{r}.json"))["results"][0]["times"])
    cb = json.load(open(f"cb-{name}-{r}.json"))["benchmarks"][0]["median"]
    rows.append((hf, cb))
    print(f"{name:10} round {r}: hyperfine -N {hf*1e3:8.3f} ms  calibench {cb*1e3:8.3f} ms  {(cb/hf-1)*100:+6.1f} %")
ratios = sorted(cb / hf for hf, cb in rows)
print(f"{name:10} median of the per-round ratios: {(statistics.median(ratios)-1)*100:+.1f} % "
      f"(range {(ratios[0]-1)*100:+.1f} … {(ratios[-1]-1)*100:+.1f})")
PY
}

measure true 300 true
measure sleep-0.2 10 sleep 0.2
