#!/usr/bin/env bash
# Make sure Debian's chromium (and a small CJK font, so screenshots show Chinese rather than
# empty boxes) are present for the browser tests; install them when we may.
packages=""
[ -x /usr/bin/chromium ] || packages="chromium"
fc-list :lang=zh 2>/dev/null | grep -q . || packages="$packages fonts-wqy-microhei"
[ -z "$packages" ] && exit 0
echo "Installing Debian packages for the browser tests:$packages"
if [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null && exit 0
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null && exit 0
fi
[ -x /usr/bin/chromium ] && { echo "Could not install the CJK font; screenshots will show boxes." >&2; exit 0; }
echo "Could not install chromium (not root, no sudo). Browser tests will be skipped." >&2
if [ "${CI:-}" = "true" ]; then echo "In CI a missing browser is a failure." >&2; exit 1; fi
exit 0
