"""The Log tab, entry forms, evidence, review queue, county rules, My year and the summary."""
import datetime
import uuid

from flask import Blueprint, abort, flash, g, jsonify, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from .. import access
from ..accounts.models import Notification
from ..db import utcnow
from ..errors import Conflict, DomainError
from ..web import is_htmx, redirect_after_post, render, send_stored_file, xlsx_response
from ..i18n import local_today
from ..pwa import keep_offline
from ..targets import services as targets
from ..trainings import attendance
from . import evidence as files
from . import services, year as year_service
from .forms import evidence_in_view
from .models import Entry, Evidence

ledger_bp = Blueprint("ledger", __name__, url_prefix="/ledger")

VIEWERS = ("practitioner", "director", "county_admin", "city_admin")
REVIEWERS = ("county_admin", "director")


def wants_json():
    """Say whether the caller (the phone's outbox) asked for JSON rather than a page."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == \
        "application/json"


def _check_for_user():
    """Refuse a form filled in while someone else was signed in on this phone."""
    sent = (request.form.get("for_user") or "").strip()
    if sent and sent != str(g.user.id):
        raise Conflict(_("This was filled in while another person was signed in on this "
                         "phone, so it was not saved."))


def _own_entries():
    return access.entries(g.actor, Entry).where(Entry.user == g.user.id)


def _uploads(existing=(0, 0)):
    return files.read_uploads(request.files.getlist("evidence"), *existing)


def _category_choices(user):
    english = str(get_locale()) == "en"
    return [(c.name, c.name_en if english and c.name_en else c.name)
            for c in services.education_categories(user)]


def _form_context(kind, data, error=None, field=None, entry=None):
    user = g.user
    today = local_today()
    rule = services.rule_for(user.county_id, today.year)
    return {
        "kind": kind, "data": data, "error": error, "field": field, "entry": entry,
        "today": today, "earliest": services.earliest_date(today),
        "categories": _category_choices(user) if kind == "education" else [],
        "ps_types": services.PUBLIC_SERVICE_TYPES, "case_types": services.CASE_TYPES,
        "case_statuses": services.CASE_STATUSES, "kind_labels": services.KIND_LABELS,
        "needs_evidence": kind == "education" and rule.education_needs_evidence,
        "evidence_in_view": evidence_in_view(
            kind, kind == "education" and rule.education_needs_evidence),
        "max_hours": services.MAX_HOURS, "min_hours": services.MIN_HOURS,
        "max_photos": files.MAX_PHOTOS,
        "pdf_mb": files.MAX_PDF_BYTES // (1024 * 1024),
        "photo_mb": files.MAX_IMAGE_BYTES // (1024 * 1024),
        "evidence": list(entry.evidence) if entry is not None else [],
    }


# ------------------------------------------------------------------ the Log tab and forms

@ledger_bp.route("/")
@access.roles_required("practitioner")
@keep_offline  # a plain visit may be kept for use without network (sw.js); not ?saved=
def log():
    """The Log tab: three tiles, what was just saved (with undo), and recent entries."""
    saved = None
    saved_id = request.args.get("saved", type=access.object_id)
    if saved_id:
        saved = _own_entries().where(Entry.id == saved_id).first()
    recent = list(_own_entries().where(Entry.source == "self")
                  .order_by(Entry.created_at.desc(), Entry.id.desc()).limit(5))
    return render("ledger/log.html", saved=saved, recent=recent, **year_service.label_context())


@ledger_bp.route("/new/<kind>", methods=["GET", "POST"])
@access.roles_required("practitioner")
@keep_offline  # the empty form may be kept offline (sw.js); ledger.js renews its key and date
def new(kind):
    """Log public service, a legal-aid case or outside learning on one screen."""
    if kind not in services.SELF_KINDS:
        abort(404)
    if request.method == "POST":
        try:
            _check_for_user()
            uploads = _uploads()
            entry, created = services.create_entry(g.user, kind, request.form, uploads,
                                                   request.form.get("idempotency_key"))
        except DomainError as exc:
            if wants_json():
                return jsonify(error=exc.message, field=exc.field), exc.status
            context = _form_context(kind, request.form, exc.message, exc.field)
            return render("ledger/form.html", status=exc.status, **context)
        if wants_json():
            return jsonify(id=entry.id, status=entry.status, created=created,
                           url=url_for("ledger.entry", entry_id=entry.id)), \
                201 if created else 200
        return redirect_after_post(url_for("ledger.log", saved=entry.id))
    data = {"date": local_today().isoformat(), "idempotency_key": uuid.uuid4().hex,
            "category": services.last_category(g.user, kind) or ""}
    if kind == "legal_aid":
        data["case_status"] = "in_progress"
    return render("ledger/form.html", **_form_context(kind, data))


def _entry_data(entry):
    data = {name: getattr(entry, name) for name in (
        "category", "place", "description", "case_number", "case_type", "case_status",
        "provider")}
    data.update(date=entry.date.isoformat(), hours=f"{entry.hours.normalize():f}",
                people_served=entry.people_served if entry.people_served is not None else "",
                closed_on=entry.closed_on.isoformat() if entry.closed_on else "")
    if entry.kind == "education":
        data["topic"] = entry.description
    return data


@ledger_bp.route("/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@access.roles_required("practitioner")
def edit(entry_id):
    """Correct a pending entry, or fix a declined one and send it again."""
    entry = access.get_or_404(_own_entries(), Entry, entry_id)
    if not services.can_edit(g.user, entry):
        try:
            services.check_editable(g.user, entry)
        except DomainError as exc:
            return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    if request.method == "POST":
        try:
            _check_for_user()
            uploads = _uploads()
            entry, resubmitted = services.edit_entry(g.user, entry, request.form, uploads)
        except DomainError as exc:
            context = _form_context(entry.kind, request.form, exc.message, exc.field, entry)
            return render("ledger/form.html", status=exc.status, **context)
        flash(_("Sent again — waiting for review.") if resubmitted
              else _("Saved — waiting for review."), "success")
        return redirect_after_post(url_for("ledger.entry", entry_id=entry.id))
    return render("ledger/form.html", **_form_context(entry.kind, _entry_data(entry),
                                                       entry=entry))


@ledger_bp.route("/entries/<int:entry_id>/withdraw", methods=["POST"])
@access.roles_required("practitioner")
def withdraw(entry_id):
    """Withdraw one's own pending entry (the undo after saving)."""
    entry = access.get_or_404(_own_entries(), Entry, entry_id)
    try:
        services.withdraw_entry(g.user, entry)
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    flash(_("Withdrawn. It stays in your history as withdrawn."), "success")
    back = request.form.get("back")
    target = url_for("ledger.log") if back == "log" else url_for("ledger.entry",
                                                                 entry_id=entry.id)
    return redirect_after_post(target)


