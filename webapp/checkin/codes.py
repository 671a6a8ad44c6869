"""Stateless rotating check-in codes: an HMAC of the subject's secret and the time slice.

A subject is a training (/c/<id>/...) or a party activity (/c/a/<id>/...); each has its own
`secret` and `rotation_seconds`, so a code of one can never pass for another's. Any server
process can check a code from the secret alone; nothing is stored per code, and reloading
the projector never invalidates one (unlike pre-generated batches).
"""
import hashlib
import hmac
import math
import re
import time
from dataclasses import dataclass

PURPOSES = ("in", "out", "static")
MAC_CHARS = 16            # 64 bits of the HMAC, as hex: short enough for a small QR
TYPED_SLICE_SECONDS = 30  # the 6-digit code lives longer so there is time to type it
EXPIRED_TYPED_SLICES = 20  # a typed code shown up to 10 minutes ago is "expired", not "wrong"
GRACE_SECONDS = 5         # a previous-slice code used later than this after its slice is flagged
STATIC_SLICE = 0          # the printable code has no time slice; the training's windows bound it

KINDS = {"training": "/c/", "activity": "/c/a/"}   # a subject kind and its URL prefix
URL_RE = re.compile(r"/c/(a/)?(\d{1,10})/(in|out|static)/(\d{1,12})/([0-9a-f]{%d})/?$" % MAC_CHARS)


def now_seconds():
    """Return the current Unix time as a float (a seam for tests)."""
    return time.time()


def _digest(secret, message):
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def slice_of(unix_time, rotation_seconds):
    """Return the time slice a moment falls in."""
    return math.floor(unix_time / rotation_seconds)


def mac(secret, purpose, slice_no):
    """Return the truncated HMAC for a purpose and a slice."""
    return _digest(secret, f"{purpose}:{slice_no}")[:MAC_CHARS]


def typed_code(secret, purpose, slice_no):
    """Return the 6-digit typed code for a purpose and a 30-second slice."""
    return "%06d" % (int(_digest(secret, f"code:{purpose}:{slice_no}")[:8], 16) % 1_000_000)


@dataclass(frozen=True)
class Code:
    """A code as read from a URL: which subject, for what, which slice, and its MAC."""
    subject_id: int
    purpose: str
    slice_no: int
    mac: str
    kind: str = "training"


def current_code(subject, purpose, unix_time=None, kind="training"):
    """Return the Code a projector shows now for the subject."""
    unix_time = now_seconds() if unix_time is None else unix_time
    slice_no = slice_of(unix_time, subject.rotation_seconds)
    return Code(subject.id, purpose, slice_no, mac(subject.secret, purpose, slice_no), kind)


def static_code(training):
    """Return the printable code (valid only inside the training's windows)."""
    return Code(training.id, "static", STATIC_SLICE, mac(training.secret, "static", STATIC_SLICE))


def path_of(code):
    """Return the URL path a code is carried in."""
    return f"{KINDS[code.kind]}{code.subject_id}/{code.purpose}/{code.slice_no}/{code.mac}"


def parse(text):
    """Read a Code from a scanned URL or path; None when it is not one of ours."""
    match = URL_RE.search((text or "").strip().split("?")[0].split("#")[0])
    if not match:
        return None
    kind = "activity" if match.group(1) else "training"
    return Code(int(match.group(2)), match.group(3), int(match.group(4)), match.group(5), kind)


def authentic(secret, code):
    """Say whether the code's MAC was made with this secret (constant-time)."""
    if code.purpose not in PURPOSES:
        return False
    if code.purpose == "static" and code.slice_no != STATIC_SLICE:
        return False
    return hmac.compare_digest(mac(secret, code.purpose, code.slice_no), code.mac)


# Verification outcomes for a rotating code at a moment.
FRESH, STALE, EXPIRED, FUTURE, FORGED = "fresh", "stale", "expired", "future", "forged"


def check(subject, code, unix_time=None):
    """Check a code against its subject at a moment: fresh, stale (flag), expired, future, forged.

    Accepts the current and the previous slice only; a previous-slice code used more than
    GRACE_SECONDS after its slice ended is still accepted but comes back 'stale' to be flagged.
    """
    if code.subject_id != subject.id or not authentic(subject.secret, code):
        return FORGED
    if code.purpose == "static":
        return FRESH
    unix_time = now_seconds() if unix_time is None else unix_time
    rotation = subject.rotation_seconds
    current = slice_of(unix_time, rotation)
    if code.slice_no == current:
        return FRESH
    if code.slice_no == current - 1:
        ended = (code.slice_no + 1) * rotation
        return STALE if unix_time - ended > GRACE_SECONDS else FRESH
    if code.slice_no > current:
        return FUTURE  # the projector keeps the server's clock, so this is not drift
    return EXPIRED


def slice_matches(subject, code, unix_time):
    """Say whether a claimed scan time falls in the code's slice (or the next, for delivery)."""
    if code.purpose == "static":
        return True
    current = slice_of(unix_time, subject.rotation_seconds)
    return code.slice_no in (current, current - 1)


def match_typed(subject, typed, unix_time=None, back=(0, 1)):
    """Return the purpose ('in' or 'out') whose current or previous typed code matches, else None.

    `back` names the slices to try, counted back from the current one.
    """
    typed = re.sub(r"[^0-9]", "", typed or "")  # ASCII digits only: compare_digest takes no other str
    if len(typed) != 6:
        return None
    unix_time = now_seconds() if unix_time is None else unix_time
    current = slice_of(unix_time, TYPED_SLICE_SECONDS)
    for purpose in ("in", "out"):
        for slice_no in (current - n for n in back):
            if hmac.compare_digest(typed_code(subject.secret, purpose, slice_no), typed):
                return purpose
    return None


def was_typed_code(subject, typed, unix_time=None):
    """Return the purpose of a typed code shown in the last EXPIRED_TYPED_SLICES, else None.

    It tells a code typed too late (expired) from a number no screen showed (mistyped).
    """
    return match_typed(subject, typed, unix_time, range(2, EXPIRED_TYPED_SLICES + 1))
