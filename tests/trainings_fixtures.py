"""Fixtures shared by the trainings tests: a category, a training at a known time."""
import datetime
import secrets
from decimal import Decimal

import pytest

from webapp.trainings.models import Training, TrainingCategory

# A fixed start (naive UTC) on a whole minute, far from any slice boundary trouble.
START = datetime.datetime(2026, 3, 10, 1, 0, 0)  # 09:00 in Asia/Shanghai


@pytest.fixture
def category():
    return TrainingCategory.create(name="业务技能", name_en="Professional skills")


@pytest.fixture
def make_training(world, category):
    """Create a training organised by county A, 09:00–12:00 local, 3 credit hours."""
    def make(**fields):
        values = {
            "title": "调解技巧培训", "category": category, "organiser": world["a"],
            "start_at": START, "end_at": START + datetime.timedelta(hours=3),
            "place": "县司法局三楼会议室", "credit_hours": Decimal("3"),
            "secret": secrets.token_hex(32),
        }
        values.update(fields)
        return Training.create(**values)
    return make


def minutes(n):
    return datetime.timedelta(minutes=n)


def unix(dt):
    return dt.replace(tzinfo=datetime.UTC).timestamp()
