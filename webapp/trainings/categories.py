"""Training categories: a county's own list under the city's, in both languages, audited."""
from flask_babel import gettext as _
from peewee import IntegrityError, fn

from ..access import audit
from ..accounts.models import Region
from ..db import db
from ..errors import DomainError
from ..inputs import clean_text
from .models import Training, TrainingCategory

DEFAULT_CATEGORIES = [("政治理论", "Political theory"), ("业务技能", "Professional skills"),
                      ("职业道德与执业纪律", "Ethics and discipline"), ("其他", "Other")]


def ensure_categories():
    """Create the shared default categories when there are no categories at all."""
    if not TrainingCategory.select().exists():
        for pos, (name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
            TrainingCategory.create(name=name, name_en=name_en, position=pos)


# ------------------------------------------------------------------ categories
#
# Three kinds of rows: shared defaults (region NULL), a city's own (region = the city) and a
# county's own (region = the county). Together the shared and the city's rows are the
# city-wide list: every county of the city sees it, and the city administrator edits it (the
# shared defaults only while the deployment serves one city, since they belong to every
# city). A county administrator sees the city-wide list and edits their county's own rows,
# which only that county's trainings can use.

def _city_id(actor):
    if actor.role == "city_admin":
        return actor.grant.region_id
    return Region.select(Region.parent).where(Region.id == actor.grant.region_id).scalar()


def _is_admin(actor):
    return actor is not None and actor.role in ("county_admin", "city_admin")


def _one_city():
    return Region.select().where(Region.kind == "city").limit(2).count() < 2


def _own_region(actor):
    """The region a new category of this administrator belongs to: their county, or their city."""
    return actor.grant.region_id


def _ordered(rows, actor):
    """City-wide rows first, then the county's own, each by position."""
    county = actor.grant.region_id if actor.role == "county_admin" else None
    return sorted(rows, key=lambda c: (c.region_id is not None and c.region_id == county,
                                       c.position, c.id))


def visible_categories(actor):
    """Categories the administrator sees and may choose: the city-wide list and their county's."""
    if not _is_admin(actor):
        return TrainingCategory.select().where(False)
    regions = [r for r in (_city_id(actor), actor.grant.region_id) if r]
    return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                           | TrainingCategory.region.in_(regions or [0]))


def editable_categories(actor):
    """Categories the administrator may change (see the note above)."""
    if not _is_admin(actor):
        return TrainingCategory.select().where(False)
    mine = TrainingCategory.region == actor.grant.region_id
    if actor.role == "city_admin" and _one_city():
        mine = mine | TrainingCategory.region.is_null()
    return TrainingCategory.select().where(mine)


def category_lists(actor):
    """Return (city-wide rows, the county's own rows), each in order, active or not."""
    rows = _ordered(visible_categories(actor), actor)
    county = actor.grant.region_id if actor.role == "county_admin" else None
    return ([c for c in rows if county is None or c.region_id != county],
            [c for c in rows if county is not None and c.region_id == county])


def county_categories(actor):
    """A city administrator's view of the counties' own categories: [(county, rows)]."""
    if actor is None or actor.role != "city_admin":
        return []
    counties = list(Region.select().where(Region.parent == actor.grant.region_id)
                    .order_by(Region.name))
    rows = list(TrainingCategory.select().where(
        TrainingCategory.region.in_([c.id for c in counties] or [0]))
        .order_by(TrainingCategory.position, TrainingCategory.id))
    return [(c, [r for r in rows if r.region_id == c.id]) for c in counties
            if any(r.region_id == c.id for r in rows)]


def form_categories(actor, training=None):
    """The categories a training form offers: the active ones the administrator sees, and the
    training's own (kept even if it was deactivated or belongs to a county's list)."""
    rows = _ordered(visible_categories(actor).where(TrainingCategory.active == True), actor)  # noqa: E712
    if training is not None and all(c.id != training.category_id for c in rows):
        rows.append(training.category)
    return rows


def category_name(category, english):
    """The category's name in the reader's language (the Chinese name when no English one)."""
    return category.name_en if english and category.name_en else category.name


def clean_category(data):
    """Validate a category form; return {'name', 'name_en'} or raise DomainError."""
    name = " ".join(clean_text(
        data.get("name"), "name", _("the Chinese name"), 60, required=True,
        missing=_("Fill in the Chinese name."),
        too_long=_("The Chinese name is too long (at most 60 characters).")).split())
    name_en = " ".join(clean_text(
        data.get("name_en"), "name_en", _("the English name"), 60,
        too_long=_("The English name is too long (at most 60 characters).")).split())
    return {"name": name, "name_en": name_en}


