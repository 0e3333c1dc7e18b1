"""Notifications: who gets which channel (`preferences.py`), the channels (`channels/`), sending each at
most once and recording the outcome (`dispatcher.py`, `deliveries.py`), a user's inbox (`inbox.py`) and a
company's Slack webhook (`slack_setting.py`). See docs/notifications.md."""
