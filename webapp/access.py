"""Who is signed in, which role they act in, and what each role may see.

Every query that lists or loads data goes through the scoping helpers here, so a
forgotten check returns nothing rather than another county's data.
"""
import contextlib
import contextvars
import datetime
import functools
import json
from dataclasses import dataclass, field
from datetime import date

from flask import abort, g, has_request_context, make_response, redirect, request, session, url_for
from peewee import JOIN

from .accounts.models import AuditEvent, Firm, Region, RoleGrant, User, UserSession
from .branches.models import Branch, BranchFirm, BranchMember
from .reports.models import FirmReporter
from .db import db, hydrate, prepared, utcnow, width
from .web import client_address, object_id

_TOKEN = "\x00token\x00"


def _session_query():
    # The user, their session and every role grant they hold, in one query.
    return (User.select(User, UserSession.id, UserSession.last_seen_at, RoleGrant)
            .join(UserSession, on=(UserSession.user == User.id))
            .switch(User)
            .join(RoleGrant, JOIN.LEFT_OUTER, on=(RoleGrant.user == User.id))
            .where(UserSession.token == _TOKEN, UserSession.ended_at.is_null(),
                   User.active == True)  # noqa: E712
            .order_by(RoleGrant.id))


def session_actor(token):
    """Return (user, session id, role grants) for a live session token, else (None, None, [])."""
    if not token:
        return None, None, []
    sql, params = prepared("session_actor", _session_query)
    rows = db.execute_sql(sql, [token if p == _TOKEN else p for p in params]).fetchall()
    if not rows:
        return None, None, []
    user = hydrate(User, rows[0])
    at = width(User)
    session_id, seen = rows[0][at], UserSession.last_seen_at.python_value(rows[0][at + 1])
    grants = [hydrate(RoleGrant, row, at + 2) for row in rows if row[at + 2] is not None]
    now = utcnow()
    if now - seen > datetime.timedelta(minutes=5):
        UserSession.update(last_seen_at=now).where(UserSession.id == session_id).execute()
    return user, session_id, grants


def _address():
    return client_address() if has_request_context() else "command line"


# The moment and address a story told afterwards (the demo) gives the events written inside
# recorded_as(): an audit row is never updated, so its stamps are right when it is written.
_RECORDED_AS = contextvars.ContextVar("audit_recorded_as", default=None)


@contextlib.contextmanager
def recorded_as(at, address=None):
    """Stamp the audit events written inside the block with `at` (naive UTC) and `address`."""
    token = _RECORDED_AS.set((at, address))
    try:
        yield
    finally:
        _RECORDED_AS.reset(token)


def audit(actor, action, obj=None, region=None, detail=None, at=None):
    """Record an administrative action, with the address of the request that made it.

    Audit rows are append-only (the database refuses to update or delete one), so `at`
    dates an event being written now for a moment past, as the demo's story does.
    """
    stamped_at, stamped_address = _RECORDED_AS.get() or (None, None)
    address = stamped_address if stamped_address is not None else _address()
    return AuditEvent.create(
        actor=actor, action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None), region=region,
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str), address=address[:60],
        created_at=at or stamped_at or utcnow())


def snapshot(row, names):
    """Return a row's fields as {name: value} (a foreign key as its id), to compare later."""
    return {name: row.__data__.get(name) for name in names}


def changed(before, after):
    """Return only the fields whose value differs, as {field: [old, new]}."""
    names = list(before) + [name for name in after if name not in before]
    return {name: [before.get(name), after.get(name)] for name in names
            if before.get(name) != after.get(name)}


ADMIN_ROLES = ("county_admin", "city_admin")
ROLE_ORDER = ("city_admin", "county_admin", "secretary", "director", "practitioner")


