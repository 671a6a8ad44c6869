#!/usr/bin/env bash
# Make sure Debian's chromium is present for the browser tests; install it when we may.
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Debian's chromium is missing: installing it (browser tests need it)."
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null && exit 0
fi
echo "Could not install chromium (not root, no sudo). Browser tests will be skipped." >&2
if [ "${CI:-}" = "true" ]; then echo "In CI a missing browser is a failure." >&2; exit 1; fi
exit 0
