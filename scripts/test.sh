#!/usr/bin/env bash
# Every check CI runs: setup, lint and format, type check, then all tests (real models, ffmpeg, espeak-ng).
# Extra arguments go to jest, e.g. `bash scripts/test.sh tests/unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== lint"
npx --no-install eslint .
npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --check .; exit 1; }
echo "== type check"
npx --no-install tsc -p tsconfig.json --noEmit
echo "== tests"
results=$(mktemp)
status=0
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js --ci --json --outputFile="$results" "$@" || status=$?
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`); if (r.numTotalTests === 0 || !r.success) process.exit(1);' "$results" || status=1
rm -f "$results"
exit $status
