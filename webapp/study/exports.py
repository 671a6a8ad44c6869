"""Party study as the secretary and the county see it: the completion a person may see, the
counts beside each material, and the .xlsx workbooks of both (through the app's one writer)."""
import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from .. import access
from ..accounts.models import User
from ..branches.models import Branch
from ..i18n import to_local, to_utc
from ..web import Sheet
from . import services
from .models import StudyAssignment, StudyMaterial

STATE_LABELS = {"studied": _l("Studied"), "opened": _l("Opened, not studied"),
                "not_opened": _l("Not opened")}


def sees_everyone(actor, material):
    """Say whether the actor sees every person a material is for: an administrator does; a
    secretary sees only their branch's members on material the county sent every branch."""
    return actor is None or actor.role != "secretary" or material.branch_id is not None


def _people_ids(actor):
    return access.people(actor).select(User.id)


def completion_for(actor, material):
    """(rows, counts) of services.completion, kept to the people the actor may see."""
    rows, counts = services.completion(material)
    if sees_everyone(actor, material):
        return rows, counts
    mine = {user_id for (user_id,) in _people_ids(actor).tuples()}
    rows = [r for r in rows if r[0].id in mine]
    return rows, {s: sum(1 for r in rows if r[2] == s) for s in services.STATES}


def studied_counts(actor, materials):
    """{material id: (studied, assigned)} for the people the actor may see of each material."""
    ids = [m.id for m in materials]
    if not ids:
        return {}
    query = (StudyAssignment
             .select(StudyAssignment.material, fn.COUNT(StudyAssignment.id),
                     fn.COUNT(StudyAssignment.completed_at))
             .where(StudyAssignment.material.in_(ids)))
    if actor is not None and actor.role == "secretary":
        whole = [m.id for m in materials if sees_everyone(actor, m)]
        query = query.where(StudyAssignment.material.in_(whole or [0])
                            | StudyAssignment.user.in_(_people_ids(actor)))
    counts = {material_id: (studied, assigned) for material_id, assigned, studied
              in query.group_by(StudyAssignment.material).tuples()}
    return {i: counts.get(i, (0, 0)) for i in ids}


def managed(actor):
    """The materials the actor may manage, with their branch, newest first."""
    return (services.materials_for(actor).select(StudyMaterial, Branch)
            .join(Branch, JOIN.LEFT_OUTER, on=(StudyMaterial.branch == Branch.id))
            .order_by(StudyMaterial.created_at.desc(), StudyMaterial.id.desc()))


def year_materials(actor, year):
    """The materials of the year the actor may manage, newest first."""
    start = to_utc(datetime.datetime(year, 1, 1))
    end = to_utc(datetime.datetime(year + 1, 1, 1))
    return list(managed(actor).where(StudyMaterial.created_at >= start,
                                     StudyMaterial.created_at < end))


def county_names(actor):
    """{county id: name} of the counties the actor covers."""
    return {r.id: r.name for r in access.counties(actor)}


def _local(moment):
    return to_local(moment).replace(tzinfo=None) if moment else None


def _score(assignment, questions):
    if not questions or assignment.score is None:
        return ""
    return f"{assignment.score}/{questions}"


def audience_label(material):
    """Who the material was sent to, in words."""
    if material.branch_id is None:
        return _("Every branch of the county")
    return material.branch.name


def material_sheets(material, actor=None):
    """The completion list of one material: who studied it, who opened it, who has not."""
    rows, counts = completion_for(actor, material)
    questions = len(services.questions_of(material))
    above = [[_("Sent to"), audience_label(material)],
             [_("Published"), _local(material.created_at)],
             [_("Study by"), material.due_on or ""],
             [_("Study hours"), float(material.hours)],
             [_("Status"), _("Withdrawn") if material.status == "withdrawn" else _("Published")],
             [STATE_LABELS["studied"], counts["studied"]],
             [STATE_LABELS["opened"], counts["opened"]],
             [STATE_LABELS["not_opened"], counts["not_opened"]], []]
    body = [[user.name, user.firm.name if user.firm_id else "", STATE_LABELS[state],
             _local(a.opened_at), _local(a.completed_at), _score(a, questions),
             _local(a.reminded_at)] for user, a, state in rows]
    return [Sheet(title=_("Completion"), heading=material.title, above=above,
                  header=[_("Name"), _("Firm"), _("State"), _("Opened at"), _("Studied at"),
                          _("Score"), _("Last reminded")],
                  rows=body, widths=(14, 28, 16, 18, 18, 8, 18))]


def county_sheets(actor, year):
    """Completion by branch for the year, and the year's materials with their counts."""
    names = county_names(actor)
    many = len(names) > 1
    branch_rows = []
    for branch, materials, assigned, studied, percent in services.county_completion(actor, year):
        branch_rows.append(([names.get(branch.county_id, "")] if many else [])
                           + [branch.name, materials, assigned, studied,
                              percent if percent is not None else ""])
    materials = year_materials(actor, year)
    counts = studied_counts(actor, materials)
    material_rows = [[m.title, audience_label(m), _local(m.created_at), m.due_on or "",
                      float(m.hours), counts[m.id][0], counts[m.id][1],
                      _("Withdrawn") if m.status == "withdrawn" else _("Published")]
                     for m in materials]
    heading = _("Party study %(year)d", year=year)
    return [
        Sheet(title=_("By branch"), heading=heading,
              header=([_("County")] if many else [])
              + [_("Branch"), _("Materials"), _("Assigned"), _("Studied"), _("Rate (%)")],
              rows=branch_rows, widths=((16,) if many else ()) + (30, 10, 10, 10, 10)),
        Sheet(title=_("Materials"), heading=heading,
              header=[_("Title"), _("Sent to"), _("Published"), _("Study by"),
                      _("Study hours"), _("Studied"), _("Assigned"), _("Status")],
              rows=material_rows, widths=(36, 24, 18, 12, 10, 10, 10, 10)),
    ]
