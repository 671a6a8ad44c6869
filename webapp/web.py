"""Web helpers every view shares: page or fragment, redirects, form data, ids, the client's address,
Excel workbooks."""
import datetime
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from flask import (abort, current_app, has_request_context, make_response, redirect, render_template,
                   request, send_file)
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; SQLite raises OverflowError above 2**63


def is_htmx():
    """Say whether this request came from htmx."""
    return request.headers.get("HX-Request") == "true"


def wants_fragment():
    """Say whether to answer with the fragment only (htmx, not boosted, not a history restore)."""
    return (is_htmx() and request.headers.get("HX-Boosted") != "true"
            and request.headers.get("HX-History-Restore-Request") != "true")


def render(page, fragment=None, status=200, **context):
    """Render the page, or only its fragment for an htmx request; vary on HX-Request."""
    template = fragment if (fragment and wants_fragment()) else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def redirect_after_post(url):
    """Answer a successful POST: 303 for browsers, HX-Redirect for htmx."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


class FormData(dict):
    """The submitted form as a dict with getlist(), so a template reads one shape."""

    def __init__(self, form):
        super().__init__({k: form.get(k) for k in form.keys()})
        self._lists = {k: form.getlist(k) for k in form.keys()}

    def getlist(self, key):
        return self._lists.get(key, [])


def object_id(value):
    """Parse an id a browser sent (ASCII digits that fit an id column), or raise ValueError."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
        raise ValueError(f"not an id: {value!r}")
    return int(text)


def client_address():
    """Return the client's address, or ''. Behind the one proxy we trust (TRUST_PROXY), it is the
    last address of X-Forwarded-For: the one that proxy saw and appended. Addresses before it
    are whatever the client sent, so a client cannot pick its own address to dodge a limit."""
    if not has_request_context():
        return ""
    if current_app.config.get("TRUST_PROXY"):
        return request.headers.get("X-Forwarded-For", "").split(",")[-1].strip() or request.remote_addr
    return request.remote_addr or ""


# ------------------------------------------------------------------ Excel workbooks

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A spreadsheet reads a cell that starts with one of these as a formula (or a DDE call); an
# East Asian input method types the full-width forms, which Excel turns into a formula too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN = (int, float, Decimal, datetime.date, datetime.time, datetime.timedelta)
# What XML 1.0 cannot hold at all: C0 controls other than tab, newline and carriage return,
# U+FFFE, U+FFFF and lone surrogates. Such characters are dropped (as inputs.clean_text does).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# OOXML reads "_xHHHH_" in a string as an escaped character; its underscore, escaped as
# _x005F_, keeps the text as typed.
_OOXML_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
# A cell holds at most 32,767 characters (UTF-16 code units); longer text is cut and ends in "…".
CELL_MAX = 32767
# Sheet names: 31 characters at most, none of these, and no apostrophe at either end.
SHEET_TITLE_MAX = 31
_NOT_IN_TITLE = re.compile(r"[\\/?*:\[\]]")
_NOT_IN_FILENAME = re.compile(r'[\\/:*?"<>|]')
FILENAME_MAX = 120


def looks_like_formula(text):
    """Say whether a spreadsheet would take this text for a formula."""
    return isinstance(text, str) and text.startswith(FORMULA_START)


def _utf16_cut(text, limit):
    """The text cut to at most `limit` UTF-16 code units, never inside a surrogate pair."""
    if len(text) * 2 <= limit:
        return text     # fast path: even all astral characters would fit
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def cell_text(text):
    """Text as a cell holds it: no characters XML cannot hold, cut to a cell's size, escaped."""
    text = _NOT_XML.sub("", text)
    cut = _utf16_cut(text, CELL_MAX)
    if cut != text:
        text = _utf16_cut(cut, CELL_MAX - 1) + "\u2026"
    return _OOXML_ESCAPE.sub("_x005F_", text)


def sheet_title(title):
    """A sheet name Excel accepts: no control or forbidden characters, 31 characters at most."""
    text = "".join(c for c in str(title) if unicodedata.category(c)[0] != "C")
    text = _utf16_cut(_NOT_IN_TITLE.sub("_", text), SHEET_TITLE_MAX).strip().strip("'").strip()
    if text.casefold() == "history":    # reserved by Excel
        text += "_"
    return text or _("Sheet")


def download_name(filename):
    """A file name safe on every system: no control or path characters, of a sensible length."""
    text = "".join(c for c in str(filename) if unicodedata.category(c)[0] != "C")
    stem, dot, ext = _NOT_IN_FILENAME.sub("_", text).rpartition(".")
    if not dot:
        stem, ext = ext, ""
    stem = stem.strip(" .")[:FILENAME_MAX].strip(" .") or _("export")
    return f"{stem}.{ext}" if ext else stem


