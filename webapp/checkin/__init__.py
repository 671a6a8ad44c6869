"""Check-in: one scan → confirm → result pipeline for trainings and party activities."""
