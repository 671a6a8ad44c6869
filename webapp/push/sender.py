"""The push outbox: queue a notification for each of its person's phones, and drain what is due.

Sending never happens in the request that writes a notification: `enqueue` only adds outbox
rows (in the caller's transaction), and `drain` (the `send-reminders` command, from cron) sends
them. A sender claims a batch of due rows before sending: on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so several senders on several servers each take different rows; on
SQLite inside a write transaction (one writer at a time), with an UPDATE guarded by the row's
state. A claim holds a row for LEASE; a sender that dies mid-batch lets its rows fall due again.
The HTTP requests run in a bounded thread pool and never touch the database.
"""
import dataclasses
import datetime
import email.utils
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import requests
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from pywebpush import WebPusher, WebPushException

from ..accounts.models import Notification, User, UserSession
from ..db import is_postgres, utcnow, write_transaction
from ..i18n import to_local
from . import vapid
from .models import PushDelivery, PushDevice, PushSubscription

LEASE = datetime.timedelta(minutes=10)
BATCH = 500
MAX_ATTEMPTS = 8
FIRST_RETRY = 60            # seconds; doubles with each attempt
LONGEST_RETRY = 6 * 3600    # no back-off (nor Retry-After) waits longer than this
TTL = 12 * 3600             # how long a push service keeps a message for a phone that is off
TIMEOUT = 10
MAX_BODY = 1000            # characters of a message put in a push


def signed_out():
    """Subscriptions made on a session that has ended (signed out, password changed, reset)."""
    return (PushDevice.select(PushDevice.subscription).join(UserSession)
            .where(UserSession.ended_at.is_null(False)))


def drop_signed_out():
    """Remove the subscriptions of phones signed out by any path; return how many."""
    return PushSubscription.delete().where(PushSubscription.id.in_(signed_out())).execute()


def enqueue(notification):
    """Queue the notification for every push subscription of its person; return how many."""
    return enqueue_many([(notification.id, notification.user_id)])


def enqueue_many(notes):
    """Queue each (notification id, person id) for every push subscription of its person, in
    a few statements for any number; return how many deliveries were queued."""
    people = {user_id for _note, user_id in notes}
    if not people:
        return 0
    phones = {}
    for sub_id, user_id in (PushSubscription.select(PushSubscription.id, PushSubscription.user)
                            .where(PushSubscription.user.in_(list(people)),
                                   PushSubscription.id.not_in(signed_out())).tuples()):
        phones.setdefault(user_id, []).append(sub_id)
    now = utcnow()
    rows = [{"notification": note_id, "subscription": sub_id, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now}
            for note_id, user_id in notes for sub_id in phones.get(user_id, ())]
    for start in range(0, len(rows), BATCH):
        PushDelivery.insert_many(rows[start:start + BATCH]).on_conflict_ignore().execute()
    return len(rows)


# ------------------------------------------------------------------ quiet hours

def _minutes(text):
    hours, minutes = text.strip().split(":")
    value = int(hours) * 60 + int(minutes)
    if not 0 <= value < 24 * 60:
        raise ValueError(text)
    return value


def quiet_window(config):
    """The quiet hours as (start, end) minutes after local midnight, or None."""
    spec = (config.get("PUSH_QUIET_HOURS") or "").strip()
    if not spec:
        return None
    start, end = spec.split("-")
    return _minutes(start), _minutes(end)


def in_quiet_hours(now, config):
    """Say whether `now` (naive UTC) falls in the quiet hours (local time; may span midnight)."""
    window = quiet_window(config)
    if window is None:
        return False
    local = to_local(now)
    minute = local.hour * 60 + local.minute
    start, end = window
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


# ------------------------------------------------------------------ draining

@dataclasses.dataclass
class Job:
    """One claimed delivery, ready to send (built before the thread pool starts)."""
    id: int
    subscription_id: int
    info: dict
    payload: str
    headers: dict
    attempts: int


