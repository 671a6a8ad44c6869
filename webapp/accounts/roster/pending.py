"""Between preview and confirmation: the rows that passed, kept in a file only one confirmation takes.

The file sits under UPLOAD_DIR/imports/, named by a random token and the administrator's user
id; taking it is an atomic rename, so a second confirmation finds nothing to take.
"""
import json
import os
import re
import secrets
import time

from flask_babel import gettext as _

from ...errors import Conflict, DomainError

PENDING_SECONDS = 2 * 3600
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class PendingNotFound(DomainError):
    """No preview waits under this token for this administrator."""

    status = 404


def _imports_dir(upload_dir):
    path = os.path.join(upload_dir, "imports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _pending_path(upload_dir, user_id, token, suffix=".json"):
    if not TOKEN_RE.match(token or ""):
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again."))
    return os.path.join(_imports_dir(upload_dir), f"{int(user_id)}-{token}{suffix}")


def _purge_old(folder):
    """Delete previews and markers older than the time a preview stays valid."""
    cutoff = time.time() - PENDING_SECONDS
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass


def save_pending(upload_dir, user, county, filename, result):
    """Keep the rows that passed, under a new token bound to the user and county; return it."""
    folder = _imports_dir(upload_dir)
    _purge_old(folder)
    token = secrets.token_urlsafe(24)
    payload = {
        "user": user.id, "county": county.id, "created": time.time(),
        "filename": filename, "rows_in_file": len(result.rows),
        "errors_at_preview": len(result.invalid),
        "rows": [[row.line, row.values] for row in result.valid],
    }
    path = _pending_path(upload_dir, user.id, token)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(temporary, path)
    return token


def claim(upload_dir, user, county, token):
    """Take the preview for this import, so that no second confirmation can; return (path, data)."""
    path = _pending_path(upload_dir, user.id, token)
    claimed = path + ".claimed"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        done = _pending_path(upload_dir, user.id, token, ".done")
        if os.path.exists(done):
            raise Conflict(_("This roster was already imported. Nothing more was changed.")) from None
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again.")) from None
    with open(claimed, encoding="utf-8") as fh:
        payload = json.load(fh)
    if payload.get("user") != user.id or payload.get("county") != county.id:
        os.rename(claimed, path)
        raise PendingNotFound(_("This import was not found. It may have expired; "
                                "upload the file again."))
    if time.time() - payload.get("created", 0) > PENDING_SECONDS:
        os.remove(claimed)
        raise PendingNotFound(_("This preview has expired. Upload the file again."))
    return claimed, payload




def give_back(claimed):
    """Put a taken preview back, so the administrator can confirm it again."""
    os.rename(claimed, claimed[:-len(".claimed")])


def mark_done(claimed, user, created):
    """Replace a taken preview by a marker saying it was imported."""
    done = claimed[:-len(".json.claimed")] + ".done"
    with open(done, "w", encoding="utf-8") as fh:
        json.dump({"user": user.id, "created": created}, fh)
    os.remove(claimed)
