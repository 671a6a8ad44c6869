"""One legal adviser for every village and community (一村（社区）一法律顾问): a county's list of
villages, each one's adviser, the import of the list from a file, and the quarter's coverage.

Coverage counts a village as covered when it has an adviser (an active practitioner of its
county) and, in the quarter, approved or system-recorded public-service entries of the type
village_adviser attached to it. The import reads files with the roster's readers and keeps
its preview with the roster's pending files (webapp.accounts.roster), in a folder of its own.
"""
import datetime
import os
import re
import unicodedata
import warnings
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from openpyxl.worksheet.datavalidation import DataValidation
from peewee import JOIN, IntegrityError, fn

from .. import access
from ..accounts.models import Region, RoleGrant, User
from ..accounts.roster import MAX_UNZIPPED, OLE_MAGIC, read_upload
from ..accounts.roster.columns import header_key, name_key
from ..accounts.roster.files import Layout, csv_rows, table, xlsx_sheets
from ..accounts.roster.pending import claim, give_back, mark_done, save_pending
from ..accounts.roster.rows import Preview, Row, chunks
from ..db import db, utcnow
from ..errors import Conflict, DomainError
from ..inputs import clean_text
from ..ledger.models import Entry
from ..web import Sheet, object_id, workbook
from .village_models import KINDS, Village

__all__ = ["KIND_LABELS", "FIELDS", "TEMPLATE_HEADERS", "MAX_ROWS", "read_upload", "Preview",
           "Row", "Village", "villages_for", "get_managed", "acting_county", "advisers",
           "clean_adviser", "clean_village", "save_village", "set_adviser", "set_active",
           "village_list", "townships", "field_labels", "parse", "preview", "check_rows",
           "keep_preview", "confirm", "template_workbook", "quarter_of", "parse_quarter",
           "quarter_label", "coverage", "coverage_rows", "coverage_figures", "coverage_sheets", "percent",
           "choices_for", "COUNTED_STATUSES", "DUTY_CATEGORY"]

KIND_LABELS = {"village": _l("Village"), "community": _l("Community")}
DUTY_CATEGORY = "village_adviser"
COUNTED_STATUSES = ("approved", "recorded")
MAX_NAME = 60
MAX_ROWS = 2000
LIST_LIMIT = 500

# ------------------------------------------------------------------ scoping


def villages_for(actor):
    """Villages the actor may see: an administrator's counties'; nobody else's."""
    query = Village.select()
    if actor is None or actor.role not in access.ADMIN_ROLES:
        return query.where(False)
    return query.where(Village.county.in_(actor.county_ids() or [0]))


def get_managed(actor, village_id):
    """Load one village the actor may see, or answer 404."""
    return access.get_or_404(villages_for(actor), Village, village_id)


def acting_county(actor):
    """The county a county administrator manages, or None."""
    if actor is None or actor.role != "county_admin":
        return None
    return access.counties(actor).where(Region.id == actor.grant.region_id).first()


def _adviser_query(county_id):
    return User.select().where(
        User.county == county_id, User.active == True,  # noqa: E712
        User.id.in_(RoleGrant.select(RoleGrant.user).where(RoleGrant.role == "practitioner")))


def advisers(county_id):
    """The active practitioners of a county, who may be a village's adviser."""
    return list(_adviser_query(county_id).order_by(User.name, User.id))


def clean_adviser(value, county_id):
    """Return the chosen adviser (a practitioner of the county), None for blank, or raise."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return None
    try:
        user_id = object_id(text)
    except ValueError:
        user_id = None
    adviser = user_id and _adviser_query(county_id).where(User.id == user_id).first()
    if not adviser:
        raise DomainError(_("Choose the adviser from the county's practitioners."),
                          field="adviser")
    return adviser


# ------------------------------------------------------------------ one village


def _kind_value(text, name=""):
    """Return 'village' or 'community' from what people write; guess from the name if blank."""
    key = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).casefold()
    if not key:
        return "community" if name.endswith(("社区", "居委会", "居民委员会")) else "village"
    if key in ("村", "行政村", "村委会", "村民委员会", "village", "v"):
        return "village"
    if key in ("社区", "居委会", "居民委员会", "community", "c"):
        return "community"
    raise DomainError(_("Type: write 村 or 社区 (village or community)."), field="kind")


def _name(value):
    return clean_text(value, "name", _("the name of the village or community"), MAX_NAME,
                      required=True)


def _township(value):
    return clean_text(value, "township", _("the township or street"), MAX_NAME, required=True)


def clean_village(data):
    """Check a village's form: township, name and kind; return the clean fields."""
    township = _township(data.get("township"))
    name = _name(data.get("name"))
    kind = unicodedata.normalize("NFKC", str(data.get("kind") or "")).strip()
    if kind not in KINDS:
        raise DomainError(_("Choose village or community."), field="kind")
    return {"township": township, "name": name, "kind": kind}


