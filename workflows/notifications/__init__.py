"""Notifications as workflows ask for them: sandbox-safe types only (`types.py`)."""