@dataclasses.dataclass
class Outcome:
    """What the push service answered for one job (status None: it could not be reached)."""
    job: Job
    status: int = None
    error: str = ""
    retry_after: int = None


@dataclasses.dataclass
class Report:
    """What a drain did (or, in a dry run, would do)."""
    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    held: int = 0           # due, but it is quiet hours
    would_send: list = dataclasses.field(default_factory=list)


def due(now):
    """Deliveries due at `now`, oldest first."""
    return (PushDelivery.select().where(PushDelivery.status == "pending",
                                        PushDelivery.next_attempt_at <= now)
            .order_by(PushDelivery.next_attempt_at, PushDelivery.id))


def claim(now, size=BATCH):
    """Take up to `size` due deliveries for this sender; return its claim token and the ids."""
    token = secrets.token_hex(16)
    with write_transaction():
        query = due(now).select(PushDelivery.id).limit(size)
        if is_postgres():
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        ids = [row.id for row in query]
        if ids:
            (PushDelivery.update(claim=token, next_attempt_at=now + LEASE,
                                 attempts=PushDelivery.attempts + 1)
             .where(PushDelivery.id.in_(ids), PushDelivery.status == "pending",
                    PushDelivery.next_attempt_at <= now).execute())
    return token, ids


def title_in(locale, titles):
    """The pushes' title in a language, worked out once a drain per language."""
    if locale not in titles:
        with force_locale(locale):
            titles[locale] = str(_("Grassroots Ledger"))
    return titles[locale]


def payload_for(notification, user, config, titles=None):
    """The JSON a phone's service worker shows: title, body, the page to open, icons."""
    static = current_app.static_url_path
    # The inbox's message marks itself read, then goes to its page; built from the URL map,
    # as the sender runs from cron, outside any request.
    opens = current_app.url_map.bind("localhost").build(
        "inbox.open", {"notification_id": notification.id})
    title = title_in(user.locale or config["BABEL_DEFAULT_LOCALE"],
                     {} if titles is None else titles)
    return json.dumps({
        # A push service takes about 4 KB, encrypted: a long message is cut (the inbox has it all).
        "title": title, "body": notification.message[:MAX_BODY],
        "url": opens, "tag": f"n{notification.id}",
        "icon": f"{static}/icons/icon-192.png", "badge": f"{static}/icons/badge-72.png",
    }, ensure_ascii=False)


def vapid_headers(endpoint, config, signed):
    """The VAPID Authorization header for the endpoint's push service (one per origin)."""
    url = urlparse(endpoint)
    audience = f"{url.scheme}://{url.netloc}"
    if audience not in signed:
        signed[audience] = vapid.signer(config).sign({
            "sub": config["VAPID_SUBJECT"], "aud": audience,
            "exp": int(time.time()) + TTL})
    return signed[audience]


def _jobs(token, config):
    rows = (PushDelivery.select(PushDelivery, PushSubscription, Notification, User)
            .join(PushSubscription).switch(PushDelivery).join(Notification)
            .join(User, on=(Notification.user == User.id))
            .where(PushDelivery.claim == token, PushDelivery.status == "pending"))
    signed, titles = {}, {}
    jobs = []
    for row in rows:
        sub = row.subscription
        jobs.append(Job(
            id=row.id, subscription_id=sub.id, attempts=row.attempts,
            info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            payload=payload_for(row.notification, row.notification.user, config, titles),
            headers=vapid_headers(sub.endpoint, config, signed)))
    return jobs


