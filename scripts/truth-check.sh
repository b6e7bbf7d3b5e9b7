#!/usr/bin/env bash
# Checks calibench's adjusted container results against programs it did not write.
#
# For each container configuration it calibrates (cpu and io), then runs independent
# programs on the host and in the container, interleaved, and prints per program: the
# host median, the container median, the adjusted median with its 95 % CI, whether
# that CI covers the host median and how far the adjusted value is from it, with that
# ratio's interval including the host median's own; the same ratio over the run's
# paired rounds (calibench's `adjusted_vs_host`) and whether its interval holds 0; or
# the reason the value is not adjustable; under a CPU quota, the throttled runs' CPU
# time against the host's and the quota's effect on the work measured against a
# quota-free twin container; at the end, how many rows meet the goals and which miss
# (scripts/truth-summary.py). Installs sysbench and fio from Debian when missing. Each
# program runs until its container-against-host interval is ±TARGET_CI wide (default 2 %),
# with at least 20 runs a side, then for at most MAX_TIME (default 90 s). Takes 6 to 14
# minutes per configuration (two calibrations, pooled).
#
#   bash scripts/truth-check.sh                 # all configurations
#   CONFIGS="--cpuset 0" bash scripts/truth-check.sh
#   CALIBRATIONS=1 bash scripts/truth-check.sh      # one calibration per configuration
#   TARGET_CI=3% MAX_TIME=60s bash scripts/truth-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

. scripts/debian.sh
install_missing sysbench fio
cargo build --release -q -p calibench
bin="$root/target/release/calibench"

