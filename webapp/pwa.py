"""The service worker, the manifest and the offline page, served from the site root."""
import json

from flask import Blueprint, current_app, make_response, render_template, send_from_directory, url_for

pwa_bp = Blueprint("pwa", __name__)

# Files the service worker keeps for offline use; pages with people's data are never precached.
# The Scan tab's files are here so the tab works without network (sw.js keeps the page itself
# on visit, per person, and drops it on every sign-in and sign-out).
SHELL = [
    "css/app.css",
    "js/app.js",
    "js/ledger.js",
    "vendor/htmx/htmx.min.js",
    "css/trainings.css",
    "js/scanner.js",
    "vendor/jsqr/jsQR.js",
    "icons/icon-192.png",
    "icons/favicon-32.png",
    "manifest.webmanifest",
]


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
        "__SCAN__", json.dumps(url_for("trainings.scanner"))).replace(
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
