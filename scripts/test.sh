#!/usr/bin/env bash
# Install kpiscan with its test dependencies (and Debian chromium for the browser tests), then run
# the test suite. This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
bash scripts/install-browser.sh
python3 -m pytest "$@"