work=$(mktemp -d /tmp/calibench-truth.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"
head -c 16777216 /dev/urandom > data.bin
cat > truth.toml <<'TOML'
[suite]
name = "truth"
warmup = 1
min_runs = 20
max_runs = 2000
time_budget = "4s"
timeout = "60s"

[[benchmark]]
name = "sysbench-cpu-1t-short"
command = ["sysbench", "cpu", "--threads=1", "--events=1000", "--time=0", "run"]

[[benchmark]]
name = "sysbench-cpu-1t-long"
command = ["sysbench", "cpu", "--threads=1", "--events=3000", "--time=0", "run"]

[[benchmark]]
name = "sysbench-cpu-2t"
command = ["sysbench", "cpu", "--threads=2", "--events=6000", "--time=0", "run"]

[[benchmark]]
name = "gzip-16mib"
command = ["gzip", "-1", "-c", "-k", "data.bin"]
# gzip writes to stdout, which calibench discards

# fio's own start takes about 270 ms of this one's 330 ms (it loads every IO engine it
# was built with), so its row checks the io ratio on little IO ...
[[benchmark]]
name = "fio-4k-fdatasync"
command = ["fio", "--name=w", "--rw=write", "--bs=4k", "--size=2m", "--fdatasync=1", "--filename=fio.dat", "--output=/dev/null"]
dimension = "io"

# ... and this one's 4096 writes, each followed by fdatasync, take most of its second.
[[benchmark]]
name = "fio-16m-fdatasync"
command = ["fio", "--name=w", "--rw=write", "--bs=4k", "--size=16m", "--fdatasync=1", "--filename=fio16.dat", "--unlink=1", "--output=/dev/null"]
dimension = "io"
TOML

CALIBRATIONS=${CALIBRATIONS:-2}
IFS=';' read -r -a configs <<< "${CONFIGS:---cpuset 0;--cpus 0.5 --cpuset 0;--cpus 1.5;--memory 256m}"
db="sqlite://$work/truth.db"
for cfg in "${configs[@]}"; do
  # Several calibrations per configuration: the newest is pooled with the earlier ones
  # (random effects), so the adjustment's interval includes the between-calibration
  # variance that one calibration cannot see.
  for _ in $(seq 1 "$CALIBRATIONS"); do
    # shellcheck disable=SC2086 # the configuration is a list of flags
    "$bin" calibrate --dimensions cpu,io --max-time 90s $cfg --db "$db" --quiet --json > "calib.json"
  done
  # shellcheck disable=SC2086
  "$bin" run --suite truth.toml --runtime both $cfg --db "$db" --quiet --json \
    --target-ci "${TARGET_CI:-2%}" --max-time "${MAX_TIME:-90s}" > "run.json" || true
  python3 - "$cfg" <<'PY'
import json, math, statistics, sys
cfg = sys.argv[1]
run = json.load(open("run.json"))
prof = json.load(open("calib.json"))
dims = {d["dimension"]: d for d in prof["dimensions"]}
pooled = {d["dimension"]: d for d in prof.get("pooled", [])}
by = {}
for b in run["benchmarks"]:
    by.setdefault(b["name"], {})[b["runtime"]] = b
def ms(v): return "-" if v is None else f"{v*1e3:.1f}"
for name, sides in by.items():
    h, d = sides.get("host"), sides.get("docker")
    if not h or not d or h["status"] != "ok" or d["status"] != "ok":
        print(f"| {cfg} | {name} | failed | | | | | | |"); continue
    hm, dm = h["median"], d["median"]
    adj = d.get("adjusted_median")
    why = d["execution_environment"].get("not_adjustable")
    if adj is not None:
        lo, hi = d["adjusted_ci_low"], d["adjusted_ci_high"]
        covers = "yes" if lo <= hm <= hi else "no"
        off = (adj / hm - 1) * 100
        env = d["execution_environment"]
        share = env.get("io_share")
        mix = f"; {share * 100:.0f} % off CPU" if share is not None else ""
        ratio = f", ratio {env['overhead_pct']:+.2f} % ({env['overhead_ci_low_pct']:+.1f}…{env['overhead_ci_high_pct']:+.1f}{mix})"
        # The host median is an estimate too: adjusted/host with both sides' intervals
        # (relative half-widths in quadrature, as calibench combines its own factors).
        down = math.hypot(math.log(adj / lo), math.log(h["ci_high"] / hm))
        up = math.hypot(math.log(hi / adj), math.log(hm / h["ci_low"]))
        r_lo, r_hi = (adj / hm) * math.exp(-down) - 1, (adj / hm) * math.exp(up) - 1
        # The same ratio over the run's paired rounds (calibench's adjusted_vs_host):
        # drift between the times the two sides' runs happened to take cancels.
        p = env.get("adjusted_vs_host")
        if p:
            paired = f"{p['change_pct']:+.1f} % ({p['ci_low_pct']:+.1f}…{p['ci_high_pct']:+.1f}), {p['rounds']} rounds"
            agrees = "yes" if p["ci_low_pct"] <= 0 <= p["ci_high_pct"] else "no"
        else:
            paired, agrees = "-", "-"
        print(f"| {cfg} | {name} | {ms(hm)} | {ms(dm)} | {ms(adj)} ({ms(lo)}–{ms(hi)}){ratio} | {covers} | {off:+.1f} % ({r_lo * 100:+.1f}…{r_hi * 100:+.1f}) | {paired} | {agrees} |")
    else:
        print(f"| {cfg} | {name} | {ms(hm)} | {ms(dm)} | not adjustable: {why or 'no profile for ' + d['dimension']} | | | | |")
# Under a CPU quota: the throttled runs' CPU time against the host's, and the quota's
# effect on the work as the run measured it against its quota-free twin container.
def cpu_ms(b, cgroup):
    if cgroup:
        v = [c["cpu_usage_ns"] / 1e6 for c in b["usage"]["cgroup"] if c.get("cpu_usage_ns")]
    else:
        v = [(u + s) * 1e3 for u, s in zip(b["usage"]["user_s"], b["usage"]["system_s"])]
    return statistics.median(v) if v else None
cost = []
for name, sides in by.items():
    h, d = sides.get("host"), sides.get("docker")
    if not h or not d or h["status"] != "ok" or d["status"] != "ok":
        continue
    if not any((c.get("throttled_ns") or 0) > 0 for c in d["usage"].get("cgroup", [])):
        continue
    hc, dc = cpu_ms(h, False), cpu_ms(d, True)
    q = d["execution_environment"].get("quota_effect")
    twin = f", twin {q['change_pct']:+.1f} % ({q['ci_low_pct']:+.1f}…{q['ci_high_pct']:+.1f})" if q else ""
    if hc and dc:
        cost.append(f"{name} {dc:.1f} against {hc:.1f} ms ({(dc / hc - 1) * 100:+.1f} %{twin})")
if cost:
    print(f"| {cfg} | CPU time, throttled runs | " + "; ".join(cost) + " | | | | | | |")
def pct(v): return f"{v['overhead_pct']:+.2f} % ({v['ci_low_pct']:+.2f}…{v['ci_high_pct']:+.2f})"
own = "; ".join(f"{k} {pct(v)}" for k, v in dims.items())
adj = "; ".join(f"{k} {pct(v)} over {v['calibrations']}, τ {v['between_sd_pct']:.2f} %" for k, v in pooled.items())
place = prof.get("io_placement")
if place:
    cpus = ", ".join(f"CPU {c['cpu']} {c['median'] * 1e6:.0f} µs" for c in place["cpus"])
    # Whether the spread declined the IO results, as the run decided it.
    declined = any("on the CPU a run lands on" in (b["execution_environment"].get("not_adjustable") or "")
                   for b in run["benchmarks"] if b["runtime"] == "docker")
    own += f"; io by CPU: {cpus}, {place['spread_pct']:+.1f} % ({place['ci_low_pct']:+.1f}…{place['ci_high_pct']:+.1f}){', io not adjusted' if declined else ', io interval widened by ' + format(max(place['ci_high_pct'], 0), '.1f') + ' %'}"
print(f"| {cfg} | profile | newest: {own} | adjusts with: {adj or 'the newest alone'} | | | | | |")
PY
done | { echo "| config | program | host ms | container ms | adjusted ms (95 % CI) | CI covers host | adjusted/host − 1, medians (95 % CI, both sides) | adjusted against host, paired rounds (95 % CI) | agrees |"; echo "| --- | --- | ---: | ---: | --- | --- | ---: | ---: | --- |"; cat; } | tee "$work/table.md"
echo
python3 "$root/scripts/truth-summary.py" < "$work/table.md"
