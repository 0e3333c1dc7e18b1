"""One way to connect to Temporal, with the pydantic data converter every workflow argument needs."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from core.settings import Settings


async def connect(settings: Settings) -> Client:
    try:
        return await Client.connect(
            settings.temporal_address,
            namespace=settings.temporal_namespace,
            data_converter=pydantic_data_converter,
        )
    except RuntimeError as err:
        raise RuntimeError(
            f"cannot reach Temporal at {settings.temporal_address} ({err}); start it with "
            "`alert-whisperer dev` or point AW_TEMPORAL_ADDRESS at your cluster"
        ) from err
