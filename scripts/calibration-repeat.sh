#!/usr/bin/env bash
# Do calibrations reproduce? Runs COUNT calibrations in a row of each configuration
# (cpu and io dimensions) and prints every representative probe's estimate and 95 %
# interval beside the pooled estimate of the COUNT (inverse-variance weighted mean of
# the log ratios, variances read off the intervals), and whether each interval
# contains it. A profile whose interval covers only the noise inside one calibration
# misses the pooled value whenever calibrations differ by more than that noise.
#
#   bash scripts/calibration-repeat.sh
#   COUNT=4 CONFIGS="--cpuset 0;--cpus 0.5 --cpuset 0" MAX_TIME=90s bash scripts/calibration-repeat.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-4}
CONFIGS=${CONFIGS:-"--cpuset 0;--cpus 0.5 --cpuset 0"}
MAX_TIME=${MAX_TIME:-90s}
DIMENSIONS=${DIMENSIONS:-cpu,io}
cargo build --release -q -p calibench
bin=$PWD/target/release/calibench
work=$(mktemp -d /tmp/calibench-repeat.XXXXXX)
# Kept when the script fails, so that no measured calibration is lost.
trap 'if [ $? -eq 0 ]; then rm -rf "$work"; else echo "calibrations kept in $work" >&2; fi' EXIT
export CALIBENCH_HOME=$work/state
export CALIBENCH_DATABASE_URL=sqlite://$work/repeat.db
cd "$work"
IFS=';' read -r -a configs <<< "$CONFIGS"
for c in "${configs[@]}"; do
  for i in $(seq 1 "$COUNT"); do
    # shellcheck disable=SC2086
    "$bin" calibrate --dimensions "$DIMENSIONS" --max-time "$MAX_TIME" $c --json --quiet \
      > "cal-$(printf %s "$c" | tr -c 'a-z0-9' '_')-$i.json"
    echo "$(date -u +%H:%M:%S) $c calibration $i/$COUNT done" >&2
  done
done
python3 - "$work" "$COUNT" "$CONFIGS" <<'PY'
import json, math, sys
work, count, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(";")
ln = lambda pct: math.log1p(pct / 100)
def cell(m, lo, hi):
    return f"{m:+.2f} ({lo:+.2f}…{hi:+.2f})"
print("Own: each calibration's own interval. Adjusts with: that calibration pooled with the earlier ones of its key (random effects), what results are adjusted by.\n")
print("| config | dimension | interval | " + " | ".join(f"calibration {i}" for i in range(1, count + 1)) + " | pooled of all | contain it |")
print("| --- | --- | --- | " + " | ".join("---" for _ in range(count)) + " | ---: | --- |")
for c in configs:
    tag = "".join(ch if ch in "abcdefghijklmnopqrstuvwxyz0123456789" else "_" for ch in c)
    profiles = [json.load(open(f"{work}/cal-{tag}-{i}.json")) for i in range(1, count + 1)]
    dims = sorted({d["dimension"] for p in profiles for d in p["dimensions"]})
    for dim in dims:
        own = [next((d for d in p["dimensions"] if d["dimension"] == dim), None) for p in profiles]
        got = [r for r in own if r]
        # Pooled estimate of all calibrations: inverse-variance weighted mean of the log
        # overheads, standard errors read off the intervals (normal approximation).
        est = [ln(r["overhead_pct"]) for r in got]
        se = [max((ln(r["ci_high_pct"]) - ln(r["ci_low_pct"])) / (2 * 1.96), 1e-6) for r in got]
        w = [1 / s ** 2 for s in se]
        pooled = math.expm1(sum(wi * e for wi, e in zip(w, est)) / sum(w)) * 100
        cells = [cell(r["overhead_pct"], r["ci_low_pct"], r["ci_high_pct"]) if r else "—" for r in own]
        covered = sum(1 for r in got if r["ci_low_pct"] <= pooled <= r["ci_high_pct"])
        print(f"| {c} | {dim} | own | " + " | ".join(cells) + f" | {pooled:+.2f} | {covered}/{len(got)} |")
        adj = []
        for p, r in zip(profiles, own):
            q = next((d for d in p.get("pooled", []) if d["dimension"] == dim), None)
            adj.append(q or r)
        cells = [cell(r["overhead_pct"], r["ci_low_pct"], r["ci_high_pct"]) if r else "—" for r in adj]
        got = [r for r in adj if r]
        covered = sum(1 for r in got if r["ci_low_pct"] <= pooled <= r["ci_high_pct"])
        print(f"| {c} | {dim} | adjusts with | " + " | ".join(cells) + f" | {pooled:+.2f} | {covered}/{len(got)} |")
PY
