"""Fill catalogue entries: English from the msgids, Chinese from a JSON file of {msgid: msgstr}.

For plural messages give a list of one string for Chinese (nplurals=1).
Usage: po_fill.py --english            (English msgstr = msgid, always complete)
       po_fill.py zh.json              (set Chinese translations; prints what is still missing)
       po_fill.py --missing            (print untranslated Chinese msgids as JSON)
"""
import fcntl
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "webapp" / "translations"


def load(lang):
    path = ROOT / lang / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as fh:
        return path, read_po(fh, locale=lang)


def save(path, catalog):
    if catalog.num_plurals == 1:
        for msg in catalog:
            if msg.id and msg.pluralizable:
                strings = msg.string if isinstance(msg.string, (list, tuple)) else (msg.string,)
                msg.string = (strings[0] if strings else "",)
    with open(path, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, no_location=True, sort_output=True,
                 ignore_obsolete=True)


def main(argv):
    lock = open("/tmp/gl-po-fill.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    if "--english" in argv:
        path, cat = load("en")
        for msg in cat:
            if not msg.id:
                continue
            msg.string = (msg.id[0], msg.id[1]) if msg.pluralizable else msg.id
            msg.flags.discard("fuzzy")
        save(path, cat)
    path, cat = load("zh_Hans_CN")
    files = [a for a in argv if a.endswith(".json")]
    for name in files:
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        for msgid, text in data.items():
            key = msgid
            msg = cat.get(key)
            if msg is None:
                # plural messages are keyed by their singular form
                msg = next((m for m in cat if m.pluralizable and m.id[0] == msgid), None)
            if msg is None:
                print("not in catalogue:", msgid, file=sys.stderr)
                continue
            if msg.pluralizable:
                msg.string = tuple(text if isinstance(text, list) else [text])
            else:
                msg.string = text[0] if isinstance(text, list) else text
            msg.flags.discard("fuzzy")
        save(path, cat)
    missing = [m.id if not m.pluralizable else m.id[0] for m in cat
               if m.id and (not m.string or (m.pluralizable and not all(m.string))
                            or "fuzzy" in m.flags)]
    if "--missing" in argv:
        print(json.dumps(missing, ensure_ascii=False, indent=1))
    elif files:
        print(f"{len(missing)} Chinese messages still untranslated")


if __name__ == "__main__":
    main(sys.argv[1:])
