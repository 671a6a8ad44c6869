"""Party study (党员学习): material a secretary or the county hands out, read on the phone, counted.

A secretary publishes for their branch, a county administrator for one branch or for every
branch of the county. The members it is for are fixed when it is published (StudyAssignment);
each opens it (the server's clock stamps when), may mark it studied only after its minimum
reading time, answers its questions if it has any (and sees the right answers at once), and
the ledger's one writer of system entries records the study hours as political study.
Withdrawing the material withdraws those entries.
"""
import datetime
import json
import math

from flask import abort, current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from peewee import JOIN, IntegrityError, fn

from .. import access
from ..accounts.models import Firm, RoleGrant, User
from ..branches.models import Branch, BranchMember
from ..db import db, is_postgres, utcnow, write_transaction
from ..errors import Conflict, NotAllowed
from ..i18n import local_today, to_local, to_utc
from ..inputs import parse_count
from ..ledger import system
from ..ledger.evidence import path_for, remove_files, store
from ..ledger.models import Entry
from ..push import inbox
from .forms import StudyError, reading_seconds
from .models import StudyAssignment, StudyMaterial, StudyQuestion
from .text import render

REMIND_EVERY = datetime.timedelta(hours=24)
FOLDER = "study"
STATES = ("studied", "opened", "not_opened")


# ------------------------------------------------------------------ scoping

AUTHORS = ("secretary", "county_admin")   # the city's administrator reads, and changes nothing


def can_publish(actor):
    """Say whether the actor may publish material."""
    return actor is not None and actor.role in AUTHORS


def can_change(actor, material):
    """Say whether the actor may edit, remind about or withdraw the material: the county's
    administrator any of the county's, a secretary only their own branch's."""
    if actor is None:
        return False
    if actor.role == "county_admin":
        return material.county_id in actor.county_ids()
    return (actor.role == "secretary" and material.branch_id == actor.grant.branch_id
            and not _by_an_administrator(material))


def _by_an_administrator(material):
    """Say whether a county or city administrator published it (the secretary reads it)."""
    return material.created_by_id is not None and RoleGrant.select().where(
        RoleGrant.user == material.created_by_id,
        RoleGrant.role.in_(access.ADMIN_ROLES)).exists()


def _may_change(actor, material):
    if not can_change(actor, material):
        raise NotAllowed(_("Only the branch's secretary or the county can change this material."))

def materials_for(actor):
    """Materials the actor may manage: a secretary their branch's and the county's ones for
    every branch; a county or city administrator their counties'."""
    return access.study_materials(actor, StudyMaterial)


def get_managed(actor, material_id):
    return access.get_or_404(materials_for(actor), StudyMaterial, material_id)


# ------------------------------------------------------------------ publishing

def _county_of(actor, branch):
    if branch is not None:
        return branch.county_id
    return actor.county_id


def publish(actor, clean, today=None):
    """Publish the material for its members; notify them; return it."""
    today = today or local_today()
    branch = clean["branch"]
    now = utcnow()
    key = clean.get("key")
    if key:   # the same form sent again (a double tap, a retry): the material it published
        sent = StudyMaterial.get_or_none(StudyMaterial.idempotency_key == key)
        if sent is not None and sent.created_by_id == actor.user.id:
            return sent
    written = []
    upload = clean.get("upload")
    try:
        with db.atomic():
            fields = {}
            if upload is not None:
                stored, written = store(upload, folder=FOLDER)
                fields = {"stored_name": stored, "original_name": upload.original_name[:200],
                          "content_type": upload.content_type, "size": len(upload.data)}
            material = StudyMaterial.create(
                county=_county_of(actor, branch), branch=branch and branch.id,
                activity=clean["activity"] and clean["activity"].id, title=clean["title"],
                body=clean["body"], body_html=render(clean["body"]), link=clean["link"],
                due_on=clean["due_on"], hours=clean["hours"], idempotency_key=key,
                min_seconds=(clean["minutes"] * 60 if clean["minutes"] is not None
                             else reading_seconds(clean["body"])),
                created_by=actor.user.id, created_at=now, updated_at=now, **fields)
            for position, (text, choices, right) in enumerate(clean["questions"]):
                StudyQuestion.create(material=material, position=position, text=text,
                                     choices=json.dumps(choices, ensure_ascii=False),
                                     answer=right)
            StudyAssignment.insert_many([
                {"material": material.id, "user": user.id, "created_at": now}
                for user in clean["members"]]).execute()
            access.audit(actor.user, "study.published", material, region=material.county_id,
                         detail={"title": material.title, "members": len(clean["members"]),
                                 "questions": len(clean["questions"]),
                                 "hours": str(material.hours)})
            _notify(material, clean["members"], "study_new")
    except IntegrityError:
        remove_files(written)
        sent = StudyMaterial.get_or_none(StudyMaterial.idempotency_key == key) if key else None
        if sent is None:
            raise
        return sent          # the same form, sent twice at once: the one that went in
    except Exception:
        remove_files(written)
        raise
    return material


