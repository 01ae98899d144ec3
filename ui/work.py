"""Heavy work (training) for many sessions at once: computed once per server, queued fairly.

A class mostly runs the same preset, so a result is cached for every session that asks for
the same configuration (``shared``: ``st.cache_data``, bounded, each session gets its own
copy). And however many students press Train in the same second, at most ``WORKERS``
computations run at a time, first come first served, so page opens and step clicks still
get the cores; a waiting student sees "queued" and then a progress bar, never a frozen page.

The worker pool is a server resource, like the cache, not anyone's state: it holds no user
data, only the queue of work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import streamlit as st

WORKERS = 2  # this app's machines have 2 cores; BLAS runs on one thread per computation
POLL_S = 0.1
THREAD_PREFIX = "heavy-work"


class _QuietWorkers(logging.Filter):
    """Cached functions look for a page context; a worker thread has none, by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not threading.current_thread().name.startswith(THREAD_PREFIX)


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWorkers()
)


class _Queue:
    """The pool (first in, first out) and its tickets: ``issued`` computations submitted,
    ``served`` of them started, so ticket t has t − served others ahead of it."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=THREAD_PREFIX)
        self.lock = threading.Lock()
        self.issued = 0
        self.served = 0


@st.cache_resource
def _queue() -> _Queue:
    return _Queue()


def shared(func: Callable, max_entries: int = 32, ttl: int = 3600) -> Callable:
    """``func(config, progress=None)`` cached once per server by its config: at most
    ``max_entries`` results, each kept ``ttl`` seconds. The progress callback is not part
    of the key."""

    def keyed(config, _progress=None, _only_if_cached=False):
        if _only_if_cached:
            raise NotCached  # st.cache_data keeps no exception: the next call computes
        return func(config, progress=_progress)

    keyed.__name__ = keyed.__qualname__ = f"shared_{func.__name__}"
    keyed.__module__ = func.__module__
    return st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=False)(keyed)


class NotCached(Exception):
    """A shared result asked for only if it is ready, and it is not."""


def compute(cached: Callable, config: Any, slot, what: str = "Training") -> Any:
    """``cached(config, _progress=…)``: a result the server already has comes at once;
    anything else runs on the server's worker pool while ``slot`` shows the queue and
    then the progress. Returns the result (exceptions propagate)."""
    try:
        return cached(config, _only_if_cached=True)  # a class's shared preset: no queue
    except NotCached:
        pass
    queue = _queue()
    state: dict = {}
    started = threading.Event()

    def progress(fraction: float, text: str) -> None:
        state["now"] = (min(max(float(fraction), 0.0), 1.0), text)

    def job():
        with queue.lock:
            queue.served += 1
        started.set()
        return cached(config, _progress=progress)

    with queue.lock:
        ticket = queue.issued
        queue.issued += 1
        future = queue.pool.submit(job)
    bar = None
    while not future.done():
        if not started.is_set():
            ahead = max(ticket - queue.served, 0)
            slot.info(
                f"Queued: the server is busy with other students' training "
                f"({ahead} ahead of you). It starts by itself; stay on this page.",
                icon=":material/hourglass_top:",
            )
        elif bar is None:
            bar = slot.progress(0.0, text=f"{what}…")
        elif "now" in state:
            bar.progress(*state["now"])
        time.sleep(POLL_S)
    slot.empty()
    return future.result()