@ledger_bp.route("/entries/<int:entry_id>")
@access.roles_required(*VIEWERS)
def entry(entry_id):
    """One entry: what it says, its source and status, evidence, and what can be done."""
    row = access.get_or_404(access.entries(g.actor, Entry), Entry, entry_id)
    mine = row.user_id == g.user.id
    if mine:
        (Notification.update(read_at=utcnow())
         .where(Notification.user == g.user.id, Notification.read_at.is_null(),
                Notification.link == url_for("ledger.entry", entry_id=row.id)).execute())
    reviewer = row.reviewer if row.reviewer_id else None
    return render("ledger/entry.html", entry=row, mine=mine,
                  editable=mine and services.can_edit(g.user, row),
                  reviewable=row.status == "pending" and services.can_review(g.actor, row),
                  reviewer=reviewer, evidence=list(row.evidence.order_by(Evidence.id)),
                  source=year_service.source_labels([row], row.user_id).get(row.id),
                  version=services.version_of(row), **year_service.label_context())


# ------------------------------------------------------------------ evidence

@ledger_bp.route("/entries/<int:entry_id>/evidence", methods=["POST"])
@access.roles_required("practitioner")
def evidence_add(entry_id):
    """Attach photos or a PDF to one's own entry while it may change."""
    row = access.get_or_404(_own_entries(), Entry, entry_id)
    try:
        services.add_evidence(g.user, row, _uploads())
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    flash(_("Attached."), "success")
    return redirect_after_post(url_for("ledger.entry", entry_id=row.id))


def _evidence_row(evidence_id):
    query = (Evidence.select(Evidence, Entry).join(Entry)
             .where(Entry.id.in_(access.entries(g.actor, Entry).select(Entry.id))))
    return access.get_or_404(query, Evidence, evidence_id)


@ledger_bp.route("/evidence/<int:evidence_id>/remove", methods=["POST"])
@access.roles_required("practitioner")
def evidence_remove(evidence_id):
    """Take a file off one's own entry while it may change."""
    item = _evidence_row(evidence_id)
    if item.entry.user_id != g.user.id:
        abort(404)
    try:
        services.remove_evidence(g.user, item)
    except DomainError as exc:
        return render("error.html", code=exc.status, message=exc.message, status=exc.status)
    flash(_("Removed."), "success")
    return redirect_after_post(url_for("ledger.entry", entry_id=item.entry_id))


@ledger_bp.route("/evidence/<int:evidence_id>")
@access.roles_required(*VIEWERS)
def evidence_file(evidence_id):
    """Send an evidence file to someone who may see its entry (never from the web root)."""
    item = _evidence_row(evidence_id)
    thumb = request.args.get("size") == "thumb" and item.content_type != "application/pdf"
    return send_stored_file(files.path_for(item.stored_name, thumb=thumb), item.content_type,
                            item.original_name or item.stored_name, thumb)


