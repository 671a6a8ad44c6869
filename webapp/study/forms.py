"""The author's form for study material: every field of it checked, and the choices it offers
(the branches one may publish for, their coming activities, their members). Nothing here
writes; services.publish and services.update take what clean_material returns."""
import datetime
import math
from decimal import Decimal

from flask_babel import gettext as _

from .. import access
from ..accounts.models import User
from ..branches.models import Branch, BranchActivity, BranchMember
from ..errors import DomainError, NotAllowed
from ..inputs import clean_text, parse_count, parse_decimal
from ..ledger.evidence import read_uploads
from ..ledger.forms import clean_key, parse_date

MAX_QUESTIONS = 5
MAX_CHOICES = 5
MAX_BODY = 10000   # characters; longer is a document: attach it (Markdown's time grows fast)
READING_CHARS_PER_MINUTE = 400     # an unhurried reader of Chinese text
MIN_SECONDS_DEFAULT = 60


class StudyError(DomainError):
    """A study rule said no (400 unless a status is given)."""

    def __init__(self, message, field=None, status=400):
        super().__init__(message, field=field)
        self.status = status


def reading_seconds(body):
    """The default minimum reading time of a text: its length at an unhurried pace, 1–15 min."""
    minutes = len(body or "") / READING_CHARS_PER_MINUTE
    return max(MIN_SECONDS_DEFAULT, min(900, int(math.ceil(minutes * 60 / 30)) * 30))


# ------------------------------------------------------------------ what the form offers

def _managing_branch(actor):
    """The branch a secretary acts for (None for an administrator)."""
    return Branch.get_or_none(Branch.id == actor.grant.branch_id) if actor.role == "secretary" else None


def branches_for(actor):
    """The active branches the actor may publish for."""
    return list(access.branches(actor).where(Branch.active == True)  # noqa: E712
                .order_by(Branch.name))


def activities_for(branch, today):
    """A branch's coming (or today's) activities a material may be tied to."""
    if branch is None:
        return []
    start = datetime.datetime.combine(today, datetime.time()) - datetime.timedelta(days=1)
    return list(BranchActivity.select().where(
        BranchActivity.branch == branch.id, BranchActivity.status.in_(("planned", "held")),
        BranchActivity.start_at >= start).order_by(BranchActivity.start_at).limit(20))


def members_of(branches):
    """Current members of the branches, as User rows, by name (each person once)."""
    ids = [b.id for b in branches]
    return list(User.select().where(User.active == True, User.id.in_(  # noqa: E712
        BranchMember.select(BranchMember.user).where(
            BranchMember.branch.in_(ids or [0]), BranchMember.left_on.is_null())))
        .order_by(User.name, User.id))


# ------------------------------------------------------------------ the author's form

def _choice_number(value, field, high):
    return parse_count(value, field, _("The right answer"), high, required=True,
                       invalid=_("Choose the right answer."))


def clean_questions(form):
    """The questions typed on the form: [(text, [choices], right index)]; blank ones skipped."""
    out = []
    for n in range(1, MAX_QUESTIONS + 1):
        text = clean_text(form.get(f"q{n}_text"), f"q{n}_text", _("Question %(n)d", n=n), 300)
        choices = [clean_text(form.get(f"q{n}_choice{c}"), f"q{n}_choice{c}",
                              _("Choice %(c)d of question %(n)d", c=c, n=n), 200)
                   for c in range(1, MAX_CHOICES + 1)]
        if not text and not any(choices):
            continue
        if not text:
            raise StudyError(_("Write question %(n)d, or clear its choices.", n=n),
                             f"q{n}_text")
        numbered = [(c, choice) for c, choice in enumerate(choices, start=1) if choice]
        if len(numbered) < 2:
            raise StudyError(_("Question %(n)d needs at least two choices.", n=n),
                             f"q{n}_choice1")
        right = _choice_number(form.get(f"q{n}_answer"), f"q{n}_answer", MAX_CHOICES)
        if right not in [c for c, _choice in numbered]:
            raise StudyError(_("The right answer of question %(n)d must be one of its choices.",
                               n=n), f"q{n}_answer")
        kept = [choice for _c, choice in numbered]
        out.append((text, kept, [c for c, _choice in numbered].index(right)))
    return out


