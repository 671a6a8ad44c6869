"""Recommending typical cases for the city's yearly selection and choosing the ten best."""
