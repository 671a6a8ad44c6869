"""Evidence files: sniff, re-encode (dropping EXIF and GPS), store outside the web root."""
import io
import os
import secrets
import warnings
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import DomainError

MAX_PHOTOS = 3
MAX_PDFS = 1
MAX_IMAGE_BYTES = 8 * 1024 * 1024     # as uploaded; the phone normally sends far less
MAX_PDF_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000               # refuse before decoding, not after
LONG_SIDE = 1600
THUMB_SIDE = 320
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


@dataclass
class Upload:
    """One checked file, ready to be written."""
    data: bytes
    thumb: bytes | None
    content_type: str
    original_name: str

    @property
    def is_pdf(self):
        return self.content_type == "application/pdf"


def sniff(head):
    """Return the content type the first bytes show, or None; the declared type is ignored."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _clean_name(name):
    name = os.path.basename((name or "").replace("\\", "/"))
    return "".join(ch for ch in name if ch.isprintable())[:200]


def _encode(image, side, quality):
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif= and no icc_profile=: the new file carries pixels only (no GPS, no camera).
    copy.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def reencode_image(data):
    """Decode a photo, apply its orientation, and return (full JPEG, thumbnail JPEG)."""
    unreadable = DomainError(_("This photo could not be read. Take it again, or send a "
                               "JPEG or PNG photo."), field="evidence")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise unreadable
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise DomainError(_("This photo has too many pixels. Send a smaller photo."),
                                  field="evidence")
            image.seek(0)
            image.load()
            image = ImageOps.exif_transpose(image)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise unreadable from None
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return _encode(image, LONG_SIDE, 82), _encode(image, THUMB_SIDE, 70)


def check_pdf(data):
    """Refuse a file that only pretends to be a PDF."""
    if b"%%EOF" not in data[-2048:]:
        raise DomainError(_("This PDF is damaged or incomplete. Save it again and send it."),
                          field="evidence")


def read_uploads(files, existing_photos=0, existing_pdfs=0):
    """Check uploaded files (werkzeug FileStorage) and return Upload objects; write nothing."""
    uploads = []
    for storage in files:
        if storage is None or not storage.filename:
            continue
        limit = max(MAX_IMAGE_BYTES, MAX_PDF_BYTES)
        data = storage.stream.read(limit + 1)
        if not data:
            raise DomainError(_("The file %(name)s is empty.", name=_clean_name(storage.filename)),
                              field="evidence")
        kind = sniff(data[:16])
        if kind is None:
            raise DomainError(_("%(name)s is not a photo or a PDF. Send a JPEG or PNG photo, "
                                "or one PDF.", name=_clean_name(storage.filename)),
                              field="evidence")
        if kind == "application/pdf":
            if len(data) > MAX_PDF_BYTES:
                raise DomainError(_("The PDF is too large: at most %(mb)d MB.",
                                    mb=MAX_PDF_BYTES // (1024 * 1024)), field="evidence")
            check_pdf(data)
            uploads.append(Upload(data, None, kind, _clean_name(storage.filename)))
        else:
            if len(data) > MAX_IMAGE_BYTES:
                raise DomainError(_("The photo is too large: at most %(mb)d MB.",
                                    mb=MAX_IMAGE_BYTES // (1024 * 1024)), field="evidence")
            full, thumb = reencode_image(data)
            uploads.append(Upload(full, thumb, "image/jpeg", _clean_name(storage.filename)))
    pdfs = existing_pdfs + sum(1 for u in uploads if u.is_pdf)
    photos = existing_photos + sum(1 for u in uploads if not u.is_pdf)
    if pdfs and photos:
        raise DomainError(_("Attach either photos or one PDF, not both."), field="evidence")
    if pdfs > MAX_PDFS:
        raise DomainError(_("Attach at most one PDF."), field="evidence")
    if photos > MAX_PHOTOS:
        raise DomainError(_("Attach at most %(n)d photos.", n=MAX_PHOTOS), field="evidence")
    return uploads


def upload_root(folder="evidence"):
    """The folder uploads of one kind live in (outside the static folder)."""
    return os.path.join(current_app.config["UPLOAD_DIR"], folder)


def path_for(stored_name, thumb=False, folder="evidence"):
    """Return the file path of a stored name (or of its thumbnail)."""
    if thumb:
        stored_name = stored_name.rsplit(".", 1)[0] + ".t.jpg"
    return os.path.join(upload_root(folder), stored_name[:2], stored_name)


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{secrets.token_hex(4)}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def store(upload, folder="evidence"):
    """Write one upload under a random name; return (stored_name, [paths written])."""
    stored = secrets.token_hex(16) + (".pdf" if upload.is_pdf else ".jpg")
    written = [path_for(stored, folder=folder)]
    _write(written[0], upload.data)
    if upload.thumb:
        written.append(path_for(stored, thumb=True, folder=folder))
        _write(written[1], upload.thumb)
    return stored, written


def remove_files(paths):
    """Delete written files (after a failed transaction or a removed attachment)."""
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
