"""The demo city's regions, firms, people and party branches."""
import datetime
import random

from ..accounts.models import Firm, Region, RegionYear, RoleGrant, User
from ..accounts.services import create_admin, set_director
from ..branches.models import Branch
from ..branches.services import add_member, clean_branch, county_firms, save_branch, set_secretary
from .data import (BRANCHES, CITY, CITY_ADMIN, COUNTIES, DEMO_PASSWORD, DEMO_PEOPLE, FIRMS,
                   FIXED_PROFILES, NAMES, NEW_LICENSEE_SHARE, NEW_LICENSEES, PROBATIONARY,
                   PROFILE_WEIGHTS, PROFILES, TRUANT)

METRICS = ("education", "public_service", "legal_aid")


class Person:
    """A practitioner of the demo, with the profile the story aims each metric at."""

    def __init__(self, user, firm_name, county, active_from, party, new):
        self.user = user
        self.firm_name = firm_name
        self.county = county
        self.active_from = active_from
        self.party = party
        self.new = new
        self.profile = {}


def make_regions(story):
    story.city = Region.create(name=CITY["name"], kind="city", population=CITY["population"],
                               created_at=story.created)
    story.regions, story.firms, story.firm_places = {}, {}, {}
    for county in COUNTIES:
        region = Region.create(name=county["name"], kind="county", parent=story.city,
                               population=county["population"], created_at=story.created)
        story.regions[county["key"]] = region
        RegionYear.create(region=region, year=story.year, population=county["population"],
                          lawyers=county["lawyers"])
    for ckey, name, setting, township, _size, _party, villages in FIRMS:
        story.firms[name] = Firm.create(name=name, county=story.regions[ckey], setting=setting,
                                        township=township, created_at=story.created)
        story.firm_places[name] = villages


def _admin(story, person, role, region):
    name, username, phone = person
    story.phones.add(phone)
    with story.happened_at(story.created):
        user = create_admin(name, phone, DEMO_PASSWORD, role, region)
    story.backdate(User, user.id, username=username, created_at=story.created)
    story.backdate(RoleGrant, RoleGrant.get(RoleGrant.user == user.id).id,
                   created_at=story.created)
    return user


def make_admins(story):
    story.city_admin = _admin(story, CITY_ADMIN, "city_admin", story.city)
    story.county_admin = {c["key"]: _admin(story, c["admin"], "county_admin",
                                           story.regions[c["key"]])
                          for c in COUNTIES}


def _age(story, idx, new):
    rng = story.rng
    if new:
        return rng.randint(27, 33)
    if idx == 0:
        return rng.randint(52, 60)
    roll = rng.random()
    return (rng.randint(48, 62) if roll < 0.72 else
            rng.randint(36, 47) if roll < 0.95 else rng.randint(31, 35))


def _education(name, age):
    """Younger practitioners more often hold a degree (its own random stream: the story's
    sequence of draws stays as it was)."""
    rng = random.Random(f"education-{name}")
    levels = ("bachelor", "college", "secondary") if age < 45 else ("college", "secondary", "bachelor")
    return rng.choices(levels, weights=(6, 3, 1))[0]


def _licensed_on(story, fname, new, birth_year):
    if new:
        share = NEW_LICENSEE_SHARE[list(NEW_LICENSEES).index(fname)]
        return story.jan1 + datetime.timedelta(days=int((story.today - story.jan1).days * share))
    rng = story.rng
    return datetime.date(rng.randint(max(birth_year + 25, 1994), story.year - 2),
                         rng.randint(1, 12), rng.randint(1, 28))


