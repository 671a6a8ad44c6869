"""Satisfaction ratings by the people served: signed single-use codes, the desk card, the
rating itself, the practitioner's and the firm's summaries, and the figures for a county.

A code is stateless until it is used: it carries the practitioner, the entry (none for a desk
card's code), the moment it was made and a random key, under an HMAC of the app's secret. It
lasts RATING_CODE_DAYS; the rating row keeps its key, unique, so a code rates once. A desk card
carries only the practitioner under another HMAC and never expires: each scan of it makes a
fresh code. Scans of cards and ratings are counted per client address for the limits, as the
sign-in counts failures (LoginAttempt rows), with the address kept only as a keyed hash and
the rows removed after a day. The rating row holds nothing about the person who rated.
"""
import base64
import datetime
import hashlib
import hmac
import re
import secrets
import struct
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from peewee import JOIN, Case, IntegrityError, fn

from ..accounts.models import Firm, LoginAttempt, RoleGrant, User
from ..accounts.services import RateLimited, attempts_wait
from ..db import db, utcnow, write_transaction
from ..errors import DomainError, NotAllowed
from ..i18n import to_local, to_utc
from ..inputs import clean_text
from ..ledger.models import Entry
from ..push.inbox import notify
from .rating_models import SCORES, USEFUL, Rating

ASKABLE_KINDS = ("public_service", "legal_aid")
ASKABLE_STATUSES = ("pending", "approved")
COMMENT_MAX = 500
LOW_SCORE = 2           # a rating of this or less is flagged to the firm's director
LOW_KIND = "rating_low"

# Defaults of the settings (config RATING_*).
CODE_DAYS = 7
MAX_PER_ADDRESS = 20        # ratings sent from one address in the window
CARD_MAX_PER_ADDRESS = 10   # desk-card scans from one address in the window
WINDOW_MINUTES = 60
CARD_MAX_PER_DAY = 60       # codes one desk card makes in a day, from anywhere
KEEP_COUNTS = datetime.timedelta(days=1)

# Counting rows (LoginAttempt): keys with a space, which no typed login has (see
# accounts.services), all starting "rating " so they can be cleared together.
SENT_ACCOUNT = "rating sent"
SENT_ADDRESS = "rating sent "
SCAN_ADDRESS = "rating scan "
CARD_ACCOUNT = "rating card:"
COUNT_PREFIX = "rating "

# A code: user id, entry id (0: none), unix seconds made, random key; then 12 bytes of MAC.
_PAYLOAD = struct.Struct(">IIIQ")
_MAC_BYTES = 12
CODE_LENGTH = 43            # 32 bytes in base64url without padding
_CODE_RE = re.compile(r"[A-Za-z0-9_-]{%d}" % CODE_LENGTH)
# A desk card: user id, then 10 bytes of MAC.
_CARD = struct.Struct(">I")
_CARD_MAC_BYTES = 10
CARD_LENGTH = 19            # 14 bytes in base64url without padding
_CARD_RE = re.compile(r"[A-Za-z0-9_-]{%d}" % CARD_LENGTH)
_FUTURE_SKEW = 300          # seconds a code's time may lie ahead of the server's clock

SCORE_LABELS = {
    1: _l("Very dissatisfied"),
    2: _l("Dissatisfied"),
    3: _l("Acceptable"),
    4: _l("Satisfied"),
    5: _l("Very satisfied"),
}
USEFUL_LABELS = {
    "yes": _l("Yes"),
    "partly": _l("Partly"),
    "no": _l("No"),
}


class CodeRefused(DomainError):
    """A rating code that is forged, expired or already used (`reason` says which)."""

    STATUS = {"forged": 404, "expired": 410, "used": 409, "retired": 410}

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason
        self.status = self.STATUS[reason]


@dataclass
class Ticket:
    """A valid, unused code: whose service it rates, which entry, its key and expiry."""
    practitioner: User
    entry: Entry
    key: str
    expires_at: datetime.datetime


# ------------------------------------------------------------------ settings and keys

def _setting(name, default):
    return current_app.config.get(name, default)


def code_days():
    """How many days a code lasts (config RATING_CODE_DAYS, 7 when unset)."""
    return int(_setting("RATING_CODE_DAYS", CODE_DAYS))


def _derived(purpose):
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def _mac(purpose, data, size):
    return hmac.new(_derived(purpose), data, hashlib.sha256).digest()[:size]


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text):
    """The bytes of canonical unpadded base64url text, else None."""
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        return None
    return data if _b64(data) == text else None


def address_key(address):
    """The client address as the counts keep it: a keyed hash, never the address."""
    digest = hmac.new(_derived(b"gl-rating-address:v1"), (address or "").encode(),
                      hashlib.sha256).hexdigest()
    return digest[:40]


# ------------------------------------------------------------------ codes

