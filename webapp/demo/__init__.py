"""Demo data: a fictional city of three counties with a year of records.

data.py holds the tables; builder.py (with story, people, courses, branch_days, logbook)
makes the records through the same services the screens call.
"""
from .builder import DEMO_LOGINS, has_data, load_demo

__all__ = ["DEMO_LOGINS", "has_data", "load_demo"]