def _taken(township, name):
    return Conflict(_("The county already lists %(name)s in %(township)s.", name=name,
                      township=township))


def save_village(user, county, clean, village=None):
    """Add a village to the county or change one; audit it; return it."""
    now = utcnow()
    try:
        with db.atomic():
            if village is None:
                village = Village.create(county=county, created_at=now, updated_at=now, **clean)
                access.audit(user, "village.create", village, county, clean)
                return village
            before = access.snapshot(village, clean)
            Village.update(updated_at=now, **clean).where(Village.id == village.id).execute()
            changes = access.changed(before, clean)
            if changes:
                access.audit(user, "village.update", village, county, changes)
    except IntegrityError:
        raise _taken(clean["township"], clean["name"]) from None
    return Village.get_by_id(village.id)


def set_adviser(user, village, adviser):
    """Name (or change, or remove) a village's legal adviser; audit it."""
    with db.atomic():
        fresh = Village.select().where(Village.id == village.id).first()
        old = fresh.adviser_id
        new = adviser.id if adviser is not None else None
        if old == new:
            return fresh
        Village.update(adviser=new, updated_at=utcnow()).where(Village.id == village.id).execute()
        access.audit(user, "village.adviser", fresh, fresh.county_id,
                     {"adviser": [old, new], "name": adviser.name if adviser else None})
    return Village.get_by_id(village.id)


def set_active(user, village, active):
    """Deactivate a village (it leaves the coverage) or reactivate it; audit it."""
    with db.atomic():
        if village.active == active:
            return village
        Village.update(active=active, updated_at=utcnow()).where(Village.id == village.id).execute()
        access.audit(user, "village.reactivate" if active else "village.deactivate", village,
                     village.county_id)
    return Village.get_by_id(village.id)


def village_list(actor, without_adviser=False, township=""):
    """The actor's villages, active first, by township and name, with their advisers."""
    query = (villages_for(actor).select(Village, User)
             .join(User, JOIN.LEFT_OUTER, on=(Village.adviser == User.id)))
    if without_adviser:
        query = query.where(Village.adviser.is_null(), Village.active == True)  # noqa: E712
    if township:
        query = query.where(Village.township == township)
    return list(query.order_by(Village.active.desc(), Village.township, Village.name)
                .limit(LIST_LIMIT))


def townships(actor):
    """The townships and streets named in the actor's villages, in order."""
    return [t for (t,) in villages_for(actor).select(Village.township).distinct()
            .order_by(Village.township).tuples()]


def choices_for(user, current_id=None):
    """The villages a practitioner may attach adviser duty to (their county's active ones, and
    the one already chosen) and the one to offer first (the village they advise); as
    (villages, default id)."""
    if user is None or not user.county_id:
        return [], None
    condition = Village.active == True  # noqa: E712
    if current_id:
        condition = condition | (Village.id == current_id)
    villages = list(Village.of_county(user.county_id).where(condition)
                    .order_by(Village.township, Village.name))
    advised = [v.id for v in villages if v.adviser_id == user.id and v.active]
    return villages, (advised[0] if advised else None)


# ------------------------------------------------------------------ importing a list

FIELDS = ("township", "name", "kind", "adviser")
REQUIRED = ("township", "name")
# The template's headers; they name the format, so they stay Chinese in every language.
TEMPLATE_HEADERS = {"township": "乡镇（街道）", "name": "村（社区）名称", "kind": "类型",
                    "adviser": "法律顾问"}
