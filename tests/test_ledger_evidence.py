"""Evidence: sniffed, re-encoded without EXIF/GPS, stored outside the web root, shown only in scope."""
import io
import os

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.helpers import (PDF, categories, jpeg_bytes, key, png_bytes, signed_in, soup, text_of,
                          upload)
from webapp.i18n import local_today
from webapp.ledger import evidence as files
from webapp.ledger.models import Entry, Evidence, ReviewRule


@pytest.fixture
def people(world, make_user):
    return {
        "p": make_user("practitioner"),
        "q": make_user("practitioner"),
        "director": make_user("director"),
        "admin": make_user("county_admin"),
        "admin_b": make_user("county_admin", county=world["b"]),
        "city": make_user("city_admin"),
    }


@pytest.fixture
def as_p(app, people):
    return signed_in(app, people["p"])


def entry_form(**over):
    data = {"date": local_today().isoformat(), "hours": "2", "category": "mediation",
            "idempotency_key": key(), "csrf_token": "test-csrf-token"}
    data.update(over)
    return data


def post_with(client, files_, **over):
    data = entry_form(**over)
    data["evidence"] = files_
    return client.c.post("/ledger/new/public_service", data=data,
                         content_type="multipart/form-data")


def stored_files(app):
    root = os.path.join(app.config["UPLOAD_DIR"], "evidence")
    found = []
    for folder, _dirs, names in os.walk(root):
        found.extend(os.path.join(folder, n) for n in names)
    return found


@pytest.fixture
def clean_uploads(app):
    for path in stored_files(app):
        os.remove(path)
    yield


def test_a_phone_photo_is_reencoded_smaller_without_exif_or_gps(app, as_p, clean_uploads):
    original = jpeg_bytes()
    assert b"PhoneModel" in original
    response = post_with(as_p, [upload(original, "IMG_0001.JPG")])
    assert response.status_code == 303
    item = Evidence.get()
    assert item.content_type == "image/jpeg" and item.original_name == "IMG_0001.JPG"
    path = files.path_for(item.stored_name)
    # Outside the web root, under a random name that says nothing about the person.
    assert os.path.commonpath([path, app.static_folder]) != app.static_folder
    assert path.startswith(app.config["UPLOAD_DIR"])
    assert item.stored_name != "IMG_0001.JPG" and len(item.stored_name) >= 36
    with open(path, "rb") as fh:
        data = fh.read()
    assert b"PhoneModel" not in data and b"PhoneMaker" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert max(image.size) == files.LONG_SIDE
        assert not image.getexif()
        assert image.info.get("exif") is None
    with Image.open(files.path_for(item.stored_name, thumb=True)) as thumb:
        assert max(thumb.size) == files.THUMB_SIDE
    assert item.size == len(data)


