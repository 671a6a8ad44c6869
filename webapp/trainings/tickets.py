"""The scan ticket kept in the session between a scan and its confirmation, shared by trainings
(/c/...) and party activities (/c/a/...). Each keeps its own session key, so a training ticket
never reads as an activity ticket and the other way round.

The session cookie is signed, so the ticket needs no signature of its own: the client can
neither change the scan time nor make up a ticket, and the code in it is checked by its HMAC
again when the ticket is used. The ticket lives TICKET_MINUTES from the scan.
"""
import datetime

from flask import session

from . import qr

TICKET_MINUTES = 10


def write_ticket(session_key, subject_id, code):
    """Keep the scanned code and the scan time (now) in the session."""
    session[session_key] = [subject_id, code.purpose, code.slice_no, code.mac,
                            round(qr.now_seconds(), 3)]


def read_ticket(session_key, max_age=TICKET_MINUTES * 60):
    """Return (code, scanned_at) from the ticket in the session, or None if none is usable."""
    raw = session.get(session_key)
    if not isinstance(raw, list) or len(raw) != 5:
        return None
    subject_id, purpose, slice_no, mac, at = raw
    if not (isinstance(subject_id, int) and isinstance(slice_no, int) and isinstance(mac, str)
            and purpose in qr.PURPOSES and isinstance(at, (int, float))):
        return None
    if not 0 <= qr.now_seconds() - at <= max_age:
        return None
    scanned = datetime.datetime.fromtimestamp(at, datetime.UTC).replace(tzinfo=None)
    return qr.Code(subject_id, purpose, slice_no, mac), scanned


def minutes_left(scanned_at, now):
    """Whole minutes the ticket is still kept (at least 1, for the 'sign in to finish' note)."""
    return max(TICKET_MINUTES - int((now - scanned_at).total_seconds() // 60), 1)
