"""Small helpers shared by form views."""


class FormData(dict):
    """The submitted form as a dict with getlist(), so a template reads one shape."""

    def __init__(self, form):
        super().__init__({k: form.get(k) for k in form.keys()})
        self._lists = {k: form.getlist(k) for k in form.keys()}

    def getlist(self, key):
        return self._lists.get(key, [])
