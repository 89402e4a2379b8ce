#!/usr/bin/env bash
# Install kpiscan with its test dependencies (and Debian chromium for the browser tests), then run
# ruff, mypy and the test suite. This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
# the README's virtual environment when it exists (and none is active): install and test there
if [ -z "${VIRTUAL_ENV:-}" ] && [ -x .venv/bin/python3 ]; then PATH="$PWD/.venv/bin:$PATH"; fi
python3 -m pip install -q -e ".[test]"
# a registry outage must not hide every other test: without chromium the browser tests skip,
# and say why
bash scripts/install-browser.sh || echo "warning: chromium could not be installed; the browser tests will skip" >&2
# LibreOffice (.doc/.xls tests and conversions), poppler's pdftoppm and a CJK font (rasterised
# scans for the OCR test): without them those tests skip, and say why
bash scripts/install-office.sh || echo "warning: LibreOffice/poppler could not be installed; the .doc/.xls and OCR tests will skip" >&2
# habits first: lint (with the complexity cap) and type checks, configured in pyproject.toml
python3 -m ruff check src tests bench
python3 -m mypy
python3 -m pytest "$@"