def test_the_photo_is_turned_upright_before_exif_goes(app, as_p, clean_uploads):
    image = Image.new("RGB", (400, 200), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6   # the phone was held upright: rotate 90 degrees
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    assert post_with(as_p, [upload(out.getvalue())]).status_code == 303
    with Image.open(files.path_for(Evidence.get().stored_name)) as stored:
        assert stored.size == (200, 400)


def test_png_with_transparency_and_a_pdf_are_accepted(app, as_p, clean_uploads):
    assert post_with(as_p, [upload(png_bytes(), "screen.png", "image/png")]).status_code == 303
    assert post_with(as_p, [upload(PDF, "证书.pdf", "application/pdf")]).status_code == 303
    pdf = Evidence.get(Evidence.content_type == "application/pdf")
    with open(files.path_for(pdf.stored_name), "rb") as fh:
        assert fh.read() == PDF
    assert pdf.original_name == "证书.pdf"


@pytest.mark.parametrize("data,name,declared,why", [
    (b"hello, this is text", "photo.jpg", "image/jpeg", "not a photo or a PDF"),
    (b"<html><script>alert(1)</script></html>", "x.png", "image/png", "not a photo or a PDF"),
    (b"MZ\x90\x00" + b"\x00" * 100, "setup.exe", "application/pdf", "not a photo or a PDF"),
    (b"\xff\xd8\xff\xe0" + b"garbage" * 50, "broken.jpg", "image/jpeg", "could not be read"),
    (b"%PDF-1.4 no end marker", "cut.pdf", "application/pdf", "damaged"),
    (b"", "empty.jpg", "image/jpeg", "is empty"),
])
def test_files_that_are_not_what_they_claim_are_refused(app, as_p, clean_uploads, data, name,
                                                        declared, why):
    response = post_with(as_p, [upload(data, name, declared)])
    assert response.status_code == 400
    message = text_of(soup(response).select_one("[name=evidence]").find_parent(class_="field"))
    assert why in message
    assert Entry.select().count() == 0 and Evidence.select().count() == 0
    assert stored_files(app) == []


def test_a_declared_image_that_is_a_pdf_is_stored_as_a_pdf(as_p, clean_uploads):
    assert post_with(as_p, [upload(PDF, "scan.jpg", "image/jpeg")]).status_code == 303
    assert Evidence.get().content_type == "application/pdf"


@pytest.mark.parametrize("make,why", [
    (lambda: [upload(jpeg_bytes((300, 300))) for _ in range(4)], "at most 3 photos"),
    (lambda: [upload(jpeg_bytes((300, 300))), upload(PDF, "a.pdf", "application/pdf")],
     "not both"),
    (lambda: [upload(PDF, "a.pdf", "application/pdf"), upload(PDF, "b.pdf", "application/pdf")],
     "at most one PDF"),
])
def test_counts_are_limited(app, as_p, clean_uploads, make, why):
    response = post_with(as_p, make())
    assert response.status_code == 400
    assert why in " ".join(text_of(e) for e in soup(response).select(".field-error"))
    assert Entry.select().count() == 0 and stored_files(app) == []


def test_oversized_files_are_refused(app, as_p, clean_uploads, monkeypatch):
    monkeypatch.setattr(files, "MAX_IMAGE_BYTES", 50_000)
    monkeypatch.setattr(files, "MAX_PDF_BYTES", 1_000)
    big_photo = jpeg_bytes((1500, 1500), colour=(1, 2, 3)) + b"\x00" * 60_000
    response = post_with(as_p, [upload(big_photo)])
    assert response.status_code == 400 and "too large" in text_of(soup(response))
    big_pdf = PDF[:-7] + b"x" * 2000 + b"\n%%EOF\n"
    response = post_with(as_p, [upload(big_pdf, "big.pdf", "application/pdf")])
    assert response.status_code == 400 and "too large" in text_of(soup(response))
    assert Entry.select().count() == 0 and stored_files(app) == []


def test_a_request_over_the_size_limit_is_413_and_writes_nothing(app, as_p, clean_uploads):
    huge = b"\xff\xd8\xff" + b"\x00" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    data = MultiDict(entry_form())
    data.add("evidence", FileStorage(io.BytesIO(huge), "huge.jpg", content_type="image/jpeg"))
    # Encoded in memory: the test client would otherwise spool it to a temporary file.
    boundary, body = encode_multipart(data)
    response = as_p.c.post("/ledger/new/public_service", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "too large" in text_of(soup(response).select_one("h1"))
    assert Entry.select().count() == 0


def test_too_many_pixels_are_refused_before_decoding(app, as_p, clean_uploads):
    image = Image.new("1", (8000, 7000), 0)
    out = io.BytesIO()
    image.save(out, "PNG")
    response = post_with(as_p, [upload(out.getvalue(), "huge.png", "image/png")])
    assert response.status_code == 400 and "too many pixels" in text_of(soup(response))
    assert Entry.select().count() == 0


def test_evidence_is_required_for_outside_learning_when_the_county_says_so(app, as_p, world,
                                                                           clean_uploads):
    categories()
    ReviewRule.create(county=world["a"], year=local_today().year, education_needs_evidence=True)
    form = {"date": local_today().isoformat(), "hours": "2", "category": "业务技能",
            "provider": "中国法律服务网", "topic": "合同", "idempotency_key": key(),
            "csrf_token": "test-csrf-token"}
    page = soup(as_p.get("/ledger/new/education"))
    assert page.select_one("details.more [name=evidence]") is None   # not hidden under More
    response = as_p.c.post("/ledger/new/education", data=form, content_type="multipart/form-data")
    assert response.status_code == 400 and Entry.select().count() == 0
    form["evidence"] = [upload(PDF, "cert.pdf", "application/pdf")]
    form["idempotency_key"] = key()
    response = as_p.c.post("/ledger/new/education", data=form, content_type="multipart/form-data")
    assert response.status_code == 303 and Evidence.select().count() == 1


# ------------------------------------------------------------------ who may see a file

@pytest.fixture
def photo(app, as_p, clean_uploads):
    assert post_with(as_p, [upload(jpeg_bytes((600, 400)))]).status_code == 303
    return Evidence.get()


def test_evidence_is_served_only_to_people_who_may_see_the_entry(app, people, as_p, photo):
    url = f"/ledger/evidence/{photo.id}"
    for who in ("p", "director", "admin", "city"):
        client = as_p if who == "p" else signed_in(app, people[who])
        response = client.get(url)
        assert response.status_code == 200, who
        assert response.mimetype == "image/jpeg"
        assert "private" in response.headers["Cache-Control"]
        assert "sandbox" in response.headers["Content-Security-Policy"]
        response.close()
    thumb = as_p.get(url + "?size=thumb")
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= files.THUMB_SIDE
    thumb.close()
    for who in ("q", "admin_b"):
        response = signed_in(app, people[who]).get(url)
        assert response.status_code == 404, who
        assert response.mimetype == "text/html"
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    # The files are not reachable under /static.
    assert as_p.get("/static/" + photo.stored_name).status_code == 404


def test_evidence_can_be_added_and_removed_while_pending_only(app, people, as_p, photo):
    entry = photo.entry
    page = soup(as_p.get(f"/ledger/entries/{entry.id}"))
    assert page.select_one(f"img[src='/ledger/evidence/{photo.id}?size=thumb']") is not None
    add = as_p.c.post(f"/ledger/entries/{entry.id}/evidence", content_type="multipart/form-data",
                      data={"csrf_token": "test-csrf-token",
                            "evidence": [upload(jpeg_bytes((300, 300))),
                                         upload(jpeg_bytes((300, 300)))]})
    assert add.status_code == 303 and Evidence.select().count() == 3
    fourth = as_p.c.post(f"/ledger/entries/{entry.id}/evidence",
                         content_type="multipart/form-data",
                         data={"csrf_token": "test-csrf-token",
                               "evidence": [upload(jpeg_bytes((300, 300)))]})
    assert fourth.status_code == 400 and Evidence.select().count() == 3
    other = signed_in(app, people["q"])
    assert other.post(f"/ledger/evidence/{photo.id}/remove").status_code == 404
    assert as_p.post(f"/ledger/evidence/{photo.id}/remove").status_code == 303
    assert Evidence.select().count() == 2
    assert not os.path.exists(files.path_for(photo.stored_name))
    admin = signed_in(app, people["admin"])
    assert admin.post(f"/ledger/review/{entry.id}/approve").status_code == 303
    last = Evidence.select().first()
    assert as_p.post(f"/ledger/evidence/{last.id}/remove").status_code == 409
    locked = as_p.c.post(f"/ledger/entries/{entry.id}/evidence",
                         content_type="multipart/form-data",
                         data={"csrf_token": "test-csrf-token",
                               "evidence": [upload(jpeg_bytes((300, 300)))]})
    assert locked.status_code == 409 and Evidence.select().count() == 2
    assert admin.post(f"/ledger/evidence/{last.id}/remove").status_code == 403


def test_reviewers_see_thumbnails_in_the_queue(app, people, photo):
    page = soup(signed_in(app, people["admin"]).get("/ledger/review"))
    assert page.select_one(f".queue-entry img[src='/ledger/evidence/{photo.id}?size=thumb']")


def test_the_last_required_certificate_cannot_be_removed(app, as_p, world, clean_uploads):
    categories()
    ReviewRule.create(county=world["a"], year=local_today().year, education_needs_evidence=True)
    form = {"date": local_today().isoformat(), "hours": "2", "category": "业务技能",
            "provider": "中国法律服务网", "topic": "合同", "idempotency_key": key(),
            "csrf_token": "test-csrf-token", "evidence": [upload(PDF, "cert.pdf", "application/pdf")]}
    assert as_p.c.post("/ledger/new/education", data=form,
                       content_type="multipart/form-data").status_code == 303
    item = Evidence.get()
    response = as_p.post(f"/ledger/evidence/{item.id}/remove")
    assert response.status_code == 400 and "last one" in text_of(soup(response))
    assert Evidence.select().count() == 1
