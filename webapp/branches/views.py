"""Party branches: the county's list, a branch and its members, activities, attendance, QR
check-in, and a member's party record."""

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import gettext as _

from .. import access
from ..accounts.models import User
from ..db import utcnow
from ..errors import DomainError
from ..checkin import views as checkin_views
from ..i18n import local_today, to_local
from ..web import (FormData, Sheet, is_htmx, redirect_after_post, render, send_stored_file,
                   xlsx_response)
from . import attendance as roll
from . import activities as activity_rules
from . import labels, overview, services
from .models import ActivityPhoto, Branch, BranchActivity, BranchMember

branches_bp = Blueprint("branches", __name__)


@branches_bp.app_context_processor
def _labels():
    return {"branch_labels": {
        "kind": labels.BRANCH_KIND_LABELS, "activity": labels.ACTIVITY_LABELS,
        "standing": labels.STANDING_LABELS, "attendance": labels.ATTENDANCE_LABELS,
        "status": labels.STATUS_LABELS}}


@branches_bp.app_template_global()
def in_party_branch(user):
    """Say whether the person is (or was) in a party branch (for the Me page's link)."""
    return user is not None and services.is_member(user)


def _year():
    today = local_today()
    year = request.args.get("year", type=int) or today.year
    if not today.year - 5 <= year <= today.year + 1:
        abort(404)
    return year


# ------------------------------------------------------------------ county admin: branches

def _branch(branch_id):
    return access.get_or_404(access.branches(g.actor), Branch, branch_id)


def _county_id():
    return g.actor.grant.region_id


@branches_bp.route("/branches")
@access.roles_required("county_admin")
def index():
    """Every branch of the county: theme days against the target, attendance, who lags."""
    today = local_today()
    year = _year()
    branches = list(access.branches(g.actor).where(Branch.active == True)  # noqa: E712
                    .order_by(Branch.name))
    rows = overview.county_overview(branches, year, today)
    hints = services.firm_hints(_county_id(), branches)
    return render("branches/index.html", rows=rows, hints=hints, year=year, today=today,
                  quiet=[r for r in rows if r["none_this_month"]],
                  minimum=services.MIN_FULL_MEMBERS)


@branches_bp.route("/branches/new", methods=["GET", "POST"])
@branches_bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
@access.roles_required("county_admin")
def form(branch_id=None):
    """Create or edit a branch: name, independent or joint, firms, justice office."""
    branch = _branch(branch_id) if branch_id else None
    firms = services.county_firms(_county_id())
    error = field = None
    if branch is None:
        data = {"kind": "independent"}
        chosen = set()
    else:
        data = {"name": branch.name, "kind": branch.kind,
                "justice_office": branch.includes_justice_office}
        chosen = {str(link.firm_id) for link in branch.firm_links}
    if request.method == "POST":
        data = FormData(request.form)
        chosen = set(data.getlist("firm_ids"))
        try:
            clean = services.clean_branch(request.form, firms)
            saved = services.save_branch(g.actor.user, _county_id(), clean, branch)
        except DomainError as exc:
            error, field, status = exc.message, exc.field, exc.status
        else:
            flash(_("The branch is saved."), "success")
            return redirect_after_post(url_for("branches.detail", branch_id=saved.id))
    return render("branches/form.html", branch=branch, data=data, chosen=chosen, firms=firms,
                  error=error, field=field, status=status if error else 200)


def _detail_context(branch, error=None, field=None):
    today = local_today()
    members = services.active_members(branch)
    member_counts = services.member_counts([branch.id])[branch.id]
    rows = overview.county_overview([branch], today.year, today)[0]
    activities = list(reversed(overview.held_in_year([branch.id], today.year)))
    planned = list(activity_rules.branch_activities(branch).where(BranchActivity.status == "planned")
                   .order_by(BranchActivity.start_at))
    return {"branch": branch, "members": members, "member_counts": member_counts,
            "too_few": services.too_few(member_counts), "minimum": services.MIN_FULL_MEMBERS,
            "candidates": services.candidates(branch), "row": rows, "today": today,
            "activities": activities, "planned": planned,
            "counts": {a.id: roll.counts(a) for a in activities[:20]},
            "firms": [link.firm for link in branch.firm_links],
            "hints": [h for h in services.firm_hints(branch.county_id, [branch])
                      if h[3] is not None and h[3].id == branch.id],
            "error": error, "field": field, "form": request.form if error else {}}


@branches_bp.route("/branches/<int:branch_id>")
@access.roles_required("county_admin")
def detail(branch_id):
    """One branch: the three-member rule, members, the secretary, this year's activities."""
    branch = _branch(branch_id)
    return render("branches/detail.html", **_detail_context(branch))


