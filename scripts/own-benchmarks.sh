#!/usr/bin/env bash
# calibench's own speed: the statistics benches (criterion: calibrator/benches) and the
# store timings (scripts/bench-ingest.sh: ingest, history, daily view and a compare over
# 10 M stored samples). Writes the figures, with the machine they came from, into
# docs/performance.md between the `own-benchmarks` markers. About 10 minutes.
#
#   bash scripts/own-benchmarks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export CRITERION_HOME="$root/target/criterion-own"
rm -rf "$CRITERION_HOME"
cargo bench -q -p calibench-calibrator --bench bootstrap -- --noplot > /dev/null
ingest=$(bash scripts/bench-ingest.sh)
section=$(python3 - "$CRITERION_HOME" "$ingest" <<'PY'
import json, os, platform, subprocess, sys, datetime
home, ingest = sys.argv[1], sys.argv[2]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
out = [f"Measured {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {os.cpu_count()} × {cpu}, "
       f"kernel {platform.release()}, by `bash scripts/own-benchmarks.sh` (release build).", "",
       "| calibench's statistics (criterion, median of its samples) | time |", "| --- | ---: |"]
def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"
for root, dirs, files in sorted(os.walk(home)):
    if root.endswith("/new") and "estimates.json" in files:
        bench = json.load(open(os.path.join(root, "benchmark.json")))
        est = json.load(open(os.path.join(root, "estimates.json")))
        out.append(f"| {bench['full_id']} | {fmt(est['median']['point_estimate'])} |")
out += ["", "Stores (`scripts/bench-ingest.sh`, medians of its repeats):", "", "```", ingest.strip(), "```"]
print("\n".join(out))
PY
)
python3 - "$section" <<'PY'
import re, sys
path = "docs/performance.md"
text = open(path).read()
start, end = "<!-- own-benchmarks:start -->", "<!-- own-benchmarks:end -->"
block = f"{start}\n{sys.argv[1]}\n{end}"
if start in text:
    text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n## calibench's own benchmarks\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "docs/performance.md updated"
