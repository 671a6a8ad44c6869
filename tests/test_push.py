"""Web Push end to end, against a fake push service on 127.0.0.1 that decrypts every message
with the subscriber's private key (aes128gcm) and verifies the VAPID JWT: the round trip is the
real encryption and signing, not a mock of the library. Also the outbox's idempotency (twice in
a row, two senders at once), removal on 404/410, retries honouring Retry-After, quiet hours,
the message's language, the subscribe endpoints, sign-out, training reminders and the CLI."""
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.helpers import key, signed_in
from webapp.accounts.models import Notification, UserSession
from webapp.accounts.services import end_other_sessions
from webapp.config import ROOT
from webapp.db import db, utcnow
from webapp.errors import DomainError
from webapp.ledger.models import Entry
from webapp.push import reminders, sender, services, vapid
from webapp.push.inbox import notify
from webapp.push.models import PushDelivery, PushSubscription, ReminderSent
from webapp.trainings.models import TrainingPerson

CSRF = {"X-CSRF-Token": "test-csrf-token"}
ZONE = ZoneInfo("Asia/Shanghai")  # the config's default time zone


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def point(public_key):
    return public_key.public_bytes(serialization.Encoding.X962,
                                   serialization.PublicFormat.UncompressedPoint)


def local_at(hour, minute=0, days=1):
    """Naive UTC of a local wall-clock time `days` from today (after the real clock: the outbox
    rows are written at the real time)."""
    day = datetime.datetime.now(ZONE).date() + datetime.timedelta(days=days)
    local = datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZONE)
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


# ------------------------------------------------------------------ the fake push service

class FakePushService:
    """A push service on 127.0.0.1: checks VAPID, decrypts, answers as told, records."""

    def __init__(self, vapid_public):
        self.vapid_public = vapid_public
        self.subscribers = {}     # path -> (private key, auth secret)
        self.answers = []         # (path or None, status, headers) to give, in order; then 201
        self.received = []        # every decrypted message: {"path", "payload", "claims"}
        self.rejected = []        # why a request was refused (bad VAPID, cannot decrypt)
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers = service.handle(self.path, self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def subscriber(self, name):
        """A browser's subscription JSON, with its private key kept here to decrypt."""
        private = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        path = f"/wpush/{name}"
        self.subscribers[path] = (private, auth)
        return {"endpoint": self.origin + path,
                "keys": {"p256dh": b64(point(private.public_key())), "auth": b64(auth)}}

    def answer(self, status, times=1, path=None, **headers):
        """Answer the next requests (to `path`, or to any) with this status and headers."""
        with self.lock:
            self.answers += [(path, status, headers)] * times

    def verify_vapid(self, authorization):
        scheme, _, params = (authorization or "").partition(" ")
        assert scheme.lower() == "vapid", authorization
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, public = parts["t"], parts["k"]
        assert public == self.vapid_public, "signed with another key"
        head, claims, signature = token.split(".")
        assert json.loads(unb64(head))["alg"] == "ES256"
        raw = unb64(signature)
        assert len(raw) == 64
        key_ = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public))
        key_.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                         int.from_bytes(raw[32:], "big")),
                    f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(unb64(claims))
        assert claims["aud"] == self.origin
        assert time.time() < claims["exp"] <= time.time() + 24 * 3600
        assert claims["sub"].startswith("mailto:")
        return claims

    def handle(self, path, headers, body):
        try:
            claims = self.verify_vapid(headers.get("Authorization"))
            assert headers.get("Content-Encoding") == "aes128gcm"
            assert int(headers.get("TTL")) > 0
            private, auth = self.subscribers[path]
            plain = http_ece.decrypt(body, private_key=private, auth_secret=auth,
                                     version="aes128gcm")
        except Exception as exc:  # noqa: BLE001 - a refused request is what the test looks at
            with self.lock:
                self.rejected.append(repr(exc))
            return 400, {}
        with self.lock:
            told = next((a for a in self.answers if a[0] in (None, path)), None)
            if told is not None:
                self.answers.remove(told)
            status, extra = told[1:] if told else (201, {})
            if 200 <= status < 300:
                self.received.append({"path": path, "payload": json.loads(plain),
                                      "claims": claims})
        return status, {k.replace("_", "-"): str(v) for k, v in extra.items()}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push(app, monkeypatch):
    """A fresh VAPID key in the config and a fake push service that expects it."""
    private = ec.generate_private_key(ec.SECP256R1())
    raw = private.private_numbers().private_value.to_bytes(32, "big")
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", b64(raw))
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", "")
    monkeypatch.setitem(app.config, "PUSH_ENDPOINT_ANY_HOST", True)
    service = FakePushService(vapid.public_key(app.config))
    yield service
    service.close()
    assert not service.rejected, service.rejected


