"""running_loop: asyncio's answer, without asking the kernel every time."""

from __future__ import annotations

import asyncio
import threading

import pytest

from callpoint.loops import running_loop


def test_it_is_the_running_loop_in_each_new_loop_and_each_thread() -> None:
    async def which() -> tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]:
        return running_loop(), asyncio.get_running_loop()

    first = asyncio.run(which())
    second = asyncio.run(which())  # the first has stopped: not reused
    assert first[0] is first[1]
    assert second[0] is second[1] and second[0] is not first[0]
    found: list[tuple[asyncio.AbstractEventLoop, asyncio.AbstractEventLoop]] = []
    thread = threading.Thread(target=lambda: found.append(asyncio.run(which())))
    thread.start()
    thread.join()
    assert found[0][0] is found[0][1]


@pytest.mark.asyncio
async def test_a_thread_without_a_loop_is_refused_while_another_thread_runs_one() -> None:
    assert running_loop() is asyncio.get_running_loop()  # remembered for this thread
    errors: list[BaseException] = []

    def elsewhere() -> None:
        with pytest.raises(RuntimeError) as info:
            running_loop()
        errors.append(info.value)

    await asyncio.to_thread(elsewhere)
    assert len(errors) == 1
