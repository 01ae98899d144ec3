"""The server's memory thread: finished sessions held in reference cycles are freed."""

from __future__ import annotations

import gc
import threading
import weakref

from ui import memory


class State:
    """Stands in for a session's state, held by a closure that refers back to it."""

    def __init__(self) -> None:
        self.callback = lambda: self  # the cycle: state → closure → cell → state


def test_release_frees_what_only_a_reference_cycle_held():
    gc.disable()  # as between Streamlit's runs: no collection unless someone asks
    try:
        state = State()
        gone = weakref.ref(state)
        del state
        assert gone() is not None  # reference counting alone cannot free it
        memory.release()
        assert gone() is None
    finally:
        gc.enable()


def test_keep_starts_one_thread_per_process():
    memory.keep()
    memory.keep()
    names = [t.name for t in threading.enumerate()]
    assert names.count("memory-release") == 1
