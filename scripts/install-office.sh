#!/usr/bin/env bash
# System packages for the readers' tests: LibreOffice headless (.doc/.xls), poppler-utils (pdftoppm)
# and a CJK font for rendering. Skipped when already there; a failure is reported by the caller.
set -euo pipefail
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-core libreoffice-writer libreoffice-calc)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${need[@]}" >/dev/null
fi