@dataclass
class Actor:
    """The signed-in person acting in one of their role grants."""
    user: User
    grant: RoleGrant
    grants: list = field(default_factory=list)

    @property
    def role(self):
        return self.grant.role

    def county_ids(self):
        """Return the ids of the counties this role covers (admins only)."""
        if self.role == "county_admin":
            return [self.grant.region_id]
        if self.role == "city_admin":
            return [r.id for r in Region.select(Region.id).where(Region.parent == self.grant.region_id)]
        return []

    @property
    def county_id(self):
        """Return the single county an actor works in, where there is one."""
        if self.role == "county_admin":
            return self.grant.region_id
        return self.user.county_id


def _sorted_grants(grants):
    return sorted(grants, key=lambda gr: (ROLE_ORDER.index(gr.role), gr.id))


def load_actor():
    """Load the signed-in user and active grant into g (called before each request)."""
    g.user = g.actor = None
    g.session_token = session.get("token")
    if request.endpoint == "static":
        return  # files need no one signed in: no query, and the session stays untouched
    user, _session_id, grants = session_actor(g.session_token)
    if user is None:
        return
    grants = _sorted_grants(grants)
    g.user = user
    today = date.today().toordinal()
    if session.get("day") != today:
        session["day"] = today  # renews the cookie's lifetime once a day (see config)
    if not grants:
        return
    active = next((gr for gr in grants if gr.id == session.get("grant")), grants[0])
    g.actor = Actor(user=user, grant=active, grants=grants)


def switch_grant(grant_id):
    """Make another of the user's grants the active one; return it or None."""
    actor = g.get("actor")
    if actor is None:
        return None
    grant = next((gr for gr in actor.grants if gr.id == grant_id), None)
    if grant is not None:
        session["grant"] = grant.id
    return grant


def login_required(view):
    """Send visitors who are not signed in to the login page, keeping where they were going."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            if request.headers.get("HX-Request") == "true":
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if g.user.must_change_password and request.endpoint != "auth.password":
            # A one-time password from the county is only for choosing one's own.
            target = url_for("auth.password", next=request.full_path.rstrip("?")
                             if request.method == "GET" else None)
            if request.headers.get("HX-Request") == "true":
                response = make_response("", 204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target)
        return view(*args, **kwargs)
    return wrapped


def roles_required(*roles):
    """Allow the view only to signed-in people acting in one of the roles."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            actor = g.get("actor")
            if actor is None or actor.role not in roles:
                # A person who holds the role but is acting in another switches to it.
                grant = actor and next((gr for gr in actor.grants if gr.role in roles), None)
                if grant is None:
                    abort(403)
                session["grant"] = grant.id
                g.actor = Actor(user=actor.user, grant=grant, grants=actor.grants)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def home_endpoint(actor):
    """Return the endpoint of the home page for the actor's role."""
    if actor is None:
        return "auth.no_role"
    return {
        "practitioner": "home.practitioner",
        "director": "home.director",
        "secretary": "home.secretary",
        "county_admin": "home.county",
        "city_admin": "home.city",
    }[actor.role]


# ------------------------------------------------------------------ scoping helpers