_ALIASES = {
    "township": ("乡镇（街道）", "乡镇/街道", "乡镇", "街道", "镇街", "所属乡镇", "所在乡镇",
                 "所属乡镇街道", "乡镇街道", "township", "street", "town"),
    "name": ("村（社区）名称", "村（社区）", "村/社区", "村社区", "村居", "村居名称", "村名",
             "村名称", "社区名称", "名称", "village", "community", "name", "village name"),
    "kind": ("类型", "村或社区", "村/社区类型", "类别", "kind", "type"),
    "adviser": ("法律顾问", "村居法律顾问", "顾问", "法律顾问手机号", "顾问手机号", "adviser",
                "legal adviser", "advisor"),
}
HEADER_MAP = {header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def field_labels():
    """Return the translated label of each column of the village list."""
    return {"township": _("Township or street"), "name": _("Village or community"),
            "kind": _("Type"), "adviser": _("Legal adviser")}


def _match_header(texts):
    mapping = {}
    for index, text in enumerate(texts):
        name = HEADER_MAP.get(header_key(text)) if text else None
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping


def _too_many(n):
    return _("The file has more than %(n)d villages. Split it into files of at most %(n)d rows.",
             n=n)


def _no_villages():
    return _("The file has column headers but no villages under them.")


def _layout():
    return Layout(fields=FIELDS, required=REQUIRED, match_header=_match_header,
                  labels=field_labels, headers=TEMPLATE_HEADERS, max_rows=MAX_ROWS,
                  too_many=_too_many, no_rows=_no_villages)


def _table(sheets):
    """The village list's rows under its header (the roster's reader, with this layout)."""
    return table(sheets, _layout())


def parse(filename, data):
    """Read an .xlsx or .csv list of villages; raise DomainError when it cannot be used."""
    ext = os.path.splitext((filename or "").lower())[1]
    if not ext and data.startswith(b"PK\x03\x04"):
        ext = ".xlsx"
    if ext == ".xls" or (ext in (".xlsx", ".csv") and data.startswith(OLE_MAGIC)):
        raise DomainError(_("This is an old Excel file (.xls) or one locked with a password. "
                            "Open it in Excel, remove any password, choose Save As and pick "
                            "“Excel Workbook (.xlsx)”, then upload that file."))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ext == ".xlsx":
            return _table(xlsx_sheets(data, MAX_UNZIPPED))
        if ext == ".csv":
            if data.startswith(b"PK\x03\x04"):
                raise DomainError(_("This file is an Excel workbook with a .csv name. "
                                    "Rename it to .xlsx, or save it from Excel as CSV."))
            return _table([csv_rows(data)])
    raise DomainError(_("Choose an Excel file (.xlsx) or a CSV file (.csv)."))


def _adviser_lookup(county_id):
    """Find a practitioner of the county by phone number or by name (when only one has it)."""
    by_phone, by_name = {}, {}
    for person in advisers(county_id):
        if person.phone:
            by_phone[person.phone] = person
        by_name.setdefault(name_key(person.name), []).append(person)

    def find(text):
        key = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", text or ""))
        if not key:
            return None
        if key in by_phone:
            return by_phone[key]
        same = by_name.get(name_key(text), [])
        if len(same) == 1:
            return same[0]
        if same:
            raise DomainError(_("More than one practitioner is called “%(name)s”: write the "
                                "adviser's phone number instead.", name=text))
        raise DomainError(_("There is no practitioner “%(name)s” in this county. Write the "
                            "name or phone number shown on the People page.", name=text))
    return find


def _check_one(values, find_adviser):
    clean, errors = {}, []

    def attempt(key, check):
        try:
            clean[key] = check()
        except DomainError as exc:
            errors.append(exc.message)

    attempt("township", lambda: _township(values.get("township")))
    attempt("name", lambda: _name(values.get("name")))
    attempt("kind", lambda: _kind_value(values.get("kind"), clean.get("name", "")))
    attempt("adviser", lambda: find_adviser(values.get("adviser")))
    return clean, errors


def check_rows(records, county):
    """Check every row on its own, against the other rows and against the county's list."""
    find_adviser = _adviser_lookup(county.id)
    rows = []
    for line, values in records:
        clean, errors = _check_one(values, find_adviser)
        rows.append(Row(line=line, values=values, errors=errors, clean=clean))
    by_key = {}
    for row in rows:
        if "township" in row.clean and "name" in row.clean:
            key = (name_key(row.clean["township"]), name_key(row.clean["name"]))
            by_key.setdefault(key, []).append(row)
    for same in by_key.values():
        for row in same if len(same) > 1 else ():
            others = ", ".join(str(r.line) for r in same if r is not row)
            row.errors.append(ngettext("The same village is also on row %(rows)s.",
                                       "The same village is also on rows %(rows)s.",
                                       len(same) - 1, rows=others))
    listed = {(name_key(t), name_key(n)) for t, n in Village.of_county(county.id)
              .select(Village.township, Village.name).tuples()}
    for key, same in by_key.items():
        if key in listed:
            for row in same:
                row.errors.append(_("Already listed: the county has this village."))
    return rows


def preview(sheet, county):
    """Check a read list and return what would be imported and what is wrong."""
    return Preview(rows=check_rows(sheet.rows, county), columns=sheet.columns,
                   ignored=sheet.ignored, blank_rows=sheet.blank_rows)


def _pending_dir(upload_dir):
    # A folder of its own, so that a roster's token is never confirmed here, nor the reverse.
    return os.path.join(upload_dir, "villages")


def keep_preview(upload_dir, user, county, filename, result):
    """Keep the rows that passed until the administrator confirms; return the token."""
    return save_pending(_pending_dir(upload_dir), user, county, filename, result)


def _create(user, county, rows, detail):
    now = utcnow()
    try:
        with db.atomic():
            for batch in chunks(rows, 200):
                Village.insert_many([{
                    "county": county.id, "township": row.clean["township"],
                    "name": row.clean["name"], "kind": row.clean["kind"],
                    "adviser": row.clean["adviser"].id if row.clean.get("adviser") else None,
                    "active": True, "created_at": now, "updated_at": now,
                } for row in batch]).execute()
            access.audit(user, "village.import", None, county, detail)
    except IntegrityError:
        raise Conflict(_("Someone added one of these villages in the meantime, so nothing was "
                         "imported. Upload the file again to see which row.")) from None


def confirm(user, county, upload_dir, token):
    """Import the previewed rows that still pass, exactly once; return (created, refused)."""
    claimed, payload = claim(_pending_dir(upload_dir), user, county, token)
    try:
        rows = check_rows([(line, values) for line, values in payload["rows"]], county)
        good = [r for r in rows if not r.errors]
        refused = [r for r in rows if r.errors]
        _create(user, county, good, {
            "file": payload.get("filename", ""), "rows_in_file": payload.get("rows_in_file"),
            "created": len(good), "errors_at_preview": payload.get("errors_at_preview"),
            "refused_at_confirm": len(refused),
            "with_adviser": sum(1 for r in good if r.clean.get("adviser"))})
    except BaseException:
        give_back(claimed)
        raise
    mark_done(claimed, user, len(good))
    return good, refused


def template_workbook(county_id):
    """The template: Chinese headers, the instructions, and the county's practitioners."""
    lines = [
        _("One village or community per row on the first sheet. Do not change the first row."),
        _("Township or street and the name of the village or community must be filled in."),
        _("Type: 村 or 社区. Left blank, a name ending in 社区 is a community, any other a "
          "village."),
        _("Legal adviser (optional): the name or the phone number of a practitioner listed "
          "below."),
        _("At most %(n)d villages per file. Empty rows are skipped.", n=MAX_ROWS),
    ]
    people = [[p.name, p.phone or "", p.firm.name if p.firm_id else ""]
              for p in advisers(county_id)]
    book = workbook([
        Sheet(_("Villages"), [TEMPLATE_HEADERS[n] for n in FIELDS], [], widths=(20, 28, 10, 24)),
        Sheet(_("Instructions"), [_("Practitioner"), _("Phone number"), _("Firm")], people,
              widths=(16, 16, 30), above=[[line] for line in lines] + [[]], freeze=False),
    ])
    sheet = book.worksheets[0]
    sheet.column_dimensions["D"].number_format = "@"    # phone numbers stay as typed
    kind = DataValidation(type="list", formula1='"村,社区"', allow_blank=True)
    sheet.add_data_validation(kind)
    kind.add(f"C2:C{MAX_ROWS + 1}")
    return book


# ------------------------------------------------------------------ coverage


def quarter_of(day):
    """The first and last day of the quarter a day falls in."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    following = datetime.date(day.year + (first_month == 10), (first_month + 2) % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


_QUARTER_RE = re.compile(r"([0-9]{4})-?[Qq]([1-4])")


def parse_quarter(text, today):
    """Return (start, end) of a quarter written 2026-Q2; today's quarter for anything else."""
    match = _QUARTER_RE.fullmatch(str(text or "").strip())
    if match and 2000 <= int(match.group(1)) <= 2100:
        return quarter_of(datetime.date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1))
    return quarter_of(today)


