#!/usr/bin/env bash
# Install Lighthouse (pinned in tools/lighthouse/package-lock.json) for the Lighthouse check of
# `make test`; Node.js and npm come from Debian when the machine lacks them.
set -uo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "Installing Debian's nodejs and npm for the Lighthouse check"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
if ! command -v npm >/dev/null; then
  echo "Could not install npm: the Lighthouse check will be skipped." >&2
  [ "${CI:-}" = "true" ] && { echo "In CI a missing Lighthouse is a failure." >&2; exit 1; }
  exit 0
fi
[ -x node_modules/.bin/lighthouse ] && [ node_modules/.package-lock.json -nt package-lock.json ] && exit 0
npm ci --no-audit --no-fund --loglevel=error
