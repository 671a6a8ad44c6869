"""Import a roster of practitioners from .xlsx or .csv: read, check row by row, then create.

Nothing is written until the administrator confirms: the preview keeps the rows that passed
(see .pending), and confirming re-checks every row against the database, takes the preview
exactly once, and creates everyone in one transaction. The parts: .columns (the format),
.files (reading), .rows (checking), .pending, .template; this module holds the limits and
the steps a view calls.
"""
import codecs
import csv
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher
from flask_babel import gettext as _
from peewee import IntegrityError

from ...access import audit
from ...branches.models import BranchMember
from ...db import db, utcnow
from ...errors import Conflict, DomainError
from ...web import looks_like_formula
from ..models import RoleGrant, User
from ..services import one_time_code
from .columns import FIELDS, MAX_ROWS, REQUIRED, TEMPLATE_HEADERS, field_labels
from .files import csv_rows, table, xlsx_sheets
from .pending import PENDING_SECONDS, PendingNotFound, claim, give_back, mark_done, save_pending
from .rows import Preview, Row, birth_year_text, check_rows, chunks
from .template import template_workbook

__all__ = ["FIELDS", "MAX_ROWS", "REQUIRED", "TEMPLATE_HEADERS", "field_labels", "MAX_BYTES",
           "MAX_UNZIPPED", "OLE_MAGIC", "PENDING_SECONDS", "PendingNotFound", "Preview", "Row",
           "ImportResult", "read_upload", "parse", "preview", "check_rows", "birth_year_text",
           "save_pending", "confirm", "create_people", "hash_codes", "codes_csv",
           "template_workbook"]

MAX_BYTES = 2 * 1024 * 1024
MAX_UNZIPPED = 40 * 1024 * 1024     # an .xlsx is a zip: refuse ones that unpack to far more
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # old .xls, or an .xlsx locked with a password
_birth_year_text = birth_year_text  # the name tests/test_roster.py knows it by

# One-time passwords are random (10 characters from 31: about 49 bits) and are replaced at
# first sign-in, where check_password rehashes with the full parameters. At full settings
# (64 MiB, 3 passes: 0.2-0.4 s a hash here) 2,000 people would take 7-15 minutes; at these
# (4 MiB, 1 pass: about 2 ms) a few seconds. Guessing one random code from a stolen hash
# still costs about 2^48 x 2 ms, some 10^12 core-seconds.
_code_hasher = PasswordHasher(time_cost=1, memory_cost=4096, parallelism=1)


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
        return table(xlsx_sheets(data, MAX_UNZIPPED))
    if ext == ".csv":
        if data.startswith(b"PK\x03\x04"):
            raise DomainError(_("This file is an Excel workbook with a .csv name. "
                                "Rename it to .xlsx, or save it from Excel as CSV."))
        return table([csv_rows(data)])
    raise DomainError(_("Choose an Excel file (.xlsx) or a CSV file (.csv)."))


def preview(sheet, firms, branches, county, this_year):
    """Check a read roster and return what would be imported and what is wrong."""
    rows = check_rows(sheet.rows, firms, branches, county, this_year)
    return Preview(rows=rows, columns=sheet.columns, ignored=sheet.ignored,
                   blank_rows=sheet.blank_rows)


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
            for batch in chunks(list(zip(rows, hashes)), 200):
                User.insert_many([{
                    "name": row.clean["name"], "phone": row.clean["phone"], "password_hash": h,
                    "firm": row.clean["firm"].id, "county": county.id,
                    "licence_no": row.clean["licence_no"], "birth_year": row.clean["birth_year"],
                    "party_member": row.clean["party_member"],
                    "licensed_on": row.clean.get("licensed_on"),
                    "education": row.clean.get("education") or "", "must_change_password": True,
                    "active": True, "created_at": now,
                } for row, h in batch]).execute()
            ids = {}
            for batch in chunks([row.clean["phone"] for row in rows]):
                ids.update(User.select(User.phone, User.id).where(User.phone.in_(batch)).tuples())
            for batch in chunks(rows, 200):
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
    claimed, payload = claim(upload_dir, actor, county, token)
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
        give_back(claimed)
        raise
    mark_done(claimed, actor, len(made))
    created = [{"id": user_id, "name": row.clean["name"], "phone": row.clean["phone"],
                "firm": row.clean["firm"].name, "code": code} for row, user_id, code in made]
    return ImportResult(created=created, refused=refused, filename=payload.get("filename", ""))


def codes_csv(created):
    """Return name, phone and one-time password as CSV bytes Excel opens (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Name"), _("Phone number"), _("Firm"), _("One-time password")])
    for person in created:
        writer.writerow([_csv_text(person["name"]), person["phone"], _csv_text(person["firm"]),
                         person["code"]])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _csv_text(text):
    """Keep a spreadsheet from reading a CSV cell as a formula (a CSV cell has no type)."""
    return "'" + text if looks_like_formula(text) else text
