"""Service quality in the demo year: the villages each firm serves, listed by its county with a
legal adviser for most (a few left without, so the coverage has gaps to show); ratings from the
people served on practitioners' services; and a few complaints, one concluded upheld, one still
under investigation past its deadline. Made through the quality services; the adviser-duty
entries the logbook wrote for a village before it was listed are attached to it afterwards."""
import datetime
import random

from werkzeug.datastructures import MultiDict

from ..access import Actor
from ..accounts.models import RoleGrant
from ..ledger.models import Entry
from ..quality import complaints, ratings, villages
from ..quality.complaint_models import Complaint
from ..quality.village_models import Village

SEED = 2028
COMMENTS = ["解答很耐心，讲得清楚。", "帮我们把协议写好了，谢谢。", "来得及时，调解很公道。",
            "希望下次能早点回复。", "说得太快了，没听明白。", "", "", ""]
SCORE_WEIGHTS = [2, 3, 10, 35, 50]          # 1..5
USEFUL_WEIGHTS = [70, 22, 8]                # yes, partly, no
COMPLAINTS = [
    ("letter", "当事人来信反映代理合同约定的服务未按时完成。", "partly_upheld",
     "约谈所主任，责令按约完成服务并退还部分费用。", "已书面答复当事人处理结果。"),
    ("hotline_12348", "群众来电反映调解时工作人员态度生硬。", "not_upheld", "",
     "经调查核实，已电话答复来电人。"),
    ("visit", "当事人来访反映法律援助案件进展缓慢。", None, "", ""),
]


def _actor(user, role):
    grants = list(RoleGrant.select().where(RoleGrant.user == user.id))
    return Actor(user=user, grant=next(g for g in grants if g.role == role), grants=grants)


def make_quality(story):
    # The story's own dice (audit addresses) are put back afterwards.
    state = story.rng.getstate()
    try:
        rng = random.Random(SEED)
        _villages(story, rng)
        _ratings(story, rng)
        _complaints(story, rng)
    finally:
        story.rng.setstate(state)


def _villages(story, rng):
    by_firm = {}
    for person in story.people:
        by_firm.setdefault(person.firm_name, []).append(person)
    for firm_name, places in story.firm_places.items():
        firm = story.firms[firm_name]
        admin = story.county_admin[next(k for k, r in story.regions.items()
                                        if r.id == firm.county_id)]
        township = firm.township or firm_name.removesuffix("法律服务所")
        people = [p for p in by_firm.get(firm_name, []) if p.user.active]
        with story.happened_at(story.created):
            for n, place in enumerate(places):
                kind = "community" if place.endswith("社区") else "village"
                village = villages.save_village(admin, firm.county_id, villages.clean_village(
                    {"township": township, "name": place, "kind": kind}))
                if people and (n < len(places) - 1 or rng.random() < 0.5):
                    villages.set_adviser(admin, village, people[n % len(people)].user)
    Village.update(created_at=story.created, updated_at=story.created).execute()
    for village in Village.select().where(Village.adviser.is_null(False)):
        (Entry.update(village=village.id)
         .where(Entry.user == village.adviser_id, Entry.kind == "public_service",
                Entry.category == villages.DUTY_CATEGORY, Entry.place == village.name)
         .execute())


def _ratings(story, rng):
    """About one rating for every four public-service entries or cases of the last months."""
    since = story.today - datetime.timedelta(days=150)
    served = list(Entry.select().where(Entry.kind.in_(("public_service", "legal_aid")),
                                       Entry.status.in_(("approved", "pending")),
                                       Entry.date >= since).order_by(Entry.id))
    for entry in served:
        if rng.random() > 0.25:
            continue
        person = entry.user
        when = story.utc(entry.date, rng.randint(9, 17), rng.randint(0, 59))
        if when >= story.cutoff or not person.firm_id:
            continue
        code = ratings.make_code(person, entry, now=when)
        form = MultiDict({"score": str(rng.choices(range(1, 6), SCORE_WEIGHTS)[0]),
                          "useful": rng.choices(("yes", "partly", "no"), USEFUL_WEIGHTS)[0],
                          "comment": rng.choice(COMMENTS)})
        with story.happened_at(when):
            ratings.rate(code, form, f"10.99.{rng.randint(1, 250)}.{rng.randint(1, 250)}",
                         now=when)


def _complaints(story, rng):
    for county_key, admin in story.county_admin.items():
        actor = _actor(admin, "county_admin")
        region = story.regions[county_key]
        people = [p for p in story.people if p.user.county_id == region.id and p.user.firm_id]
        if not people:
            continue
        for n, (source, summary, finding, measure, reply) in enumerate(COMPLAINTS):
            person = people[(n * 7 + len(county_key)) % len(people)].user
            received = story.weekday_back(story.today - datetime.timedelta(
                days=(120, 60, 45)[n] + rng.randint(0, 5)))
            data = MultiDict({"practitioner": str(person.id), "source": source,
                              "received_on": received.isoformat(), "summary": summary,
                              "assignee": str(admin.id)})
            moment = story.utc(received, 10)
            with story.happened_at(moment):
                complaint = complaints.record(actor, data, today=received)
            with story.happened_at(moment + datetime.timedelta(days=2)):
                complaint = complaints.investigate(actor, complaint, MultiDict())
            if finding:
                done = received + datetime.timedelta(days=rng.randint(12, 25))
                with story.happened_at(story.utc(done, 15)):
                    complaints.conclude(actor, complaint, MultiDict({
                        "finding": finding, "measure": measure, "reply": reply,
                        "replied_on": done.isoformat()}), today=done)
            stamp = story.utc(received, 10)
            Complaint.update(created_at=stamp).where(Complaint.id == complaint.id).execute()