def make_code(practitioner, entry=None, now=None):
    """Return a fresh signed single-use code for a rating of the practitioner's service."""
    now = now or utcnow()
    seconds = int(now.replace(tzinfo=datetime.UTC).timestamp())
    payload = _PAYLOAD.pack(practitioner.id, entry.id if entry is not None else 0, seconds,
                            secrets.randbits(64))
    return _b64(payload + _mac(b"gl-rating-code:v1", payload, _MAC_BYTES))


def _forged():
    return CodeRefused("forged", _("This rating link is not valid. Ask for a new code."))


def read_code(code, now=None):
    """Return the Ticket of a valid unused code; raise CodeRefused otherwise."""
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        raise _forged()
    data = _unb64(code)
    if data is None or len(data) != _PAYLOAD.size + _MAC_BYTES:
        raise _forged()
    payload, mac = data[:_PAYLOAD.size], data[_PAYLOAD.size:]
    if not hmac.compare_digest(mac, _mac(b"gl-rating-code:v1", payload, _MAC_BYTES)):
        raise _forged()
    user_id, entry_id, seconds, nonce = _PAYLOAD.unpack(payload)
    now = now or utcnow()
    made = datetime.datetime.fromtimestamp(seconds, datetime.UTC).replace(tzinfo=None)
    if made > now + datetime.timedelta(seconds=_FUTURE_SKEW):
        raise _forged()
    expires_at = made + datetime.timedelta(days=code_days())
    if now >= expires_at:
        raise CodeRefused("expired", _("This rating code has expired. Ask for a new code."))
    key = f"{nonce:016x}"
    if Rating.select().where(Rating.key == key).exists():
        raise CodeRefused("used", _("This code has already been used for a rating. "
                                    "Thank you."))
    practitioner = _ratable(user_id)
    entry = None
    if entry_id:
        entry = Entry.get_or_none(Entry.id == entry_id, Entry.user == user_id)
        if entry is None:
            raise _forged()
        if entry.status not in ASKABLE_STATUSES:
            raise CodeRefused("retired", _("This service was withdrawn; it takes no ratings."))
        if _entry_full(entry):
            raise CodeRefused("used", _("This service has all the ratings its people served can "
                                        "give. Thank you."))
    return Ticket(practitioner, entry, key, expires_at)


def rating_cap(entry):
    """How many ratings one service may get: one for each person it served (at least one), so
    that a practitioner cannot fill a service with ratings by showing code after code."""
    return max(1, entry.people_served or 0) if entry.kind == "public_service" else 1


def _entry_full(entry):
    return Rating.select().where(Rating.entry == entry.id).count() >= rating_cap(entry)


def _ratable(user_id):
    """The practitioner a code or card names, while they can still be rated."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise _forged()
    if not user.active or user.firm_id is None:
        raise CodeRefused("retired", _("This person no longer takes ratings here."))
    return user


def expires_at(now=None):
    """When a code made now runs out (naive UTC)."""
    return (now or utcnow()) + datetime.timedelta(days=code_days())


# ------------------------------------------------------------------ asking for a rating

def askable(user, entry):
    """Say whether the person may ask for a rating of this entry: their own public service or
    legal-aid case, waiting for review or approved."""
    return (user is not None and entry is not None and entry.user_id == user.id
            and entry.kind in ASKABLE_KINDS and entry.status in ASKABLE_STATUSES
            and user.firm_id is not None)


def code_for_entry(user, entry):
    """Return a fresh code for one of the person's askable entries; raise NotAllowed."""
    if not askable(user, entry):
        raise NotAllowed(_("A rating can be asked only for your own public service or "
                           "legal-aid case that is waiting for review or approved."))
    return make_code(user, entry)


def card_token(user):
    """Return the desk card's token for a practitioner (it never expires)."""
    if user.firm_id is None:
        raise NotAllowed(_("Only a practitioner of a firm has a desk card."))
    data = _CARD.pack(user.id)
    return _b64(data + _mac(b"gl-rating-card:v1", data, _CARD_MAC_BYTES))


def read_card(token):
    """Return the practitioner a desk card names; raise CodeRefused otherwise."""
    if not isinstance(token, str) or not _CARD_RE.fullmatch(token):
        raise _forged()
    data = _unb64(token)
    if data is None or len(data) != _CARD.size + _CARD_MAC_BYTES:
        raise _forged()
    head, mac = data[:_CARD.size], data[_CARD.size:]
    if not hmac.compare_digest(mac, _mac(b"gl-rating-card:v1", head, _CARD_MAC_BYTES)):
        raise _forged()
    return _ratable(_CARD.unpack(head)[0])


# ------------------------------------------------------------------ limits

def _window():
    return datetime.timedelta(minutes=int(_setting("RATING_WINDOW_MINUTES", WINDOW_MINUTES)))


