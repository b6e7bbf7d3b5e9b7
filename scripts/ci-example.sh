#!/usr/bin/env bash
# The CI job and the release gate of docs/ci.md, run on a throwaway repository: a
# small program whose second commit does twice the work. The merge job stores a run
# per commit; the pull-request job runs `calibench ab` of base and head, writes the
# markdown summary and fails on a regression; a change that does not touch the
# program passes.
#
#   bash scripts/ci-example.sh                # uses target/release/calibench
#   CALIBENCH=/path/to/calibench bash scripts/ci-example.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ -z "${CALIBENCH:-}" ]; then
  cargo build --release -q -p calibench
  CALIBENCH="$root/target/release/calibench"
fi
work=$(mktemp -d /tmp/calibench-ci-example.XXXXXX)
trap 'rm -rf "$work"' EXIT
export CALIBENCH_HOME="$work/state" CALIBENCH_DATABASE_URL="sqlite://$work/team.db"
export GITHUB_STEP_SUMMARY="$work/step-summary.md"
cd "$work" && mkdir repo && cd repo
git init -q -b main && git config user.email ci@example.invalid && git config user.name ci

# The project: a program and its benchmark suite, with a build step.
cat > work.py <<'PY'
import sys
n = int(open("size.txt").read())
total = 0
for i in range(n):
    total += i * i
sys.stdout.write(str(total % 7))
PY
echo 150000 > size.txt
cat > bench.toml <<'TOML'
[suite]
name = "ci-example"
warmup = 1
min_runs = 10
[build]
command = ["python3", "-c", "import compileall; compileall.compile_file('work.py', quiet=1)"]
[[benchmark]]
name = "work"
command = ["python3", "work.py"]
TOML
git add -A && git commit -qm "base" && base=$(git rev-parse HEAD)

# --- the merge job: every commit on main is stored in the team store ------------------
step() { echo; echo "\$ $*"; "$@"; }
step "$CALIBENCH" run --suite bench.toml --runtime host --tag "$base" --context ci --quiet > /dev/null

# --- a pull request that only touches documentation: the gate passes ------------------
git checkout -qb docs && echo "# notes" > NOTES.md && git add -A && git commit -qm docs
docs=$(git rev-parse HEAD)
set +e
step "$CALIBENCH" ab "$base" "$docs" --suite bench.toml --max-regression 10% --max-time 40s --markdown pr-docs.md --quiet > /dev/null
docs_exit=$?
# --- a pull request that doubles the work: the gate fails ---------------------------
git checkout -q main && git checkout -qb slower && echo 300000 > size.txt && git commit -qam slower
slow=$(git rev-parse HEAD)
step "$CALIBENCH" ab "$base" "$slow" --suite bench.toml --max-regression 10% --max-time 40s --markdown pr-slow.md --quiet > /dev/null
slow_exit=$?
set -e

echo
echo "documentation-only pull request: exit $docs_exit (0 passes)"
echo "slower pull request: exit $slow_exit (1 fails the job)"
echo "step summary: $(grep -c '' "$GITHUB_STEP_SUMMARY") lines"
sed -n '1,12p' pr-slow.md
[ "$docs_exit" = 0 ] && [ "$slow_exit" = 1 ] && grep -q "work" "$GITHUB_STEP_SUMMARY"
echo "ci-example: ok"
