#!/usr/bin/env bash
# Opens calibench's HTML reports in headless Chromium (Debian's `chromium`), takes
# screenshots, and checks that each page shows its chart (a good share of non-white,
# multi-coloured pixels), not a blank page. Installs chromium when missing.
#   bash scripts/screenshot-report.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-$(mktemp -d)}
mkdir -p "$out"

if ! command -v chromium >/dev/null; then
  echo "installing chromium with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
fi
python3 -c "import PIL" 2>/dev/null || python3 -m pip install --quiet pillow

cargo build --release -q -p calibench
bin=$PWD/target/release/calibench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CALIBENCH_HOME=$work/state CALIBENCH_DATABASE_URL=sqlite://$work/r.db
cat > "$work/suite.toml" <<'TOML'
[suite]
name = "screenshot"
warmup = 1
min_runs = 12
time_budget = "0s"
[[benchmark]]
name = "cpu-kernel"
probe = "cpu"
[[benchmark]]
name = "spawn-true"
command = ["true"]
[[benchmark]]
name = "sort-100k"
command = ["sh", "-c", "seq 100000 | sort -r > /dev/null"]
TOML
runtime=host
docker info >/dev/null 2>&1 && runtime=both
for tag in v1 v2 v3; do "$bin" run -q --runtime "$runtime" --cpuset 0 --suite "$work/suite.toml" --tag "$tag" >/dev/null; done
"$bin" report --run v3 --out "$out/run.html"
"$bin" report --compare v1 v3 --max-regression 5% --out "$out/compare.html"
"$bin" report --history cpu-kernel --out "$out/history.html"

status=0
for page in run compare history; do
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1400 \
    --screenshot="$out/$page.png" "file://$out/$page.html" >/dev/null 2>&1
  python3 - "$out/$page.png" <<'PY' || status=1
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("RGB")
px = list(img.getdata())
ink = sum(1 for p in px if sum(p) < 720) / len(px)
colours = len({(r // 32, g // 32, b // 32) for r, g, b in px})
ok = ink > 0.01 and colours >= 6
print(f"{sys.argv[1]}: {100 * ink:.1f} % non-white pixels, {colours} colour bins: {'ok' if ok else 'BLANK?'}")
sys.exit(0 if ok else 1)
PY
done
echo "screenshots in $out"
exit $status
