"""MicroBatcher: one failing item costs only itself, never the items that happened to share its batch."""

from __future__ import annotations

import asyncio

import pytest

from core.db.micro_batch import MicroBatcher


class Unstorable(Exception):
    pass


async def test_a_failed_batch_is_retried_item_by_item_so_only_the_bad_item_fails() -> None:
    flushed: list[list[int]] = []

    async def flush(items: list[int]) -> list[int]:
        flushed.append(list(items))
        if 13 in items:
            raise Unstorable("13 cannot be stored")  # a whole transaction rolls back
        return [i * 10 for i in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(flush)
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in (1, 13, 2, 3)), return_exceptions=True)

    assert flushed[0] == [1, 13, 2, 3], "submitted together, they shared one batch"
    assert outcomes[0] == 10 and outcomes[2] == 20 and outcomes[3] == 30
    assert isinstance(outcomes[1], Unstorable)
    assert sorted(flushed[1:]) == [[1], [2], [3], [13]], "each item of the failed batch retried alone"


async def test_a_batch_that_succeeds_is_flushed_once_and_answers_each_caller_its_own_result() -> None:
    calls = 0

    async def flush(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        return [s.upper() for s in items]

    batcher: MicroBatcher[str, str] = MicroBatcher(flush)
    assert await asyncio.gather(*(batcher.submit(s) for s in "abc")) == ["A", "B", "C"]
    assert calls == 1


async def test_a_lone_failing_item_gets_its_own_error() -> None:
    async def flush(items: list[int]) -> list[int]:
        raise Unstorable("no")

    batcher: MicroBatcher[int, int] = MicroBatcher(flush)
    with pytest.raises(Unstorable):
        await batcher.submit(1)
    # And the batcher keeps working for the next caller.
    ok: MicroBatcher[int, int] = MicroBatcher(lambda items: asyncio.sleep(0, [i for i in items]))
    assert await ok.submit(7) == 7
