"""Cleaning what people type: one rule for every text field of every form."""
import re
import unicodedata

from flask_babel import gettext as _

from .errors import DomainError

# Invisible characters that only hide or reorder text: zero-width spaces, bidirectional
# overrides and isolates, the byte-order mark. A name or topic never needs them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069\ufeff"))
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")


def _keep(ch, multiline):
    """Say whether a character may stay: no control characters (a newline where allowed)."""
    if ch == "\n":
        return multiline
    return unicodedata.category(ch) not in ("Cc", "Cs")


def clean_text(value, field, label, max_len, required=False, multiline=False, *,
               missing=None, too_long=None):
    """Return typed text trimmed, in NFC, without control characters; refuse blank or long text.

    Tabs and (unless multiline) line breaks become spaces; other control characters, NUL
    bytes and invisible direction marks are dropped. `missing` and `too_long` replace the
    standard messages ("Fill in {label}." and "{label} is too long …") where a form has its own.
    """
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    text = _LINE_BREAKS.sub("\n", text).replace("\t", " ").translate(_INVISIBLE)
    if not multiline:
        text = text.replace("\n", " ")
    text = "".join(ch for ch in text if _keep(ch, multiline)).strip()
    if required and not text:
        raise DomainError(missing or _("Fill in %(label)s.", label=label), field=field)
    if len(text) > max_len:
        raise DomainError(too_long or _("%(label)s is too long (at most %(n)d characters).",
                                        label=label, n=max_len), field=field)
    return text


def _whole_number(text):
    """The number written in ASCII digits (commas between thousands allowed), or None."""
    text = text.replace(",", "")
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def parse_count(value, field, label, high, required=False):
    """Return a whole number typed in ASCII digits, 0..high; None for a blank optional field.

    Digits of other scripts, signs, decimals and spaces inside are refused with a message
    naming the field, never passed on to int().
    """
    text = clean_text(value, field, label, 40)
    if not text:
        if required:
            raise DomainError(_("Fill in %(label)s.", label=label), field=field)
        return None
    number = _whole_number(text)
    if number is None:
        raise DomainError(_("%(label)s must be a whole number.", label=label), field=field)
    if number > high:
        raise DomainError(_("%(label)s is too large (at most %(n)d).", label=label, n=high),
                          field=field)
    return number


YEAR_LOW, YEAR_HIGH = 2000, 2100


def parse_year(value, default):
    """Return a year 2000..2100 written in four ASCII digits; the default for anything else.

    For a ?year= in an address, where a wrong value is not the visitor's mistake to explain:
    surrounding spaces are trimmed, and digits of other scripts (full-width too, as
    parse_count refuses them), signs, letters, NUL bytes and huge numbers give the default.
    """
    text = "" if value is None else str(value).strip()
    year = _whole_number(text) if len(text) == 4 else None
    return year if year is not None and YEAR_LOW <= year <= YEAR_HIGH else default
