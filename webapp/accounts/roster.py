"""Import a roster of practitioners from .xlsx or .csv: read, check row by row, then create.

Nothing is written until the administrator confirms. Between preview and confirmation
the rows that passed are kept in a file under UPLOAD_DIR/imports/, named by a random
token and the administrator's user id; confirming re-checks every row against the
database, claims the file by an atomic rename (so a second confirmation does nothing),
and creates everyone in one transaction.
"""
import codecs
import csv
import datetime
import io
import json
import os
import re
import secrets
import time
import unicodedata
import warnings
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import IntegrityError

from ..branches.models import BranchMember
from ..db import db, utcnow
from ..errors import Conflict, DomainError
from .models import RoleGrant, User
from ..access import audit
from .services import _clean_text, clean_birth_year, clean_phone, one_time_code

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MAX_UNZIPPED = 40 * 1024 * 1024     # an .xlsx is a zip: refuse ones that unpack to far more
MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10             # a title row or two may sit above the column headers
MAX_CELL = 200
PENDING_SECONDS = 2 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # old .xls, or an .xlsx locked with a password

FIELDS = ("name", "phone", "firm", "licence_no", "birth_year", "party_member", "branch")
REQUIRED = ("name", "phone", "firm")
# The template's headers; they name the format, so they stay Chinese in every language.
TEMPLATE_HEADERS = {"name": "姓名", "phone": "手机号", "firm": "所属法律服务所",
                    "licence_no": "执业证号", "birth_year": "出生年份",
                    "party_member": "是否党员", "branch": "所在支部"}
_ALIASES = {
    "name": ("姓名", "名字", "name", "full name", "person"),
    "phone": ("手机号", "手机号码", "手机", "电话", "电话号码", "联系电话", "联系方式",
              "phone", "phone number", "mobile", "mobile phone", "mobile number", "tel",
              "telephone"),
    "firm": ("所属法律服务所", "法律服务所", "服务所", "单位", "所在单位", "工作单位",
             "所在法律服务所", "执业机构", "firm", "firm name", "office", "law office",
             "legal service firm"),
    "licence_no": ("执业证号", "执业证编号", "执业证书编号", "执业证书号", "执业证号码", "证号",
                   "licence no", "licence number", "license no", "license number", "licence",
                   "license"),
    "birth_year": ("出生年份", "出生年", "出生年月", "出生日期", "birth year", "year of birth",
                   "born"),
    "party_member": ("是否党员", "党员", "是否中共党员", "政治面貌", "party member", "party",
                     "cpc member"),
    "branch": ("所在支部", "支部", "党支部", "所在党支部", "所属支部", "所属党支部", "branch",
               "party branch"),
}
_YES = {"是", "是的", "y", "yes", "true", "1", "√", "✓", "✔", "党员", "中共党员", "中共预备党员",
        "预备党员"}
_NO = {"否", "不是", "n", "no", "false", "0", "×", "✗", "非党员", "群众", "共青团员", "团员",
       "无"}

# One-time passwords are random (10 characters from 31: about 49 bits) and are replaced at
# first sign-in, where check_password rehashes with the full parameters. At full settings
# (64 MiB, 3 passes: 0.2-0.4 s a hash here) 2,000 people would take 7-15 minutes; at these
# (4 MiB, 1 pass: about 2 ms) a few seconds. Guessing one random code from a stolen hash
# still costs about 2^48 x 2 ms, some 10^12 core-seconds.
_code_hasher = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)


def _header_key(text):
    """Return a header reduced to letters: width, case, spaces, marks and notes removed."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\s*:_\-.·/]", "", text)


_HEADER_MAP = {_header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def name_key(text):
    """Return a firm or branch name as compared: width, case and spaces ignored."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).casefold()


def field_labels():
    """Return the translated label of each roster column."""
    return {"name": _("Name"), "phone": _("Phone number"), "firm": _("Firm"),
            "licence_no": _("Licence number"), "birth_year": _("Birth year"),
            "party_member": _("Party member"), "branch": _("Party branch")}


