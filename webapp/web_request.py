"""The request every view reads: NUL bytes stripped, JSON that cannot be parsed is a 400.

Choice: NUL bytes (U+0000) are *stripped* from every form value, form key, query-string
value and key, uploaded file name, and every string (and key) of a JSON body, rather than
refused. A NUL is never meaningful in anything a person types (clean_text drops it too);
stripping at the edge means no code path — the CSRF check, an error page, a login throttle
keyed on the login typed — ever meets one, and PostgreSQL (which refuses NUL in text) never
receives one. A login of "\\x00" is then simply a blank login, refused like any other.

JSON: a body nested deeper than MAX_JSON_DEPTH, or so deep that the parser gives up with
RecursionError, is treated like any unreadable JSON: get_json(silent=True) returns None and
get_json() answers 400 (Flask's BadRequest), never a 500.
"""
from flask import Request
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.utils import cached_property

NUL = "\x00"
# No JSON this app receives (a scan, a push subscription) nests more than three levels.
MAX_JSON_DEPTH = 32


class TooDeep(ValueError):
    """A JSON body nested deeper than any the app receives."""


def strip_nul(value):
    """Return the text without NUL bytes (anything else unchanged)."""
    return value.replace(NUL, "") if isinstance(value, str) else value


def _clean_multidict(data, cls=ImmutableMultiDict):
    """Return a copy of a form or query multidict with NUL stripped from keys and values."""
    if not any(NUL in key or any(NUL in v for v in data.getlist(key) if isinstance(v, str))
               for key in data.keys()):
        return data
    return cls([(strip_nul(key), strip_nul(value)) for key, value in data.items(multi=True)])


def clean_json(value):
    """Return parsed JSON with NUL stripped from every string and key; TooDeep if too nested.

    Walks the structure with an explicit stack, so a deep body cannot exhaust Python's.
    """
    root = [value]
    stack = [(root, 0, 0)]
    while stack:
        container, key, depth = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = strip_nul(item)
        elif isinstance(item, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                raise TooDeep("JSON nested too deeply")
            if isinstance(item, dict) and any(NUL in k for k in item):
                item = {strip_nul(k): v for k, v in item.items()}
                container[key] = item
            keys = range(len(item)) if isinstance(item, list) else list(item)
            stack.extend((item, k, depth + 1) for k in keys)
    return root[0]


class WebRequest(Request):
    """Flask's request with NUL stripped from what people send and safe JSON parsing."""

    @cached_property
    def args(self):
        """The query string, without NUL bytes."""
        return _clean_multidict(super().args, self.parameter_storage_class)

    def _load_form_data(self):
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.__dict__["form"] = _clean_multidict(self.__dict__["form"],
                                                 self.parameter_storage_class)
        files = self.__dict__.get("files")
        if files:
            for upload in files.values():
                if upload.filename and NUL in upload.filename:
                    upload.filename = strip_nul(upload.filename)

    def get_json(self, force=False, silent=False, cache=True):
        """Parse the body as JSON; unreadable, too deep or NUL-laden JSON never raises a 500."""
        if cache and self._cached_json[silent] is not Ellipsis:
            return self._cached_json[silent]
        try:
            value = clean_json(super().get_json(force=force, silent=silent, cache=cache))
        except (RecursionError, ValueError) as error:
            # Forget whatever the parser cached (a too-deep body parses, then is refused here).
            self._cached_json = (Ellipsis, None if silent and cache else Ellipsis)
            if not silent:
                return self.on_json_loading_failed(
                    error if isinstance(error, ValueError) else TooDeep(str(error)))
            return None
        if cache:
            loud, quiet = self._cached_json
            self._cached_json = (loud if loud is Ellipsis else value,
                                 quiet if quiet is Ellipsis else value)
        return value

    def on_json_loading_failed(self, e):
        """Answer 400 for JSON that cannot be read (415 stays for a body that is not JSON)."""
        if isinstance(e, (RecursionError, ValueError)):
            raise BadRequest()
        return super().on_json_loading_failed(e)
