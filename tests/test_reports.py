"""Firm monthly reports: counting by month, return and resubmit, locking, scoping, bad input,
attachments, the reporter a director names, and a draft the phone kept offline sent once."""
import datetime
import io
import json
import os
import uuid

import pytest
from PIL import Image

from tests.helpers import PDF, actor_for, jpeg_bytes, signed_in, soup, text_of, upload
from webapp.accounts.models import AuditEvent, Firm, Notification, RoleGrant
from webapp.errors import Conflict, DomainError, NotAllowed
from webapp.i18n import local_today
from webapp.ledger import evidence as files
from webapp.reports import quota, services
from webapp.reports.models import (FirmReport, FirmReportAttachment, FirmReportCredit,
                                   FirmReporter)

TODAY = datetime.date(2026, 6, 15)


def info_form(**over):
    data = {"month": "2026-06", "title": "城关所开展普法进社区", "body": "本月在城关社区开展普法宣传一次。"}
    data.update(over)
    return data


def case_form(**over):
    data = {"month": "2026-06", "title": "一起劳动报酬纠纷的调解", "facts": "务工人员被拖欠工资。",
            "handling": "所里组织双方调解。", "result": "当场结清工资。", "lesson": "及早介入。"}
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def english(app):
    """Services run inside a request (messages in English, audit addresses)."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def firm_a2(world):
    return Firm.create(name="甲县河口法律服务所", county=world["a"])


@pytest.fixture
def people(world, make_user, firm_a2, fast_passwords):
    return {
        "director": make_user("director"),
        "p1": make_user("practitioner"),
        "p2": make_user("practitioner"),
        "director_a2": make_user("director", firm=firm_a2),
        "director_b": make_user("director", county=world["b"]),
        "admin_a": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
    }


def director(people, name="director"):
    return actor_for(people[name], "director")


def admin(people, name="admin_a"):
    return actor_for(people[name], "county_admin")


def send(people, kind="info", name="director", today=TODAY, credits=(), **over):
    form = info_form(**over) if kind == "info" else case_form(**over)
    report, _created = services.submit(director(people, name), kind, form, credits,
                                       key=uuid.uuid4().hex, today=today)
    return report


# ------------------------------------------------------------------ counting by month

def test_a_report_counts_for_the_month_it_names_once_and_only_when_accepted(world, people):
    firm = world["firm_a"]
    for _n in range(3):
        services.accept(admin(people), send(people, month="2026-05"))
    credited = send(people, "case", month="2026-05",
                    credits=[people["p1"].id, people["p2"].id])
    services.accept(admin(people), credited)
    send(people, month="2026-06")                       # waiting: pending, not counted
    returned = send(people, "case", month="2026-06")
    services.return_report(admin(people), returned, "请补充办理结果")
    services.accept(admin(people), send(people, month="2026-04"))

    months = quota.month_quota(firm, 2026, TODAY)
    assert [m.month for m in months] == [datetime.date(2026, n, 1) for n in range(1, 13)]
    may, june, april = months[4], months[5], months[3]
    assert (may.info, may.case, may.complete, may.state) == (3, 1, True, "done")
    assert (june.info, june.case, june.info_pending, june.case_pending) == (0, 0, 1, 0)
    assert (june.complete, june.state) == (False, "open")
    assert (april.info, april.case, april.state) == (1, 0, "short")
    assert months[6].state == "future" and months[0].state == "short"
    assert FirmReportCredit.select().where(FirmReportCredit.report == credited.id).count() == 2
    # Another firm's reports and another year's months count for nothing here.
    services.accept(admin(people), send(people, name="director_a2", month="2026-05"))
    assert quota.month_quota(firm, 2026, TODAY)[4].info == 3
    assert all(m.info == m.case == 0 for m in quota.month_quota(firm, 2025, TODAY))


def test_the_targets_come_from_the_targets_of_the_year(world, people):
    assert quota.targets(world["firm_a"], 2026) == (3, 1)


# ------------------------------------------------------------------ return, resubmit, lock

def test_return_with_a_reason_then_correct_and_send_again(world, people):
    report = send(people, "case")
    with pytest.raises(DomainError) as missing:
        services.return_report(admin(people), report, "  \x00 ")
    assert missing.value.field == "reason"
    returned = services.return_report(admin(people), report, "请补充处理过程")
    assert (returned.status, returned.return_reason) == ("returned", "请补充处理过程")
    assert services.can_edit(director(people), returned)
    with pytest.raises(Conflict):
        services.accept(admin(people), returned)    # it waits for the firm now
    fixed, was_returned = services.edit(director(people), returned,
                                        case_form(handling="所里先后三次组织双方调解。"))
    assert was_returned and fixed.status == "submitted"
    assert fixed.handling == "所里先后三次组织双方调解。"
    assert [r.id for r in services.queue(admin(people))] == [report.id]
    events = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert events == ["report.return"]
    detail = json.loads(AuditEvent.get().detail)
    assert detail["reason"] == "请补充处理过程" and detail["kind"] == "case"
    assert Notification.select().where(Notification.user == people["director"].id).count() == 1


def test_an_accepted_report_is_locked(app, world, people):
    report = send(people)
    accepted = services.accept(admin(people), report)
    assert accepted.status == "accepted" and accepted.reviewed_by_id == people["admin_a"].id
    assert not services.can_edit(director(people), accepted)
    with pytest.raises(Conflict):
        services.edit(director(people), accepted, info_form(title="改标题"))
    with pytest.raises(Conflict):
        services.accept(admin(people), accepted)
    with pytest.raises(Conflict):
        services.return_report(admin(people), accepted, "理由")
    assert FirmReport.get_by_id(report.id).title == info_form()["title"]
    assert [e.action for e in AuditEvent.select()] == ["report.accept"]

    client = signed_in(app, people["director"])
    response = client.post(f"/reports/{report.id}/edit", info_form(title="改标题", kind="info"))
    assert response.status_code == 409
    assert "can no longer change" in text_of(soup(response).find("main"))
    assert FirmReport.get_by_id(report.id).title == info_form()["title"]


def test_a_decision_on_text_that_changed_meanwhile_is_refused(app, world, people):
    report = send(people, today=local_today(), month=local_today().strftime("%Y-%m"))
    county = signed_in(app, people["admin_a"])
    seen = soup(county.get("/reports/queue")).select_one(
        f"#r-{report.id} form[action$='/accept'] input[name=version]")["value"]
    services.edit(director(people), report, info_form(month=local_today().strftime("%Y-%m"),
                                                      body="改过的正文"))
    response = county.post(f"/reports/{report.id}/accept", {"version": seen})
    assert response.status_code == 409
    shown = soup(response).select_one(f"#r-{report.id} .form-error")
    assert "changed this report" in text_of(shown)
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert county.post(f"/reports/{report.id}/accept").status_code == 303
    again = county.post(f"/reports/{report.id}/accept")
    assert again.status_code == 409
    assert "already decided" in text_of(soup(again).select_one(".form-error"))


def test_the_same_key_twice_sends_one_report(world, people):
    key = uuid.uuid4().hex
    first, created = services.submit(director(people), "info", info_form(), key=key, today=TODAY)
    again, created_again = services.submit(director(people), "info", info_form(), key=key,
                                           today=TODAY)
    assert created and not created_again and first.id == again.id
    assert FirmReport.select().count() == 1


# ------------------------------------------------------------------ who may do what

def test_only_a_director_writes_and_only_a_county_admin_decides(world, people):
    with pytest.raises(NotAllowed):
        services.submit(actor_for(people["p1"], "practitioner"), "info", info_form(),
                        today=TODAY)
    with pytest.raises(NotAllowed):
        services.submit(admin(people), "info", info_form(), today=TODAY)
    report = send(people)
    with pytest.raises(NotAllowed):
        services.accept(admin(people, "admin_b"), report)
    with pytest.raises(NotAllowed):
        services.accept(director(people), report)
    with pytest.raises(NotAllowed):
        services.edit(director(people, "director_a2"), report, info_form())
    assert FirmReport.get_by_id(report.id).status == "submitted"


def test_scoping_director_sees_the_firm_county_sees_its_firms(world, people):
    own = send(people)
    other_firm = send(people, name="director_a2")
    other_county = send(people, name="director_b")

    def seen(actor):
        return {r.id for r in services.firm_reports(actor)}

    assert seen(director(people)) == {own.id}
    assert seen(director(people, "director_a2")) == {other_firm.id}
    assert seen(admin(people)) == {own.id, other_firm.id}
    assert seen(admin(people, "admin_b")) == {other_county.id}
    assert seen(actor_for(people["p1"], "practitioner")) == set()
    assert [r.id for r in services.queue(admin(people))] == [own.id, other_firm.id]
    assert [r.id for r in services.queue(director(people))] == []


def test_pages_are_scoped_too(app, world, people):
    report = send(people, today=local_today(), month=local_today().strftime("%Y-%m"))
    other = signed_in(app, people["director_a2"])
    assert other.get(f"/reports/{report.id}").status_code == 404
    assert other.get(f"/reports/{report.id}/edit").status_code == 404
    foreign = signed_in(app, people["admin_b"])
    assert foreign.get(f"/reports/{report.id}").status_code == 404
    assert foreign.post(f"/reports/{report.id}/accept").status_code == 404
    assert foreign.post(f"/reports/{report.id}/return", {"reason": "x"}).status_code == 404
    queue = soup(foreign.get("/reports/queue"))
    assert not queue.select(".report-queue-item")
    own = signed_in(app, people["admin_a"])
    items = soup(own.get("/reports/queue")).select(".report-queue-item")
    assert [item["id"] for item in items] == [f"r-{report.id}"]
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert signed_in(app, people["p1"]).get("/reports/").status_code == 403
    assert signed_in(app, people["city"]).get("/reports/queue").status_code == 403


# ------------------------------------------------------------------ the screens

def test_write_accept_and_see_it_counted(app, world, people):
    today = local_today()
    month = today.strftime("%Y-%m")
    director_client = signed_in(app, people["director"])
    choose = soup(director_client.get("/reports/new"))
    assert {a["href"] for a in choose.select(".report-kinds a")} == {
        "/reports/new?kind=info", "/reports/new?kind=case"}
    form = soup(director_client.get("/reports/new?kind=case"))
    assert {t["name"] for t in form.select("form.report-form textarea")} == {
        "facts", "handling", "result", "lesson"}
    assert form.select_one("input[name=csrf_token]")
    response = director_client.post("/reports/new", case_form(
        kind="case", month=month, credits=str(people["p1"].id),
        idempotency_key=uuid.uuid4().hex))
    assert response.status_code == 303
    report = FirmReport.get()
    assert (report.kind, report.month, report.status) == ("case", today.replace(day=1),
                                                          "submitted")
    assert services.credited_ids(report) == [people["p1"].id]

    admin_client = signed_in(app, people["admin_a"])
    assert admin_client.post(f"/reports/{report.id}/return", {"reason": ""}).status_code == 400
    assert admin_client.post(f"/reports/{report.id}/accept").status_code == 303
    assert FirmReport.get_by_id(report.id).status == "accepted"

    page = soup(director_client.get("/reports/"))
    cells = page.select(".report-months .report-month")
    assert len(cells) == 12
    this = cells[today.month - 1]
    assert "Case 1/1" in text_of(this) and "Info 0/3" in text_of(this)
    assert "1 / 1" in text_of(page.select_one(".report-now"))


def test_a_returned_report_shows_the_reason_and_a_link_to_correct_it(app, world, people):
    today = local_today()
    report = send(people, today=today, month=today.strftime("%Y-%m"))
    services.return_report(admin(people), report, "请写明时间地点")
    client = signed_in(app, people["director"])
    page = soup(client.get("/reports/"))
    row = page.select_one(".report-returned")
    assert "请写明时间地点" in text_of(row)
    link = row.select_one("a")["href"]
    assert link == f"/reports/{report.id}/edit"
    edit_page = soup(client.get(link))
    assert edit_page.select_one("#f-title")["value"] == report.title
    response = client.post(link, info_form(kind="info", month=today.strftime("%Y-%m"),
                                           body="六月三日在城关社区开展普法宣传。"))
    assert response.status_code == 303
    assert FirmReport.get_by_id(report.id).status == "submitted"
    assert not soup(client.get("/reports/")).select(".report-returned")


def test_the_reports_page_is_a_page_and_a_fragment(app, world, people):
    client = signed_in(app, people["director"])
    year = local_today().year
    page = client.get(f"/reports/?year={year - 1}")
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    assert soup(page).find("html") and soup(page).select_one("#report-year")
    fragment = client.htmx_get(f"/reports/?year={year - 1}")
    doc = soup(fragment)
    assert doc.find("html") is None
    assert doc.select_one("#report-year h2").get_text() == f"Reports in {year - 1}"
    for junk in ("abc", "99999", "²０２６", "\x00"):
        assert client.get("/reports/", query_string={"year": junk}).status_code == 200


# ------------------------------------------------------------------ bad input

BAD = [
    ({"title": ""}, "title", "Fill in the title."),
    ({"title": "\x00\x01\u200b"}, "title", "Fill in the title."),
    ({"title": "长" * 121}, "title", "at most 120"),
    ({"body": ""}, "body", "Fill in the text."),
    ({"body": "字" * 5001}, "body", "at most 5000"),
    ({"month": "2026-13"}, "month", "The month is not valid"),
    ({"month": "13"}, "month", "The month is not valid"),
    ({"month": "<script>"}, "month", "The month is not valid"),
    ({"month": ""}, "month", "Choose the month"),
    ({"month": "future"}, "month", "cannot be in the future"),
    ({"month": "long-ago"}, "month", "too long ago"),
    ({"body": "当事人身份证号 110101 19900307 1234"}, "body", "identity number"),
    ({"body": "联系电话138-0013-8000"}, "body", "phone number"),
    ({"kind": "memo"}, None, "Choose an information report or a typical case."),
]


def _month_value(value, today):
    if value == "future":
        nxt = (today.replace(day=28) + datetime.timedelta(days=5)).replace(day=1)
        return nxt.strftime("%Y-%m")
    if value == "long-ago":
        return f"{today.year - 2}-12"
    return value


@pytest.mark.parametrize("over,field,message", BAD)
def test_bad_input_is_refused_with_a_message(app, world, people, over, field, message):
    today = local_today()
    data = info_form(kind="info", month=today.strftime("%Y-%m"),
                     idempotency_key=uuid.uuid4().hex)
    data.update(over)
    data["month"] = _month_value(data["month"], today)
    client = signed_in(app, people["director"])
    response = client.post("/reports/new", data)
    assert response.status_code == 400
    doc = soup(response)
    shown = doc.select_one(f"#{field}-error" if field else ".form-error")
    assert shown is not None and message in text_of(shown), text_of(doc.find("main"))
    assert FirmReport.select().count() == 0


def test_a_case_needs_its_parts_and_credits_must_be_active_people_of_the_firm(world, people,
                                                                            make_user):
    with pytest.raises(DomainError) as missing:
        services.submit(director(people), "case", case_form(result=""), today=TODAY)
    assert missing.value.field == "result"
    report, _ = services.submit(director(people), "case", case_form(lesson=""), today=TODAY)
    assert report.lesson == ""
    gone = make_user("practitioner", active=False)
    for bad in ([people["director_b"].id], [gone.id], ["abc"], ["²"], [str(2 ** 40)]):
        with pytest.raises(DomainError) as refused:
            services.submit(director(people), "info", info_form(), bad, today=TODAY)
        assert refused.value.field == "credits"
    assert FirmReport.select().count() == 1


@pytest.mark.parametrize("value,expected", [
    ("2026-06", datetime.date(2026, 6, 1)), ("2026/6", datetime.date(2026, 6, 1)),
    ("2026年5月", datetime.date(2026, 5, 1)), ("２０２６-０５", datetime.date(2026, 5, 1)),
    ("2025-01", datetime.date(2025, 1, 1)),
])
def test_months_are_read_in_the_usual_ways(value, expected):
    assert services.parse_month(value, TODAY) == expected


@pytest.mark.parametrize("value", ["2026-07", "2024-12", "2026-00", "2026-6-1", "0000-01",
                                   "2026-0٣", "99999-01"])
def test_months_outside_the_window_or_malformed_are_refused(value):
    with pytest.raises(DomainError):
        services.parse_month(value, TODAY)


# ------------------------------------------------------------------ attachments

def stored_report_files(app):
    root = os.path.join(app.config["UPLOAD_DIR"], services.ATTACHMENT_FOLDER)
    found = []
    for folder, _dirs, names in os.walk(root):
        found.extend(os.path.join(folder, n) for n in names)
    return sorted(found)


@pytest.fixture
def clean_uploads(app):
    for path in stored_report_files(app):
        os.remove(path)
    yield


def post_report(client, file_list, url="/reports/new", kind="case", **over):
    data = (info_form if kind == "info" else case_form)(
        kind=kind, month=local_today().strftime("%Y-%m"), idempotency_key=uuid.uuid4().hex,
        csrf_token=client.csrf(), **over)
    data["attachments"] = file_list
    return client.c.post(url, data=data, content_type="multipart/form-data")


def test_a_case_with_a_photo_and_a_pdf_keeps_them_without_metadata(app, world, people,
                                                                   clean_uploads):
    client = signed_in(app, people["director"])
    original = jpeg_bytes()
    assert b"PhoneModel" in original
    response = post_report(client, [upload(original, "IMG_0001.JPG"),
                                    upload(PDF, "调解协议.pdf", "application/pdf")])
    assert response.status_code == 303
    report = FirmReport.get()
    photo, pdf = list(FirmReportAttachment.select().order_by(FirmReportAttachment.id))
    assert (photo.report_id, photo.content_type, photo.original_name) == (
        report.id, "image/jpeg", "IMG_0001.JPG")
    assert (pdf.content_type, pdf.original_name) == ("application/pdf", "调解协议.pdf")
    path = services.attachment_path(photo)
    assert path.startswith(os.path.join(app.config["UPLOAD_DIR"], "reports"))
    with open(path, "rb") as fh:
        data = fh.read()
    assert b"PhoneModel" not in data and b"PhoneMaker" not in data and photo.size == len(data)
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == files.LONG_SIDE and not image.getexif()
    assert os.path.exists(services.attachment_path(photo, thumb=True))

    page = soup(client.get(f"/reports/{report.id}"))
    thumb = page.select_one("img.report-file-thumb")
    assert thumb["src"] == f"/reports/files/{photo.id}?size=thumb"
    assert page.select_one("a.report-file-pdf")["href"] == f"/reports/files/{pdf.id}"
    shown = client.get(thumb["src"])
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    shown.close()
    served = client.get(f"/reports/files/{pdf.id}")
    assert served.status_code == 200 and served.get_data() == PDF
    served.close()
    # The county sees the thumbnails in its queue.
    queue = soup(signed_in(app, people["admin_a"]).get("/reports/queue"))
    assert queue.select(f"#r-{report.id} img.report-file-thumb")


@pytest.mark.parametrize("make,why", [
    (lambda: [upload(b"hello, this is text", "notes.txt", "text/plain")],
     "not a photo or a PDF"),
    (lambda: [upload(b"\xff\xd8\xff\xe0" + b"garbage" * 50, "broken.jpg")], "could not be read"),
    (lambda: [upload(b"%PDF-1.4 no end marker", "cut.pdf", "application/pdf")], "damaged"),
    (lambda: [upload(jpeg_bytes((200, 200))) for _ in range(services.MAX_PHOTOS + 1)],
     "at most 6 photos"),
    (lambda: [upload(PDF, f"{n}.pdf", "application/pdf") for n in range(services.MAX_PDFS + 1)],
     "at most 2 PDF files"),
    (lambda: [upload(PDF[:-7] + b"x" * 2000 + b"\n%%EOF\n", "big.pdf", "application/pdf")],
     "too large"),
])
def test_bad_or_too_many_files_are_refused_and_nothing_is_written(app, world, people,
                                                                  clean_uploads, make, why,
                                                                  monkeypatch):
    monkeypatch.setattr(files, "MAX_PDF_BYTES", 1_000)      # small files, the same rule
    client = signed_in(app, people["director"])
    response = post_report(client, make())
    assert response.status_code == 400
    assert why in text_of(soup(response).select_one("#attachments-error"))
    assert FirmReport.select().count() == 0 and FirmReportAttachment.select().count() == 0
    assert stored_report_files(app) == []


def test_a_failure_after_a_file_is_written_leaves_no_file_behind(app, world, people,
                                                                 clean_uploads, monkeypatch):
    real_store = files.store
    calls = []

    def store_then_fail(upload_, folder="evidence"):
        calls.append(folder)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_store(upload_, folder=folder)

    monkeypatch.setattr(files, "store", store_then_fail)
    uploads = [files.Upload(PDF, None, "application/pdf", "a.pdf"),
               files.Upload(PDF, None, "application/pdf", "b.pdf")]
    with pytest.raises(OSError):
        services.submit(director(people), "case", case_form(), key=uuid.uuid4().hex,
                        today=TODAY, uploads=uploads)
    assert len(calls) == 2
    assert FirmReport.select().count() == 0 and FirmReportAttachment.select().count() == 0
    assert stored_report_files(app) == []


def test_files_are_added_while_editable_counted_with_those_there_and_removed(app, world, people,
                                                                             clean_uploads):
    client = signed_in(app, people["director"])
    photos = [upload(jpeg_bytes((200, 200))) for _ in range(services.MAX_PHOTOS - 1)]
    assert post_report(client, photos).status_code == 303
    report = FirmReport.get()
    edit_url = f"/reports/{report.id}/edit"
    form = soup(client.get(edit_url))
    assert form.select_one("form.report-form")["enctype"] == "multipart/form-data"
    assert form.select_one("#f-attachments")["data-max-photos"] == "1"
    too_many = post_report(client, [upload(jpeg_bytes((200, 200))) for _ in range(2)],
                           url=edit_url)
    assert too_many.status_code == 400
    assert "at most 6 photos" in text_of(soup(too_many).select_one("#attachments-error"))
    assert FirmReportAttachment.select().count() == services.MAX_PHOTOS - 1
    assert post_report(client, [upload(jpeg_bytes((200, 200)))], url=edit_url).status_code == 303
    assert FirmReportAttachment.select().count() == services.MAX_PHOTOS
    assert len(stored_report_files(app)) == 2 * services.MAX_PHOTOS   # each with its thumbnail

    item = FirmReportAttachment.select().order_by(FirmReportAttachment.id).first()
    before = FirmReport.get_by_id(report.id).updated_at
    removed = client.post(f"/reports/files/{item.id}/remove", {"back": "edit"})
    assert removed.status_code == 303 and removed.headers["Location"].endswith(edit_url)
    assert not FirmReportAttachment.select().where(FirmReportAttachment.id == item.id).exists()
    assert not os.path.exists(services.attachment_path(item))
    assert not os.path.exists(services.attachment_path(item, thumb=True))
    assert FirmReport.get_by_id(report.id).updated_at > before     # the county reads it again
    assert client.get(f"/reports/files/{item.id}").status_code == 404

    # Accepted: locked, files included.
    services.accept(admin(people), report)
    other = FirmReportAttachment.select().first()
    assert client.post(f"/reports/files/{other.id}/remove").status_code == 409
    assert os.path.exists(services.attachment_path(other))
    page = soup(client.get(f"/reports/{report.id}"))
    assert page.select("img.report-file-thumb") and not page.select(
        "form[action$='/remove']")


def test_files_are_served_only_to_those_who_see_the_report(app, world, people, clean_uploads):
    assert post_report(signed_in(app, people["director"]),
                       [upload(PDF, "a.pdf", "application/pdf")]).status_code == 303
    item = FirmReportAttachment.get()
    url = f"/reports/files/{item.id}"

    def status(name):
        response = signed_in(app, people[name]).get(url)
        response.close()
        return response.status_code

    assert {name: status(name) for name in people} == {
        "director": 200, "p1": 404, "p2": 404, "director_a2": 404, "director_b": 404,
        "admin_a": 200, "admin_b": 404, "city": 200}
    assert signed_in(app, people["director_a2"]).post(url + "/remove").status_code == 404
    assert signed_in(app, people["admin_a"]).post(url + "/remove").status_code == 403
    services.name_reporter(director(people), people["p1"].id)
    assert status("p1") == 200 and status("p2") == 404
    assert FirmReportAttachment.select().count() == 1


# ------------------------------------------------------------------ the firm's reporter

def test_the_director_names_and_unnames_the_reporter_audited(app, world, people):
    client = signed_in(app, people["director"])
    page = soup(client.get("/reports/"))
    choices = {o["value"] for o in page.select("#reporter select[name=user_id] option")}
    assert choices == {str(people[n].id) for n in ("p1", "p2")}     # not the director
    assert "No reporter is named" in text_of(page.select_one("#reporter"))
    response = client.post("/reports/reporter", {"user_id": people["p1"].id, "action": "name"})
    assert response.status_code == 303
    row = FirmReporter.get()
    assert (row.firm_id, row.user_id, row.named_by_id) == (
        world["firm_a"].id, people["p1"].id, people["director"].id)
    assert people["p1"].name in text_of(soup(client.get("/reports/")).select_one("#reporter"))
    # Naming another replaces the first; naming the same again changes nothing.
    assert client.post("/reports/reporter", {"user_id": people["p2"].id}).status_code == 303
    assert client.post("/reports/reporter", {"user_id": people["p2"].id}).status_code == 303
    assert [r.user_id for r in FirmReporter.select()] == [people["p2"].id]
    assert client.post("/reports/reporter", {"action": "unname"}).status_code == 303
    assert FirmReporter.select().count() == 0
    events = [(e.action, json.loads(e.detail)) for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert [(a, d["user"], d.get("previous")) for a, d in events] == [
        ("report.reporter_name", people["p1"].id, None),
        ("report.reporter_name", people["p2"].id, people["p1"].id),
        ("report.reporter_unname", people["p2"].id, None)]
    assert all(e.region_id == world["a"].id for e in AuditEvent.select())


def test_only_an_active_practitioner_of_the_firm_is_named_and_only_by_its_director(
        app, world, people, make_user):
    gone = make_user("practitioner", active=False)
    client = signed_in(app, people["director"])
    for bad in (people["director_b"].id, people["director_a2"].id, people["admin_a"].id,
                people["director"].id,
                gone.id, "abc", "", 2 ** 40):
        response = client.post("/reports/reporter", {"user_id": bad})
        assert response.status_code == 400, bad
        assert "Choose an active practitioner" in text_of(soup(response).select_one(
            "#reporter-error"))
    assert signed_in(app, people["p1"]).post(
        "/reports/reporter", {"user_id": people["p1"].id}).status_code == 403
    with pytest.raises(NotAllowed):
        services.name_reporter(admin(people), people["p1"].id)
    assert FirmReporter.select().count() == 0 and AuditEvent.select().count() == 0


def test_the_named_reporter_writes_and_another_practitioner_cannot(app, world, people):
    today = local_today()
    month = today.strftime("%Y-%m")
    p1, p2 = signed_in(app, people["p1"]), signed_in(app, people["p2"])
    assert not soup(p1.get("/home/me")).select(".report-reporter-home")
    assert p1.get("/reports/").status_code == 403
    services.name_reporter(director(people), people["p1"].id)

    home = soup(p1.get("/home/me")).select_one(".report-reporter-home")
    assert home.select_one("a")["href"] == "/reports/"
    page = soup(p1.get("/reports/"))
    assert page.select_one(".report-months") and not page.select("#reporter form")
    assert not page.select("a[href^='/inspections']")
    response = p1.post("/reports/new", info_form(kind="info", month=month,
                                                 idempotency_key=uuid.uuid4().hex))
    assert response.status_code == 303
    report = FirmReport.get()
    assert (report.firm_id, report.author_id) == (world["firm_a"].id, people["p1"].id)
    assert p1.get(f"/reports/{report.id}").status_code == 200
    assert p1.post(f"/reports/{report.id}/edit", info_form(
        kind="info", month=month, body="改过的正文")).status_code == 303
    assert FirmReport.get_by_id(report.id).body == "改过的正文"
    assert services.can_write(actor_for(people["p1"], "practitioner"))

    # Another practitioner of the same firm: not the reporter.
    assert not soup(p2.get("/home/me")).select(".report-reporter-home")
    assert p2.get("/reports/").status_code == 403
    assert p2.get("/reports/new?kind=info").status_code == 403
    assert p2.post("/reports/new", info_form(kind="info", month=month)).status_code == 403
    assert p2.get(f"/reports/{report.id}").status_code == 404
    assert p2.get(f"/reports/{report.id}/edit").status_code == 403
    assert FirmReport.select().count() == 1

    # Unnamed: the reporter's way in closes.
    services.unname_reporter(director(people))
    assert p1.get("/reports/").status_code == 403
    assert p1.get(f"/reports/{report.id}").status_code == 404


def test_the_reporter_of_one_firm_sees_nothing_of_another(app, world, people, make_user,
                                                         firm_a2):
    services.name_reporter(director(people), people["p1"].id)
    own = send(people)
    other = send(people, name="director_a2")
    reporter = actor_for(people["p1"], "practitioner")
    assert {r.id for r in services.firm_reports(reporter)} == {own.id}
    client = signed_in(app, people["p1"])
    assert client.get(f"/reports/{other.id}").status_code == 404
    assert client.get(f"/reports/{other.id}/edit").status_code == 404
    with pytest.raises(NotAllowed):
        services.edit(reporter, other, info_form())
    # Moved to the other firm: no longer the first firm's reporter, nor the second's.
    people["p1"].firm = firm_a2
    people["p1"].save()
    RoleGrant.update(firm=firm_a2).where(RoleGrant.user == people["p1"].id).execute()
    moved = actor_for(people["p1"], "practitioner")
    assert not services.can_write(moved)
    assert set(services.firm_reports(moved)) == set()
    assert services.reporter(world["firm_a"]) is None


def test_a_director_acting_as_a_practitioner_still_writes_as_the_director(app, world, people):
    client = signed_in(app, people["director"])
    grant = RoleGrant.get(RoleGrant.user == people["director"].id,
                          RoleGrant.role == "practitioner")
    with client.c.session_transaction() as sess:
        sess["grant"] = grant.id
    assert client.get("/ledger/").status_code == 200        # acting as a practitioner
    assert client.get("/reports/").status_code == 200
    assert soup(client.get("/reports/")).select("#reporter form")


# ------------------------------------------------------------------ sent from the phone's outbox

def test_a_draft_sent_again_with_the_same_key_makes_one_report(app, world, people):
    client = signed_in(app, people["director"])
    form = case_form(kind="case", month=local_today().strftime("%Y-%m"),
                     idempotency_key=uuid.uuid4().hex)
    headers = {"Accept": "application/json"}
    first = client.post("/reports/new", form, headers=headers)
    assert first.status_code == 201 and first.get_json()["created"] is True
    again = client.post("/reports/new", form, headers=headers)
    assert again.status_code == 200 and again.get_json()["created"] is False
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["url"] == f"/reports/{first.get_json()['id']}"
    # The same key through the plain form (the first answer lost on the way): still one.
    assert client.post("/reports/new", form).status_code == 303
    assert FirmReport.select().count() == 1
    refused = client.post("/reports/new", dict(form, idempotency_key=uuid.uuid4().hex,
                                               result=""), headers=headers)
    assert refused.status_code == 400
    assert refused.get_json()["field"] == "result" and refused.get_json()["error"]
    assert FirmReport.select().count() == 1
    denied = signed_in(app, people["p2"]).post("/reports/new", dict(
        form, idempotency_key=uuid.uuid4().hex), headers=headers)
    assert denied.status_code == 403 and "reporter" in denied.get_json()["error"]
