"""Web Push endpoints for the page's script (static/js/push.js): the public key, subscribing
this phone, and turning it off. They answer JSON; the CSRF header is checked like any POST."""
from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _

from .. import access
from ..errors import DomainError
from . import services, vapid

push_bp = Blueprint("push", __name__, url_prefix="/push")


@push_bp.route("/key")
def key():
    """The VAPID public key a browser subscribes with."""
    response = jsonify(publicKey=vapid.public_key(current_app.config))
    response.headers["Cache-Control"] = "no-cache"
    return response


@push_bp.route("/subscribe", methods=["POST"])
@access.login_required
def subscribe():
    """Keep this phone's push subscription for the person signed in on it."""
    try:
        clean = services.clean_subscription(request.get_json(silent=True),
                                            current_app.config.get("PUSH_ENDPOINT_ANY_HOST"))
    except DomainError as exc:
        return jsonify(error=exc.message, field=exc.field), exc.status
    if request.get_json(silent=True).get("refresh") is True:
        # The page sends what the browser holds on each visit: keep it current, but only for
        # the person who turned it on (not after they signed out of this phone).
        if not services.refresh(g.user, clean):
            return jsonify(error=_("Notifications are off for this phone."), field="endpoint"), 404
        return jsonify(ok=True), 200
    services.subscribe(g.user, g.get("session_token"), clean, request.user_agent.string)
    return jsonify(ok=True), 201


@push_bp.route("/unsubscribe", methods=["POST"])
@access.login_required
def unsubscribe():
    """Turn push off for this phone (only one's own subscription)."""
    data = request.get_json(silent=True)
    try:
        removed = services.unsubscribe(g.user, data.get("endpoint") if isinstance(data, dict)
                                       else None)
    except DomainError as exc:
        return jsonify(error=exc.message, field=exc.field), exc.status
    return jsonify(ok=True, removed=removed), 200
