"""Who is signed in, which role they act in, and what each role may see.

Every query that lists or loads data goes through the scoping helpers here, so a
forgotten check returns nothing rather than another county's data.
"""
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


def audit(actor, action, obj=None, region=None, detail=None):
    """Record an administrative action, with the address of the request that made it."""
    return AuditEvent.create(
        actor=actor, action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=getattr(obj, "id", None), region=region,
        detail=json.dumps(detail or {}, ensure_ascii=False, default=str), address=_address()[:60])


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
