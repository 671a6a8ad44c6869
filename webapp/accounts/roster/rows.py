"""Checking a roster's rows: each on its own, against each other, and against the database."""
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext

from ...errors import DomainError
from ...i18n import local_today
from ...inputs import clean_text
from ...ledger.forms import parse_date
from ..models import EDUCATION_LEVELS, User
from ..services import check_licensed_on, clean_birth_year, clean_phone, licence_date_text
from .columns import name_key

_YES = {"是", "是的", "y", "yes", "true", "1", "√", "✓", "✔", "党员", "中共党员", "中共预备党员",
        "预备党员"}
_NO = {"否", "不是", "n", "no", "false", "0", "×", "✗", "非党员", "群众", "共青团员", "团员",
       "无"}


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


# What people write for the highest education completed; the English keys are accepted too.
_EDUCATION = {"高中及以下": "secondary", "高中": "secondary", "中专": "secondary",
              "职高": "secondary", "技校": "secondary", "初中": "secondary", "高中以下": "secondary",
              "大专": "college", "专科": "college", "大学专科": "college",
              "本科": "bachelor", "大学本科": "bachelor",
              "硕士": "master", "研究生": "master", "硕士研究生": "master",
              "博士": "doctor", "博士研究生": "doctor"}
_EDUCATION.update({key: key for key in EDUCATION_LEVELS})


def _education_value(text):
    """Return an education level key, '' for blank, or raise DomainError for an unknown word."""
    key = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).casefold()
    if not key:
        return ""
    if key in _EDUCATION:
        return _EDUCATION[key]
    raise DomainError(_("Education: write 高中及以下, 大专, 本科, 硕士 or 博士."))


def _licence_date(text, today):
    """Return the licence date as a datetime at midnight, None for blank, or raise DomainError."""
    text = licence_date_text(text)
    if not text:
        return None
    return check_licensed_on(parse_date(text, "licensed_on", _("The licence date")), today)


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


def birth_year_text(text):
    """Take the year out of 1975, 1975年, 1975-03, 1975/3/1 or 1975-03-01."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    match = re.match(r"^(\d{4})(?:\s*年.*|[-/.]\d{1,2}(?:[-/.]\d{1,2})?(?:[ T].*)?)?$", text)
    return match.group(1) if match else text


def _flag_repeats(groups, message):
    """Tell each row that shares its value with other rows which rows those are."""
    for same in groups.values():
        if len(same) > 1:
            for row in same:
                others = [r.line for r in same if r is not row]
                row.errors.append(message(len(others), ", ".join(str(n) for n in others)))


def _check_one(values, firms_by_key, branches_by_key, this_year, today):
    """Check one row on its own; return (clean values, errors)."""
    clean, errors = {}, []

    def attempt(key, check):
        try:
            clean[key] = check()
        except DomainError as exc:
            errors.append(exc.message)

    attempt("name", lambda: clean_text(values.get("name"), "name", _("the name"), 60,
                                       required=True))
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
    attempt("licence_no", lambda: clean_text(
        unicodedata.normalize("NFKC", values.get("licence_no") or ""), "licence_no",
        _("the licence number"), 40))
    attempt("birth_year", lambda: clean_birth_year(
        birth_year_text(values.get("birth_year")), this_year))
    attempt("party_member", lambda: _party_value(values.get("party_member")))
    attempt("licensed_on", lambda: _licence_date(values.get("licensed_on"), today))
    attempt("education", lambda: _education_value(values.get("education")))
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


def chunks(items, size=500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def check_rows(records, firms, branches, county, this_year, today=None):
    """Check every row against the county's firms and branches, the file and the database.

    `firms` and `branches` are the acting administrator's scoped lists; a name that is not
    among them is an error, so another county's firm can never be used. A licence date may
    not be after `today` (the local date unless given).
    """
    today = today or local_today()
    firms_by_key = {name_key(f.name): f for f in firms}
    branches_by_key = {name_key(b.name): b for b in branches}
    rows = []
    for line, values in records:
        clean, errors = _check_one(values, firms_by_key, branches_by_key, this_year, today)
        rows.append(Row(line=line, values=values, errors=errors, clean=clean))

    by_phone, by_licence = {}, {}
    for row in rows:
        if row.clean.get("phone"):
            by_phone.setdefault(row.clean["phone"], []).append(row)
        if row.clean.get("licence_no"):
            by_licence.setdefault(row.clean["licence_no"].casefold(), []).append(row)
    _flag_repeats(by_phone, lambda n, lines: ngettext(
        "The same phone number is also on row %(rows)s.",
        "The same phone number is also on rows %(rows)s.", n, rows=lines))
    _flag_repeats(by_licence, lambda n, lines: ngettext(
        "The same licence number is also on row %(rows)s.",
        "The same licence number is also on rows %(rows)s.", n, rows=lines))

    for batch in chunks(by_phone):
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
    for batch in chunks(licences):
        for (licence,) in User.select(User.licence_no).where(User.licence_no.in_(batch)).tuples():
            for row in by_licence.get(licence.casefold(), []):
                row.errors.append(_("Someone with this licence number is already registered."))
    for row in rows:
        row.errors = list(dict.fromkeys(row.errors))
    return rows
