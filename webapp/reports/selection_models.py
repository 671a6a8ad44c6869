"""A typical case recommended by its county, and the city's choice of it among the ten best."""
