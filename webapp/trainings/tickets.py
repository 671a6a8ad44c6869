"""The signed scan ticket kept in the session between a scan and its confirmation, shared by
trainings (/c/...) and party activities (/c/a/...). Each keeps its own session key and salt, so
a training ticket never reads as an activity ticket and the other way round."""
import datetime

from flask import current_app, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from . import qr

TICKET_MINUTES = 10


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.secret_key, salt=salt)


def write_ticket(session_key, salt, subject_id, code):
    """Keep the scanned code and the scan time (now) in the session, signed."""
    session[session_key] = _serializer(salt).dumps(
        [subject_id, code.purpose, code.slice_no, code.mac, qr.now_seconds()])


def read_ticket(session_key, salt, max_age=TICKET_MINUTES * 60):
    """Return (code, scanned_at) from the signed ticket in the session, or None."""
    raw = session.get(session_key)
    if not raw:
        return None
    try:
        subject_id, purpose, slice_no, mac, at = _serializer(salt).loads(raw, max_age=max_age)
    except (BadSignature, ValueError, TypeError):
        return None
    scanned = datetime.datetime.fromtimestamp(at, datetime.UTC).replace(tzinfo=None)
    return qr.Code(int(subject_id), purpose, int(slice_no), mac), scanned


def minutes_left(scanned_at, now):
    """Whole minutes the ticket is still kept (at least 1, for the 'sign in to finish' note)."""
    return max(TICKET_MINUTES - int((now - scanned_at).total_seconds() // 60), 1)
