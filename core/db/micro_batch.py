"""Group concurrent calls into one batch: whatever queued while the previous batch ran goes next.

No timer and no added latency when idle; under load, batches grow by themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


class MicroBatcher(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R]]], *, max_batch: int = 500) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
                try:
                    results = await self._flush([item for item, _ in batch])
                except Exception as err:
                    if len(batch) == 1:
                        _settle(batch[0][1], error=err)
                        continue
                    # One bad item must not fail the items that happened to share its batch; each
                    # failed batch rolled back whole, so flushing its items one by one is safe.
                    log.warning("batch of %d failed (%s); retrying its items one by one", len(batch), err)
                    for item, future in batch:
                        try:
                            [result] = await self._flush([item])
                        except Exception as item_err:
                            _settle(future, error=item_err)
                        else:
                            _settle(future, result=result)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    _settle(future, result=result)
        finally:
            self._task = None


def _settle(
    future: asyncio.Future[R], *, result: R | None = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
