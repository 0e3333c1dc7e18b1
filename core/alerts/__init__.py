"""Reading stored alerts: the raw alert stream and what became of each alert."""
