#!/usr/bin/env bash
# Extract messages and update both catalogues (run under a lock: helpers share the tree).
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/gl-po.lock
flock 9
.venv/bin/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k ngettext:1,2 -o webapp/translations/messages.pot --no-location --sort-output --omit-header --ignore-dirs '.*' .
for lang in zh_Hans_CN en; do
  if [ -f "webapp/translations/$lang/LC_MESSAGES/messages.po" ]; then
    .venv/bin/pybabel -q update -i webapp/translations/messages.pot -d webapp/translations -l "$lang" --no-fuzzy-matching --ignore-obsolete
  else
    .venv/bin/pybabel -q init -i webapp/translations/messages.pot -d webapp/translations -l "$lang"
  fi
done
.venv/bin/python tools/po_fill.py --english
