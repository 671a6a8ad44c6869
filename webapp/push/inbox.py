"""The in-app inbox: every message to a person goes through `notify`, which also queues it for
push to each of their phones (push is one way to deliver the inbox, not a separate system)."""
from ..accounts.models import Notification
from . import sender


def notify(user, kind, message, link=""):
    """Put a message in the person's inbox and queue it for their phones; return it."""
    note = Notification.create(user=getattr(user, "id", user), kind=kind, message=message,
                               link=link or "")
    sender.enqueue(note)
    return note
