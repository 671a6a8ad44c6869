"""The scan ticket kept in the session between a scan and its confirmation.

The session cookie is signed, so the ticket needs no signature of its own: the client can
neither change the scan time nor make up a ticket, and the code in it is checked by its HMAC
again when the ticket is used. The ticket names its subject's kind (a training or a party
activity), lives TICKET_MINUTES from the scan, and a newer scan replaces it.
"""
import datetime

from flask import session

from . import codes

TICKET_MINUTES = 10
SESSION_KEY = "scan"


def write_ticket(code):
    """Keep the scanned code and the scan time (now) in the session."""
    session[SESSION_KEY] = [code.kind, code.subject_id, code.purpose, code.slice_no, code.mac,
                            round(codes.now_seconds(), 3)]


def read_ticket(max_age=TICKET_MINUTES * 60):
    """Return (code, scanned_at) from the ticket in the session, or None if none is usable."""
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, list) or len(raw) != 6:
        return None
    kind, subject_id, purpose, slice_no, mac, at = raw
    if not (kind in codes.KINDS and isinstance(subject_id, int) and isinstance(slice_no, int)
            and isinstance(mac, str) and purpose in codes.PURPOSES
            and isinstance(at, (int, float))):
        return None
    if not 0 <= codes.now_seconds() - at <= max_age:
        return None
    scanned = datetime.datetime.fromtimestamp(at, datetime.UTC).replace(tzinfo=None)
    return codes.Code(subject_id, purpose, slice_no, mac, kind), scanned


def drop_ticket():
    """Forget the ticket (it is used once)."""
    session.pop(SESSION_KEY, None)


def minutes_left(scanned_at, now):
    """Whole minutes the ticket is still kept (at least 1, for the 'sign in to finish' note)."""
    return max(TICKET_MINUTES - int((now - scanned_at).total_seconds() // 60), 1)
