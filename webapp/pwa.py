"""The service worker, the manifest and the offline page, served from the site root."""
import functools
import json

from flask import (Blueprint, current_app, make_response, render_template, request,
                   send_from_directory, session, url_for)

from .web import is_htmx

pwa_bp = Blueprint("pwa", __name__)

# Files the service worker keeps for offline use; pages with people's data are never precached.
# The kept pages' files (see KEPT_PAGES) are here so those pages work without network (sw.js
# keeps the pages themselves on visit, per person, and drops them on every sign-in and sign-out).
SHELL = [
    "css/app.css",
    "vendor/htmx/htmx.min.js",
    "js/core.js",
    "js/outbox.js",
    "js/ledger.js",
    "js/offline.js",
    "css/trainings.css",
    "css/ledger.css",
    "js/scanner.js",
    # Not jsQR (257 KB): most phones read QR codes with their own BarcodeDetector, so the Scan
    # tab fetches it only where needed, and sw.js keeps it then (see the static files' branch).
    # Not the manifest nor its icons: the browser fetches those itself, under their own URLs.
    "icons/favicon-32.png",  # every page asks for it through sw.js: kept, it costs nothing
]

# The pages sw.js may keep for use without network, as (endpoint, arguments): the Scan tab, so
# a scan can be kept, and the Log tab with its three forms, so an entry can be kept. Each view
# is decorated with @keep_offline, and each page is kept only under its one URL. When one is
# kept, sw.js keeps the others it links to as well (the forms need not have been opened), and
# the offline page (offline.js) offers those kept on the phone.
KEPT_PAGES = [
    ("checkin.scanner", {}),
    ("ledger.log", {}),
    ("ledger.new", {"kind": "public_service"}),
    ("ledger.new", {"kind": "legal_aid"}),
    ("ledger.new", {"kind": "education"}),
]


def keep_offline(view):
    """Let the service worker keep this page (X-Keep-Offline: 1) when it is a plain visit: a
    whole page (not an htmx fragment) answered 200 to a GET without a query string (a training
    to expect, an entry just saved) and without a one-off message. Such a page holds only what
    its person sees on their own phone, and sw.js drops it at every sign-in and sign-out."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        plain = (request.method == "GET" and not request.args and not is_htmx()
                 and not session.get("_flashes"))  # read before the page takes the messages
        response = make_response(view(*args, **kwargs))
        if plain and response.status_code == 200:
            response.headers["X-Keep-Offline"] = "1"
        return response
    return wrapper


@pwa_bp.before_app_request
def warm_up_without_taking_messages():
    """Answer sw.js's warm-up of a page with 204 unless it is a kept page and no message waits."""
    # sw.js fetches the kept pages a kept page links to beside what the person does: rendering
    # a page then would take a one-off message meant for the person's next page.
    if request.headers.get("X-Keep-Warm") != "1":
        return None
    kept = {url_for(endpoint, **args) for endpoint, args in KEPT_PAGES}
    if request.method != "GET" or request.full_path.rstrip("?") not in kept or \
            session.get("_flashes"):
        return current_app.response_class(status=204)
    return None


@pwa_bp.route("/sw.js")
def service_worker():
    """Serve the service worker from the root so it controls every page."""
    version = current_app.config["STATIC_VERSION"]
    precache = [url_for("static", filename=f, v=version) for f in SHELL]
    precache.append(url_for("pwa.offline", v=version))
    with open(current_app.static_folder + "/js/sw.js", encoding="utf-8") as fh:
        body = fh.read()
    body = body.replace("__VERSION__", version).replace(
        "__PRECACHE__", json.dumps(precache)).replace(
        "__OFFLINE__", json.dumps(url_for("pwa.offline", v=version))).replace(
        "__KEEP__", json.dumps([url_for(endpoint, **args) for endpoint, args in KEPT_PAGES])).replace(
        "__SIGN__", json.dumps([url_for("auth.login"), url_for("auth.logout")]))
    response = make_response(body)
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@pwa_bp.route("/manifest.webmanifest")
def manifest():
    """Serve the web app manifest."""
    response = send_from_directory(current_app.static_folder, "manifest.webmanifest",
                                   mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_bp.route("/offline")
def offline():
    """The page shown when a page cannot be loaded (no personal data, safe to cache)."""
    response = make_response(render_template("pwa/offline.html", actor=None, current_user=None, offline_page=True))
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa_bp.route("/healthz")
def healthz():
    """A trivial endpoint for load balancers and benchmarks."""
    return {"ok": True}
