"""Decisions: for each incident, run a runbook, ask for approval, or escalate to a technician.

`engine.decide` gathers the context (allowed runbooks, policy, memory), asks the configured LLM providers in
order (each may fall through), finally the deterministic rules, and applies policy to whatever answered:
the model only ever picks among allowed runbook ids, and approval is always recomputed here.
"""