def _neighbours(region_id):
    """Rows that share a list with a row of this region (their names must differ)."""
    if region_id is None:
        return TrainingCategory.select()
    region = Region.get_by_id(region_id)
    if region.kind == "city":
        counties = Region.select(Region.id).where(Region.parent == region.id)
        return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                               | (TrainingCategory.region == region.id)
                                               | TrainingCategory.region.in_(counties))
    return TrainingCategory.select().where(TrainingCategory.region.is_null()
                                           | TrainingCategory.region.in_(
                                               [region.id, region.parent_id or 0]))


def _check_unique(region_id, clean, category=None):
    others = [c for c in _neighbours(region_id) if category is None or c.id != category.id]
    if any(c.name.casefold() == clean["name"].casefold() for c in others):
        raise DomainError(_("There is already a category called “%(name)s”.", name=clean["name"]),
                          field="name")
    if clean["name_en"] and any(c.name_en.casefold() == clean["name_en"].casefold()
                                for c in others):
        raise DomainError(_("There is already a category called “%(name)s”.",
                            name=clean["name_en"]), field="name_en")


def _audit_region(actor, category):
    return category.region_id or actor.grant.region_id


def add_category(actor, clean):
    """Add a category to the administrator's own list (county or city), at its end."""
    region = _own_region(actor)
    with db.atomic():
        _check_unique(region, clean)
        same_list = editable_categories(actor)
        last = same_list.select(fn.MAX(TrainingCategory.position)).scalar() or 0
        category = TrainingCategory.create(region=region, position=last + 1, **clean)
        audit(actor.user, "training_category.create", category, region,
              {"name": category.name, "name_en": category.name_en})
    return category


def rename_category(actor, category, clean):
    """Change a category's Chinese and English names."""
    before = {"name": category.name, "name_en": category.name_en}
    if before == clean:
        return category
    with db.atomic():
        _check_unique(category.region_id, clean, category)
        category.name, category.name_en = clean["name"], clean["name_en"]
        category.save(only=[TrainingCategory.name, TrainingCategory.name_en])
        audit(actor.user, "training_category.rename", category, _audit_region(actor, category),
              {"before": before, "after": clean})
    return category


def move_category(actor, category, direction):
    """Move a category one place up or down among the rows the administrator edits."""
    if direction not in ("up", "down"):
        raise DomainError(_("Choose up or down."))
    with db.atomic():
        rows = _ordered(editable_categories(actor), actor)
        i = next(k for k, c in enumerate(rows) if c.id == category.id)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(rows):
            raise DomainError(_("This category is already first.") if direction == "up"
                              else _("This category is already last."))
        slots = sorted(c.position for c in rows)
        for k in range(1, len(slots)):  # strictly increasing, so equal positions still move
            slots[k] = max(slots[k], slots[k - 1] + 1)
        rows[i], rows[j] = rows[j], rows[i]
        for row, slot in zip(rows, slots):
            if row.position != slot:
                TrainingCategory.update(position=slot).where(TrainingCategory.id == row.id).execute()
        audit(actor.user, "training_category.move", category, _audit_region(actor, category),
              {"name": category.name, "direction": direction})
    return category


def set_category_active(actor, category, active):
    """Deactivate a category (trainings keep it; new ones cannot choose it) or reactivate it."""
    if category.active == active:
        return category
    with db.atomic():
        if not active and not visible_categories(actor).where(
                TrainingCategory.active == True, TrainingCategory.id != category.id).exists():  # noqa: E712
            raise DomainError(_("Keep at least one category in use, or trainings cannot be "
                                "created."))
        category.active = active
        category.save(only=[TrainingCategory.active])
        audit(actor.user, "training_category.activate" if active else "training_category.deactivate",
              category, _audit_region(actor, category), {"name": category.name})
    return category


def category_in_use(category):
    return Training.select().where(Training.category == category.id).exists()


def delete_category(actor, category):
    """Delete a category that no training uses (one that trainings use can only be deactivated)."""
    with db.atomic():
        if category_in_use(category):
            raise DomainError(_("Trainings use this category, so it cannot be deleted. "
                                "Deactivate it instead."))
        if category.active and not visible_categories(actor).where(
                TrainingCategory.active == True, TrainingCategory.id != category.id).exists():  # noqa: E712
            raise DomainError(_("Keep at least one category in use, or trainings cannot be "
                                "created."))
        audit(actor.user, "training_category.delete", category, _audit_region(actor, category),
              {"name": category.name, "name_en": category.name_en})
        try:
            with db.atomic():
                category.delete_instance()
        except IntegrityError:  # a training took it meanwhile
            raise DomainError(_("Trainings use this category, so it cannot be deleted. "
                                "Deactivate it instead.")) from None