def quarter_label(start):
    """A quarter's key as written in addresses: 2026-Q2."""
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def coverage_rows(county_ids, quarter_start, quarter_end):
    """The active villages of the counties, each with `has_adviser`, `adviser_name`,
    `duty_hours` and `duty_entries` for the quarter (both days included); one query."""
    duty = (Entry.select(Entry.village, fn.SUM(Entry.hours).alias("hours"),
                         fn.COUNT(Entry.id).alias("entries"))
            .where(Entry.kind == "public_service", Entry.category == DUTY_CATEGORY,
                   Entry.status.in_(COUNTED_STATUSES), Entry.village.is_null(False),
                   Entry.date >= quarter_start, Entry.date <= quarter_end)
            .group_by(Entry.village).alias("duty"))
    adviser = User.alias("adviser")
    query = (Village.select(Village, adviser.name.alias("adviser_name"),
                            adviser.id.alias("adviser_active_id"),
                            duty.c.hours.alias("duty_hours"), duty.c.entries.alias("duty_entries"))
             .join(adviser, JOIN.LEFT_OUTER, on=(
                 (Village.adviser == adviser.id) & (adviser.active == True)  # noqa: E712
                 & (adviser.county == Village.county)))
             .switch(Village)
             .join(duty, JOIN.LEFT_OUTER, on=(duty.c.village_id == Village.id))
             .where(Village.county.in_(list(county_ids) or [0]),
                    Village.active == True)  # noqa: E712
             .order_by(Village.county, Village.township, Village.name)
             .objects())
    rows = list(query)
    for village in rows:
        village.has_adviser = village.adviser_active_id is not None
        village.duty_hours = Decimal(str(village.duty_hours or 0))
        village.duty_entries = int(village.duty_entries or 0)
        village.covered = village.has_adviser and village.duty_entries > 0
    return rows