# ------------------------------------------------------------------ reading the file

@dataclass
class Sheet:
    """The data rows of an uploaded roster, as text, keyed by column."""
    rows: list                       # [(line number, {field: text})]
    columns: list                    # fields found in the header
    ignored: list                    # header texts that name no column we know
    blank_rows: int = 0


def read_upload(storage):
    """Return the bytes of an uploaded file, refusing a missing, empty or too large one."""
    if storage is None or not (storage.filename or "").strip():
        raise DomainError(_("Choose a file to upload."))
    data = storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DomainError(_("The file is larger than 2 MB. Split the roster into smaller files."))
    if not data:
        raise DomainError(_("The file is empty."))
    return data


def parse(filename, data):
    """Read an .xlsx or .csv roster; raise DomainError, in plain words, when it cannot be used."""
    ext = os.path.splitext((filename or "").lower())[1]
    if not ext and data.startswith(b"PK\x03\x04"):
        ext = ".xlsx"       # some phones send a picked file without its extension
    if ext == ".xls" or (ext in (".xlsx", ".csv") and data.startswith(OLE_MAGIC)):
        raise DomainError(_("This is an old Excel file (.xls) or one locked with a password. "
                            "Open it in Excel, remove any password, choose Save As and pick "
                            "“Excel Workbook (.xlsx)”, then upload that file."))
    if ext == ".xlsx":
        return _table(_xlsx_sheets(data))
    if ext == ".csv":
        if data.startswith(b"PK\x03\x04"):
            raise DomainError(_("This file is an Excel workbook with a .csv name. "
                                "Rename it to .xlsx, or save it from Excel as CSV."))
        return _table([_csv_rows(data)])
    raise DomainError(_("Choose an Excel file (.xlsx) or a CSV file (.csv)."))


def _unreadable_xlsx():
    return DomainError(_("The Excel file could not be read; it may be damaged. Open it in Excel, "
                         "save it again as .xlsx, and upload it again."))


def _xlsx_sheets(data):
    """Yield each worksheet's rows as (line, values)."""
    import openpyxl
    if not data.startswith(b"PK\x03\x04"):
        raise _unreadable_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_xlsx() from None
    if unpacked > MAX_UNZIPPED:
        raise DomainError(_("The Excel file is too large once opened. "
                            "Delete empty rows and columns or split the roster."))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; none of that matters here.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:   # an untrusted file can break the parser in many ways
        raise _unreadable_xlsx() from None
    try:
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            # Some programs write a wrong used range; trusting it would drop rows silently.
            sheet.reset_dimensions()
            yield _guarded(enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                     start=1))
    finally:
        book.close()


def _guarded(rows):
    """Turn a parser's failure half-way through a sheet into a plain message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield from rows
    except DomainError:
        raise
    except Exception:
        raise _unreadable_xlsx() from None


def _decode(data):
    """Decode CSV bytes: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text
    raise DomainError(_("The text of this CSV file could not be read. In Excel choose Save As "
                        "and pick “CSV UTF-8”, or upload the .xlsx file instead."))


def _csv_rows(data):
    """Yield a CSV file's records as (line, values), guessing comma, tab or semicolon."""
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for line, values in enumerate(reader, start=1):
            yield line, values[:MAX_COLUMNS]
    except csv.Error:
        raise DomainError(_("The CSV file is not well formed (check for stray quote marks). "
                            "Save it again from Excel and upload it again.")) from None


