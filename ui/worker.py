"""What runs inside the server's worker processes (``ui.work``): one computation at a time,
its progress sent back to the server through a queue. No Streamlit here.

A worker is a separate process so that training runs beside the server, not inside it: in
the server's process a training holds Python's global lock, and every page open and step
click of the class waits behind it. Workers are started niced, so when both cores are
busy the server's own work (drawing pages) comes first and training takes what is left.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from ui import memory

NICE = 10  # lower priority than the server: page opens first, training after
PROGRESS_EVERY_S = 0.1  # at most ten progress notes a second per computation
ORPHAN_CHECK_S = 1.0

_updates = None  # the queue to the server, set once per worker by start()


def start(updates) -> None:
    """Run once in each new worker: remember the progress queue, step aside for the server,
    and end with the server. (Importing ``ui`` has already limited BLAS to one thread.)"""
    global _updates
    _updates = updates
    try:
        os.nice(NICE)
    except OSError:  # not permitted here: the worker runs at the server's priority
        pass
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(server: int) -> None:
    """A server stopped by a signal never tells its workers: a worker whose parent has gone
    (it is adopted by another process) ends itself instead of lingering."""
    while os.getppid() == server:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def run(func: Callable, config: Any, job: int) -> Any:
    """``func(config, progress=…)`` with its progress sent as ``(job, fraction, text)``,
    throttled, the last one always; then the worker's freed memory is given back."""
    last = 0.0

    def progress(fraction: float, text: str) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S or fraction >= 1:
            last = now
            _updates.put((job, float(fraction), str(text)))

    try:
        return func(config, progress=progress)
    finally:
        # A training's arrays leave the heap fragmented: without this each worker grew
        # from 80 to 220 MB over a class and kept it.
        memory.trim()
