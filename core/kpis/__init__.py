"""Operational KPIs (alerts, noise reduction, MTTA/MTTR, self-healing, SLA compliance, approval wait),
computed by SQL aggregates over stored rows, as totals and as a series of UTC day or hour buckets."""