def _cell_text(value):
    """Return a cell as stripped text (whole numbers without .0, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()[:10]
    text = str(value).replace("\u200b", "").replace("\ufeff", "").strip()
    return text[:MAX_CELL]


def _match_header(texts):
    """Map column index to field for a candidate header row (first match of a field wins)."""
    mapping = {}
    for index, text in enumerate(texts):
        name = _HEADER_MAP.get(_header_key(text)) if text else None
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def _table(sheets):
    """Find the header row in the first sheet that has one and collect the non-blank rows."""
    best = {}
    for rows in sheets:
        header = None
        seen = 0
        result = Sheet(rows=[], columns=[], ignored=[])
        for line, values in rows:
            texts = [_cell_text(v) for v in values]
            if header is None:
                if not any(texts):
                    continue
                seen += 1
                mapping = _match_header(texts)
                if all(name in mapping.values() for name in REQUIRED):
                    header = mapping
                    result.columns = [n for n in FIELDS if n in mapping.values()]
                    result.ignored = [t for i, t in enumerate(texts) if t and i not in mapping]
                    continue
                if len(mapping) > len(best):
                    best = mapping
                if seen >= HEADER_SEARCH_ROWS:
                    break
                continue
            record = {name: texts[i] if i < len(texts) else "" for i, name in header.items()}
            if not any(record.values()):
                result.blank_rows += 1
                continue
            result.rows.append((line, record))
            if len(result.rows) > MAX_ROWS:
                raise DomainError(_("The file has more than %(n)d people. Split it into files "
                                    "of at most %(n)d rows.", n=MAX_ROWS))
        if header is not None:
            if not result.rows:
                raise DomainError(_("The file has column headers but no people under them."))
            return result
    labels = field_labels()
    if best:
        missing = [labels[n] for n in REQUIRED if n not in best.values()]
        raise DomainError(_("These columns are missing: %(columns)s. The first row must name "
                            "the columns, as in the template.", columns=", ".join(missing)))
    raise DomainError(_("No column headers were found. The first row must name the columns, "
                        "for example: %(headers)s.",
                        headers=", ".join(TEMPLATE_HEADERS[n] for n in FIELDS)))


# ------------------------------------------------------------------ checking the rows

@dataclass
class Row:
    """One data row: its text, what was wrong with it, and its clean values when right."""
    line: int
    values: dict
    errors: list = field(default_factory=list)
    clean: dict = None


@dataclass
class Preview:
    """The checked rows of a roster."""
    rows: list
    columns: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    blank_rows: int = 0

    @property
    def valid(self):
        return [r for r in self.rows if not r.errors]

    @property
    def invalid(self):
        return [r for r in self.rows if r.errors]


def _party_value(text):
    """Return True, False, None (blank), or raise DomainError for an unknown answer."""
    key = unicodedata.normalize("NFKC", text or "").strip().casefold()
    if not key:
        return None
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise DomainError(_("Party member: write 是 or 否 (yes or no)."))


def _birth_year_text(text):
    """Take the year out of 1975, 1975年, 1975-03, 1975/3/1 or 1975-03-01."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = re.match(r"^(\d{4})(?:\s*年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:[ T].*)?)?$", text)
    return match.group(1) if match else text


def _line_list(lines):
    return ", ".join(str(n) for n in lines)


def _check_one(values, firms_by_key, branches_by_key, this_year):
    """Check one row on its own; return (clean values, errors)."""
    clean, errors = {}, []

    def attempt(key, check):
        try:
            clean[key] = check()
        except DomainError as exc:
            errors.append(exc.message)

    attempt("name", lambda: _clean_text(values.get("name"), "name", _("the name"), 60))
    phone = unicodedata.normalize("NFKC", values.get("phone") or "")
    if not phone.strip():
        errors.append(_("Fill in the phone number."))
    elif re.match(r"^\d(\.\d+)?e\+?\d+$", phone.strip(), re.IGNORECASE):
        errors.append(_("Excel turned this phone number into a number like 1.39E+10. Format "
                        "the column as Text, type the numbers again and save."))
    else:
        attempt("phone", lambda: clean_phone(phone))
    firm_text = values.get("firm") or ""
    firm = firms_by_key.get(name_key(firm_text))
    if not firm_text.strip():
        errors.append(_("Fill in the firm."))
    elif firm is None:
        errors.append(_("There is no firm called “%(name)s” in this county. Use the name shown "
                        "on the Firms page.", name=firm_text))
    elif not firm.active:
        errors.append(_("The firm “%(name)s” is deactivated.", name=firm.name))
    else:
        clean["firm"] = firm
    attempt("licence_no", lambda: _clean_text(
        unicodedata.normalize("NFKC", values.get("licence_no") or ""), "licence_no",
        _("the licence number"), 40, required=False))
    attempt("birth_year", lambda: clean_birth_year(
        _birth_year_text(values.get("birth_year")), this_year))
    attempt("party_member", lambda: _party_value(values.get("party_member")))
    branch_text = values.get("branch") or ""
    clean["branch"] = None
    if branch_text.strip():
        branch = branches_by_key.get(name_key(branch_text))
        if branch is None:
            errors.append(_("There is no party branch called “%(name)s” in this county.",
                            name=branch_text))
        elif not branch.active:
            errors.append(_("The party branch “%(name)s” is deactivated.", name=branch.name))
        elif clean.get("party_member") is False:
            errors.append(_("A party branch is given, but the person is marked as not a party "
                            "member."))
        else:
            clean["branch"] = branch
            clean["party_member"] = True
    if clean.get("party_member") is None:
        clean["party_member"] = False
    return clean, errors