def _too_many():
    return RateLimited(_("Too many ratings from this network just now. Try again later."))


def check_rating_limit(address, now=None):
    """Raise RateLimited when this address sent too many ratings in the window."""
    wait = attempts_wait(LoginAttempt.address == SENT_ADDRESS + address_key(address),
                         int(_setting("RATING_MAX_ADDRESS", MAX_PER_ADDRESS)), _window(), now)
    if wait:
        raise _too_many()


def _count(account, address_prefix, address, now):
    LoginAttempt.create(account=account, address=address_prefix + address_key(address),
                        created_at=now)
    (LoginAttempt.delete()
     .where(LoginAttempt.created_at < now - KEEP_COUNTS,
            LoginAttempt.account.startswith(COUNT_PREFIX)).execute())


def code_from_card(token, address, now=None):
    """Make a fresh code for a scan of a desk card, within the limits; return it."""
    practitioner = read_card(token)
    now = now or utcnow()
    waits = [attempts_wait(LoginAttempt.address == SCAN_ADDRESS + address_key(address),
                           int(_setting("RATING_CARD_MAX_ADDRESS", CARD_MAX_PER_ADDRESS)),
                           _window(), now),
             attempts_wait(LoginAttempt.account == f"{CARD_ACCOUNT}{practitioner.id}",
                           int(_setting("RATING_CARD_MAX_DAY", CARD_MAX_PER_DAY)),
                           datetime.timedelta(days=1), now)]
    if any(waits):
        raise _too_many()
    with write_transaction():
        _count(f"{CARD_ACCOUNT}{practitioner.id}", SCAN_ADDRESS, address, now)
    return make_code(practitioner, None, now)


# ------------------------------------------------------------------ the rating

def clean_rating(form):
    """Return {score, useful, comment} from the rating form; raise DomainError (400)."""
    wrong_score = _("Choose how satisfied you are: a face from 1 to 5.")
    score = clean_text(form.get("score"), "score", _("Satisfaction"), 40, too_long=wrong_score)
    if score not in {str(s) for s in SCORES}:
        raise DomainError(wrong_score, field="score")
    wrong_useful = _("Say whether the advice was useful: yes, partly or no.")
    useful = clean_text(form.get("useful"), "useful", _("Useful"), 40, too_long=wrong_useful)
    if useful not in USEFUL:
        raise DomainError(wrong_useful, field="useful")
    comment = clean_text(form.get("comment"), "comment", _("Comment"), COMMENT_MAX,
                         multiline=True, too_long=_("The comment is too long (at most %(n)d "
                                                    "characters).", n=COMMENT_MAX))
    return {"score": int(score), "useful": useful, "comment": comment}


def rate(code, form, address, now=None):
    """Record the rating a code allows, once; flag a low one to the firm's director.

    Raise CodeRefused (forged, expired, used), RateLimited, or DomainError for the form.
    """
    now = now or utcnow()
    ticket = read_code(code, now)
    check_rating_limit(address, now)
    clean = clean_rating(form)
    with write_transaction():
        try:
            with db.atomic():
                rating = Rating.create(
                    key=ticket.key, entry=ticket.entry.id if ticket.entry else None,
                    practitioner=ticket.practitioner.id, firm=ticket.practitioner.firm_id,
                    created_at=now, **clean)
        except IntegrityError:
            raise CodeRefused("used", _("This code has already been used for a rating. "
                                        "Thank you.")) from None
        _count(SENT_ACCOUNT, SENT_ADDRESS, address, now)
        if rating.score <= LOW_SCORE:
            _flag_low(rating, ticket.practitioner)
    return rating


def directors_of(firm_id):
    """The active directors of a firm."""
    return list(User.select().join(RoleGrant, on=(RoleGrant.user == User.id))
                .where(RoleGrant.role == "director", RoleGrant.firm == firm_id,
                       User.active == True)  # noqa: E712
                .order_by(User.id).distinct())


