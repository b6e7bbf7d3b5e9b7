#!/usr/bin/env bash
# What starting a process costs in the container, by calibench and by hyperfine in the
# same minutes and the same container configuration. Each round: `calibench run
# --runtime both` of `true` and of sysbench's start (one event), then hyperfine -N of the
# same commands run as a calibench benchmark on the host and in calibench's own
# container (so the container is made exactly as calibench makes it, flags included).
# Prints per program the container against the host: calibench's paired "vs host"
# (the geometric mean of its per-round figures), the ratio of calibench's medians and the
# ratio of hyperfine's medians, each a geometric mean over rounds with a t interval.
# Installs hyperfine and sysbench from Debian when missing. About 2 minutes.
#
#   bash scripts/start-check.sh
#   ROUNDS=10 bash scripts/start-check.sh
#   CONFIG="--cpuset 0" bash scripts/start-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${ROUNDS:-12}
read -r -a config <<< "${CONFIG:-}"

. scripts/debian.sh
install_missing hyperfine sysbench
cargo build --release -q -p calibench
bin="$root/target/release/calibench"

work=$(mktemp -d /tmp/calibench-start.XXXXXX)
trap 'rm -rf "$work" "$work.host"' EXIT
cd "$work"
export CALIBENCH_HOME="$work/state" CALIBENCH_DATABASE_URL="sqlite://$work/results.db"

programs=(true sysbench-start)
argv_of() {
  case $1 in
    true) echo '["true"]' ;;
    sysbench-start) echo '["sysbench", "cpu", "--threads=1", "--events=1", "--time=0", "run"]' ;;
  esac
}
line_of() {
  case $1 in
    true) echo 'true' ;;
    sysbench-start) echo 'sysbench cpu --threads=1 --events=1 --time=0 run' ;;
  esac
}

{
  printf '[suite]\nname = "start"\nwarmup = 3\nmin_runs = 40\nmax_runs = 40\ntime_budget = "1s"\ntimeout = "30s"\n'
  for p in "${programs[@]}"; do
    printf '\n[[benchmark]]\nname = "%s"\ncommand = %s\ndimension = "latency"\n' "$p" "$(argv_of "$p")"
  done
} > start.toml

# hyperfine as a one-run calibench benchmark on both sides of one run, so in the same
# container and the same minutes as calibench's own figures: its JSON lands in the work
# directory, which the container sees at the same path, named by the side it ran on
# (a marker beside the work directory, which the container does not see).
touch "$work.host"
cat > hf.sh <<SH
if [ -e "$work.host" ]; then s=host; else s=docker; fi
exec hyperfine -N --warmup 3 --runs 40 --export-json "hf-\$s-\$1-\$2.json" "\$3" > /dev/null
SH
hyperfine_suite() { # round
  printf '[suite]\nname = "start-hyperfine"\nwarmup = 0\nmin_runs = 1\nmax_runs = 1\ntimeout = "300s"\n'
  for p in "${programs[@]}"; do
    printf '\n[[benchmark]]\nname = "hyperfine-%s"\ncommand = ["sh", "hf.sh", "%s", "%s", "%s"]\n' \
      "$p" "$p" "$1" "$(line_of "$p")"
  done
}

for r in $(seq "$rounds"); do
  echo "round $r of $rounds" >&2
  "$bin" run --suite start.toml --runtime both "${config[@]}" --json -q > "cb-$r.json" 2> /dev/null
  hyperfine_suite "$r" > hf.toml
  "$bin" run --suite hf.toml --runtime both "${config[@]}" -q > /dev/null 2>&1
done

python3 - "$rounds" "${programs[@]}" <<'PY'
import json, math, statistics, sys

rounds = int(sys.argv[1])
programs = sys.argv[2:]
T975 = {1: 12.71, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131}

def geo(ratios):
    logs = [math.log(x) for x in ratios]
    m = statistics.mean(logs)
    if len(logs) < 2:
        return f"{100 * (math.exp(m) - 1):+.1f} %"
    h = T975.get(len(logs) - 1, 2.0) * statistics.stdev(logs) / math.sqrt(len(logs))
    return (f"{100 * (math.exp(m) - 1):+.1f} % "
            f"({100 * (math.exp(m - h) - 1):+.1f}…{100 * (math.exp(m + h) - 1):+.1f})")

def hf_median(side, p, r):
    with open(f"hf-{side}-{p}-{r}.json") as f:
        return statistics.median(json.load(f)["results"][0]["times"])

print("| program | host ms (calibench, hyperfine) | container ms (calibench, hyperfine) "
      "| calibench vs host, paired | calibench, medians | hyperfine, medians |")
print("| --- | --- | --- | ---: | ---: | ---: |")
for p in programs:
    paired, cb, hf = [], [], []
    cb_host, cb_ctr, hf_host, hf_ctr = [], [], [], []
    for r in range(1, rounds + 1):
        with open(f"cb-{r}.json") as f:
            run = json.load(f)
        by_side = {b["runtime"]: b for b in run["benchmarks"] if b["name"] == p}
        h, c = by_side["host"], by_side["docker"]
        cb.append(c["median"] / h["median"])
        cb_host.append(h["median"]); cb_ctr.append(c["median"])
        pw = (c.get("execution_environment") or {}).get("paired_with_host")
        if pw:
            paired.append(1 + pw["change_pct"] / 100)
        hh, hc = hf_median("host", p, r), hf_median("docker", p, r)
        hf.append(hc / hh)
        hf_host.append(hh); hf_ctr.append(hc)
    med = lambda xs: 1e3 * statistics.median(xs)
    print(f"| {p} | {med(cb_host):.3f}, {med(hf_host):.3f} | {med(cb_ctr):.3f}, {med(hf_ctr):.3f} "
          f"| {geo(paired) if paired else 'n/a'} | {geo(cb)} | {geo(hf)} |")
print(f"\n{rounds} rounds; ms: median over rounds of each round's median; "
      "intervals: 95 % t over rounds of log ratios.")
PY