def retry_after_seconds(value, now_epoch=None):
    """Seconds a Retry-After header asks to wait (a number or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0, int(when.timestamp() - (now_epoch if now_epoch is not None else time.time())))


def send(job, session):
    """POST one encrypted message to its push service (runs in a worker thread: no database)."""
    try:
        response = WebPusher(job.info, requests_session=session).send(
            data=job.payload, headers=dict(job.headers), ttl=TTL,
            content_encoding="aes128gcm", timeout=TIMEOUT)
    except requests.RequestException as exc:
        return Outcome(job, None, f"network: {type(exc).__name__}")
    except (WebPushException, ValueError, TypeError) as exc:
        return Outcome(job, 0, f"cannot encrypt: {exc}"[:200])
    error = "" if 200 <= response.status_code < 300 else (
        f"{response.status_code} {response.text or ''}".strip()[:200])
    return Outcome(job, response.status_code, error,
                   retry_after_seconds(response.headers.get("Retry-After")))


def backoff(attempts, retry_after=None):
    """Seconds to wait before the next attempt: doubling from a minute, at least Retry-After."""
    wait = FIRST_RETRY * 2 ** max(0, attempts - 1)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return min(wait, LONGEST_RETRY)


def record(token, outcomes, now):
    """Write what the push services answered, only for rows this sender still holds (the
    sent and the gone in one statement each, whatever their number)."""
    report = Report()
    sent_at = utcnow()
    sent, gone = [], []
    with write_transaction():
        for outcome in outcomes:
            job, status = outcome.job, outcome.status
            mine = (PushDelivery.id == job.id) & (PushDelivery.claim == token)
            if status is not None and 200 <= status < 300:
                sent.append(job.id)
            elif status in (404, 410):
                gone.append(outcome)
            elif (status is None or status == 429 or status >= 500) \
                    and job.attempts < MAX_ATTEMPTS:
                wait = datetime.timedelta(seconds=backoff(job.attempts, outcome.retry_after))
                PushDelivery.update(next_attempt_at=now + wait, last_error=outcome.error,
                                    claim="").where(mine).execute()
                report.retried += 1
            else:
                PushDelivery.update(status="failed", last_error=outcome.error, claim="") \
                    .where(mine).execute()
                PushSubscription.update(last_error=outcome.error).where(
                    PushSubscription.id == job.subscription_id).execute()
                report.failed += 1
        for start in range(0, len(sent), BATCH):
            report.sent += PushDelivery.update(status="sent", sent_at=sent_at, last_error="",
                                               claim="").where(
                PushDelivery.id.in_(sent[start:start + BATCH]),
                PushDelivery.claim == token).execute()
        for outcome in gone:
            PushDelivery.update(status="gone", last_error=outcome.error, claim="").where(
                PushDelivery.id == outcome.job.id, PushDelivery.claim == token).execute()
        if gone:
            PushSubscription.delete().where(PushSubscription.id.in_(
                list({outcome.job.subscription_id for outcome in gone}))).execute()
        report.gone = len(gone)
    return report


def _session(workers):
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=workers, pool_maxsize=workers)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def drain(now=None, dry_run=False, workers=None, batch=BATCH):
    """Send every delivery due at `now` (naive UTC), `workers` at a time; return a Report.

    In quiet hours nothing is sent (the rows wait). A dry run sends and changes nothing: its
    report lists (person, message) of what is due.
    """
    config = current_app.config
    now = now or utcnow()
    workers = workers or config.get("PUSH_CONCURRENCY", 16)
    if dry_run:
        rows = (due(now).select(PushDelivery, Notification, User).join(Notification)
                .join(User, on=(Notification.user == User.id)))
        return Report(held=len(rows) if in_quiet_hours(now, config) else 0,
                      would_send=[(r.notification.user.name, r.notification.message)
                                  for r in rows])
    drop_signed_out()
    if in_quiet_hours(now, config):
        return Report(held=due(now).count())
    total = Report()
    session = _session(workers)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while True:
                token, ids = claim(now, batch)
                if not ids:
                    break
                jobs = _jobs(token, config)
                outcomes = list(pool.map(lambda job: send(job, session), jobs))
                part = record(token, outcomes, now)
                for field in ("sent", "retried", "failed", "gone"):
                    setattr(total, field, getattr(total, field) + getattr(part, field))
    finally:
        session.close()
    return total