def _refused(branch, exc):
    return render("branches/detail.html", status=exc.status,
                  **_detail_context(branch, exc.message, exc.field))


@branches_bp.route("/branches/<int:branch_id>/members", methods=["POST"])
@access.roles_required("county_admin")
def member_add(branch_id):
    """Add one of the county's practitioners to the branch."""
    branch = _branch(branch_id)
    try:
        person = services.add_member(g.actor.user, branch, request.form)
    except DomainError as exc:
        return _refused(branch, exc)
    flash(_("%(name)s is now a member of the branch.", name=person.name), "success")
    return redirect_after_post(url_for("branches.detail", branch_id=branch.id) + "#members")


def _member(branch, member_id):
    query = (BranchMember.select(BranchMember, User).join(User)
             .where(BranchMember.branch == branch.id, BranchMember.left_on.is_null()))
    return access.get_or_404(query, BranchMember, member_id)


@branches_bp.route("/branches/<int:branch_id>/members/<int:member_id>", methods=["POST"])
@access.roles_required("county_admin")
def member_change(branch_id, member_id):
    """Change a member's standing (probationary or full), or take them off the branch."""
    branch = _branch(branch_id)
    member = _member(branch, member_id)
    action = request.form.get("action")
    try:
        if action == "remove":
            services.remove_member(g.actor.user, branch, member)
            flash(_("%(name)s is no longer a member of the branch.", name=member.user.name),
                  "success")
        elif action == "standing":
            services.change_standing(g.actor.user, branch, member, request.form.get("standing"))
            flash(_("The standing of %(name)s is saved.", name=member.user.name), "success")
        else:
            raise DomainError(_("Choose what to do."))
    except DomainError as exc:
        return _refused(branch, exc)
    return redirect_after_post(url_for("branches.detail", branch_id=branch.id) + "#members")


@branches_bp.route("/branches/<int:branch_id>/secretary", methods=["POST"])
@access.roles_required("county_admin")
def secretary(branch_id):
    """Name the branch secretary from the full members."""
    branch = _branch(branch_id)
    try:
        services.set_secretary(g.actor.user, branch, request.form.get("user_id"))
    except DomainError as exc:
        return _refused(branch, exc)
    flash(_("The branch secretary is saved."), "success")
    return redirect_after_post(url_for("branches.detail", branch_id=branch.id))


@branches_bp.route("/branches/export.xlsx")
@access.roles_required("county_admin")
def export():
    """The county's branches and this year's activities as an Excel file."""
    today = local_today()
    year = _year()
    branches = list(access.branches(g.actor).where(Branch.active == True)  # noqa: E712
                    .order_by(Branch.name))
    rows = []
    for row in overview.county_overview(branches, year, today):
        branch = row["branch"]
        rows.append([branch.name, labels.BRANCH_KIND_LABELS[branch.kind],
                     "、".join(link.firm.name for link in branch.firm_links)
                     + ("、" + _("township justice office") if branch.includes_justice_office else ""),
                     branch.secretary.name if branch.secretary_id else "",
                     row["counts"]["full"], row["counts"]["probationary"], row["theme_days"],
                     float(row["target"]), float(row["expected_now"]), row["activities"],
                     row["rate"], _("no") if row["none_this_month"] else _("yes")]
                    + row["by_month"])
    names = {b.id: b.name for b in branches}
    held = []
    for activity in overview.held_in_year(names, year):
        roster = roll.roster(activity)
        totals = roll.counts_from(activity, roster)
        absent = [r["user"].name for r in roster if activity_rules.is_missing(activity.kind, r["state"])]
        start, end = to_local(activity.start_at), to_local(activity.end_at)
        held.append([names[activity.branch_id], start.date().isoformat(), start.strftime("%H:%M"),
                     end.strftime("%H:%M"), float(activity_rules.duration_hours(activity)),
                     labels.ACTIVITY_LABELS[activity.kind], activity.topic, activity.place,
                     totals["expected"], totals["present"], totals["excused"],
                     totals["missing"], "、".join(absent)])
    return xlsx_response(f"branches-{year}.xlsx", [
        Sheet(_("Branches"), [_("Branch"), _("Type"), _("Firms"), _("Secretary"), _("Full members"),
                              _("Probationary members"), _("Theme party days"), _("Target"),
                              _("Expected by now"), _("Activities"), _("Attendance rate (%)"),
                              _("Activity this month")]
              + [_("Month %(n)s", n=str(m)) for m in range(1, 13)], rows, widths=(30, None, 30)),
        Sheet(_("Activities"), [_("Branch"), _("Date"), _("Start"), _("End"), _("Duration (hours)"),
                                _("Type"), _("Topic"), _("Place"), _("Expected"), _("Present"),
                                _("Excused"), _("Absent"), _("Absent members")],
              held, widths=(30, None, None, None, None, None, 40))])


