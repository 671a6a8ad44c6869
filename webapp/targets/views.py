"""Home pages for each role: progress against the year's targets."""
import datetime
from collections import Counter

from flask import Blueprint, g
from peewee import fn

from .. import access
from ..accounts.models import Firm, Notification, Region, User
from ..branches import overview as branch_overview
from ..db import utcnow
from ..web import render
from ..i18n import local_today, to_local
from ..ledger.models import Entry
from ..trainings import services as trainings
from ..trainings.models import Training
from . import services

home_bp = Blueprint("home", __name__, url_prefix="/home")


@home_bp.route("/me")
@access.roles_required("practitioner")
def practitioner():
    """Practitioner home: next training, this year's targets, what waits."""
    user = g.user
    today = local_today()
    now = utcnow()
    upcoming = list(trainings.upcoming_for(user, now, days=7).limit(3))
    progress = services.progress_for([user], today.year, today).get(user.id, [])
    counts = dict(access.entries(g.actor, Entry)
                  .where(Entry.user == user.id, Entry.status.in_(("pending", "declined")))
                  .select(Entry.status, fn.COUNT(Entry.id)).group_by(Entry.status).tuples())
    notes = list(Notification.select().where(Notification.user == user,
                                             Notification.read_at.is_null())
                 .order_by(Notification.created_at.desc()).limit(3))
    return render("home/practitioner.html", today=today, upcoming=upcoming, progress=progress,
                  pending=counts.get("pending", 0), declined=counts.get("declined", 0),
                  notes=notes, is_today=lambda t: to_local(t.start_at).date() == today)


def _people_progress(query, year, today):
    people = list(services.active_practitioners(query).order_by(User.name))
    by_firm = {}
    for person in people:
        by_firm.setdefault((person.county_id, person.firm_id), []).append(person)
    progress, caps = {}, {}
    for (county_id, firm_id), group in by_firm.items():
        # A firm may carry its own targets; otherwise its county's, then the city's.
        targets = services.targets_for(year, county_id=county_id, firm_id=firm_id)
        if county_id not in caps:
            caps[county_id] = services.outside_cap(county_id, year)
        progress.update(services.progress_for(group, year, today, targets=targets,
                                              cap=caps[county_id]))
    return people, progress


@home_bp.route("/firm")
@access.roles_required("director")
def director():
    """Director home: the firm's people against the targets, and pending entries."""
    today = local_today()
    firm = access.firms(g.actor).get()
    people, progress = _people_progress(access.people(g.actor), today.year, today)
    pending = access.entries(g.actor, Entry).where(Entry.status == "pending").count()
    return render("home/director.html", firm=firm, people=people, progress=progress,
                  counts=services.status_counts(progress), pending=pending, today=today,
                  labels=services.METRIC_LABELS, status_labels=services.STATUS_LABELS)


@home_bp.route("/branch")
@access.roles_required("secretary")
def secretary():
    """Secretary home: this month's theme party day, the year by month, members' attendance."""
    branch = access.branches(g.actor).get()
    return render("home/secretary.html", **branch_overview.secretary_overview(branch, local_today()))


def _region_overview(county_ids, today):
    people, progress = _people_progress(access.people(g.actor), today.year, today)
    counts = services.status_counts(progress)
    firms = list(Firm.select(Firm, Region).join(Region)
                 .where(Firm.county.in_(county_ids or [0]), Firm.active == True)  # noqa: E712
                 .order_by(Region.name, Firm.name))
    by_firm = services.firm_progress(people, progress)
    headcount = Counter(person.firm_id for person in people)
    firm_rows = [{"firm": firm, "people": headcount[firm.id],
                  "cells": by_firm.get(firm.id) or [None] * len(services.PERSON_METRICS)}
                 for firm in firms]
    return people, progress, counts, firm_rows


@home_bp.route("/county")
@access.roles_required("county_admin")
def county():
    """County admin home: reviews waiting, trainings, the year so far, firms."""
    today = local_today()
    now = utcnow()
    county_ids = g.actor.county_ids()
    pending = access.entries(g.actor, Entry).where(Entry.status == "pending")
    waiting = pending.count()
    oldest = pending.select(fn.MIN(Entry.created_at)).scalar()
    upcoming = list(trainings.for_regions(county_ids)
                    .where(Training.end_at >= now - datetime.timedelta(hours=12),
                           Training.status == "scheduled")
                    .order_by(Training.start_at).limit(5))
    people, _progress, counts, firm_rows = _region_overview(county_ids, today)
    return render("home/county.html", today=today, waiting=waiting,
                  oldest_days=(now - oldest).days if oldest else None, upcoming=upcoming,
                  counts=counts, firm_rows=firm_rows, people_count=len(people),
                  labels=services.METRIC_LABELS, status_labels=services.STATUS_LABELS,
                  county=Region.get_by_id(county_ids[0]))