# ------------------------------------------------------------------ review

def _queue_filters():
    kind = request.values.get("kind")
    kind = kind if kind in services.KIND_GROUPS else None
    firm_id = request.values.get("firm", type=access.object_id)
    group = "firm" if request.values.get("group") == "firm" else "person"
    return kind, firm_id, group


def _queue_page_no():
    page = request.values.get("page", type=access.object_id)
    return page or 1


def _queue_context():
    kind, firm_id, group = _queue_filters()
    page = services.queue_page(g.actor, kind, firm_id, _queue_page_no())
    rows, total = page.rows, page.total
    evidence = {}
    for item in Evidence.select().where(Evidence.entry.in_([r.id for r in rows] or [0])) \
            .order_by(Evidence.id):
        evidence.setdefault(item.entry_id, []).append(item)
    groups = {}
    for row in rows:
        key = row.user.firm_id if group == "firm" else row.user_id
        groups.setdefault(key, []).append(row)
    director_off = not services.reviews_anything(g.actor)
    firms = list(access.firms(g.actor).order_by(access.Firm.name))
    return dict(groups=list(groups.values()), total=total, queue_at=page, kind=kind,
                firm_id=firm_id, group=group, evidence=evidence, firms=firms,
                director_off=director_off, now=utcnow(), version_of=services.version_of,
                filters=_queue_hidden(kind, firm_id, group, page.number),
                **year_service.label_context())


def _queue_hidden(kind, firm_id, group, page_no):
    """What each decision form sends back, so the reviewer returns to the same page."""
    return {"kind": kind or "", "firm": firm_id or "", "group": group, "page": page_no}


@ledger_bp.route("/review")
@access.roles_required(*REVIEWERS)
def review_queue():
    """Entries waiting for review: by person or by firm, oldest first, with filters."""
    return render("ledger/review.html", "ledger/_queue.html", **_queue_context())


def _back_to_queue():
    kind, firm_id, group = _queue_filters()
    page_no = _queue_page_no()
    return url_for("ledger.review_queue", kind=kind or None, firm=firm_id or None,
                   group=group if group != "person" else None,
                   page=page_no if page_no > 1 else None)


def _reviewable_entry(entry_id):
    return access.get_or_404(access.entries(g.actor, Entry), Entry, entry_id)


def _decided(row, error=None, status=200):
    """Answer a decision: the row's fragment for htmx, else back to where the reviewer was."""
    if is_htmx():
        kind, firm_id, group = _queue_filters()
        page = services.queue_counts(g.actor, kind, firm_id, _queue_page_no())  # the count line
        return render("ledger/_decided.html", entry=row, error=error, status=status,
                      evidence={row.id: list(row.evidence.order_by(Evidence.id))},
                      filters=_queue_hidden(kind, firm_id, group, _queue_page_no()),
                      group=group, version_of=services.version_of, queue_at=page,
                      **year_service.label_context())
    if error:
        return render("error.html", code=status, message=error, status=status)
    if request.form.get("back") == "entry":
        return redirect_after_post(url_for("ledger.entry", entry_id=row.id))
    return redirect_after_post(_back_to_queue())


@ledger_bp.route("/review/<int:entry_id>/approve", methods=["POST"])
@access.roles_required(*REVIEWERS)
def approve(entry_id):
    """Approve one entry."""
    row = _reviewable_entry(entry_id)
    try:
        row = services.approve(g.actor, row, request.form.get("version"))
    except DomainError as exc:
        return _decided(row, exc.message, exc.status)
    if not is_htmx():
        flash(_("Approved: %(name)s, %(what)s.", name=row.user.name,
                what=services.KIND_LABELS[row.kind]), "success")
    return _decided(row)


@ledger_bp.route("/review/<int:entry_id>/decline", methods=["POST"])
@access.roles_required(*REVIEWERS)
def decline(entry_id):
    """Decline one entry with a reason."""
    row = _reviewable_entry(entry_id)
    try:
        row = services.decline(g.actor, row, request.form.get("reason"),
                               request.form.get("version"))
    except DomainError as exc:
        return _decided(row, exc.message, exc.status)
    if not is_htmx():
        flash(_("Declined: %(name)s, %(what)s. They were told why.", name=row.user.name,
                what=services.KIND_LABELS[row.kind]), "success")
    return _decided(row)


def _picks():
    picks = []
    for value in request.form.getlist("pick")[:500]:
        entry_id, _sep, version = value.partition(":")
        try:
            picks.append((access.object_id(entry_id), version or None))
        except ValueError:
            continue
    return picks


