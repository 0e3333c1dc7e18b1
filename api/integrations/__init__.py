"""Native webhooks of monitoring tools: each module reads one tool's own payload and maps it to our alerts."""
