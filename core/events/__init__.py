"""Incident events: the outbox they are written to with the change (outbox.py), what workflow and API
changes become (mapping.py), and the per-process hub that streams them to WebSockets (hub.py)."""
