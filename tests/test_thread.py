"""OwnThread: calls on one thread, in order; a cancelled caller waits for its call to end."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from webwork_async._thread import OwnThread


async def test_calls_run_in_order_on_one_thread_and_a_cancelled_call_still_finishes() -> None:
    thread = OwnThread("test-own-thread")
    with pytest.raises(RuntimeError, match="not running"):
        await thread.run(time.sleep, 0)
    thread.start()
    seen: list[tuple[str, int]] = []

    def work(name: str, pause: float = 0.0) -> str:
        time.sleep(pause)
        seen.append((name, threading.get_ident()))
        return name

    try:
        assert await asyncio.gather(*(thread.run(work, str(n)) for n in range(5))) == list("01234")
        slow = asyncio.ensure_future(thread.run(work, "slow", 0.2))
        await asyncio.sleep(0.05)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert seen[-1][0] == "slow"  # the cancellation waited for the call to end
    finally:
        await thread.stop(lambda: seen.append(("last", threading.get_ident())))
    assert [name for name, _ in seen] == [*"01234", "slow", "last"]
    assert len({ident for _, ident in seen}) == 1 and threading.get_ident() != seen[0][1]
    assert not thread.running
