"""What a ledger holds: the kinds of entry, their statuses and types, and their labels."""
from flask_babel import lazy_gettext as _l

SELF_KINDS = ("public_service", "legal_aid", "education")
KIND_LABELS = {
    "public_service": _l("Public service"),
    "legal_aid": _l("Legal-aid case"),
    "education": _l("Outside learning"),
    "training_credit": _l("Training"),
    "party_activity": _l("Party activity"),
    "political_study": _l("Political study"),
}
STATUS_LABELS = {
    "pending": _l("Waiting for review"),
    "approved": _l("Approved"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "recorded": _l("Recorded"),
}
PUBLIC_SERVICE_TYPES = {
    "village_adviser": _l("Village or community legal adviser duty"),
    "consultation": _l("Legal consultation"),
    "mediation": _l("Dispute mediation"),
    "publicity": _l("Legal publicity"),
    "petition": _l("Law-related petition handling"),
    "aid_consultation": _l("Legal-aid consultation"),
    "other": _l("Other"),
}
CASE_TYPES = {
    "civil": _l("Civil"),
    "criminal": _l("Criminal"),
    "administrative": _l("Administrative"),
    "non_litigation": _l("Non-litigation"),
}
CASE_STATUSES = {"in_progress": _l("In progress"), "closed": _l("Closed")}
# Filters on "My year": continuing education covers outside learning and training credits.
KIND_GROUPS = {
    "education": ("education", "training_credit", "political_study"),
    "public_service": ("public_service",),
    "legal_aid": ("legal_aid",),
    "party_activity": ("party_activity",),
}
METRIC_KIND = {"education_hours": "education", "public_service_hours": "public_service",
               "legal_aid_cases": "legal_aid"}