def _chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check_rows(records, firms, branches, county, this_year):
    """Check every row against the county's firms and branches, the file and the database.

    `firms` and `branches` are the acting administrator's scoped lists; a name that is not
    among them is an error, so another county's firm can never be used.
    """
    firms_by_key = {name_key(f.name): f for f in firms}
    branches_by_key = {name_key(b.name): b for b in branches}
    rows = []
    for line, values in records:
        clean, errors = _check_one(values, firms_by_key, branches_by_key, this_year)
        rows.append(Row(line=line, values=values, errors=errors, clean=clean))

    by_phone, by_licence = {}, {}
    for row in rows:
        if row.clean.get("phone"):
            by_phone.setdefault(row.clean["phone"], []).append(row)
        if row.clean.get("licence_no"):
            by_licence.setdefault(row.clean["licence_no"].casefold(), []).append(row)
    for same in by_phone.values():
        if len(same) > 1:
            for row in same:
                others = [r.line for r in same if r is not row]
                row.errors.append(ngettext("The same phone number is also on row %(rows)s.",
                                           "The same phone number is also on rows %(rows)s.",
                                           len(others), rows=_line_list(others)))
    for same in by_licence.values():
        if len(same) > 1:
            for row in same:
                others = [r.line for r in same if r is not row]
                row.errors.append(ngettext("The same licence number is also on row %(rows)s.",
                                           "The same licence number is also on rows %(rows)s.",
                                           len(others), rows=_line_list(others)))

    for batch in _chunks(by_phone):
        for user in User.select(User.name, User.phone, User.username, User.county).where(
                User.phone.in_(batch) | User.username.in_(batch)):
            for key in {user.phone, user.username} & set(batch):
                for row in by_phone[key]:
                    if user.county_id == county.id:
                        row.errors.append(_("Already registered: %(name)s has this phone "
                                            "number.", name=user.name))
                    else:
                        row.errors.append(_("Someone with this phone number is already "
                                            "registered."))
    licences = {row.clean["licence_no"] for same in by_licence.values() for row in same}
    for batch in _chunks(licences):
        for (licence,) in User.select(User.licence_no).where(User.licence_no.in_(batch)).tuples():
            for row in by_licence.get(licence.casefold(), []):
                row.errors.append(_("Someone with this licence number is already registered."))
    for row in rows:
        row.errors = list(dict.fromkeys(row.errors))
    return rows


def preview(sheet, firms, branches, county, this_year):
    """Check a read roster and return what would be imported and what is wrong."""
    rows = check_rows(sheet.rows, firms, branches, county, this_year)
    return Preview(rows=rows, columns=sheet.columns, ignored=sheet.ignored,
                   blank_rows=sheet.blank_rows)


# ------------------------------------------------------------------ between preview and confirm

class PendingNotFound(DomainError):
    """No preview waits under this token for this administrator."""

    status = 404


