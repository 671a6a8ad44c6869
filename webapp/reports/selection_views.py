"""Recommending typical cases (推荐) and the city's choice of the year's ten best (十佳)."""
from flask import Blueprint

selection_bp = Blueprint("selection", __name__, url_prefix="/selection")
