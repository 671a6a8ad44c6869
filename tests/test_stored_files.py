"""Every stored file goes out one way (web.send_stored_file): photos inline, PDFs as downloads,
both sandboxed, never sniffed, kept only by this browser."""
import io
import os

import pytest
from PIL import Image

from tests.helpers import (PDF, make_scene, scene_activity, scene_entry, scene_report, soup,
                           text_of)
from webapp.branches import activities
from webapp.branches.models import ActivityPhoto
from webapp.ledger import evidence as evidence_files
from webapp.ledger.models import Evidence
from webapp.reports.models import FirmReportAttachment

CSP = "default-src 'none'; sandbox"


def jpeg(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def _upload(kind):
    if kind == "pdf":
        return evidence_files.Upload(PDF, None, "application/pdf", "调解协议.pdf")
    return evidence_files.Upload(jpeg(), jpeg((8, 6)), "image/jpeg", "现场.jpg")


def evidence(scene, kind):
    upload = _upload(kind)
    stored, _paths = evidence_files.store(upload)
    item = Evidence.create(entry=scene_entry(scene), stored_name=stored,
                           content_type=upload.content_type, size=len(upload.data),
                           original_name=upload.original_name)
    return f"/ledger/evidence/{item.id}"


def attachment(scene, kind):
    upload = _upload(kind)
    stored, _paths = evidence_files.store(upload, folder="reports")
    item = FirmReportAttachment.create(
        report=scene_report(scene), stored_name=stored, content_type=upload.content_type,
        size=len(upload.data), original_name=upload.original_name)
    return f"/reports/files/{item.id}"


def photo(scene, kind):
    assert kind == "image"   # an activity keeps photos only
    stored, _paths = activities.store_photo((jpeg(), jpeg((8, 6))))
    item = ActivityPhoto.create(activity=scene_activity(scene), stored_name=stored,
                                content_type="image/jpeg", size=1)
    return f"/branch/photos/{item.id}"


ROUTES = [(evidence, "image"), (evidence, "pdf"), (attachment, "image"), (attachment, "pdf"),
          (photo, "image")]


@pytest.fixture
def scene(world, make_user, client):
    return make_scene(world, make_user, client, "county_admin")


def fetch(client, url, **kw):
    """GET a file, read it, and close it (a file response streams from an open file)."""
    response = client.get(url, **kw)
    response.get_data()
    response.close()
    return response


def assert_protected(response):
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert "private" in cache and "public" not in cache


@pytest.mark.parametrize("make,kind", ROUTES,
                         ids=[f"{make.__name__}-{kind}" for make, kind in ROUTES])
def test_each_file_route_sends_with_the_same_protections(client, scene, make, kind):
    url = make(scene, kind)
    response = fetch(client, url)
    assert_protected(response)
    disposition = response.headers.get("Content-Disposition", "")
    if kind == "pdf":
        assert response.mimetype == "application/pdf"
        assert disposition.startswith("attachment")
        assert "filename*=UTF-8''" in disposition and ".pdf" in disposition
        assert response.data == PDF
    else:
        assert response.mimetype == "image/jpeg"
        assert not disposition.startswith("attachment")
        assert response.data[:2] == b"\xff\xd8"


@pytest.mark.parametrize("make", [evidence, attachment, photo])
def test_thumbnails_are_inline_images_with_the_same_protections(client, scene, make):
    response = fetch(client, make(scene, "image") + "?size=thumb")
    assert_protected(response)
    assert response.mimetype == "image/jpeg"
    assert not response.headers.get("Content-Disposition", "").startswith("attachment")
    assert Image.open(io.BytesIO(response.data)).size == (8, 6)


@pytest.mark.parametrize("make", [evidence, attachment])
def test_a_pdf_asked_for_as_a_thumbnail_is_still_a_download(client, scene, make):
    response = fetch(client, make(scene, "pdf") + "?size=thumb")
    assert_protected(response)
    assert response.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("make,kind", ROUTES,
                         ids=[f"{make.__name__}-{kind}" for make, kind in ROUTES])
def test_a_missing_file_is_a_404_page(app, client, scene, make, kind):
    url = make(scene, kind)
    for root, _dirs, names in os.walk(app.config["UPLOAD_DIR"]):
        for name in names:
            os.remove(os.path.join(root, name))
    response = client.get(url)
    assert response.status_code == 404
    assert soup(response).find("h1") is not None and text_of(soup(response).find("h1"))


def test_a_conditional_request_is_answered_304_with_the_protections(client, scene):
    url = evidence(scene, "pdf")
    first = fetch(client, url)
    again = fetch(client, url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Content-Security-Policy"] == CSP


def test_no_page_shows_a_pdf_inline(app):
    """Templates link to a PDF (a download); none embeds one."""
    folder = os.path.join(app.root_path, os.pardir, "templates")
    for root, _dirs, names in os.walk(folder):
        for name in names:
            with open(os.path.join(root, name), encoding="utf-8") as fh:
                text = fh.read().lower()
            assert not any(tag in text for tag in ("<iframe", "<embed", "<object")), name
