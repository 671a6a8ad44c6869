"""The VAPID key pair that signs Web Push requests: from the environment, else one file kept in
the instance folder, created once even when several processes start at the same moment."""
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode

from ..config import INSTANCE

KEY_FILE = "vapid_private.pem"

_cache = {}
_lock = threading.Lock()


def key_file(config):
    """Where the generated private key is kept (VAPID_KEY_FILE, else instance/vapid_private.pem)."""
    return Path(config.get("VAPID_KEY_FILE") or INSTANCE / KEY_FILE)


def _create_once(path):
    """Write a new private key to `path` unless one is there; never replace one.

    The key is written in full to a temporary file first and then linked into place: link
    fails when the name exists, so of two processes racing, one wins and both read its key.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
    finally:
        temp.unlink(missing_ok=True)


def signer(config):
    """Return the Vapid02 signer for the configured key (read or created once per process)."""
    private = (config.get("VAPID_PRIVATE_KEY") or "").strip()
    source = ("env", private) if private else ("file", str(key_file(config)))
    with _lock:
        hit = _cache.get(source)
        if hit is None:
            if private:
                hit = Vapid02.from_string(private)
            else:
                path = key_file(config)
                _create_once(path)
                hit = Vapid02.from_pem(path.read_bytes())
            _cache[source] = hit
    return hit


def public_key(config):
    """The applicationServerKey a browser subscribes with (base64url, uncompressed point)."""
    configured = (config.get("VAPID_PUBLIC_KEY") or "").strip()
    if configured and config.get("VAPID_PRIVATE_KEY"):
        return configured
    raw = signer(config).public_key.public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)
