"""The county's monthly bulletin (月通报): preview, remarks, issue, print, export; firms read theirs."""
from flask import Blueprint

bulletins_bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")