def make_people(story, password_hash):
    """Every firm's practitioners (the demo logins among them) and its director."""
    story.phones.update(phone for _name, _firm, _idx, phone in DEMO_PEOPLE.values())
    slots = {(firm, idx): (key, name, phone)
             for key, (name, firm, idx, phone) in DEMO_PEOPLE.items()}
    reserved = {name for name, *_rest in DEMO_PEOPLE.values()} | set(NEW_LICENSEES.values())
    pool = [n for n in NAMES if n not in reserved]
    story.rng.shuffle(pool)
    story.people, story.by_firm, story.demo = [], {}, {}
    for county in COUNTIES:
        region = story.regions[county["key"]]
        for _ckey, fname, _setting, _township, size, party_count, _villages in (
                f for f in FIRMS if f[0] == county["key"]):
            firm = story.firms[fname]
            members = []
            for idx in range(size):
                slot = slots.get((fname, idx)) or slots.get((fname, idx - size))
                new = fname in NEW_LICENSEES and idx == size - 1
                if slot:
                    name, phone = slot[1], slot[2]
                else:
                    name = NEW_LICENSEES[fname] if new else pool.pop()
                    phone = story.phone()
                birth_year = story.year - _age(story, idx, new)
                licensed = _licensed_on(story, fname, new, birth_year)
                created = (story.before_cutoff(story.utc(licensed, 10, 0)) if new
                           else story.created)
                user = User.create(
                    name=name, phone=phone, firm=firm, county=region, password_hash=password_hash,
                    licence_no=story.licence(county, licensed.year), birth_year=birth_year,
                    party_member=idx < party_count, locale=None, created_at=created,
                    licensed_on=datetime.datetime.combine(licensed, datetime.time()),
                    education=_education(name, story.year - birth_year))
                RoleGrant.create(user=user, role="practitioner", firm=firm, created_at=created)
                person = Person(user, fname, county, licensed if new else story.since,
                                idx < party_count, new)
                members.append(person)
                if slot:
                    story.demo[slot[0]] = person
            story.by_firm[fname] = members
            story.people.extend(members)
            with story.happened_at(story.created):
                set_director(story.county_admin[county["key"]], members[0].user, region, True)
    _profiles(story)


def _profiles(story):
    rng = story.rng
    for person in story.people:
        base = rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
        for metric in METRICS:
            profile = base if rng.random() < 0.6 else rng.choices(PROFILES, PROFILE_WEIGHTS)[0]
            if person.new and profile == "done":
                profile = "on_track"
            person.profile[metric] = profile
    for key, profiles in FIXED_PROFILES.items():
        story.demo[key].profile = dict(zip(METRICS, profiles))


def _joined(story, fname, idx):
    rng = story.rng
    if (fname, idx) in PROBATIONARY:
        return "probationary", story.today - datetime.timedelta(days=rng.randint(120, 200))
    return "full", datetime.date(rng.randint(2012, story.year - 2), rng.randint(1, 12),
                                 rng.randint(1, 28))


def make_branches(story):
    """The party branches, built as a county administrator would: firms, members, secretary."""
    story.branches = []
    for name, ckey, kind, justice, firm_names, (sec_firm, sec_idx) in BRANCHES:
        admin, county_id = story.county_admin[ckey], story.regions[ckey].id
        data = {"name": name, "kind": kind, "justice_office": "1" if justice else "",
                "firm_ids": [str(story.firms[f].id) for f in firm_names]}
        with story.happened_at(story.created):
            branch = save_branch(admin, county_id, clean_branch(data, county_firms(county_id)))
            members = []
            for fname in firm_names:
                for idx, person in enumerate(story.by_firm[fname]):
                    if person.party:
                        standing, joined = _joined(story, fname, idx)
                        add_member(admin, branch, {"user_id": str(person.user.id),
                                                   "standing": standing,
                                                   "joined_on": joined.isoformat()},
                                   today=story.today)
                        members.append((person, joined))
            secretary = story.by_firm[sec_firm][sec_idx]
            branch = set_secretary(admin, branch, secretary.user.id)
        story.backdate(Branch, branch.id, created_at=story.created)
        RoleGrant.update(created_at=story.created).where(RoleGrant.branch == branch.id).execute()
        story.branches.append({"branch": branch, "members": members, "secretary": secretary,
                               "firm": firm_names[0], "joint": kind == "joint"})
    story.truant = story.by_firm[TRUANT[0]][TRUANT[1]]
