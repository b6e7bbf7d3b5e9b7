#!/usr/bin/env bash
# Checks calibench's service benchmarks against figures it did not make itself.
#
#  1. Timing: `calibench serve --delay 2ms` against `--delay 0` on the host, windows of
#     both alternating; the 2 ms server's median should read 2 ms plus the base latency.
#  2. Network paths: a zero-delay server in a container, interleaved with the same
#     server on the host, over the host network, a published port and the bridge
#     address: the paired container-vs-host change of the median latency, with its CI;
#     over the host network also a server answering after 1 ms, where a few µs a request
#     that the container's process costs are a small part of a service's latency.
#  3. wrk: `python3 -m http.server` driven by wrk (closed loop, 4 connections) and by
#     calibench (open loop, 4 connections, at three times wrk's rate so every
#     connection is always busy, as in a closed loop), alternating in WRK_ROUNDS (6)
#     short rounds: throughput and median latency from send (wrk's definition) side by
#     side per round, and the median of the per-round ratios.
#
# Installs wrk from Debian when missing. Takes about 5 minutes.
#   bash scripts/service-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
. scripts/debian.sh
install_missing wrk
cargo build --release -q -p calibench
bin="$root/target/release/calibench"
work=$(mktemp -d /tmp/calibench-service.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
export CALIBENCH_HOME="$work/state" CALIBENCH_DATABASE_URL="sqlite://$work/results.db"

service() { # name delay rate connections duration via [extra load keys]
  cat <<TOML
[[benchmark]]
name = "$1"
[benchmark.service]
command = ["$bin", "serve", "--port", "{port}", "--delay", "$2"]
ready = "http:/"
via = "$6"
[benchmark.load]
rate = $3
connections = $4
duration = "$5"
${7:-}
TOML
}

echo "## 1. A 2 ms server against the base latency (host, release build)"
# The base latency is read twice: at the same 400 requests/s (mostly idle CPUs, whose
# wake-ups a virtual machine charges to every request) and at 2000 requests/s (CPUs
# kept awake, as the 2 ms server's own work keeps them).
{ printf '[suite]\nname = "timing"\nwarmup = 1\nmin_runs = 10\nmax_runs = 10\n'
  service base-idle 0ms 400 4 1s published
  service base-awake 0ms 2000 4 1s published
  service delay-2ms 2ms 400 4 1s published; } > timing.toml
"$bin" run --suite timing.toml --runtime host --json -q > timing.json
python3 - <<'PY'
import json
r = json.load(open("timing.json"))
p = {b["name"]: b["execution_environment"]["service"]["latency"]["p50"] for b in r["benchmarks"]}
for base in ("base-idle", "base-awake"):
    expected = 0.002 + p[base]
    off = (p["delay-2ms"] - expected) / expected * 100
    print(f"{base:10} p50 {p[base]*1e6:5.0f} µs; 2 ms server p50 {p['delay-2ms']*1e6:.0f} µs; "
          f"2 ms + base {expected*1e6:.0f} µs: {off:+.1f} %")
PY

echo
echo "## 2. Network paths: container against host, paired rounds"
echo "(zero-delay server at 2000 req/s; on the host network also a 1 ms server at 1000 req/s)"
for path in "host published 0ms 2000" "host published 1ms 1000" "bridge published 0ms 2000" "bridge address 0ms 2000"; do
  set -- $path
  { printf '[suite]\nname = "paths"\nwarmup = 1\nmin_runs = 12\nmax_runs = 12\n'
    service "net-$1-$2-$3" "$3" "$4" 4 1s "$2"; } > paths.toml
  "$bin" run --suite paths.toml --runtime both --network "$1" --json -q > "paths-$1-$2-$3.json" 2>/dev/null
  python3 - "paths-$1-$2-$3.json" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = {b["runtime"]: b for b in r["benchmarks"]}
h, c = d["host"], d["docker"]
s = c["execution_environment"]["service"]
p = c["execution_environment"]["paired_with_host"]
print(f"{s['path']:15} {sys.argv[2]:>4} server: host p50 {h['median']*1e6:6.0f} µs  container p50 {c['median']*1e6:6.0f} µs  "
      f"change {p['change_pct']:+.1f} % (95 % CI {p['ci_low_pct']:+.1f} … {p['ci_high_pct']:+.1f}), "
      f"{(c['median']-h['median'])*1e6:+.0f} µs per request")
PY
done

echo
echo "## 3. python3 -m http.server: wrk against calibench, 4 connections, alternating"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("",0)); print(s.getsockname()[1])')
mkdir -p site && echo hello > site/index.html
python3 -m http.server "$port" --bind 127.0.0.1 --directory site >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
# Several short rounds, alternating: the machine's drift between one tool's window and
# the other's is what a single long window of each would compare.
rounds=${WRK_ROUNDS:-6}
for round in $(seq 1 "$rounds"); do
  wrk -t1 -c4 -d4s --latency "http://127.0.0.1:$port/" > "wrk-$round.txt"
  rate=$(awk '/Requests\/sec/ {print int($2 * 3)}' "wrk-$round.txt")
  { printf '[suite]\nname = "wrk"\nwarmup = 1\nmin_runs = 2\nmax_runs = 2\n'
    cat <<TOML
[[benchmark]]
name = "python-http"
[benchmark.service]
command = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", "site"]
ready = "http:/"
[benchmark.load]
rate = $rate
connections = 4
duration = "2s"
timeout = "60s"
max_error_fraction = 1.0
TOML
  } > wrk.toml
  "$bin" run --suite wrk.toml --runtime host --json -q > "calibench-$round.json"
  python3 - "wrk-$round.txt" "calibench-$round.json" "$round" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", text)
p50 = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
s = json.load(open(sys.argv[2]))["benchmarks"][0]["execution_environment"]["service"]
ct, cp = s["throughput"], s["service_time"]["p50"]
print(f"round {sys.argv[3]}: wrk {rps:.0f} req/s, p50 {p50*1e3:.3f} ms; calibench {ct:.0f} req/s "
      f"({(ct/rps-1)*100:+.1f} %), p50 from send {cp*1e3:.3f} ms ({(cp/p50-1)*100:+.1f} %); "
      f"from intended send {s['latency']['p50']*1e3:.1f} ms (the backlog of a rate above capacity)")
with open("ratios.txt", "a") as f:
    f.write(f"{ct/rps} {cp/p50}\n")
PY
done
python3 - <<'PY'
import statistics
r = [tuple(map(float, l.split())) for l in open("ratios.txt")]
t, p = statistics.median(x[0] for x in r), statistics.median(x[1] for x in r)
print(f"median over {len(r)} rounds: calibench/wrk throughput {(t-1)*100:+.1f} %, p50 {(p-1)*100:+.1f} %")
PY
