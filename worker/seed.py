"""What `alert-whisperer dev` seeds: the demo tenant on first start, and the runbook library on every
start (only the runbooks that are missing)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from sqlmodel import select

from core.accounts.roles import Role
from core.accounts.users import create_user
from core.companies.service import create_company
from core.db.models import Company
from core.runbooks.library import seed_starter_library
from core.runtime import Services

DEMO_COMPANY = "Demo Client Co"
DEMO_ADMIN_EMAIL = "admin@example.com"


async def seed_demo(services: Services, credentials_file: Path) -> dict[str, Any] | None:
    """Create the demo tenant once; returns its fresh credentials, or None when it already exists."""
    async with services.sessions() as session, session.begin():
        if (await session.execute(select(Company).where(Company.name == DEMO_COMPANY))).first():
            return None
        issued = await create_company(session, services.secrets, DEMO_COMPANY, critical_assets=["db-prod-01"])
        password = secrets.token_urlsafe(16)  # 22 characters, within the password policy
        await create_user(
            session,
            services.passwords,
            email=DEMO_ADMIN_EMAIL,
            password=password,
            role=Role.msp_admin,
            company_ids=[],
            name="Demo Admin",
        )
    credentials = {
        "company_id": issued.id,
        "api_key": issued.api_key,
        "hmac_secret": issued.hmac_secret,
        "admin_email": DEMO_ADMIN_EMAIL,
        "admin_password": password,
    }
    credentials_file.parent.mkdir(parents=True, exist_ok=True)
    credentials_file.write_text(json.dumps(credentials, indent=2))
    os.chmod(credentials_file, 0o600)
    return credentials


async def seed_runbooks(services: Services, *, include_demo: bool) -> list[str]:
    """The names of the library's global runbooks added now (none when all are there already)."""
    async with services.sessions() as session, session.begin():
        added = await seed_starter_library(session, include_demo=include_demo)
    return [runbook.name for runbook in added]
