"""Heavy work (training) for many sessions at once: computed once per server, queued fairly,
run beside the server in worker processes.

A class mostly runs the same preset, so a result is cached for every session that asks for
the same configuration (``shared``: ``st.cache_data``, bounded, each session gets its own
copy). However many students press Train in the same second, at most ``WORKERS``
computations run at a time, first come first served, each in a worker process
(``ui.worker``: niced, one BLAS thread), so the server's own process keeps its core for
page opens and step clicks. A waiting student sees "queued" and then a progress bar, never
a frozen page; a result the server already has comes at once, past the queue; students
asking for a configuration already queued or running join that computation and follow its
note and progress bar (a class told to train the same settings at once trains them once).

The queue (a thread per running computation, waiting on its worker) and the worker
processes are a server resource, like the cache, not anyone's state: they hold no user
data, only the work in flight.
"""

from __future__ import annotations

import copy
import itertools
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui import worker

WORKERS = 2  # this app's machines have 2 cores; BLAS runs on one thread per computation
POLL_S = 0.1
THREAD_PREFIX = "heavy-work"


class _QuietWorkers(logging.Filter):
    """Cached functions look for a page context; a queue thread has none, by design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not threading.current_thread().name.startswith(THREAD_PREFIX)


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietWorkers()
)


@dataclass
class _Job:
    """One computation in the queue, followed by every session that asked for it: its
    ticket, an Event set when it starts, its latest progress and its Future."""

    ticket: int
    started: threading.Event = field(default_factory=threading.Event)
    now: tuple[float, str] | None = None  # (fraction done, text)
    future: Future | None = None

    def progress(self, fraction: float, text: str) -> None:
        self.now = (min(max(float(fraction), 0.0), 1.0), text)


class _Queue:
    """The queue (first in, first out) and its tickets: ``issued`` computations submitted,
    ``served`` of them started, so ticket t has t − served others ahead of it. Each started
    computation runs in one of ``WORKERS`` worker processes; their progress notes come
    back through ``updates`` to the callback of their job."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=THREAD_PREFIX)
        self.lock = threading.RLock()  # a job cancelled as it is queued ends under it
        self.issued = 0
        self.served = 0
        context = multiprocessing.get_context("spawn")  # forking a threaded server is unsafe
        self.updates = context.Queue()
        self.workers = ProcessPoolExecutor(
            WORKERS, mp_context=context, initializer=worker.start, initargs=(self.updates,)
        )
        self.in_flight: dict[tuple[Callable, Any], _Job] = {}
        self.jobs = itertools.count()
        self.callbacks: dict[int, Callable[[float, str], None]] = {}
        threading.Thread(target=self._forward, name="work-progress", daemon=True).start()

    def _forward(self) -> None:
        """Hand each progress note from a worker to its job's callback."""
        while (note := self.updates.get()) is not None:
            job, fraction, text = note
            if callback := self.callbacks.get(job):
                callback(fraction, text)

    def ask(self, cached: Callable, config: Any) -> tuple[bool, Any]:
        """``(True, result)`` if the server has it (a class's preset: no queue), else
        ``(False, job)``: the computation of ``config`` already queued or running, joined
        (a class told to train the same settings at once: one computation, and every
        student sees its queue note and progress), or a new one. Under the queue's lock,
        so nobody asks the cache while a job of the same key holds it (the cache would
        keep them waiting without a word)."""
        with self.lock:
            if job := self.in_flight.get((cached, config)):
                return False, job
            try:
                return True, cached(config, _only_if_cached=True)
            except NotCached:
                return False, self._submit(cached, config)

    def _submit(self, cached: Callable, config: Any) -> _Job:
        """(Under the lock.) A new job for ``cached(config)``, last in the queue."""
        key = (cached, config)
        job = _Job(ticket=self.issued)
        self.issued += 1

        def run():
            with self.lock:
                self.served += 1
            job.started.set()
            return cached(config, _progress=job.progress)

        job.future = self.pool.submit(run)
        self.in_flight[key] = job
        job.future.add_done_callback(lambda _: self._done(key, job))
        return job

    def _done(self, key, job: _Job) -> None:
        with self.lock:
            if self.in_flight.get(key) is job:
                del self.in_flight[key]

    def run(self, func: Callable, config: Any, progress: Callable | None) -> Any:
        """``func(config, progress=…)`` in a worker process; waits for it."""
        job = next(self.jobs)
        if progress is not None:
            self.callbacks[job] = progress
        try:
            return self.workers.submit(worker.run, func, config, job).result()
        finally:
            self.callbacks.pop(job, None)

    def usable(self) -> bool:
        """False once a worker process died (e.g. killed for memory): then a new queue."""
        return not getattr(self.workers, "_broken", False)

    def close(self) -> None:
        self.workers.shutdown(wait=False, cancel_futures=True)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.updates.put(None)


@st.cache_resource(validate=_Queue.usable, on_release=_Queue.close)
def _queue() -> _Queue:
    return _Queue()


def shared(func: Callable, max_entries: int = 32, ttl: int = 3600) -> Callable:
    """``func(config, progress=None)`` cached once per server by its config: at most
    ``max_entries`` results, each kept ``ttl`` seconds. The progress callback is not part
    of the key. ``func`` runs in a worker process, so it and its config must pickle: a
    function defined at the top of a module, a config of plain data."""

    def keyed(config, _progress=None, _only_if_cached=False):
        if _only_if_cached:
            raise NotCached  # st.cache_data keeps no exception: the next call computes
        return _queue().run(func, config, _progress)

    keyed.__name__ = keyed.__qualname__ = f"shared_{func.__name__}"
    keyed.__module__ = func.__module__
    return st.cache_data(max_entries=max_entries, ttl=ttl, show_spinner=False)(keyed)


class NotCached(Exception):
    """A shared result asked for only if it is ready, and it is not."""


def warm(*presets: tuple[Callable, Any]) -> None:
    """Queue each ``(cached, config)`` and return at once: the server's presets as it
    starts, so that the first students of a class find them ready. Each takes its turn
    like a student's computation (and counts in the queue notes); one that fails here
    fails again on its page, with a message."""
    for cached, config in presets:
        _queue().ask(cached, config)


def compute(cached: Callable, config: Any, slot, what: str = "Training") -> Any:
    """``cached(config, _progress=…)``: a result the server already has comes at once;
    anything else waits its turn in the queue while ``slot`` shows where it stands and
    then the progress. Returns the result (exceptions propagate). A worker process that
    died (killed for memory, say) is replaced and the computation tried once more; dying
    again, the page says so and stops."""
    for _attempt in range(2):
        try:
            return _follow(cached, config, slot, what)
        except BrokenProcessPool:
            pass
    slot.error(
        f"{what} stopped: the server's worker process died twice on it (out of memory?). "
        "Try smaller settings.",
        icon=":material/error:",
    )
    st.stop()


def _follow(cached: Callable, config: Any, slot, what: str) -> Any:
    queue = _queue()
    ready, found = queue.ask(cached, config)
    if ready:
        return found
    job, bar = found, None
    while not job.future.done():
        if not job.started.is_set():
            ahead = max(job.ticket - queue.served, 0)
            slot.info(
                f"Queued: the server is busy with other students' training "
                f"({ahead} ahead of you). It starts by itself; stay on this page.",
                icon=":material/hourglass_top:",
            )
        elif bar is None:
            bar = slot.progress(0.0, text=f"{what}…")
        elif job.now is not None:
            bar.progress(*job.now)
        time.sleep(POLL_S)
    slot.empty()
    return copy.deepcopy(job.future.result())  # each session its own, as from the cache
