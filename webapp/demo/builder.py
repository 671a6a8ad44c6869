"""Build the demo city from webapp/demo/data.py by calling the services the screens call.

The steps, in order: regions and firms, administrators, practitioners and firm directors,
party branches, county review rules and targets, a year of trainings with their attendance,
the branches' activities and party study, what people logged themselves with its review, and the firms'
monthly reports (with an inspection and a case recommended for the city's ten best), and the
service's quality (villages and their advisers, ratings, complaints). Each
step lives in its own module; this one runs them and adds the reminders no service sends yet.
"""
import datetime
from decimal import Decimal

from flask import current_app

from ..accounts.models import Notification, Region
from ..accounts.services import hash_password
from ..db import db
from ..i18n import local_today, to_local
from ..ledger.services import clean_rule, rule_for, save_rule
from ..targets.models import Target
from .branch_days import make_branch_activities
from .courses import make_trainings
from .data import CITY_ADMIN, COUNTIES, DEMO_PASSWORD, DEMO_PEOPLE, LOGIN_LABELS, TARGETS
from .logbook import make_self_entries
from .people import make_admins, make_branches, make_people, make_regions
from .reports import make_reports
from .quality import make_quality
from .story import Story
from .study import make_study

RULE_FIELDS = ("max_public_hours_per_day", "outside_education_cap")


def has_data():
    """Say whether the database already holds data (any region)."""
    return Region.select().exists()


def load_demo(today=None):
    """Fill an empty, migrated database with a demo city; return (role, phone, password) logins."""
    if today is None:
        today = local_today()
    elif isinstance(today, datetime.datetime):
        today = today.date()
    # The services audit the request's address and link notifications to pages.
    with current_app.test_request_context(environ_base={"REMOTE_ADDR": "10.36.1.10"}), \
            db.atomic():
        story = Story(today)
        make_regions(story)
        make_admins(story)
        make_people(story, hash_password(DEMO_PASSWORD))
        make_branches(story)
        make_rules_and_targets(story)
        make_trainings(story)
        make_branch_activities(story)
        make_study(story)
        make_self_entries(story)
        make_reports(story)
        make_quality(story)
        make_reminders(story)
    return logins()


def make_rules_and_targets(story):
    """Each county's review rules for the year (Qinghe lets firm directors review)."""
    for county in COUNTIES:
        region = story.regions[county["key"]]
        defaults = rule_for(region.id, story.year)
        data = {name: str(getattr(defaults, name)) for name in RULE_FIELDS}
        data["director_reviews"] = "1" if county["key"] == "qinghe" else ""
        with story.happened_at(story.created):
            save_rule(story.county_admin[county["key"]], region, story.year, clean_rule(data))
    # No service edits targets yet: the city's defaults for last year and this one.
    for year in (story.year - 1, story.year):
        for metric, value, source in TARGETS:
            Target.create(year=year, metric=metric, region=story.city, firm=None,
                          value=Decimal(str(value)), source=source)


def _notify(story, person, kind, message):
    Notification.create(user=person.user.id, kind=kind, message=message, link="",
                        created_at=story.before_cutoff(story.cutoff), read_at=None)


def make_reminders(story):
    """The reminders a push sender will write (none does yet): a training, pace, reviews."""
    soon = story.upcoming[0]
    local = to_local(soon.start_at)
    for person in story.people:
        if person.user.county_id == soon.organiser_id and person.active_from <= story.today:
            _notify(story, person, "training_reminder",
                    f"培训提醒：{local.month}月{local.day}日 {local:%H:%M}"
                    f"「{soon.title}」在{soon.place}举行，请提前到场扫码签到。")
    for person in [p for p in story.people if p.profile["public_service"] == "at_risk"][:4]:
        _notify(story, person, "behind_pace",
                f"您{story.year}年的公益服务时长落后于进度，请及时登记已开展的服务。")
    director = story.demo["director"]
    _notify(story, director, "review_waiting", f"{director.firm_name}有新的记录等待您审核。")


def logins():
    """The demo logins: (role, phone, password), the city administrator first."""
    table = [("City administrator", CITY_ADMIN[2], DEMO_PASSWORD)]
    first = COUNTIES[0]
    table.append((f"County administrator, {first['en']}", first["admin"][2], DEMO_PASSWORD))
    table += [(label, DEMO_PEOPLE[key][3], DEMO_PASSWORD) for key, label in LOGIN_LABELS]
    table += [(f"County administrator, {county['en']}", county["admin"][2], DEMO_PASSWORD)
              for county in COUNTIES[1:]]
    return table


# The demo logins, printed by `make run` whether the data was just loaded or already there.
DEMO_LOGINS = logins()