def coverage(county_ids, quarter_start, quarter_end):
    """The counties' adviser coverage for a quarter (both days included): how many active
    villages, with an adviser, with duty hours, and the villages not covered on both counts."""
    return coverage_figures(coverage_rows(county_ids, quarter_start, quarter_end))


def percent(part, whole):
    """A whole-number percentage, or None when there is nothing to count."""
    return round(100 * part / whole) if whole else None


def _gap(village):
    if not village.has_adviser:
        return _("No adviser")
    return _("No duty hours this quarter")


def coverage_sheets(county_names, rows, quarter_start, quarter_end):
    """The coverage as on screen: the figures, then every village with its adviser and hours."""
    figures = coverage_figures(rows)
    period = f"{quarter_start.isoformat()} – {quarter_end.isoformat()}"
    many = len(county_names) > 1
    header = ([_("County")] if many else []) + [
        _("Township or street"), _("Village or community"), _("Type"), _("Legal adviser"),
        _("Duty hours"), _("Duty entries"), _("Covered")]
    lines = []
    for v in rows:
        lines.append(([county_names.get(v.county_id, "")] if many else []) + [
            v.township, v.name, str(KIND_LABELS.get(v.kind, v.kind)),
            v.adviser_name if v.has_adviser else "", v.duty_hours, v.duty_entries,
            _("Yes") if v.covered else _gap(v)])
    above = [[_("Quarter"), period],
             [_("Villages and communities"), figures["villages"]],
             [_("With an adviser"), figures["with_adviser"]],
             [_("With duty hours this quarter"), figures["with_duty_hours"]],
             [_("Not covered"), len(figures["uncovered"])], []]
    return [Sheet(_("Adviser coverage"), header, lines, heading=_("Village legal adviser "
                  "coverage"), above=above, widths=((12,) if many else ()) + (18, 24, 10, 14,
                                                                             10, 10, 20))]


def coverage_figures(rows):
    """The figures of coverage() from rows coverage_rows() gave."""
    return {"villages": len(rows), "with_adviser": sum(1 for v in rows if v.has_adviser),
            "with_duty_hours": sum(1 for v in rows if v.duty_entries),
            "uncovered": [v for v in rows if not v.covered]}
