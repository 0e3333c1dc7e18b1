"""On-call schedules, escalation chains and incident assignment."""
