"""Distance from a training's venue, from a phone position the person chose to share.

With the person's consent, the confirm page sends the phone's position once. It is used
here to work out the distance to the venue and then dropped: an attendance row keeps only
the flag 'far' and that distance rounded to 10 m, and only when it is beyond the geofence.
"""
import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6371008.8
GEOFENCE_METRES = 500
MAX_ACCURACY_M = 1000


@dataclass
class Position:
    """A phone's position as the browser gave it (WGS-84 degrees, accuracy in metres)."""
    latitude: float
    longitude: float
    accuracy: float = 0.0


def finite_number(value):
    """Parse a finite float from a form value, or return None."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_position(latitude, longitude, accuracy=None):
    """Return a Position from form values, or None when they are missing or not a position."""
    lat, lng = finite_number(latitude), finite_number(longitude)
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    acc = finite_number(accuracy)
    return Position(lat, lng, acc if acc is not None and acc >= 0 else 0.0)


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def far_from_venue(training, position, geofence=GEOFENCE_METRES):
    """Return the distance rounded to 10 m when the position is beyond the geofence, else None.

    The phone's own accuracy (at most 1 km of it) counts in the person's favour: a position
    known only to within 800 m is not called far at 1 km.
    """
    if position is None or training.latitude is None or training.longitude is None:
        return None
    metres = distance_m(training.latitude, training.longitude, position.latitude,
                        position.longitude)
    if metres - min(position.accuracy, MAX_ACCURACY_M) <= geofence:
        return None
    return int(round(metres / 10.0)) * 10
