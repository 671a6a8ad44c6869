"""The inbox page (every message to the person, newest first, each opened once to mark it read)
and the person's switches for each kind of message (on the Me page)."""
from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from peewee import DatabaseError

from .. import access
from ..accounts.views import safe_next
from ..web import redirect_after_post, render
from . import due, inbox

inbox_bp = Blueprint("inbox", __name__, url_prefix="/inbox")


@inbox_bp.app_template_global()
def inbox_unread():
    """How many of the signed-in person's messages are unread (counted once a request)."""
    if g.get("user") is None:
        return 0
    if "inbox_unread" not in g:
        try:
            g.inbox_unread = inbox.unread_count(g.user)
        except DatabaseError:
            # The header's badge must not break a page, above all the error page of a
            # request whose database failed.
            current_app.logger.warning("unread count failed", exc_info=True)
            g.inbox_unread = 0
    return g.inbox_unread


@inbox_bp.app_template_global()
def inbox_switches():
    """The Me page's switches: (name, words, on) for each switch offered to the person."""
    offered = due.offered_switches(g.get("actor"), g.get("user"))
    off = inbox.switches_off(g.user) if offered else set()
    return [(name, inbox.SWITCH_LABELS[name], name not in off) for name in offered]


@inbox_bp.route("/")
@access.login_required
def index():
    """The person's messages, newest first, a page at a time; unread ones marked."""
    page = max(1, min(request.args.get("page", type=int) or 1, 1000))
    rows, more = inbox.page_of(g.user, page)
    return render("inbox/index.html", "inbox/_list.html", rows=rows, more=more, page_no=page,
                  unread=inbox_unread())


@inbox_bp.route("/<int:notification_id>", endpoint="open")
@access.login_required
def open_note(notification_id):
    """Mark one of my messages read and go to the page it is about (a path of this site)."""
    note = inbox.open_note(g.user, notification_id)
    if note is None:
        abort(404)
    return redirect(safe_next(note.link) or url_for("inbox.index"))


@inbox_bp.route("/read", methods=["POST"])
@access.login_required
def read_all():
    """Mark all my messages read."""
    inbox.mark_all_read(g.user)
    flash(_("All messages are marked read."), "success")
    return redirect_after_post(url_for("inbox.index"))


@inbox_bp.route("/switches", methods=["POST"])
@access.login_required
def switches():
    """Keep the kinds of message I chose on and the other kinds offered to me off."""
    chosen = set(request.form.getlist("on"))
    if chosen - set(inbox.SWITCHES):
        return render("error.html", code=400, status=400,
                      message=_("Choose among the kinds of message listed on the Me page."))
    offered = due.offered_switches(g.get("actor"), g.get("user"))
    inbox.set_switches(g.user, chosen & set(offered), offered)
    flash(_("Your choice of messages is saved."), "success")
    return redirect_after_post(url_for("auth.me", _anchor="switches"))