def subscribe(user, data):
    return services.subscribe(user, None, services.clean_subscription(data, any_host=True))


NOON = local_at(12)


# ------------------------------------------------------------------ the round trip

def test_a_notification_reaches_the_phone_encrypted_and_signed(app, push, make_user):
    person = make_user("practitioner", locale="en")
    sub = subscribe(person, push.subscriber("a"))
    note = notify(person, "entry_approved", "Approved: public service on 1 June (2 h).",
                  "/ledger/entries/7")
    assert PushDelivery.get().status == "pending"  # queued, not sent in the request
    assert push.received == []

    report = sender.drain(NOON)

    assert report.sent == 1
    assert len(push.received) == 1
    message = push.received[0]
    assert message["path"] == "/wpush/a"
    assert message["payload"] == {
        "title": "Grassroots Ledger", "body": "Approved: public service on 1 June (2 h).",
        "url": f"/inbox/{note.id}", "tag": f"n{note.id}",
        "icon": "/static/icons/icon-192.png", "badge": "/static/icons/badge-72.png"}
    row = PushDelivery.get()
    assert (row.status, row.attempts, row.subscription_id) == ("sent", 1, sub.id)
    assert row.sent_at is not None


def test_each_phone_of_a_person_gets_it_and_no_one_else(app, push, make_user):
    person, other = make_user(), make_user()
    subscribe(person, push.subscriber("phone"))
    subscribe(person, push.subscriber("tablet"))
    subscribe(other, push.subscriber("someone-else"))
    notify(person, "entry_approved", "yours")
    assert sender.drain(NOON).sent == 2
    assert sorted(m["path"] for m in push.received) == ["/wpush/phone", "/wpush/tablet"]


def test_draining_twice_sends_once(app, push, make_user):
    person = make_user()
    subscribe(person, push.subscriber("a"))
    notify(person, "entry_approved", "once")
    assert sender.drain(NOON).sent == 1
    assert sender.drain(NOON).sent == 0
    assert sender.drain(NOON + datetime.timedelta(hours=1)).sent == 0
    assert len(push.received) == 1


def test_enqueueing_twice_queues_once(app, push, make_user):
    person = make_user()
    subscribe(person, push.subscriber("a"))
    note = notify(person, "entry_approved", "once")
    sender.enqueue(note)
    assert PushDelivery.select().count() == 1


def test_two_senders_at_once_send_each_message_once(app, push, make_user):
    people = [make_user() for _ in range(4)]
    for i, person in enumerate(people):
        for j in range(5):
            subscribe(person, push.subscriber(f"p{i}-{j}"))
    for person in people:
        notify(person, "entry_approved", "hello")
        notify(person, "entry_declined", "again")
    db.close()  # the senders take their own connections
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                reports.append(sender.drain(NOON, workers=4, batch=3))
                db.close()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    db.connect(reuse_if_open=True)
    assert not errors, errors
    assert sum(r.sent for r in reports) == 40
    seen = [(m["path"], m["payload"]["tag"]) for m in push.received]
    assert len(seen) == 40 and len(set(seen)) == 40
    assert PushDelivery.select().where(PushDelivery.status == "sent").count() == 40


# ------------------------------------------------------------------ what the service answers