# ------------------------------------------------------------------ secretary: activities

def _my_branch():
    branch = access.branches(g.actor).first()
    if branch is None:
        abort(404)
    return branch


def _activity(activity_id):
    """An activity of a branch the actor may see (the secretary's own, an admin's county's)."""
    query = (BranchActivity.select(BranchActivity, Branch).join(Branch)
             .where(BranchActivity.branch.in_(access.branches(g.actor).select(Branch.id))))
    return access.get_or_404(query, BranchActivity, activity_id)


@branches_bp.route("/branch/activities")
@access.roles_required("secretary")
def activities():
    """The branch's activities of a year, planned ones first."""
    branch = _my_branch()
    year = _year()
    first, last = overview.year_bounds(year)
    rows = list(activity_rules.branch_activities(branch)
                .where(BranchActivity.start_at >= first, BranchActivity.start_at < last)
                .order_by(BranchActivity.start_at.desc()))
    return render("branches/activities.html", branch=branch, year=year, today=local_today(),
                  planned=[a for a in rows if a.status == "planned"],
                  held=[a for a in rows if a.status == "held"],
                  cancelled=[a for a in rows if a.status == "cancelled"],
                  counts={a.id: roll.counts(a) for a in rows if a.status == "held"})


def _activity_data(activity, branch, today):
    if activity is None:
        done = overview.month_strip(overview.held_in_year([branch.id], today.year), today.year,
                                    today)[today.month - 1][1] == "done"
        return {"kind": "members_meeting" if done else "theme_day", "date": today.isoformat(),
                "start": "14:30", "end": "16:30", "place": "", "topic": "", "summary": ""}
    start, end = to_local(activity.start_at), to_local(activity.end_at)
    return {"kind": activity.kind, "date": start.date().isoformat(),
            "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M"),
            "place": activity.place, "topic": activity.topic, "summary": activity.summary}


