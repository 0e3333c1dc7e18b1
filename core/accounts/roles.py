"""The three roles of a user account, and whose accounts each may manage; what else each may do is in
api/permissions.py."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    msp_admin = "msp_admin"
    company_admin = "company_admin"
    technician = "technician"


# Whose accounts each role may create, change and remove (with users:manage, in their own companies):
# nobody hands out a role above their own, and company admins manage technicians, not each other.
MANAGEABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.technician: frozenset(),
    Role.company_admin: frozenset({Role.technician}),
    Role.msp_admin: frozenset(Role),
}
