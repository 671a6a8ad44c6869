"""The Flask application factory: config, database, Babel, security, blueprints, CLI."""
import hashlib
import os

from flask import Flask, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_compress import Compress
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from . import cli
from . import config as config_module
from . import db as db_module
from . import i18n, security
from .access import home_endpoint, load_actor
from .accounts import audit_views  # noqa: F401  (its routes join admin_bp)
from .accounts import roster_views  # noqa: F401  (its routes join admin_bp)
from .accounts.views import admin_bp, auth_bp
from .branches.views import branches_bp
from .errors import DomainError
from .ledger.views import ledger_bp
from .push.inbox_views import inbox_bp
from .push.views import push_bp
from .pwa import pwa_bp
from .reports.bulletin_views import bulletins_bp
from .reports.inspection_views import inspections_bp
from .reports.selection_views import selection_bp
from .reports.views import reports_bp
from .quality.complaint_views import bp as complaints_bp
from .quality.rating_views import bp as ratings_bp
from .quality.village_views import bp as villages_bp
from .study.manage_views import bp as study_manage_bp
from .study.views import bp as study_bp
from .targets import assessment_views  # noqa: F401  (its routes join home_bp)
from .targets import city_views  # noqa: F401  (its routes join home_bp)
from .targets import target_views  # noqa: F401  (its routes join admin_bp)
from .targets.views import home_bp
from .checkin.views import checkin_bp
from .trainings import category_views  # noqa: F401  (its routes join trainings_bp)
from .trainings.views import trainings_bp
from .web_request import WebRequest

# Text goes out compressed (Flask-Compress): brotli where the browser takes it, else gzip, at a
# modest brotli quality (2 cores). Photos, xlsx and other binary files are left as they are.
# Static files are kept by browser and service worker (see security.py for their cache headers).
COMPRESSION = {
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_MIN_SIZE": 500,
    "COMPRESS_MIMETYPES": ["text/html", "text/css", "text/javascript", "application/javascript",
                           "application/json", "application/manifest+json", "image/svg+xml",
                           "text/plain", "text/csv"],
    # Streams are sent as they are: a static text file is read whole first (_whole_text_file).
    "COMPRESS_STREAMS": False,
}
FILE_ENDPOINTS = ("static", "pwa.manifest")


def create_app(overrides=None):
    """Build the app: config, database, Babel, security, blueprints, CLI."""
    app = Flask(__name__, template_folder=str(config_module.ROOT / "templates"),
                static_folder=str(config_module.ROOT / "static"))
    app.request_class = WebRequest  # NUL stripped, unreadable JSON a 400 (web_request.py)
    app.url_map.converters["int"] = IdConverter
    app.config.update(config_module.load(overrides))
    db_module.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    for key, value in COMPRESSION.items():
        app.config.setdefault(key, value)
    Compress(app)
    app.after_request(_whole_text_file)  # registered after, so it runs before Compress's

    app.before_request(load_actor)
    # The locale depends on the user, so the actor must load before anything renders;
    # before_request functions run in registration order and the db hook came first.

    for bp in (auth_bp, admin_bp, home_bp, pwa_bp, trainings_bp, checkin_bp, ledger_bp, branches_bp,
               reports_bp, inspections_bp, bulletins_bp, selection_bp, push_bp, inbox_bp,
               study_bp, study_manage_bp, ratings_bp, complaints_bp, villages_bp):
        app.register_blueprint(bp)

    cli.init_app(app)

    @app.context_processor
    def _globals():
        actor = g.get("actor")
        return {"actor": actor, "current_user": g.get("user"),
                "home_endpoint": home_endpoint(actor) if actor else None,
                "static_version": app.config.get("STATIC_VERSION", "")}

    @app.errorhandler(DomainError)
    def _domain_error(error):
        return render_template("error.html", code=error.status, message=error.message), error.status

    @app.errorhandler(HTTPException)
    def _http_error(error):
        if error.code is None or error.code < 400:
            return error
        messages = {
            400: _("Something in the request was not right."),
            401: _("Please sign in again."),
            403: _("You do not have access to this page."),
            404: _("This page does not exist, or you cannot see it."),
            405: _("This action is not possible here."),
            413: _("The file is too large."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        message = error.description if g.get("csrf_failed") else messages.get(
            error.code, _("Something went wrong."))
        if error.code == 413:
            message = messages[413]
        response = app.make_response((render_template(
            "error.html", code=error.code, message=message), error.code))
        if error.code == 401 and request.headers.get("HX-Request") == "true":
            response.headers["HX-Redirect"] = url_for("auth.login")
        return response

    @app.errorhandler(Exception)
    def _unexpected(error):
        app.logger.exception("unexpected error")
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        return render_template("error.html", code=500, message=_(
            "Something went wrong on our side. Your data is safe; try again in a moment.")), 500

    _set_static_version(app)
    return app


def _whole_text_file(response):
    """Read a whole static text file into the response, so that Flask-Compress compresses it
    (with its ETag) and the file is closed; a 304 or a range of bytes stays as it is."""
    if (request.endpoint in FILE_ENDPOINTS and response.status_code == 200
            and response.is_streamed
            and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]):
        response.direct_passthrough = False
        response.make_sequence()
    return response


class IdConverter(IntegerConverter):
    """An <int:...> URL part that fits a database id, so /x/99999999999999999999 is a 404."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)  # ids are 32-bit on PostgreSQL; SQLite fails above 2**63
        super().__init__(url_map, *args, **kwargs)


def _set_static_version(app):
    """Derive a version from the static files' contents so the service worker's cache follows them."""
    digest = hashlib.sha1()
    for root in (app.static_folder, os.path.join(app.template_folder, "pwa")):
        for folder, _dirs, files in sorted(os.walk(root)):
            for name in sorted(files):
                with open(os.path.join(folder, name), "rb") as fh:
                    digest.update(name.encode() + fh.read())
    app.config["STATIC_VERSION"] = digest.hexdigest()[:10]