def _imports_dir(upload_dir):
    path = os.path.join(upload_dir, "imports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _pending_path(upload_dir, user_id, token, suffix=".json"):
    if not TOKEN_RE.match(token or ""):
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again."))
    return os.path.join(_imports_dir(upload_dir), f"{int(user_id)}-{token}{suffix}")


def _purge_old(folder):
    """Delete previews and markers older than the time a preview stays valid."""
    cutoff = time.time() - PENDING_SECONDS
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass


def save_pending(upload_dir, user, county, filename, result):
    """Keep the rows that passed, under a new token bound to the user and county; return it."""
    folder = _imports_dir(upload_dir)
    _purge_old(folder)
    token = secrets.token_urlsafe(24)
    payload = {
        "user": user.id, "county": county.id, "created": time.time(),
        "filename": filename, "rows_in_file": len(result.rows),
        "errors_at_preview": len(result.invalid),
        "rows": [[row.line, row.values] for row in result.valid],
    }
    path = _pending_path(upload_dir, user.id, token)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(temporary, path)
    return token


def _claim(upload_dir, user, county, token):
    """Take the preview for this import, so that no second confirmation can; return (path, data)."""
    path = _pending_path(upload_dir, user.id, token)
    claimed = path + ".claimed"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        done = _pending_path(upload_dir, user.id, token, ".done")
        if os.path.exists(done):
            raise Conflict(_("This roster was already imported. Nothing more was changed.")) from None
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again.")) from None
    with open(claimed, encoding="utf-8") as fh:
        payload = json.load(fh)
    if payload.get("user") != user.id or payload.get("county") != county.id:
        os.rename(claimed, path)
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again."))
    if time.time() - payload.get("created", 0) > PENDING_SECONDS:
        os.remove(claimed)
        raise PendingNotFound(_("This preview has expired. Upload the file again."))
    return claimed, payload


# ------------------------------------------------------------------ writing

def hash_codes(codes):
    """Hash one-time passwords, in parallel threads (argon2 releases the GIL)."""
    workers = max(1, min(4, os.cpu_count() or 1))
    if len(codes) < 8 or workers == 1:
        return [_code_hasher.hash(c) for c in codes]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_code_hasher.hash, codes))


@dataclass
class ImportResult:
    """What a confirmed import created, with each new person's one-time password."""
    created: list          # [{"id", "name", "phone", "firm", "code"}]
    refused: list          # rows that no longer passed at confirmation
    filename: str = ""


def create_people(actor, county, rows, detail=None):
    """Create a practitioner for each row (all or none) and audit it; return [(row, user id, code)]."""
    codes = [one_time_code() for _row in rows]
    hashes = hash_codes(codes)
    now = utcnow()
    try:
        with db.atomic():
            for batch in _chunks(list(zip(rows, hashes)), 200):
                User.insert_many([{
                    "name": row.clean["name"], "phone": row.clean["phone"], "password_hash": h,
                    "firm": row.clean["firm"].id, "county": county.id,
                    "licence_no": row.clean["licence_no"], "birth_year": row.clean["birth_year"],
                    "party_member": row.clean["party_member"], "must_change_password": True,
                    "active": True, "created_at": now,
                } for row, h in batch]).execute()
            ids = {}
            for batch in _chunks([row.clean["phone"] for row in rows]):
                ids.update(User.select(User.phone, User.id).where(User.phone.in_(batch)).tuples())
            for batch in _chunks(rows, 200):
                RoleGrant.insert_many([{
                    "user": ids[row.clean["phone"]], "role": "practitioner",
                    "firm": row.clean["firm"].id, "created_at": now} for row in batch]).execute()
                members = [{"branch": row.clean["branch"].id, "user": ids[row.clean["phone"]],
                            "standing": "full"} for row in batch if row.clean["branch"]]
                if members:
                    BranchMember.insert_many(members).execute()
            audit(actor, "roster.import", None, county, detail)
    except IntegrityError:
        raise Conflict(_("Someone registered one of these phone numbers in the meantime, so "
                         "nothing was imported. Upload the file again to see which row.")) from None
    return [(row, ids[row.clean["phone"]], code) for row, code in zip(rows, codes)]