@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(app, push, make_user, status):
    person = make_user()
    subscribe(person, push.subscriber("old"))
    keep = subscribe(person, push.subscriber("new"))
    notify(person, "entry_approved", "hello")
    push.answer(status, path="/wpush/old")
    report = sender.drain(NOON)
    assert (report.sent, report.gone) == (1, 1)
    assert [s.id for s in PushSubscription.select()] == [keep.id]
    notify(person, "entry_approved", "later")
    assert PushDelivery.select().where(PushDelivery.status == "pending").count() == 1


def test_429_waits_as_long_as_retry_after_says(app, push, make_user):
    person = make_user()
    subscribe(person, push.subscriber("a"))
    notify(person, "entry_approved", "hello")
    push.answer(429, Retry_After=600)
    assert sender.drain(NOON).retried == 1
    row = PushDelivery.get()
    assert (row.status, row.attempts, row.claim) == ("pending", 1, "")
    assert row.next_attempt_at == NOON + datetime.timedelta(seconds=600)
    assert row.last_error.startswith("429")
    assert sender.drain(NOON + datetime.timedelta(seconds=599)).sent == 0
    assert sender.drain(NOON + datetime.timedelta(seconds=600)).sent == 1
    assert len(push.received) == 1


def test_server_errors_back_off_doubling(app, push, make_user):
    person = make_user()
    subscribe(person, push.subscriber("a"))
    notify(person, "entry_approved", "hello")
    push.answer(500, times=2)
    assert sender.drain(NOON).retried == 1
    first = PushDelivery.get().next_attempt_at
    assert first == NOON + datetime.timedelta(seconds=60)
    assert sender.drain(first).retried == 1
    assert PushDelivery.get().next_attempt_at == first + datetime.timedelta(seconds=120)
    assert sender.drain(first + datetime.timedelta(seconds=120)).sent == 1
    assert PushDelivery.get().attempts == 3


def test_an_unreachable_service_is_retried_and_a_refusal_is_final(app, push, make_user):
    person = make_user()
    dead = subscribe(person, {"endpoint": "http://127.0.0.1:9/wpush/x",
                              "keys": push.subscriber("x")["keys"]})
    notify(person, "entry_approved", "hello")
    assert sender.drain(NOON).retried == 1
    PushSubscription.delete().where(PushSubscription.id == dead.id).execute()
    subscribe(person, push.subscriber("b"))
    notify(person, "entry_approved", "again")
    push.answer(403)
    assert sender.drain(NOON).failed == 1
    assert PushDelivery.get().status == "failed"


def test_retry_after_as_a_date():
    assert sender.retry_after_seconds("120") == 120
    assert sender.retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT",
                                      now_epoch=1445412400) == 80
    assert sender.retry_after_seconds("soon") is None
    assert sender.backoff(1) == 60 and sender.backoff(3) == 240
    assert sender.backoff(1, retry_after=10**9) == sender.LONGEST_RETRY


# ------------------------------------------------------------------ quiet hours

@pytest.mark.parametrize("hour, minute", [(21, 0), (23, 30), (3, 0), (7, 59)])
def test_nothing_is_pushed_in_quiet_hours(app, push, make_user, hour, minute):
    person = make_user()
    subscribe(person, push.subscriber("a"))
    notify(person, "entry_approved", "hello")
    report = sender.drain(local_at(hour, minute, days=2))
    assert (report.sent, report.held) == (0, 1)
    assert push.received == [] and PushDelivery.get().status == "pending"
    assert sender.drain(local_at(8, 0, days=3)).sent == 1


def test_quiet_hours_follow_the_config(app, push, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    person = make_user()
    subscribe(person, push.subscriber("a"))
    notify(person, "entry_approved", "hello")
    assert sender.drain(local_at(23)).sent == 1
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "12:00-13:00")
    assert sender.in_quiet_hours(local_at(12, 30), app.config)
    assert not sender.in_quiet_hours(local_at(13, 0), app.config)


# ------------------------------------------------------------------ language

def test_each_person_gets_it_in_their_language(app, push, make_user):
    english = make_user(locale="en")
    chinese = make_user(locale="zh_Hans_CN")
    default = make_user()
    for name, person in (("en", english), ("zh", chinese), ("default", default)):
        subscribe(person, push.subscriber(name))
        notify(person, "entry_approved", "x")
    sender.drain(NOON)
    titles = {m["path"]: m["payload"]["title"] for m in push.received}
    assert titles == {"/wpush/en": "Grassroots Ledger", "/wpush/zh": "基层法律服务台账",
                      "/wpush/default": "基层法律服务台账"}