def _message(material, kind, user):
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if kind == "study_new" and material.due_on:
            return _("New study material: %(title)s. Study it by %(day)s.",
                     title=material.title, day=format_date(material.due_on, "medium"))
        if kind == "study_new":
            return _("New study material: %(title)s.", title=material.title)
        if material.due_on:
            return _("Reminder: please study %(title)s by %(day)s.", title=material.title,
                     day=format_date(material.due_on, "medium"))
        return _("Reminder: please study %(title)s.", title=material.title)


def _notify(material, users, kind):
    link = f"/study/{material.id}"
    inbox.notify_many([(u.id, kind, _message(material, kind, u), link) for u in users])


EDITABLE = ("title", "body", "link", "due_on", "hours", "min_seconds")


def update(actor, material, clean):
    """Change the text, link, due date, hours or reading time (not who it is for, nor the
    questions once anyone has answered); keep the entries already recorded in step."""
    _may_change(actor, material)
    if material.status != "published":
        raise Conflict(_("This material was withdrawn; it cannot be changed."))
    before = access.snapshot(material, EDITABLE)
    material.title, material.body, material.link = clean["title"], clean["body"], clean["link"]
    material.body_html = render(clean["body"])
    material.due_on, material.hours = clean["due_on"], clean["hours"]
    material.min_seconds = (clean["minutes"] * 60 if clean["minutes"] is not None
                            else reading_seconds(clean["body"]))
    material.updated_at = utcnow()
    with write_transaction():
        material.save()
        Entry.update(hours=material.hours, description=material.title[:4000],
                     updated_at=utcnow()).where(
            Entry.idempotency_key.in_(_entry_keys(material)),
            Entry.kind == "political_study").execute()
        change = access.changed(before, access.snapshot(material, EDITABLE))
        if change:
            access.audit(actor.user, "study.changed", material, region=material.county_id,
                         detail=change)
    return material


def _entry_keys(material):
    return [system.source_key("political_study", material.id, user_id)
            for (user_id,) in StudyAssignment.select(StudyAssignment.user)
            .where(StudyAssignment.material == material.id).tuples()]


def withdraw(actor, material):
    """Withdraw the material: members no longer see it, and its study hours stop counting."""
    _may_change(actor, material)
    if material.status == "withdrawn":
        return material
    with write_transaction():
        material.status, material.updated_at = "withdrawn", utcnow()
        material.save()
        keys = _entry_keys(material)
        withdrawn = 0
        for start in range(0, len(keys), 500):
            withdrawn += (Entry.update(status="withdrawn", updated_at=utcnow())
                          .where(Entry.idempotency_key.in_(keys[start:start + 500]),
                                 Entry.status == "recorded").execute())
        access.audit(actor.user, "study.withdrawn", material, region=material.county_id,
                     detail={"title": material.title, "entries_withdrawn": withdrawn})
    return material


def attachment_path(material):
    """Where the material's attached file is stored (outside the web root)."""
    return path_for(material.stored_name, folder=FOLDER)


# ------------------------------------------------------------------ the member

def _assigned(user):
    return (StudyMaterial.select(StudyMaterial, StudyAssignment)
            .join(StudyAssignment, on=(StudyAssignment.material == StudyMaterial.id))
            .where(StudyAssignment.user == user.id, StudyMaterial.status == "published"))


