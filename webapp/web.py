"""Web helpers every view shares: page or fragment, redirects, form data, ids, the client's address."""
from flask import current_app, has_request_context, make_response, redirect, render_template, request

MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; SQLite raises OverflowError above 2**63


def is_htmx():
    """Say whether this request came from htmx."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment():
    """Say whether to answer with the fragment only (htmx, not boosted, not a history restore)."""
    return (is_htmx() and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page, fragment=None, status=200, **context):
    """Render the page, or only its fragment for an htmx request; vary on HX-Request."""
    template = fragment if (fragment and wants_fragment()) else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(url):
    """Answer a successful POST: 303 for browsers, HX-Redirect for htmx."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


class FormData(dict):
    """The submitted form as a dict with getlist(), so a template reads one shape."""

    def __init__(self, form):
        super().__init__({k: form.get(k) for k in form.keys()})
        self._lists = {k: form.getlist(k) for k in form.keys()}

    def getlist(self, key):
        return self._lists.get(key, [])


def object_id(value):
    """Parse an id a browser sent (ASCII digits that fit an id column), or raise ValueError."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValueError(f"not an id: {value!r}")
    return int(text)


def client_address():
    """Return the client's address (the first proxy hop when behind one that we trust), or ''."""
    if not has_request_context():
        return ""
    if current_app.config.get("TRUST_PROXY"):
        return request.headers.get("X-Forwarded-For", "").split(",")[0].strip() or request.remote_addr
    return request.remote_addr or ""
