"""Shared heavy work: one computation per configuration for the whole server, and a fair
queue that tells a waiting student where they stand."""

from __future__ import annotations

import threading
import time

from ui import work


class Slot:
    """Stands in for an st.empty(): records what the page would show."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def info(self, text, icon=None):
        self.shown.append(text)

    def progress(self, fraction, text=""):
        self.shown.append(f"progress {fraction:.2f} {text}")
        return self

    def empty(self):
        self.shown.append("empty")


def test_a_configuration_is_computed_once_for_every_session():
    calls = []

    def train(config, progress=None):
        calls.append(config)
        if progress:
            progress(0.5, "half way")
        return {"config": config, "weights": [1.0, 2.0]}

    cached = work.shared(train)
    first = work.compute(cached, ("moons", 1), Slot())
    second = work.compute(cached, ("moons", 1), Slot())
    assert first == second and calls == [("moons", 1)]
    second["weights"].append(3.0)  # each session gets its own copy
    assert work.compute(cached, ("moons", 1), Slot())["weights"] == [1.0, 2.0]
    work.compute(cached, ("circles", 1), Slot())
    assert calls == [("moons", 1), ("circles", 1)]


def test_a_burst_queues_first_come_first_served_and_says_so():
    release = threading.Event()
    started = []

    def slow(config, progress=None):
        started.append(config)
        release.wait(10)
        if progress:
            progress(1.0, "done")
        return config

    cached = work.shared(slow)
    slots = {n: Slot() for n in range(work.WORKERS + 2)}
    results = {}

    def student(n):
        results[n] = work.compute(cached, n, slots[n])

    threads = []
    for n in slots:  # one after another, so the tickets follow n
        threads.append(threading.Thread(target=student, args=(n,)))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while not any(s.shown for s in [slots[n]]) and time.monotonic() < deadline:
            time.sleep(0.01)
    last = slots[work.WORKERS + 1].shown
    assert any("Queued" in text and "1 ahead of you" in text for text in last), last
    release.set()
    for t in threads:
        t.join(10)
    assert results == {n: n for n in slots}
    assert started == sorted(started)  # first come, first served
    assert last[-1] == "empty"  # the note goes once the result is there


def test_a_result_the_server_has_skips_the_queue():
    release = threading.Event()

    def slow(config, progress=None):
        release.wait(10)
        return config

    cached = work.shared(slow)
    release.set()
    assert work.compute(cached, "preset", Slot()) == "preset"  # computed once
    release.clear()  # the pool is now blocked for anything new …
    blockers = [work._queue().pool.submit(release.wait, 10) for _ in range(work.WORKERS)]
    slot = Slot()
    assert work.compute(cached, "preset", slot) == "preset"  # … but this is served at once
    assert slot.shown == []  # no queue note, no progress bar
    release.set()
    for b in blockers:
        b.result(10)
