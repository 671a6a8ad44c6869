"""Cleaning what people type: one rule for every text field of every form."""
import re
import unicodedata
from decimal import Decimal

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


def parse_count(value, field, label, high, required=False, *, invalid=None):
    """Return a whole number typed in ASCII digits, 0..high; None for a blank optional field.

    Digits of other scripts, signs, decimals and spaces inside are refused with a message
    naming the field, never passed on to int(). `invalid` replaces the standard message for
    text that is not a whole number or is too large, where a form has its own.
    """
    text = clean_text(value, field, label, 40)
    if not text:
        if required:
            raise DomainError(_("Fill in %(label)s.", label=label), field=field)
        return None
    number = _whole_number(text)
    if number is None:
        raise DomainError(invalid or _("%(label)s must be a whole number.", label=label),
                          field=field)
    if number > high:
        raise DomainError(invalid or _("%(label)s is too large (at most %(n)d).",
                                       label=label, n=high), field=field)
    return number


# A decimal in ASCII digits: 12, 1.5, .5 or 2. — no sign, no exponent, no digit groups.
_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
DECIMAL_DIGITS = 12  # more digits than any amount of hours or target the app keeps


def decimal_or_none(value):
    """Return the Decimal written in ASCII digits with an optional decimal point, or None.

    The one reading of a typed decimal: digits of other scripts, signs, exponents ("1e9999"),
    NaN and Infinity, and numbers too long for a column give None, never an exception.
    """
    text = "" if value is None else str(value).strip()
    if len(text) > DECIMAL_DIGITS + 1 or not _DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


def parse_decimal(value, field, label, low, high, *, step=None, required=False, invalid=None,
                  missing=None):
    """Return a decimal typed in ASCII digits, low..high (in steps of `step`); None if blank.

    Anything else — other scripts' digits, signs, exponents, out of range, not a multiple of
    the step — raises DomainError with `invalid` or a standard message naming the field;
    `missing` replaces "Fill in {label}." for a blank required field.
    """
    text = clean_text(value, field, label, 40)
    if not text:
        if required:
            raise DomainError(missing or _("Fill in %(label)s.", label=label), field=field)
        return None
    number = decimal_or_none(text)
    if number is None or not low <= number <= high or (step and number % step):
        raise DomainError(invalid or _("%(label)s must be a number from %(low)s to %(high)s.",
                                       label=label, low=low, high=high), field=field)
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
