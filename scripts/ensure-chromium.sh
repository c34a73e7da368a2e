#!/usr/bin/env bash
# Make sure Debian's headless-capable `chromium` and its driver (`chromium-driver`, /usr/bin/chromedriver) are
# installed: the report tests render report.html with chromium, the serve tests drive it through selenium.
# Idempotent: a no-op when both are there. As root with apt-get, installs them; otherwise says what to do
# and exits 0 (the tests then skip locally, and fail in CI where CI is set).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "chromium and chromedriver: installed"
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium or chromedriver: missing; install Debian's packages (sudo apt-get install chromium" \
       "chromium-driver) to run the HTML rendering and browser tests" >&2
  exit 0
fi

echo "chromium and chromedriver: installing them from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
echo "chromium and chromedriver: installed"
