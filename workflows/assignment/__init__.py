"""Who an incident is assigned to and whom it escalates to, as workflows and activities pass it."""
