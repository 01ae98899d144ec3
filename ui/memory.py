"""The server gives memory back after a class leaves.

Two things keep a finished session's memory in a Streamlit process. Its state is held in
reference cycles (each components-v2 mount builds closures that refer back to the session
state), which only Python's full garbage collection frees; Streamlit's own collection after
every script run (``runner.postScriptGC``) is switched off in .streamlit/config.toml because
under a burst of Train clicks it took a third of the server's time. And memory freed inside
the C allocator's heap stays in the process (RSS) until the heap is trimmed.

A third: a closed tab's session stays in Streamlit's store for reconnects (2 minutes),
but Streamlit drops it only when it stores another, so after the last student of a class
has left nothing ever drops theirs.

So one thread per server process drops the sessions whose reconnect window has passed,
collects and trims every ``EVERY_S`` seconds: a few milliseconds when little has changed,
well under a second with a class in memory.

Measured (bench/README.md), burst of 100 students: before this thread RSS stayed at its
peak (844 MB) after the class left. With it, the C heaps capped (``cap_arenas``) and the
shared caches bounded (``server.maxCacheDataSize``): 422 MB 180 s after the last student
left with nobody connecting, against a baseline of 381 MB (1.11 ×).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
import time

from streamlit import runtime as st_runtime

EVERY_S = 20.0
M_ARENA_MAX, ARENAS = -8, 2  # glibc's mallopt parameter (malloc.h) and its value here
_lock = threading.Lock()
_started = False


def _libc(name: str):
    """A glibc function by name, or None elsewhere (macOS, musl): then nothing is tuned."""
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), name)
    except (OSError, AttributeError):
        return None


def cap_arenas() -> bool:
    """New threads share at most ``ARENAS`` C heaps (those made before keep theirs; the
    Docker image sets ``MALLOC_ARENA_MAX`` for the first thread on); whether glibc took it.

    glibc gives each new thread a heap of its own, up to 8 per core, and each Streamlit
    script run is a new thread: after a class, memory freed in a dozen part-used heaps
    stays in the process. Measured (bench/README.md, burst of 100): the server 3 minutes
    after the class left, +77 MB over its baseline with glibc's default, +58 MB with 2."""
    mallopt = _libc("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, ARENAS) == 1


def expire_sessions(runtime=None) -> int:
    """Drop the stored sessions whose reconnect window has passed (Streamlit's
    ``MemorySessionStorage``, under its session manager's lock, as Streamlit does);
    how many. 0 without a runtime (AppTest) or if a Streamlit release stores them
    otherwise: then they go when the next session is stored, as before."""
    try:
        manager = (runtime or st_runtime.get_instance())._session_mgr
        with manager._storage_lock:
            return len(manager._session_storage._cache.expire())
    except (AttributeError, RuntimeError):
        return 0


def trim() -> None:
    """One full collection, then give the heap's free pages back to the OS."""
    gc.collect()
    if (malloc_trim := _libc("malloc_trim")) is not None:
        malloc_trim(0)


def release() -> None:
    """Drop expired sessions, then :func:`trim`."""
    expire_sessions()
    trim()


def _loop() -> None:
    while True:
        time.sleep(EVERY_S)
        release()


def keep() -> None:
    """Cap the C heaps and start the server's collector thread, once per process."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    cap_arenas()
    threading.Thread(target=_loop, name="memory-release", daemon=True).start()