def _flag_low(rating, practitioner):
    """Tell the firm's directors (other than the person rated) about a low rating."""
    for director in directors_of(rating.firm_id):
        if director.id == practitioner.id:
            continue
        with force_locale(director.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            message = _("A person served rated %(name)s's service %(score)d of 5.",
                        name=practitioner.name, score=rating.score)
            if rating.comment:
                message += " " + _("Comment: %(comment)s", comment=rating.comment)
        notify(director, LOW_KIND, message, url_for("ratings.firm"))


# ------------------------------------------------------------------ who sees which ratings

def seen(actor):
    """Ratings the actor may see: their own (practitioner), the firm's (director), their
    counties' (administrators)."""
    query = Rating.select()
    if actor is None:
        return query.where(False)
    if actor.role in ("county_admin", "city_admin"):
        return query.where(Rating.firm.in_(
            Firm.select(Firm.id).where(Firm.county.in_(actor.county_ids() or [0]))))
    if actor.role == "director":
        return query.where(Rating.firm == actor.grant.firm_id)
    if actor.role == "practitioner":
        return query.where(Rating.practitioner == actor.user.id)
    return query.where(False)


# ------------------------------------------------------------------ summaries and figures

def _utc_range(start, end):
    """Naive-UTC bounds [from, to) of the local days start..end."""
    return (to_utc(datetime.datetime.combine(start, datetime.time.min)),
            to_utc(datetime.datetime.combine(end + datetime.timedelta(days=1),
                                             datetime.time.min)))


def _aggregate(rows):
    """Figures from (score, useful, count) rows."""
    distribution = {score: 0 for score in SCORES}
    total = points = adopted = 0
    for score, useful, count in rows:
        distribution[score] += count
        total += count
        points += score * count
        if useful in ("yes", "partly"):
            adopted += count
    if not total:
        return {"ratings": 0, "average": None, "distribution": distribution,
                "adoption_rate": None}
    average = (Decimal(points) / total).quantize(Decimal("0.01"), ROUND_HALF_UP)
    rate_ = (Decimal(adopted) * 100 / total).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return {"ratings": total, "average": average, "distribution": distribution,
            "adoption_rate": rate_}


def _grouped(query):
    return (query.select(Rating.score, Rating.useful, fn.COUNT(Rating.id))
            .group_by(Rating.score, Rating.useful).tuples())


def figures_where(where, start, end):
    """Figures of the ratings `where` selects (a condition on Rating) made on local days
    start..end, in one query (a firm's: Rating.firm == id; a person's: Rating.practitioner)."""
    low, high = _utc_range(start, end)
    return _aggregate(_grouped(Rating.select().where(
        where, Rating.created_at >= low, Rating.created_at < high)))


def figures(county_ids, start, end):
    """Ratings of the counties' firms made on local days start..end, in one query.

    Return {"ratings": n, "average": Decimal|None, "distribution": {1: n, ..., 5: n},
    "adoption_rate": percent|None}; the adoption rate counts "yes" and "partly" (the advice
    was followed, at least in part) among all ratings.
    """
    return figures_where(Rating.firm.in_(
        Firm.select(Firm.id).where(Firm.county.in_(list(county_ids) or [0]))), start, end)


def summary(actor, start, end, comments=100):
    """The actor's ratings on local days start..end: the figures and the newest comments,
    each with its local month, score and answer only (nothing about the rater or the entry)."""
    low, high = _utc_range(start, end)
    query = seen(actor).where(Rating.created_at >= low, Rating.created_at < high)
    result = _aggregate(_grouped(query))
    rows = (query.select(Rating.score, Rating.useful, Rating.comment, Rating.created_at)
            .where(Rating.comment != "")
            .order_by(Rating.created_at.desc(), Rating.id.desc()).limit(comments))
    result["comments"] = [{"month": _month(r.created_at),
                           "score": r.score, "useful": r.useful, "comment": r.comment}
                          for r in rows]
    return result


def firm_people(actor, start, end):
    """Per practitioner of the director's firm: name, ratings, average, low ratings."""
    low, high = _utc_range(start, end)
    low_count = fn.SUM(Case(None, [((Rating.score <= LOW_SCORE), 1)], 0))
    rows = (seen(actor).select(User.id, User.name, fn.COUNT(Rating.id), fn.AVG(Rating.score),
                               low_count)
            .join(User, JOIN.INNER, on=(Rating.practitioner == User.id))
            .where(Rating.created_at >= low, Rating.created_at < high)
            .group_by(User.id, User.name).order_by(User.name).tuples())
    return [{"id": user_id, "name": name, "ratings": count,
             "average": Decimal(str(average)).quantize(Decimal("0.01"), ROUND_HALF_UP),
             "low": int(lows or 0)}
            for user_id, name, count, average, lows in rows]


def low_ratings(actor, start, end, limit=100):
    """The firm's low ratings (1-2), newest first: person rated, month, score, comment."""
    low, high = _utc_range(start, end)
    rows = (seen(actor).select(Rating.score, Rating.useful, Rating.comment, Rating.created_at,
                               User.name.alias("name"))
            .join(User, JOIN.INNER, on=(Rating.practitioner == User.id))
            .where(Rating.score <= LOW_SCORE, Rating.created_at >= low,
                   Rating.created_at < high)
            .order_by(Rating.created_at.desc(), Rating.id.desc()).limit(limit).dicts())
    return [{"name": r["name"], "month": _month(r["created_at"]), "score": r["score"],
             "useful": r["useful"], "comment": r["comment"]} for r in rows]


def _month(created_at):
    """The local month (its first day) of a stored moment: all a page shows of when."""
    value = Rating.created_at.python_value(created_at)
    return to_local(value).date().replace(day=1)