def test_a_review_decision_is_pushed_in_the_authors_language(app, push, make_user):
    author = make_user("practitioner", locale="zh_Hans_CN")
    subscribe(author, push.subscriber("author"))
    signed_in(app, author).post("/ledger/new/public_service", {
        "date": datetime.date.today().isoformat(), "hours": "2", "category": "mediation",
        "idempotency_key": key()})
    entry = Entry.get()
    admin = signed_in(app, make_user("county_admin"))
    assert admin.post(f"/ledger/review/{entry.id}/approve").status_code == 303
    assert Notification.select().count() == 1
    assert sender.drain(NOON).sent == 1
    payload = push.received[0]["payload"]
    assert payload["body"].startswith("已通过")
    note = Notification.get()
    assert payload["url"] == f"/inbox/{note.id}"  # marks it read, then opens the entry
    assert note.link == f"/ledger/entries/{entry.id}"


# ------------------------------------------------------------------ subscribing over HTTP

def _post(client, url, body, headers=CSRF):
    return client.c.post(url, json=body, headers=headers)


def test_subscribing_keeps_one_row_per_endpoint(app, push, make_user):
    person = make_user()
    client = signed_in(app, person)
    data = push.subscriber("a")
    assert _post(client, "/push/subscribe", data).status_code == 201
    assert _post(client, "/push/subscribe", data).status_code == 201
    sub = PushSubscription.get()
    assert (sub.user_id, sub.endpoint, sub.auth) == (person.id, data["endpoint"],
                                                     data["keys"]["auth"])
    # The same browser, signed in by someone else, now belongs to them alone.
    other = make_user()
    notify(person, "entry_approved", "for the first person")
    assert _post(signed_in(app, other), "/push/subscribe", data).status_code == 201
    assert [s.user_id for s in PushSubscription.select()] == [other.id]
    assert PushDelivery.select().count() == 0


def test_a_refresh_only_updates_ones_own_subscription(app, push, make_user):
    person, other = make_user(), make_user()
    data = push.subscriber("a")
    assert _post(signed_in(app, other), "/push/subscribe", dict(data, refresh=True)
                 ).status_code == 404
    assert PushSubscription.select().count() == 0
    client = signed_in(app, person)
    _post(client, "/push/subscribe", data)
    fresh = push.subscriber("a")  # the browser's keys changed
    assert _post(client, "/push/subscribe", dict(fresh, refresh=True)).status_code == 200
    assert PushSubscription.get().p256dh == fresh["keys"]["p256dh"]
    assert _post(signed_in(app, other), "/push/subscribe", dict(data, refresh=True)
                 ).status_code == 404
    assert PushSubscription.get().user_id == person.id


def _good(push):
    return push.subscriber("good")


@pytest.mark.parametrize("change", [
    lambda d: None,
    lambda d: [],
    lambda d: "junk",
    lambda d: {**d, "endpoint": ""},
    lambda d: {**d, "endpoint": 42},
    lambda d: {**d, "endpoint": "javascript:alert(1)"},
    lambda d: {**d, "endpoint": "https://push.example.com/" + "x" * 1000},
    lambda d: {**d, "endpoint": "https://push.example.com/a b"},
    lambda d: {**d, "keys": None},
    lambda d: {**d, "keys": {"p256dh": d["keys"]["p256dh"]}},
    lambda d: {**d, "keys": {**d["keys"], "auth": b64(os.urandom(15))}},
    lambda d: {**d, "keys": {**d["keys"], "auth": "!!!!!!!!!!!!!!!!!!!!!!"}},
    lambda d: {**d, "keys": {**d["keys"], "p256dh": b64(b"\x04" + b"\x01" * 64)}},  # off curve
    lambda d: {**d, "keys": {**d["keys"], "p256dh": d["keys"]["p256dh"][:40]}},
])
def test_junk_is_refused_with_400(app, push, make_user, change):
    client = signed_in(app, make_user())
    response = _post(client, "/push/subscribe", change(_good(push)))
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert PushSubscription.select().count() == 0