@branches_bp.route("/branch/activities/new", methods=["GET", "POST"])
@branches_bp.route("/branch/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@access.roles_required("secretary")
def activity_form(activity_id=None):
    """Plan an activity ahead or record one afterwards: type, time, place, topic, photos."""
    branch = _my_branch()
    activity = _activity(activity_id) if activity_id else None
    if activity is not None and activity.status == "cancelled":
        raise DomainError(_("This activity was cancelled and cannot be changed."))
    today = local_today()
    data = _activity_data(activity, branch, today)
    error = field = None
    status = 200
    photos = list(activity.photos) if activity else []
    if request.method == "POST":
        data = {k: request.form.get(k, "") for k in data}
        try:
            clean = activity_rules.clean_activity(request.form, today)
            uploads = activity_rules.read_photos(request.files.getlist("photos"), len(photos))
            saved = activity_rules.save_activity(g.actor.user, branch, clean, uploads, activity)
        except DomainError as exc:
            error, field, status = exc.message, exc.field, exc.status
        else:
            if activity is None and saved.status == "held":
                flash(_("The activity is saved. Now mark who came."), "success")
                return redirect_after_post(url_for("branches.attendance", activity_id=saved.id))
            flash(_("The activity is saved."), "success")
            return redirect_after_post(url_for("branches.activity", activity_id=saved.id))
    return render("branches/activity_form.html", branch=branch, activity=activity, data=data,
                  error=error, field=field, photos=photos, max_photos=activity_rules.MAX_PHOTOS,
                  kinds=labels.ACTIVITY_LABELS, today=today,
                  earliest=activity_rules.earliest_day(today), status=status)


@branches_bp.route("/branch/activities/<int:activity_id>")
@access.roles_required("secretary", "county_admin")
def activity(activity_id):
    """One activity: facts, expected and actual attendance, photos, and what to do next."""
    item = _activity(activity_id)
    roster = roll.roster(item)
    return render("branches/activity.html", activity=item, roster=roster,
                  counts=roll.counts_from(item, roster), photos=list(item.photos),
                  hours=activity_rules.duration_hours(item),
                  can_manage=g.actor.role == "secretary",
                  markable=item.start_at - activity_rules.CHECKIN_OPENS_BEFORE <= utcnow(),
                  checkin_open=_checkin_open(item))


def _checkin_open(item):
    opens, closes = roll.window(item)
    return item.status != "cancelled" and opens <= utcnow() <= closes


@branches_bp.route("/branch/activities/<int:activity_id>/cancel", methods=["POST"])
@access.roles_required("secretary")
def activity_cancel(activity_id):
    """Cancel an activity (its ledger entries are withdrawn)."""
    item = _activity(activity_id)
    activity_rules.cancel_activity(g.actor.user, item)
    flash(_("The activity is cancelled."), "success")
    return redirect_after_post(url_for("branches.activity", activity_id=item.id))


def _photo(photo_id):
    query = (ActivityPhoto.select(ActivityPhoto, BranchActivity).join(BranchActivity)
             .where(BranchActivity.branch.in_(access.branches(g.actor).select(Branch.id))))
    return access.get_or_404(query, ActivityPhoto, photo_id)


@branches_bp.route("/branch/photos/<int:photo_id>")
@access.roles_required("secretary", "county_admin")
def photo(photo_id):
    """Send an activity photo (or its thumbnail) to the secretary or the county."""
    item = _photo(photo_id)
    thumb = request.args.get("size") == "thumb"
    return send_stored_file(activity_rules.photo_path(item.stored_name, thumb=thumb),
                            "image/jpeg", None, thumb)


@branches_bp.route("/branch/photos/<int:photo_id>/remove", methods=["POST"])
@access.roles_required("secretary")
def photo_remove(photo_id):
    """Remove one photo of an activity."""
    item = _photo(photo_id)
    activity_row = item.activity
    if activity_row.status == "cancelled":
        raise DomainError(_("This activity was cancelled and cannot be changed."))
    activity_rules.remove_photo(g.actor.user, activity_row, item)
    flash(_("The photo is removed."), "success")
    return redirect_after_post(url_for("branches.activity_form", activity_id=activity_row.id))


# ------------------------------------------------------------------ attendance

def _attendance_context(item, error=None, error_user=None, form=None):
    roster = roll.roster(item)
    return {"activity": item, "roster": roster, "counts": roll.counts_from(item, roster),
            "error": error, "error_user": error_user, "form": form or {},
            "whole": item.kind in activity_rules.WHOLE_BRANCH_KINDS,
            "not_started": item.start_at - activity_rules.CHECKIN_OPENS_BEFORE > utcnow(),
            "checkin_open": _checkin_open(item)}


@branches_bp.route("/branch/activities/<int:activity_id>/attendance", methods=["GET", "POST"])
@access.roles_required("secretary")
def attendance(activity_id):
    """Mark each member present, excused (with a reason) or absent; counts follow."""
    item = _activity(activity_id)
    if request.method == "GET":
        return render("branches/attendance.html", "branches/_attendance.html",
                      **_attendance_context(item))
    user_id = request.form.get("user_id", type=int)
    try:
        if request.form.get("action") == "rest":
            n = roll.mark_rest_present(g.actor.user, item)
            flash(_("%(n)d more marked present.", n=n), "success")
            return redirect_after_post(url_for("branches.attendance", activity_id=item.id))
        roll.mark(g.actor.user, item, user_id, request.form.get("status"),
                      request.form.get("reason"))
    except DomainError as exc:
        context = _attendance_context(item, exc.message, user_id, request.form)
        row = next((r for r in context["roster"] if r["user"].id == user_id), None)
        if is_htmx() and row is not None:
            return render("branches/_attendance_row.html", status=exc.status, r=row, oob=False,
                          **context)
        return render("branches/attendance.html", status=exc.status, **context)
    if is_htmx():
        context = _attendance_context(item)
        row = next(r for r in context["roster"] if r["user"].id == user_id)
        return render("branches/_attendance_row.html", r=row, oob=True, **context)
    return redirect_after_post(url_for("branches.attendance", activity_id=item.id)
                               + f"#m-{user_id}")


# ------------------------------------------------------------------ QR check-in: projector

@branches_bp.route("/branch/activities/<int:activity_id>/projector")
@access.roles_required("secretary")
def projector(activity_id):
    """The rotating QR for members to scan (the trainings' projector script draws it)."""
    item = _activity(activity_id)
    if item.status == "cancelled":
        raise DomainError(_("This activity was cancelled."))
    return checkin_views.projector(roll, item, "in", "branches/projector.html",
                                   activity=item)


@branches_bp.route("/branch/activities/<int:activity_id>/live")
@access.roles_required("secretary")
def live(activity_id):
    """A tiny JSON for the projector: counts, the last few names, the server's clock."""
    return checkin_views.live(roll, _activity(activity_id))


# ------------------------------------------------------------------ member: my party record

@branches_bp.route("/party/record")
@access.login_required
def mine():
    """My party activities this year: attended, excused, missed, and what is planned."""
    today = local_today()
    year = _year()
    record = overview.party_record(g.user, year, today)
    return render("branches/mine.html", today=today, **record)