def confirm(actor, county, firms, branches, upload_dir, token, this_year):
    """Import the previewed rows that still pass, exactly once; return an ImportResult."""
    claimed, payload = _claim(upload_dir, actor, county, token)
    try:
        rows = check_rows([(line, values) for line, values in payload["rows"]],
                          firms, branches, county, this_year)
        good = [r for r in rows if not r.errors]
        refused = [r for r in rows if r.errors]
        detail = {
            "file": payload.get("filename", ""), "rows_in_file": payload.get("rows_in_file"),
            "created": len(good), "errors_at_preview": payload.get("errors_at_preview"),
            "refused_at_confirm": len(refused),
            "party_members": sum(1 for r in good if r.clean["party_member"]),
            "branch_members": sum(1 for r in good if r.clean["branch"]),
        }
        made = create_people(actor, county, good, detail)
    except BaseException:
        # Nothing was written: give the preview back so the administrator can try again.
        os.rename(claimed, claimed[:-len(".claimed")])
        raise
    done = claimed[:-len(".json.claimed")] + ".done"
    with open(done, "w", encoding="utf-8") as fh:
        json.dump({"user": actor.id, "created": len(made)}, fh)
    os.remove(claimed)
    created = [{"id": user_id, "name": row.clean["name"], "phone": row.clean["phone"],
                "firm": row.clean["firm"].name, "code": code} for row, user_id, code in made]
    return ImportResult(created=created, refused=refused, filename=payload.get("filename", ""))


def codes_csv(created):
    """Return name, phone and one-time password as CSV bytes Excel opens (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Phone number"), _("Firm"), _("One-time password")])
    for person in created:
        writer.writerow([_safe_cell(person["name"]), person["phone"], _safe_cell(person["firm"]),
                         person["code"]])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _safe_cell(text):
    """Keep a spreadsheet from reading a cell as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ------------------------------------------------------------------ the template

def template_workbook(firm_names, branch_names):
    """Return an .xlsx roster template with Chinese headers and the county's names to pick from."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = _("Roster")
    sheet.append([TEMPLATE_HEADERS[n] for n in FIELDS])
    widths = {"A": 12, "B": 16, "C": 28, "D": 22, "E": 10, "F": 10, "G": 24}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for column in ("B", "D"):
        # Text, so Excel keeps 11-digit phones and licence numbers as typed.
        sheet.column_dimensions[column].number_format = "@"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"

    notes = book.create_sheet(_("Instructions"))
    lines = [
        _("One person per row on the first sheet. Do not change the first row."),
        _("Name, phone number and firm must be filled in."),
        _("Phone number: 11 digits, starting with 1."),
        _("Firm and party branch: write the name exactly as listed below."),
        _("Birth year: four digits, for example 1975."),
        _("Party member: 是 or 否. Party members may also give their party branch."),
        _("At most %(n)d people per file. Empty rows are skipped.", n=MAX_ROWS),
    ]
    for line in lines:
        notes.append([line])
    notes.append([])
    notes.append([_("Firms"), _("Party branches")])
    notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
    notes.cell(row=notes.max_row, column=2).font = Font(bold=True)
    first = notes.max_row + 1
    for i in range(max(len(firm_names), len(branch_names))):
        notes.append([firm_names[i] if i < len(firm_names) else None,
                      branch_names[i] if i < len(branch_names) else None])
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 30
    title = notes.title.replace("'", "''")
    end = MAX_ROWS + 1
    party = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(party)
    party.add(f"F2:F{end}")
    for names, column, target in ((firm_names, "A", "C"), (branch_names, "B", "G")):
        if names:
            pick = DataValidation(
                type="list", allow_blank=True, showErrorMessage=False,
                formula1=f"'{title}'!${column}${first}:${column}${first + len(names) - 1}")
            sheet.add_data_validation(pick)
            pick.add(f"{target}2:{target}{end}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
