#!/usr/bin/env bash
# Installs the Debian packages govreport needs beyond Python itself. Idempotent: packages already
# installed are left alone, and apt-get runs only when something is missing.
#
#   install-system-deps.sh runtime   what the server needs (the container image installs these)
#   install-system-deps.sh [all]     and what the tests need (`make setup` runs this)
#
# Add a package to the list that needs it, with a comment saying who needs it.
set -euo pipefail

WHAT="${1:-all}"
RUNTIME_PACKAGES=(
  # OCR of scanned reports (readers/image.py, govreport/ocr/): Tesseract with the Simplified
  # Chinese model (labels, prose) and English (digits); osd finds pages on their side.
  tesseract-ocr
  tesseract-ocr-chi-sim
  tesseract-ocr-osd
  # Legacy Word (.doc) and WPS (.wps) reports (readers/legacy_word.py): converted to DOCX by
  # LibreOffice; without it the server refuses them, naming it.
  libreoffice-writer-nogui
)
TEST_PACKAGES=(
  # PDF test fixtures (tests/fixtures/pdf.py): soffice (a runtime package) converts the DOCX
  # layouts to PDF, and WenQuanYi Zen Hei is the CJK font both LibreOffice and the
  # reportlab-drawn PDFs use.
  fonts-wqy-zenhei
  # pdfinfo, pdftotext, pdftoppm: to inspect a fixture PDF when a PDF case fails (by hand).
  poppler-utils
  # Headless Chromium: the review page's browser test (tests/test_review.py), and printing the
  # real corpus's HTML report to PDF for its scans (tests/test_ocr_real.py, bench/ocr_bench.py).
  chromium
  # TLS tests (tests/test_production.py) make their certificates with openssl.
  openssl
  # The gateway's end-to-end tests (gateway/e2e_test.go) and image smoke test
  # (deploy/gateway/image.sh) call it with curl; its image takes the CA bundle from
  # ca-certificates (make -C gateway context).
  curl
  ca-certificates
)
case "$WHAT" in
  runtime) APT_PACKAGES=("${RUNTIME_PACKAGES[@]}") ;;
  all) APT_PACKAGES=("${RUNTIME_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  *) echo "usage: $0 [runtime|all]" >&2; exit 2 ;;
esac

if [ "${#APT_PACKAGES[@]}" -eq 0 ]; then
  echo "system-deps: no system packages needed"
  exit 0
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "system-deps: all installed (${APT_PACKAGES[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]}, and this is not a Debian/Ubuntu system: install them by hand" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "system-deps: missing ${missing[*]}; run as root or install them by hand" >&2
    exit 1
  fi
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
