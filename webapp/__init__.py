"""Grassroots Ledger (基层法律服务台账): `create_app` builds the Flask application."""
from .app import create_app  # noqa: F401
