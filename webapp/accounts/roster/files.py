"""Reading a roster file: an .xlsx workbook's sheets or a CSV file's records, as rows of text."""
import codecs
import csv
import datetime
import io
import warnings
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _
from openpyxl import load_workbook

from ...errors import DomainError
from .columns import FIELDS, MAX_ROWS, REQUIRED, TEMPLATE_HEADERS, field_labels, match_header

MAX_COLUMNS = 40
HEADER_SEARCH_ROWS = 10             # a title row or two may sit above the column headers
MAX_CELL = 200


@dataclass
class Sheet:
    """The data rows of an uploaded roster, as text, keyed by column."""
    rows: list                       # [(line number, {field: text})]
    columns: list                    # fields found in the header
    ignored: list                    # header texts that name no column we know
    blank_rows: int = 0


def _unreadable_xlsx():
    return DomainError(_("The Excel file could not be read; it may be damaged. Open it in Excel, "
                         "save it again as .xlsx, and upload it again."))


def xlsx_sheets(data, max_unzipped):
    """Yield each worksheet's rows as (line, values); refuse a file that unpacks too large."""
    if not data.startswith(b"PK\x03\x04"):
        raise _unreadable_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_xlsx() from None
    if unpacked > max_unzipped:
        raise DomainError(_("The Excel file is too large once opened. "
                            "Delete empty rows and columns or split the roster."))
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it skips; none of that matters here.
            warnings.simplefilter("ignore")
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:   # an untrusted file can break the parser in many ways
        raise _unreadable_xlsx() from None
    try:
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            # Some programs write a wrong used range; trusting it would drop rows silently.
            sheet.reset_dimensions()
            yield _guarded(enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                     start=1))
    finally:
        book.close()


def _guarded(rows):
    """Turn a parser's failure half-way through a sheet into a plain message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield from rows
    except DomainError:
        raise
    except Exception:
        raise _unreadable_xlsx() from None


def _decode(data):
    """Decode CSV bytes: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (GBK)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:
                return text
    raise DomainError(_("The text of this CSV file could not be read. In Excel choose Save As "
                        "and pick “CSV UTF-8”, or upload the .xlsx file instead."))


def csv_rows(data):
    """Yield a CSV file's records as (line, values), guessing comma, tab or semicolon."""
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for line, values in enumerate(reader, start=1):
            yield line, values[:MAX_COLUMNS]
    except csv.Error:
        raise DomainError(_("The CSV file is not well formed (check for stray quote marks). "
                            "Save it again from Excel and upload it again.")) from None


def _cell_text(value):
    """Return a cell as stripped text (whole numbers without .0, dates as YYYY-MM-DD)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()[:10]
    text = str(value).replace("\u200b", "").replace("\ufeff", "").strip()
    return text[:MAX_CELL]


@dataclass(frozen=True)
class Layout:
    """What one kind of imported list looks like: its columns, which must be there, how a
    header text names a column, and how its messages name what the rows are."""
    fields: tuple
    required: tuple
    match_header: object        # callable(texts) -> {column index: field}
    labels: object              # callable() -> {field: label}
    headers: dict               # field -> the template's header text
    max_rows: int
    too_many: object            # callable(max_rows) -> message
    no_rows: object             # callable() -> message


def _people_too_many(n):
    return _("The file has more than %(n)d people. Split it into files of at most %(n)d rows.",
             n=n)


def _no_people():
    return _("The file has column headers but no people under them.")


ROSTER = Layout(fields=FIELDS, required=REQUIRED, match_header=match_header,
                labels=field_labels, headers=TEMPLATE_HEADERS, max_rows=MAX_ROWS,
                too_many=_people_too_many, no_rows=_no_people)


def table(sheets, layout=ROSTER):
    """Find the header row in the first sheet that has one and collect the non-blank rows."""
    best = {}
    for rows in sheets:
        header = None
        seen = 0
        result = Sheet(rows=[], columns=[], ignored=[])
        for line, values in rows:
            texts = [_cell_text(v) for v in values]
            if header is None:
                if not any(texts):
                    continue
                seen += 1
                mapping = layout.match_header(texts)
                if all(name in mapping.values() for name in layout.required):
                    header = mapping
                    result.columns = [n for n in layout.fields if n in mapping.values()]
                    result.ignored = [t for i, t in enumerate(texts) if t and i not in mapping]
                    continue
                if len(mapping) > len(best):
                    best = mapping
                if seen >= HEADER_SEARCH_ROWS:
                    break
                continue
            record = {name: texts[i] if i < len(texts) else "" for i, name in header.items()}
            if not any(record.values()):
                result.blank_rows += 1
                continue
            result.rows.append((line, record))
            if len(result.rows) > layout.max_rows:
                raise DomainError(layout.too_many(layout.max_rows))
        if header is not None:
            if not result.rows:
                raise DomainError(layout.no_rows())
            return result
    labels = layout.labels()
    if best:
        missing = [labels[n] for n in layout.required if n not in best.values()]
        raise DomainError(_("These columns are missing: %(columns)s. The first row must name "
                            "the columns, as in the template.", columns=", ".join(missing)))
    raise DomainError(_("No column headers were found. The first row must name the columns, "
                        "for example: %(headers)s.",
                        headers=", ".join(layout.headers[n] for n in layout.fields)))