def test_a_real_deployment_accepts_only_https_push_services(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_ENDPOINT_ANY_HOST", False)
    ok = "https://fcm.googleapis.com/fcm/send/abc"
    assert services.clean_endpoint(ok) == ok
    for bad in ("http://fcm.googleapis.com/x", "https://127.0.0.1/x", "https://[::1]/x",
                "https://localhost/x", "https://user:pw@push.example.com/x", "https://intranet/x"):
        with app.test_request_context("/"), pytest.raises(DomainError):
            services.clean_endpoint(bad)


def test_subscribing_needs_the_csrf_header_and_a_sign_in(app, push, make_user):
    client = signed_in(app, make_user())
    data = push.subscriber("a")
    assert _post(client, "/push/subscribe", data, headers={}).status_code == 400
    assert _post(client, "/push/subscribe", data, headers={"X-CSRF-Token": "wrong"}
                 ).status_code == 400
    visitor = signed_in(app, make_user())
    visitor.c.post("/logout", data={"csrf_token": "test-csrf-token"})
    with visitor.c.session_transaction() as sess:
        sess["csrf"] = "test-csrf-token"
    response = _post(visitor, "/push/subscribe", data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert PushSubscription.select().count() == 0


def test_unsubscribing_removes_only_ones_own(app, push, make_user):
    person, other = make_user(), make_user()
    mine = push.subscriber("mine")
    theirs = push.subscriber("theirs")
    client = signed_in(app, person)
    _post(client, "/push/subscribe", mine)
    _post(signed_in(app, other), "/push/subscribe", theirs)
    response = _post(client, "/push/unsubscribe", {"endpoint": theirs["endpoint"]})
    assert response.status_code == 200 and response.get_json()["removed"] is False
    assert PushSubscription.select().count() == 2
    response = _post(client, "/push/unsubscribe", {"endpoint": mine["endpoint"]})
    assert response.get_json()["removed"] is True
    assert [s.user_id for s in PushSubscription.select()] == [other.id]
    assert _post(client, "/push/unsubscribe", {"endpoint": ["x"]}).status_code == 400
    assert _post(client, "/push/unsubscribe", "junk").status_code == 400


def test_the_public_key_is_served_and_on_the_me_page(app, push, make_user):
    response = app.test_client().get("/push/key")
    assert response.get_json() == {"publicKey": push.vapid_public}
    assert len(unb64(push.vapid_public)) == 65
    page = signed_in(app, make_user()).get("/me")
    assert f'data-public-key="{push.vapid_public}"' in page.get_data(as_text=True)


# ------------------------------------------------------------------ signing out

def test_signing_out_removes_that_phones_subscription(app, push, make_user):
    person = make_user()
    phone, laptop = signed_in(app, person), signed_in(app, person)
    _post(phone, "/push/subscribe", push.subscriber("phone"))
    _post(laptop, "/push/subscribe", push.subscriber("laptop"))
    assert phone.post("/logout").status_code == 303
    assert [s.endpoint.rsplit("/", 1)[1] for s in PushSubscription.select()] == ["laptop"]


def test_signing_out_another_device_removes_its_subscription(app, push, make_user):
    person = make_user()
    phone, laptop = signed_in(app, person), signed_in(app, person)
    _post(phone, "/push/subscribe", push.subscriber("phone"))
    _post(laptop, "/push/subscribe", push.subscriber("laptop"))
    with phone.c.session_transaction() as sess:
        phone_token = sess["token"]
    session_id = UserSession.get(UserSession.token == phone_token).id
    assert laptop.post(f"/me/devices/{session_id}/end").status_code == 303
    assert [s.endpoint.rsplit("/", 1)[1] for s in PushSubscription.select()] == ["laptop"]


def test_a_password_change_stops_pushes_to_the_other_phones(app, push, make_user):
    person = make_user()
    phone, laptop = signed_in(app, person), signed_in(app, person)
    _post(phone, "/push/subscribe", push.subscriber("phone"))
    _post(laptop, "/push/subscribe", push.subscriber("laptop"))
    with laptop.c.session_transaction() as sess:
        keep = sess["token"]
    end_other_sessions(person, keep)
    notify(person, "entry_approved", "hello")
    assert sender.drain(NOON).sent == 1
    assert [m["path"] for m in push.received] == ["/wpush/laptop"]
    assert [s.endpoint.rsplit("/", 1)[1] for s in PushSubscription.select()] == ["laptop"]


# ------------------------------------------------------------------ VAPID keys

def test_the_generated_key_is_made_once_when_processes_race(tmp_path):
    path = tmp_path / "keys" / "vapid.pem"
    script = ("import sys; from webapp.push import vapid; "
              "print(vapid.public_key({'VAPID_KEY_FILE': sys.argv[1]}))")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(keys) == 1 and len(unb64(keys.pop())) == 65
    assert [p.name for p in path.parent.iterdir()] == ["vapid.pem"]  # no temporary file left
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# ------------------------------------------------------------------ training reminders

def test_training_reminders_the_day_before_and_the_hour_before_once(
        app, push, make_user, make_training, world):
    here, there = make_user(locale="en"), make_user(county=world["b"], locale="en")
    subscribe(here, push.subscriber("here"))
    subscribe(there, push.subscriber("there"))
    start = local_at(9, 0, days=2)
    training = make_training(start_at=start, end_at=start + datetime.timedelta(hours=3))
    with app.test_request_context("/"):
        assert reminders.find_due(start - datetime.timedelta(hours=30), switches={"training"}) == []
        day_before = start - datetime.timedelta(hours=20)
        due = reminders.find_due(day_before, switches={"training"})
        assert [(d.user.id, d.kind) for d in due] == [(here.id, "training_day")]
        assert reminders.write(due) == 1
        assert reminders.write(due) == 0                    # written once, even if found twice
        assert reminders.find_due(day_before, switches={"training"}) == []
        hour_before = start - datetime.timedelta(minutes=50)
        assert reminders.write(reminders.find_due(hour_before, switches={"training"})) == 1
        assert reminders.find_due(hour_before, switches={"training"}) == []
    assert ReminderSent.select().count() == 2
    notes = list(Notification.select().order_by(Notification.id))
    assert [n.kind for n in notes] == ["training_day", "training_hour"]
    assert notes[0].message.startswith("Training on ") and training.title in notes[0].message
    assert notes[1].message.startswith("In one hour, at ")
    assert all(n.link == "/trainings/mine" for n in notes)
    sender.drain(hour_before)
    assert [m["path"] for m in push.received] == ["/wpush/here", "/wpush/here"]


def test_a_training_for_named_people_reminds_only_them(app, make_user, make_training):
    named, unnamed = make_user(), make_user()
    start = local_at(9, 0, days=2)
    training = make_training(start_at=start, end_at=start + datetime.timedelta(hours=2),
                             audience="people")
    TrainingPerson.create(training=training, user=named)
    due = reminders.find_due(start - datetime.timedelta(hours=2), switches={"training"})
    assert [d.user.id for d in due] == [named.id] and unnamed.id != named.id
    training.status = "cancelled"
    training.save()
    assert reminders.find_due(start - datetime.timedelta(hours=2), switches={"training"}) == []


# ------------------------------------------------------------------ the command

def test_the_command_dry_run_changes_nothing_then_sends(app, push, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "")
    person = make_user(name="王五")
    subscribe(person, push.subscriber("a"))
    note = notify(person, "entry_approved", "通过了")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would push to 王五: 通过了" in result.output
    assert push.received == [] and PushDelivery.get().status == "pending"
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    # The decision, and the pace reminder this run wrote for a practitioner with no entries.
    assert len(push.received) == int(re.search(r"pushed: (\d+)", result.output)[1])
    assert PushDelivery.get(PushDelivery.notification == note.id).status == "sent"
    assert PushDelivery.select().where(PushDelivery.status != "sent").count() == 0
    db.connect(reuse_if_open=True)
    assert utcnow() >= PushDelivery.get(PushDelivery.notification == note.id).sent_at