def for_member(user):
    """[(material, assignment)] published for the person: to study first (soonest due), then
    studied (latest first)."""
    rows = [(m, m.studyassignment) for m in _assigned(user)]
    counts = dict(StudyQuestion.select(StudyQuestion.material, fn.COUNT(StudyQuestion.id))
                  .where(StudyQuestion.material.in_([m.id for m, _a in rows] or [0]))
                  .group_by(StudyQuestion.material).tuples())
    for material, _assignment in rows:
        material.question_count = counts.get(material.id, 0)   # the score's "of n"
    todo = [r for r in rows if r[1].completed_at is None]
    done = [r for r in rows if r[1].completed_at is not None]
    todo.sort(key=lambda r: (r[0].due_on or datetime.date.max, r[0].id))
    done.sort(key=lambda r: r[1].completed_at, reverse=True)
    return todo + done


def to_study(user):
    """How many published materials the person has still to study (the home's 待学习)."""
    return _assigned(user).where(StudyAssignment.completed_at.is_null()).count()


def get_assigned(user, material_id):
    """(material, assignment) of a published material the person is to study, else 404."""
    try:
        number = int(str(material_id))
    except ValueError:
        abort(404)
    row = _assigned(user).where(StudyMaterial.id == number).first()
    if row is None:
        abort(404)
    return row, row.studyassignment


def open_material(user, material, assignment, now=None):
    """Stamp the first opening by the server's clock (a phone's clock decides nothing)."""
    if assignment.opened_at is None:
        now = now or utcnow()
        (StudyAssignment.update(opened_at=now)
         .where(StudyAssignment.id == assignment.id, StudyAssignment.opened_at.is_null())
         .execute())
        assignment = StudyAssignment.get_by_id(assignment.id)
    return assignment


def seconds_left(material, assignment, now=None):
    """Seconds of the minimum reading time still to go (the whole time if never opened)."""
    if assignment.completed_at is not None:
        return 0
    if assignment.opened_at is None:
        return material.min_seconds
    passed = ((now or utcnow()) - assignment.opened_at).total_seconds()
    return max(0, int(math.ceil(material.min_seconds - passed)))


def questions_of(material):
    questions = list(StudyQuestion.select().where(StudyQuestion.material == material.id)
                     .order_by(StudyQuestion.position))
    for q in questions:
        q.choice_list = json.loads(q.choices)
    return questions


def _read_answers(questions, form):
    answers = []
    for n, question in enumerate(questions, start=1):
        value = parse_count(form.get(f"a{n}"), f"a{n}", _("Answer %(n)d", n=n),
                            len(question.choice_list), invalid=_("Choose an answer."))
        if not value:
            raise StudyError(_("Answer question %(n)d.", n=n), f"a{n}")
        answers.append(value - 1)
    return answers


def answers_of(assignment):
    return json.loads(assignment.answers) if assignment.answers else []


def complete(user, material, assignment, form, now=None):
    """Mark the material studied, with the quiz's answers if it has questions; record the
    study hours in the ledger. Once only: a second call returns the completion unchanged."""
    if assignment.completed_at is not None:
        return assignment
    if material.status != "published":
        raise StudyError(_("This material was withdrawn."), status=409)
    now = now or utcnow()
    left = seconds_left(material, assignment, now)
    if left > 0:
        minutes = math.ceil(left / 60)
        raise StudyError(_("Read it a little longer: %(n)d more minute(s) before it can be "
                           "marked studied.", n=minutes) if left >= 60 else
                         _("Read it a little longer: %(n)d more second(s) before it can be "
                           "marked studied.", n=left), status=409)
    questions = questions_of(material)
    answers = _read_answers(questions, form)
    score = sum(1 for q, a in zip(questions, answers) if q.answer == a) if questions else None
    day = to_local(now).date()
    with write_transaction():
        # The material as it is now, locked against a withdrawal or an edit committing
        # meanwhile: its entry must not count for withdrawn material, nor keep old hours.
        current = _locked(material.id)
        if current is None or current.status != "published":
            raise StudyError(_("This material was withdrawn."), status=409)
        claimed = (StudyAssignment.update(completed_at=now, answers=json.dumps(answers),
                                          score=score)
                   .where(StudyAssignment.id == assignment.id,
                          StudyAssignment.completed_at.is_null()).execute())
        if claimed:
            system.record(system.values("political_study", current.id, user.id, day,
                                        current.hours, "", current.title, "", now=now))
    return StudyAssignment.get_by_id(assignment.id)


