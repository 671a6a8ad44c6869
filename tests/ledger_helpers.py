"""Helpers for the ledger tests: actors, signed-in clients, forms and test images."""
import datetime
import io
import uuid

from PIL import Image

from tests.conftest import english_client
from webapp.accounts import permissions as perm
from webapp.accounts.models import RoleGrant
from webapp.accounts.services import start_session
from webapp.ledger import services
from webapp.trainings.models import TrainingCategory

TODAY = datetime.date(2026, 6, 15)


def actor_for(user, role):
    """An Actor for the user acting in one of their roles."""
    grants = list(RoleGrant.select().where(RoleGrant.user == user))
    grant = next(gr for gr in grants if gr.role == role)
    return perm.Actor(user=user, grant=grant, grants=grants)


def signed_in(app, user, language="en"):
    """A client signed in as the user without a password check (argon2 is slow)."""
    client = english_client(app, language)
    with client.c.session_transaction() as sess:
        sess["token"] = start_session(user, "test")
        sess["csrf"] = "test-csrf-token"
    return client


def key():
    return uuid.uuid4().hex


def public_form(**over):
    data = {"date": TODAY.isoformat(), "hours": "2", "category": "consultation",
            "place": "城关社区", "people_served": "3", "description": "劳动合同咨询"}
    data.update(over)
    return data


def legal_aid_form(**over):
    data = {"case_number": "甲法援〔2026〕12号", "date": TODAY.isoformat(), "case_type": "civil",
            "case_status": "in_progress", "closed_on": "", "description": "追索劳动报酬纠纷"}
    data.update(over)
    return data


def education_form(**over):
    data = {"date": TODAY.isoformat(), "hours": "3", "category": "业务技能",
            "provider": "中国法律服务网", "topic": "民法典合同编解读", "place": "线上"}
    data.update(over)
    return data


def categories():
    """The default training categories (as a deployment or the demo sets them up)."""
    for pos, (name, name_en) in enumerate([("政治理论", "Political theory"),
                                           ("业务技能", "Professional skills")], start=1):
        TrainingCategory.get_or_create(name=name, defaults={"name_en": name_en,
                                                            "position": pos})


def log(user, kind="public_service", today=TODAY, **over):
    """Create an entry through the service (validated like the form)."""
    form = {"public_service": public_form, "legal_aid": legal_aid_form,
            "education": education_form}[kind](**over)
    entry, _created = services.create_entry(user, kind, form, key=key(), today=today)
    return entry


def jpeg_bytes(size=(2400, 1800), gps=True, colour=(200, 80, 40)):
    """A JPEG with camera EXIF and a GPS position (what a phone sends)."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"        # Make
    exif[0x0110] = "PhoneModel 12"     # Model
    exif[0x0112] = 1                   # Orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 5.0), 3: "E", 4: (121.0, 28.0, 9.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def png_bytes(size=(300, 200), mode="RGBA"):
    image = Image.new(mode, size, (10, 120, 200, 128) if mode == "RGBA" else 1)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    """A file for a test client's multipart form."""
    return (io.BytesIO(data), name, content_type)
