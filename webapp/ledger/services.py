"""The ledger's rules, as the rest of the app calls them.

Each rule lives in one module of this package: .kinds (what an entry can be, and its labels),
.forms (checking what a person types), .rules (a county's rules for a year), .entries
(logging, editing, evidence, withdrawing), .review (who decides, the queue, decisions) and
.system (entries that check-in and branch lists record). Views, the demo and the tests reach
them through this module's names.
"""
from .entries import (EDITABLE, add_evidence, can_edit, check_editable, create_entry, edit_entry,
                      last_category, remove_evidence, withdraw_entry)
from .forms import (MAX_HOURS, MIN_HOURS, clean_day, clean_entry, clean_hours, clean_note,
                    earliest_date, education_categories, has_id_number, parse_date)
from .kinds import (CASE_STATUSES, CASE_TYPES, KIND_GROUPS, KIND_LABELS, METRIC_KIND,
                    PUBLIC_SERVICE_TYPES, SELF_KINDS, STATUS_LABELS)
from .review import (QUEUE_PAGE, approve, bulk_approve, can_review, decline, director_years,
                     queue, queue_counts, queue_page, reviewable, reviews_anything, version_of)
from .rules import check_day_cap, clean_rule, day_total, rule_for, save_rule

__all__ = [
    "EDITABLE", "add_evidence", "can_edit", "check_editable", "create_entry", "edit_entry",
    "last_category", "remove_evidence", "withdraw_entry",
    "MAX_HOURS", "MIN_HOURS", "clean_day", "clean_entry", "clean_hours", "clean_note",
    "earliest_date", "education_categories", "has_id_number", "parse_date",
    "CASE_STATUSES", "CASE_TYPES", "KIND_GROUPS", "KIND_LABELS", "METRIC_KIND",
    "PUBLIC_SERVICE_TYPES", "SELF_KINDS", "STATUS_LABELS",
    "QUEUE_PAGE", "approve", "bulk_approve", "can_review", "decline", "director_years",
    "queue", "queue_counts", "queue_page", "reviewable", "reviews_anything", "version_of",
    "check_day_cap", "clean_rule", "day_total", "rule_for", "save_rule",
]