class Bold(list):
    """A row written in bold: the header of a second table further down a sheet."""


@dataclass
class Sheet:
    """One worksheet: a large heading, plain lines, a bold header row, the rows, column widths.

    The header row is frozen when `freeze` is set; widths are given from column A on (None
    leaves a column as it is).
    """
    title: str
    header: list
    rows: list
    widths: tuple = ()
    heading: str = None
    above: list = field(default_factory=list)
    freeze: bool = True


def _clean(value):
    """A value as a spreadsheet may hold it: lazy translations as text, text as cell_text."""
    if value is not None and not isinstance(value, (str, bool) + _PLAIN):
        value = str(value)      # lazy translations and the like
    if isinstance(value, str):
        value = cell_text(value)
    return value


def _needs_style(value):
    return looks_like_formula(value) or isinstance(value, datetime.date)


def _style(cell, value):
    """Text that looks like a formula stays text; dates read as dates."""
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, datetime.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, datetime.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def _write_cell(sheet, row, column, value):
    """Write one value; text stays text (never a formula) and dates read as dates."""
    value = _clean(value)
    return _style(sheet.cell(row=row, column=column, value=value), value)


def _lines(spec):
    """A sheet's lines from the top: the heading, the lines above, the header, the rows."""
    if spec.heading is not None:
        yield "heading", [spec.heading]
    for values in spec.above:
        yield ("bold" if isinstance(values, Bold) else "plain"), values
    yield "bold", spec.header
    for values in spec.rows:
        yield ("bold" if isinstance(values, Bold) else "plain"), values


FONTS = {"heading": Font(bold=True, size=14), "bold": Font(bold=True)}


def _header_line(spec):
    return (spec.heading is not None) + len(spec.above) + 1


def workbook(sheets):
    """Build an openpyxl workbook from Sheets, writing every text as text (never a formula).

    For a workbook its caller changes further (the roster template's pick lists); a list of
    Sheets given to xlsx_bytes or xlsx_response is streamed instead (see _stream)."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title))
        for line, (kind, values) in enumerate(_lines(spec), start=1):
            for column, value in enumerate(values, start=1):
                cell = _write_cell(sheet, line, column, value)
                if kind in FONTS:
                    cell.font = FONTS[kind]
        _dress(sheet, spec)
    return book


def _dress(sheet, spec):
    for column, width in enumerate(spec.widths, start=1):
        if width:
            sheet.column_dimensions[get_column_letter(column)].width = width
    if spec.freeze:
        sheet.freeze_panes = f"A{_header_line(spec) + 1}"


def _stream(sheets):
    """The same workbook as workbook(sheets), written row by row (openpyxl's write-only mode):
    about a third of the time and a fraction of the memory for a province's people."""
    book = Workbook(write_only=True)
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title))
        _dress(sheet, spec)
        for kind, values in _lines(spec):
            font = FONTS.get(kind)
            row = []
            for value in values:
                value = _clean(value)
                if font is not None or _needs_style(value):
                    cell = _style(WriteOnlyCell(sheet, value=value), value)
                    if font is not None:
                        cell.font = font
                    value = cell
                row.append(value)
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_bytes(book):
    """Return a workbook (or a list of Sheets, streamed) as .xlsx bytes."""
    if not isinstance(book, Workbook):
        return _stream(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(filename, book):
    """Answer with a workbook (or a list of Sheets) as a download, its name in UTF-8."""
    response = send_file(io.BytesIO(xlsx_bytes(book)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                         download_name=download_name(filename), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ------------------------------------------------------------------ stored files

# An uploaded file is sent under this policy whatever it holds: a file that is not what it
# claims (a PDF with script, an SVG) then runs nothing, reaches nothing and is never sniffed.
STORED_FILE_CSP = "default-src 'none'; sandbox"
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def send_stored_file(path, content_type, name=None, thumb=False):
    """Send an uploaded file (404 when gone): photos inline, anything else (a PDF) as a download,
    sandboxed, never sniffed, kept only by this browser."""
    mimetype = "image/jpeg" if thumb else (content_type or "application/octet-stream")
    inline = mimetype in INLINE_TYPES
    try:
        response = send_file(path, mimetype=mimetype, as_attachment=not inline,
                             download_name=name or None, conditional=True, max_age=0)
    except FileNotFoundError:
        abort(404)
    response.headers["Content-Security-Policy"] = STORED_FILE_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
