"""Notifications as workflows ask for them: sandbox-safe types (`types.py`), and the loop that dispatches
the notification outbox (`outbox.py`)."""