@ledger_bp.route("/review/bulk", methods=["POST"])
@access.roles_required(*REVIEWERS)
def bulk_approve():
    """Approve the ticked entries together."""
    if not services.reviews_anything(g.actor):
        abort(403)
    picks = _picks()
    approved, skipped = services.bulk_approve(g.actor, picks)
    if not approved:
        message = (_("Tick the entries to approve first.") if not picks else
                   _("None of the ticked entries could be approved: they were decided "
                     "already or changed. Check them again."))
        if is_htmx():
            return render("ledger/review.html", "ledger/_queue.html", status=400,
                          bulk_error=message, **_queue_context())
        return render("error.html", code=400, message=message, status=400)
    flash(ngettext("Approved %(num)d entry.", "Approved %(num)d entries.", approved) + (" " + ngettext(
        "%(num)d could not be approved: it was decided already or changed.",
        "%(num)d could not be approved: they were decided already or changed.", skipped)
        if skipped else ""), "success")
    if is_htmx():
        return render("ledger/review.html", "ledger/_queue.html", **_queue_context())
    return redirect_after_post(_back_to_queue())


# ------------------------------------------------------------------ county rules

@ledger_bp.route("/rules", methods=["GET", "POST"])
@access.roles_required("county_admin")
def rules():
    """The county's review rules for a year."""
    county = access.counties(g.actor).where(access.Region.id == g.actor.grant.region_id).get()
    today = local_today()
    years = [today.year + 1, today.year, today.year - 1]
    year = request.values.get("year", type=int) or today.year
    if year not in years:
        year = today.year
    rule = services.rule_for(county.id, year)
    error = field = None
    data = {"max_public_hours_per_day": rule.max_public_hours_per_day,
            "outside_education_cap": rule.outside_education_cap,
            "education_needs_evidence": rule.education_needs_evidence,
            "director_reviews": rule.director_reviews}
    if request.method == "POST":
        data = request.form
        try:
            services.save_rule(g.user, county, year, services.clean_rule(request.form))
        except DomainError as exc:
            error, field = exc.message, exc.field
        else:
            flash(_("Saved the rules for %(year)d.", year=year), "success")
            return redirect_after_post(url_for("ledger.rules", year=year))
    return render("ledger/rules.html", county=county, year=year, years=years, data=data,
                  saved=rule.id is not None, error=error, field=field,
                  status=400 if error else 200)


# ------------------------------------------------------------------ My year

def _year_arg(today, first_year):
    year = request.args.get("year", type=int) or today.year
    return min(max(year, first_year), today.year)


@ledger_bp.route("/year")
@access.roles_required("practitioner")
def my_year():
    """Progress toward each target and the year's ledger, newest first, with filters."""
    user = g.user
    today = local_today()
    years = year_service.years_for(user, today)
    year = _year_arg(today, years[-1])
    kind = request.args.get("kind")
    kind = kind if kind in services.KIND_GROUPS else None
    status = request.args.get("status")
    status = status if status in year_service.STATUS_FILTERS else None
    page = max(1, min(request.args.get("page", type=int) or 1, 1000))
    as_of = min(today, datetime.date(year, 12, 31))
    progress = targets.progress_for([user], year, as_of).get(user.id, [])
    rows, more = year_service.page_of(g.actor, user, year, kind, status, page)
    # Attended, credited nothing: with the trainings' lines (education, any status, page 1).
    zero = []
    if page == 1 and kind in (None, "education") and status is None:
        for row in year_service.uncredited(user, year):
            credit = attendance.assess_credit(row.training, row)
            zero.append((row, credit, attendance.reasons_text(credit.reasons)))
    return render("ledger/year.html", "ledger/_year_list.html", year=year, years=years,
                  uncredited=zero,
                  progress=progress, rows=rows, more=more, page_no=page, kind=kind, status_filter=status,
                  counts=year_service.counts(user, year), as_of=as_of, today=today,
                  sources=year_service.source_labels(rows, user.id),
                  metric_kind=services.METRIC_KIND, **year_service.label_context())


@ledger_bp.route("/year/<int:year>/summary")
@access.roles_required("practitioner")
def summary(year):
    """A one-page annual summary for the annual assessment (printable)."""
    today = local_today()
    if year > today.year or year < 2000:
        abort(404)
    return render("ledger/summary.html",
                  **year_service.summary(g.user, year, today), **year_service.label_context())


@ledger_bp.route("/year/<int:year>/summary.xlsx")
@access.roles_required("practitioner")
def summary_xlsx(year):
    """The annual summary as an Excel workbook."""
    today = local_today()
    if year > today.year or year < 2000:
        abort(404)
    data = year_service.summary(g.user, year, today)
    name = _("Annual summary %(year)d %(name)s", year=year, name=g.user.name) + ".xlsx"
    return xlsx_response(name, year_service.summary_workbook(data))
