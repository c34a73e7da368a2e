#!/usr/bin/env bash
# Make sure Debian's headless-capable `chromium` is installed: the report tests render report.html with it.
# Idempotent: a no-op when chromium is there. As root with apt-get, installs it; otherwise says what to do
# and exits 0 (the tests then skip locally, and fail in CI where CI is set).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium: installed"
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: missing; install Debian's chromium package (sudo apt-get install chromium) to run the HTML" \
       "rendering test" >&2
  exit 0
fi

echo "chromium: installing it from Debian"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "chromium: installed"
