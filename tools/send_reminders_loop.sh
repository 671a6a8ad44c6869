#!/usr/bin/env bash
# The demo's reminder sender (`make run` starts it in the background and stops it with the
# server): `flask send-reminders` every INTERVAL seconds (default 60) until it is sent TERM.
# In production use cron or a systemd timer instead (README, "Reminders (Web Push)").
set -u
interval="${1:-60}"
flask="${FLASK:-.venv/bin/flask}"
log="${REMINDERS_LOG:-instance/send-reminders.log}"
mkdir -p "$(dirname "$log")"
sleeper=""
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; exit 0' TERM INT HUP
while true; do
  # One run failing (the database busy, a push service down) must not stop the next.
  "$flask" --app webapp send-reminders >>"$log" 2>&1 || echo "send-reminders failed ($?)" >>"$log"
  sleep "$interval" &
  sleeper=$!
  wait "$sleeper"
  sleeper=""
done
