#!/usr/bin/env bash
# The whole test suite: what `npm test` and CI (.ci/run) run. Every step runs even when an
# earlier one failed, so one run shows every problem; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh || exit 1
# the VM tests (test/e2e/vm, their own lane; VPS_TEST_VM=0 skips them) need qemu, debootstrap and
# xorriso (~300 MB); they build the base image themselves (cached in ~/.cache/vps-test/vm)
if [ "${VPS_TEST_VM:-}" != 0 ] && [ "$(id -u)" -eq 0 ]; then bash scripts/install-vm-deps.sh || exit 1; fi
failed=()
step() { local name=$1; shift; echo "== $name"; "$@" || failed+=("$name"); }
step typecheck npx tsc --noEmit -p .
step lint npx eslint .
step dist npm run -s check-dist
step do-types npm run -s check:digitalocean
mkdir -p .vps-test
echo "== tests"
npx vitest run --reporter=default --reporter=json --outputFile.json=.vps-test/test-results.json "$@" || failed+=(tests)
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vps-test/test-results.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
echo "== leak check"
left=$(ip netns list 2>/dev/null | grep '^vt' || true)
if [ -n "$left" ]; then echo "network namespaces left behind:"; echo "$left"; failed+=(leaks); fi
vms=$(pgrep -a -f '^qemu-system-x86_64 -name vt' || true)
if [ -n "$vms" ]; then echo "VM machines left behind:"; echo "$vms"; failed+=(leaks); fi
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "all checks passed"