def firms(actor):
    """Firms the actor may see."""
    query = Firm.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(Firm.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(Firm.id == actor.grant.firm_id)
    if actor.role == "secretary":
        return query.where(Firm.id.in_(
            BranchFirm.select(BranchFirm.firm).where(BranchFirm.branch == actor.grant.branch_id)))
    return query.where(Firm.id == actor.user.firm_id)


def people(actor):
    """People the actor may see."""
    query = User.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(User.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(User.firm == actor.grant.firm_id)
    if actor.role == "secretary":
        return query.where(User.id.in_(
            BranchMember.select(BranchMember.user).where(BranchMember.branch == actor.grant.branch_id)))
    return query.where(User.id == actor.user.id)


def counties(actor):
    """Counties the actor may see."""
    if actor is None or actor.role not in ADMIN_ROLES:
        return Region.select().where(False)
    return Region.select().where(Region.id.in_(actor.county_ids())).order_by(Region.name)


def branches(actor):
    """Party branches the actor may see."""
    query = Branch.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(Branch.county.in_(actor.county_ids()))
    if actor.role == "secretary":
        return query.where(Branch.id == actor.grant.branch_id)
    return query.where(Branch.id.in_(
        BranchMember.select(BranchMember.branch).where(BranchMember.user == actor.user.id)))


def entries(actor, model):
    """Ledger entries (of the given Entry model) the actor may see."""
    query = model.select(model, User).join(User, JOIN.INNER, on=(model.user == User.id))
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(User.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(User.firm == actor.grant.firm_id)
    return query.where(model.user == actor.user.id)


def firm_reports(actor, model):
    """Firm reports (of the given FirmReport model) the actor may see, with their firm."""
    query = model.select(model, Firm).join(Firm, JOIN.INNER, on=(model.firm == Firm.id))
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(Firm.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(model.firm == actor.grant.firm_id)
    if actor.role == "practitioner":
        # The practitioner the director named as the firm's reporter sees the firm's reports.
        return query.where(model.firm == actor.user.firm_id, model.firm.in_(
            FirmReporter.select(FirmReporter.firm).where(FirmReporter.user == actor.user.id)))
    return query.where(False)


def case_selections(actor, model):
    """Recommended typical cases (of the given CaseSelection model) the actor may see: a
    county's administrator its own, the city's administrator all its counties'."""
    query = model.select()
    if actor is None or actor.role not in ADMIN_ROLES:
        return query.where(False)
    return query.where(model.county.in_(actor.county_ids()))


def inspections(actor, model):
    """Inspections (of the given Inspection model) the actor may see."""
    query = model.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(model.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(model.firm == actor.grant.firm_id)
    return query.where(False)


def bulletins(actor, model):
    """County bulletins (of the given Bulletin model) the actor may see.

    Administrators: their counties' bulletins, drafts included; a director: the issued ones of
    the firm's county; anyone else: none.
    """
    query = model.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(model.county.in_(actor.county_ids()))
    if actor.role == "director":
        return query.where(model.status == "issued", model.county.in_(
            Firm.select(Firm.county).where(Firm.id == actor.grant.firm_id)))
    return query.where(False)


def audit_events(actor):
    """Audit events the actor may read: an administrator's counties' (the city's own too, for
    the city's administrator), and those without a region about a person or firm of theirs."""
    query = AuditEvent.select()
    if actor is None or actor.role not in ADMIN_ROLES:
        return query.where(False)
    counties = actor.county_ids() or [0]
    regions = counties + ([actor.grant.region_id] if actor.role == "city_admin" else [])
    about_theirs = (
        ((AuditEvent.object_type == "user")
         & AuditEvent.object_id.in_(User.select(User.id).where(User.county.in_(counties))))
        | ((AuditEvent.object_type == "firm")
           & AuditEvent.object_id.in_(Firm.select(Firm.id).where(Firm.county.in_(counties)))))
    return query.where(AuditEvent.region.in_(regions)
                       | (AuditEvent.region.is_null() & about_theirs))


def study_materials(actor, model):
    """Study materials (of the given StudyMaterial model) the actor may manage: an
    administrator's counties'; a secretary's branch's, and the county's for every branch."""
    query = model.select()
    if actor is None:
        return query.where(False)
    if actor.role in ADMIN_ROLES:
        return query.where(model.county.in_(actor.county_ids()))
    if actor.role == "secretary":
        county = Branch.select(Branch.county).where(Branch.id == actor.grant.branch_id)
        return query.where((model.branch == actor.grant.branch_id)
                           | (model.branch.is_null() & model.county.in_(county)))
    return query.where(False)


def get_or_404(query, model, object_id_):
    """Load one row through a scoped query, or answer 404."""
    try:
        object_id_ = object_id(object_id_)
    except (TypeError, ValueError):
        abort(404)
    row = query.where(model.id == object_id_).first()
    if row is None:
        abort(404)
    return row
