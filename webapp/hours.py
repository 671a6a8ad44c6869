"""Hours in the ledger count in quarter hours: the one rounding rule every credit uses."""
from decimal import ROUND_FLOOR, Decimal

QUARTER = Decimal("0.25")


def quarter_hours_down(value):
    """Round hours down to the quarter hour (a late arrival never gains a part-quarter)."""
    return (Decimal(value) / QUARTER).to_integral_value(rounding=ROUND_FLOOR) * QUARTER


def is_quarter_hours(value):
    """Say whether hours are a whole number of quarter hours."""
    return Decimal(value) % QUARTER == 0
