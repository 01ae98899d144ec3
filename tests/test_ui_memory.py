"""The server's memory thread: finished sessions held in reference cycles are freed."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.session_manager import SessionInfo
from streamlit.runtime.websocket_session_manager import WebsocketSessionManager

from ui import memory

ROOT = Path(__file__).resolve().parents[1]


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


def test_sessions_past_their_reconnect_window_go_without_waiting_for_another():
    """Streamlit's own store and session manager, as the server builds them (a short
    reconnect window instead of its 2 minutes)."""
    storage = MemorySessionStorage(ttl_seconds=0.2)
    manager = WebsocketSessionManager(storage, MagicMock(), MagicMock(), None)
    runtime = SimpleNamespace(_session_mgr=manager)
    state = State()
    gone = weakref.ref(state)
    storage.save(SessionInfo(client=None, session=SimpleNamespace(id="left", state=state)))
    del state
    assert memory.expire_sessions(runtime) == 0  # within its window: kept for a reconnect
    assert storage.get("left") is not None
    time.sleep(0.3)
    assert memory.expire_sessions(runtime) == 1
    assert storage.list() == []
    gc.collect()
    assert gone() is None  # nothing else held the session


def test_without_a_server_nothing_is_expired():
    assert memory.expire_sessions() == 0  # AppTest and plain Python: no runtime


# Eight threads (as Streamlit's script runs are) hold C-heap memory at once; glibc's
# malloc_info then lists the process's heaps.
HEAPS = """
import ctypes, ctypes.util, sys, tempfile, threading
from ui import memory
if sys.argv[1] == "capped":
    assert memory.cap_arenas()
together = threading.Barrier(9)
def run():
    held = [bytearray(200_000) for _ in range(4)]
    together.wait()
    together.wait()
threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads:
    t.start()
together.wait()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mktemp()
out = ctypes.c_void_p(libc.fopen(path.encode(), b"w"))
libc.malloc_info(0, out)
libc.fclose(out)
print(open(path).read().count("<heap nr="))
together.wait()
"""


def heaps(mode: str) -> int:
    run = subprocess.run(
        [sys.executable, "-c", HEAPS, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(run.stdout)


@pytest.mark.skipif(memory._libc("malloc_info") is None, reason="glibc only (the servers')")
def test_the_threads_of_a_capped_process_share_two_c_heaps():
    assert heaps("default") > memory.ARENAS  # glibc's own choice: a heap per thread
    assert heaps("capped") == memory.ARENAS
