#!/usr/bin/env bash
# The whole test suite: what `npm test` and CI (.ci/run) run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
echo "== typecheck"; npx tsc --noEmit -p .
echo "== lint"; npx eslint .
echo "== dist"; npm run -s check-dist
echo "== tests"
mkdir -p .vps-test
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.vps-test/test-results.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(".vps-test/test-results.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' || true
echo "== leak check"
left=$(ip netns list 2>/dev/null | grep -c '^vt' || true)
if [ "$left" != "0" ]; then echo "leaked network namespaces:"; ip netns list | grep '^vt'; status=1; fi
exit $status
