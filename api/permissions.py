"""Who may do what: one matrix, and the dependency every route uses to declare what it needs.

Tenant scoping (which companies a user sees) is separate: `api/tenancy.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, HTTPException

from api.deps import CurrentPrincipal, Principal
from core.accounts.roles import Role


class Permission(StrEnum):
    incidents_read = "incidents:read"
    incidents_act = "incidents:act"  # acknowledge, resolve, comment
    alerts_retry = "alerts:retry"  # route an alert set aside as undeliverable again
    approve_low_medium = "approvals:low_medium"
    approve_any = "approvals:any"
    companies_read = "companies:read"
    companies_create = "companies:create"
    companies_update = "companies:update"
    companies_delete = "companies:delete"
    company_credentials = "companies:credentials"  # issue/rotate API keys and HMAC secrets
    users_read = "users:read"
    users_manage = "users:manage"
    audit_read = "audit:read"
    maintenance_read = "maintenance:read"
    maintenance_manage = "maintenance:manage"  # create, change, delete maintenance windows
    runbooks_read = "runbooks:read"
    # Create, change, delete runbooks; which ones (global or a company's) is core's rule:
    # core/runbooks/service.py.
    runbooks_manage = "runbooks:manage"
    oncall_read = "oncall:read"  # on-call schedules, who is on call now, escalation chains
    oncall_manage = "oncall:manage"  # create, change, delete schedules (with overrides) and chains
    self_manage = "self:manage"  # own profile, password and sessions


# Technicians see maintenance windows (they explain why an alert paged no one) but do not set them:
# a window silences paging for a whole company, which is an administrator's call.
_TECHNICIAN = {
    Permission.incidents_read,
    Permission.incidents_act,
    Permission.approve_low_medium,
    Permission.companies_read,
    Permission.maintenance_read,
    Permission.runbooks_read,
    Permission.oncall_read,
    Permission.self_manage,
}
_COMPANY_ADMIN = _TECHNICIAN | {
    Permission.alerts_retry,
    Permission.approve_any,
    Permission.companies_update,
    Permission.company_credentials,
    Permission.users_read,
    Permission.users_manage,
    Permission.audit_read,
    Permission.maintenance_manage,
    Permission.runbooks_manage,
    Permission.oncall_manage,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.technician: frozenset(_TECHNICIAN),
    Role.company_admin: frozenset(_COMPANY_ADMIN),
    Role.msp_admin: frozenset(Permission),
}

# Whose accounts each role may manage is a rule of the accounts themselves: core/accounts/roles.py.

PUBLIC = "public"


def has_permission(principal: Principal, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[principal.role]


def requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that signs the caller in and checks `permission`; routes declare it (see `Allowed`)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not has_permission(principal, permission):
            raise HTTPException(403, f"your role ({principal.role.value}) lacks {permission.value}")
        return principal

    check.required_permission = permission  # type: ignore[attr-defined]
    return check


def public(route: Callable[..., Any]) -> Callable[..., Any]:
    """Marks a route that needs no sign-in (webhooks authenticate by API key; login; health)."""
    route.required_permission = PUBLIC  # type: ignore[attr-defined]
    return route


# The signed-in caller, checked for one permission: `def route(principal: CanReadIncidents)`.
CanReadIncidents = Annotated[Principal, Depends(requires(Permission.incidents_read))]
CanActOnIncidents = Annotated[Principal, Depends(requires(Permission.incidents_act))]
CanApprove = Annotated[Principal, Depends(requires(Permission.approve_low_medium))]
CanRetryAlerts = Annotated[Principal, Depends(requires(Permission.alerts_retry))]
CanReadCompanies = Annotated[Principal, Depends(requires(Permission.companies_read))]
CanCreateCompanies = Annotated[Principal, Depends(requires(Permission.companies_create))]
CanUpdateCompanies = Annotated[Principal, Depends(requires(Permission.companies_update))]
CanDeleteCompanies = Annotated[Principal, Depends(requires(Permission.companies_delete))]
CanManageCredentials = Annotated[Principal, Depends(requires(Permission.company_credentials))]
CanReadUsers = Annotated[Principal, Depends(requires(Permission.users_read))]
CanManageUsers = Annotated[Principal, Depends(requires(Permission.users_manage))]
CanReadAudit = Annotated[Principal, Depends(requires(Permission.audit_read))]
CanReadMaintenance = Annotated[Principal, Depends(requires(Permission.maintenance_read))]
CanManageMaintenance = Annotated[Principal, Depends(requires(Permission.maintenance_manage))]
CanReadRunbooks = Annotated[Principal, Depends(requires(Permission.runbooks_read))]
CanManageRunbooks = Annotated[Principal, Depends(requires(Permission.runbooks_manage))]
CanReadOncall = Annotated[Principal, Depends(requires(Permission.oncall_read))]
CanManageOncall = Annotated[Principal, Depends(requires(Permission.oncall_manage))]
CanManageSelf = Annotated[Principal, Depends(requires(Permission.self_manage))]
