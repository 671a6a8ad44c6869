"""One URL, full page or fragment: the small htmx helper every view uses."""
from flask import make_response, redirect, render_template, request


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
