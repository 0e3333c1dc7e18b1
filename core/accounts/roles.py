"""The three roles of a user account; what each may do is in api/permissions.py."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    msp_admin = "msp_admin"
    company_admin = "company_admin"
    technician = "technician"