def _locked(material_id):
    """The material's row, locked until the transaction ends (PostgreSQL; SQLite's write
    transaction holds the whole database already)."""
    query = StudyMaterial.select().where(StudyMaterial.id == material_id)
    return (query.for_update() if is_postgres() else query).first()


# ------------------------------------------------------------------ the secretary and county

def state_of(assignment):
    if assignment.completed_at is not None:
        return "studied"
    return "opened" if assignment.opened_at is not None else "not_opened"


def completion(material):
    """(rows, counts): each person it is for with their assignment and state (not studied
    first, by name), and {state: n}."""
    rows = list(StudyAssignment.select(StudyAssignment, User, Firm)
                .join(User, on=(StudyAssignment.user == User.id))
                .join(Firm, JOIN.LEFT_OUTER, on=(User.firm == Firm.id))
                .where(StudyAssignment.material == material.id)
                .order_by(User.name, User.id))
    out = [(a.user, a, state_of(a)) for a in rows]
    out.sort(key=lambda r: r[2] == "studied")  # stable: by name within each group
    counts = {s: sum(1 for r in out if r[2] == s) for s in STATES}
    return out, counts


def remind(actor, material, now=None):
    """Remind (inbox and push) those who have not studied it, at most once a day each;
    return how many were reminded."""
    _may_change(actor, material)
    if material.status != "published":
        raise Conflict(_("This material was withdrawn."))
    now = now or utcnow()
    with write_transaction():
        # Claim the people first (a conditional update): two reminders at once, from a double
        # tap or two servers, remind each person once.
        active = User.select(User.id).where(User.active == True)  # noqa: E712
        claimed = (StudyAssignment.update(reminded_at=now)
                   .where(StudyAssignment.material == material.id,
                          StudyAssignment.completed_at.is_null(),
                          StudyAssignment.user.in_(active),
                          (StudyAssignment.reminded_at.is_null())
                          | (StudyAssignment.reminded_at < now - REMIND_EVERY)).execute())
        if not claimed:
            return 0
        due = list(User.select().join(StudyAssignment, on=(StudyAssignment.user == User.id))
                   .where(StudyAssignment.material == material.id,
                          StudyAssignment.reminded_at == now))
        _notify(material, due, "study_reminder")
        access.audit(actor.user, "study.reminded", material, region=material.county_id,
                     detail={"title": material.title, "people": len(due)})
    return len(due)


def county_completion(actor, year):
    """Per branch the actor may see, for the year's materials: (branch, materials, assigned,
    studied, percent), by name."""
    start, end = datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    start_at = to_utc(datetime.datetime.combine(start, datetime.time()))
    end_at = to_utc(datetime.datetime.combine(end, datetime.time()))
    branches = list(access.branches(actor).order_by(Branch.name))
    member_branch = {}
    for branch_id, user_id in (BranchMember.select(BranchMember.branch, BranchMember.user)
                               .where(BranchMember.branch.in_([b.id for b in branches] or [0]),
                                      BranchMember.left_on.is_null()).tuples()):
        member_branch.setdefault(user_id, set()).add(branch_id)
    rows = (StudyAssignment.select(StudyMaterial.id, StudyMaterial.branch, StudyAssignment.user,
                                   StudyAssignment.completed_at.is_null(False))
            .join(StudyMaterial, on=(StudyAssignment.material == StudyMaterial.id))
            .where(StudyMaterial.county.in_({b.county_id for b in branches} or {0}),
                   StudyMaterial.status == "published",
                   StudyMaterial.created_at >= start_at, StudyMaterial.created_at < end_at)
            .tuples())
    figures = {b.id: [set(), 0, 0] for b in branches}
    for material_id, branch_id, user_id, studied in rows:
        targets = [branch_id] if branch_id else sorted(member_branch.get(user_id, ()))
        for b in targets:
            if b in figures:
                figures[b][0].add(material_id)
                figures[b][1] += 1
                figures[b][2] += 1 if studied else 0
    return [(b, len(figures[b.id][0]), figures[b.id][1], figures[b.id][2],
             int(figures[b.id][2] * 100 / figures[b.id][1]) if figures[b.id][1] else None)
            for b in branches]