def _clean_link(value):
    link = clean_text(value, "link", _("Link"), 500)
    if link and not (link.startswith("https://") or link.startswith("http://")) or " " in link:
        raise StudyError(_("The link must start with https:// or http://."), "link")
    return link


def clean_material(actor, form, files, today, material=None):
    """Check the author's form; return (clean, errors). Nothing is written."""
    clean, errors = {}, {}

    def take(name, read):
        try:
            clean[name] = read()
        except DomainError as error:
            errors.setdefault(error.field or name, error.message)

    take("title", lambda: clean_text(form.get("title"), "title", _("Title"), 200, required=True))
    take("body", lambda: clean_text(form.get("body"), "body", _("Text"), MAX_BODY,
                                    multiline=True))
    take("link", lambda: _clean_link(form.get("link")))
    take("due_on", lambda: _clean_due(form.get("due_on"), today, material))
    take("hours", lambda: parse_decimal(form.get("hours"), "hours", _("Study hours"),
                                        Decimal("0.25"), Decimal(8), step=Decimal("0.25"),
                                        required=material is not None)
         or Decimal("0.5"))
    take("minutes", lambda: parse_count(form.get("minutes"), "minutes",
                                        _("Minimum reading time"), 60))
    if material is None:
        take("branch", lambda: _clean_branch(actor, form.get("branch")))
        branch = clean.get("branch")
        take("activity", lambda: _clean_activity(branch, form.get("activity"), today))
        if "branch" in clean:
            take("members", lambda: _clean_audience(actor, clean["branch"], form))
        take("questions", lambda: clean_questions(form))
        take("key", lambda: clean_key(form.get("idempotency_key")))
        take("upload", lambda: _read_upload(files))
    if not errors and not (clean["body"] or clean["link"] or clean.get("upload")
                           or (material is not None and (material.body or material.link
                                                         or material.stored_name))):
        errors["body"] = _("Write the text, attach a file or give a link: something to study.")
    return clean, errors


def _clean_due(value, today, material):
    if not (value or "").strip():
        return None
    day = parse_date(value, "due_on", _("Study by"))
    if day < today and (material is None or day != material.due_on):
        raise StudyError(_("The study-by date has passed. Choose today or a later day."),
                         "due_on")
    if day > today + datetime.timedelta(days=366):
        raise StudyError(_("Choose a study-by date within a year."), "due_on")
    return day


def _clean_branch(actor, value):
    """The branch published for: a secretary's own; for an administrator one of their
    county's branches, or None for every branch of the county."""
    own = _managing_branch(actor)
    if actor.role == "secretary":
        if own is None:
            raise NotAllowed(_("You are not the secretary of a branch."))
        return own
    text = (value or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise StudyError(_("Choose a branch."), "branch")
    branch = access.branches(actor).where(Branch.id == int(text),
                                          Branch.active == True).first()  # noqa: E712
    if branch is None:
        raise StudyError(_("Choose a branch."), "branch")
    return branch


def _clean_activity(branch, value, today):
    text = (value or "").strip()
    if not text:
        return None
    ids = {a.id: a for a in activities_for(branch, today)}
    if not text.isascii() or not text.isdigit() or int(text[:12]) not in ids:
        raise StudyError(_("Choose one of the branch's coming activities."), "activity")
    return ids[int(text[:12])]


def _clean_audience(actor, branch, form):
    """The members it is for: every current member, or those chosen from them."""
    branches = [branch] if branch is not None else branches_for(actor)
    everyone = members_of(branches)
    if (form.get("audience") or "all") != "chosen":
        if not everyone:
            raise StudyError(_("The branch has no members yet."), "audience")
        return everyone
    chosen = set()
    for value in form.getlist("members") if hasattr(form, "getlist") else []:
        text = (value or "").strip()
        if text.isascii() and text.isdigit() and len(text) <= 12:
            chosen.add(int(text))
    picked = [u for u in everyone if u.id in chosen]
    if not picked or len(picked) != len(chosen):
        raise StudyError(_("Choose the members it is for (members of the branch)."), "members")
    return picked


def _read_upload(files):
    storages = files.getlist("attachment") if hasattr(files, "getlist") else []
    uploads = read_uploads(storages[:2])
    if len(uploads) > 1:
        raise StudyError(_("Attach one file: a PDF or a picture."), "attachment")
    return uploads[0] if uploads else None
