"""Incidents as the API reads them: timeline and notes (the workflow owns their state)."""
