"""Training rules: audiences and what is coming up."""
import datetime

from ..accounts.models import Region
from .models import Training, TrainingFirm, TrainingPerson


def for_person(user):
    """Trainings whose audience includes the person (county/city-wide, their firm, or them)."""
    regions = [user.county_id] if user.county_id else []
    if user.county_id:
        parent = Region.select(Region.parent).where(Region.id == user.county_id).scalar()
        if parent:
            regions.append(parent)
    in_firms = TrainingFirm.select(TrainingFirm.training).where(TrainingFirm.firm == user.firm_id)
    in_people = TrainingPerson.select(TrainingPerson.training).where(TrainingPerson.user == user.id)
    return Training.select().where(
        ((Training.audience == "region") & Training.organiser.in_(regions or [0]))
        | ((Training.audience == "firms") & Training.id.in_(in_firms))
        | ((Training.audience == "people") & Training.id.in_(in_people)))


def upcoming_for(user, now, days=7):
    """The person's scheduled trainings from now (or still running) to `days` ahead."""
    return (for_person(user)
            .where(Training.status == "scheduled", Training.end_at >= now,
                   Training.start_at <= now + datetime.timedelta(days=days))
            .order_by(Training.start_at))


def for_regions(county_ids, city_id=None):
    """Trainings organised by these counties (and the city, if given)."""
    ids = list(county_ids) + ([city_id] if city_id else [])
    return Training.select().where(Training.organiser.in_(ids or [0]))
