"""The words for a branch's kinds, activities, standings, marks and statuses (one copy for all)."""
from flask_babel import lazy_gettext as _l

BRANCH_KIND_LABELS = {"independent": _l("Independent branch"), "joint": _l("Joint branch")}
ACTIVITY_LABELS = {
    "theme_day": _l("Theme party day"),
    "members_meeting": _l("Branch members' meeting"),
    "committee_meeting": _l("Branch committee meeting"),
    "group_meeting": _l("Party group meeting"),
    "party_lecture": _l("Party lecture"),
    "other": _l("Other activity"),
}
STANDING_LABELS = {"full": _l("Full member"), "probationary": _l("Probationary member")}
ATTENDANCE_LABELS = {"present": _l("Present"), "excused": _l("Excused"), "absent": _l("Absent")}
STATUS_LABELS = {"planned": _l("Planned"), "held": _l("Held"), "cancelled": _l("Cancelled")}
