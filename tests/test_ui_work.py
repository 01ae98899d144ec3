"""Shared heavy work: one computation per configuration for the whole server, run in a
worker process, and a fair queue that tells a waiting student where they stand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ui import work

ROOT = Path(__file__).resolve().parents[1]


class Slot:
    """Stands in for an st.empty(): records what the page would show."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def info(self, text, icon=None):
        self.shown.append(text)

    def error(self, text, icon=None):
        self.shown.append(f"error {text}")

    def progress(self, fraction, text=""):
        self.shown.append(f"progress {fraction:.2f} {text}")
        return self

    def empty(self):
        self.shown.append("empty")


# Worker processes run these: they must be defined at the top of a module.
def train(config, progress=None):
    """Writes one line per call into the folder named in the config (calls are counted
    across processes), reports progress half way."""
    folder, name = config
    with open(Path(folder) / "calls", "a") as calls:
        calls.write(f"{name} {os.getpid()}\n")
    progress(0.5, "half way")
    time.sleep(0.3)  # long enough for the page's poll to see the note
    return {"name": name, "weights": [1.0, 2.0]}


def wait_for_release(config, progress=None):
    """Notes its start, then waits until the file ``release`` appears in the folder."""
    folder, name = config
    (Path(folder) / f"started-{name}").write_text(str(time.monotonic()))
    deadline = time.monotonic() + 20
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return name


def train_until_release(config, progress=None):
    """Like ``train``, but runs until the file ``release`` appears in the folder."""
    folder, name = config
    with open(Path(folder) / "calls", "a") as calls:
        calls.write(f"{name} {os.getpid()}\n")
    progress(0.5, "half way")
    deadline = time.monotonic() + 20
    while not (Path(folder) / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return {"name": name}


def die(config, progress=None):
    os._exit(3)  # a worker killed mid-computation


def calls(folder: Path) -> list[str]:
    return [line.split()[0] for line in (folder / "calls").read_text().splitlines()]


def test_a_configuration_is_computed_once_in_a_worker_process_for_every_session(tmp_path):
    cached = work.shared(train)
    slot = Slot()
    first = work.compute(cached, (str(tmp_path), "moons"), slot)
    second = work.compute(cached, (str(tmp_path), "moons"), Slot())
    assert first == second == {"name": "moons", "weights": [1.0, 2.0]}
    assert calls(tmp_path) == ["moons"]
    pid = int((tmp_path / "calls").read_text().split()[1])
    assert pid != os.getpid()  # trained beside the server, not in it
    assert "progress 0.50 half way" in slot.shown and slot.shown[-1] == "empty"
    second["weights"].append(3.0)  # each session gets its own copy
    assert work.compute(cached, (str(tmp_path), "moons"), Slot())["weights"] == [1.0, 2.0]
    work.compute(cached, (str(tmp_path), "circles"), Slot())
    assert calls(tmp_path) == ["moons", "circles"]


def test_a_burst_queues_first_come_first_served_and_says_so(tmp_path):
    cached = work.shared(wait_for_release)
    slots = {n: Slot() for n in range(work.WORKERS + 2)}
    results = {}

    def student(n):
        results[n] = work.compute(cached, (str(tmp_path), n), slots[n])

    threads = []
    for n in slots:  # one after another, so the tickets follow n …
        threads.append(threading.Thread(target=student, args=(n,)))
        threads[-1].start()
        ran = tmp_path / f"started-{n}"  # … and the first WORKERS run before the rest ask
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            slots[n].shown and (n >= work.WORKERS or ran.exists())
        ):
            time.sleep(0.01)
    last = slots[work.WORKERS + 1].shown
    assert any("Queued" in text and "1 ahead of you" in text for text in last), last
    (tmp_path / "release").touch()
    for t in threads:
        t.join(30)
    assert results == {n: n for n in slots}
    started = {n: float((tmp_path / f"started-{n}").read_text()) for n in slots}
    assert sorted(started, key=started.get)[-2:] == [work.WORKERS, work.WORKERS + 1]
    assert last[-1] == "empty"  # the note goes once the result is there


def test_students_asking_for_a_running_computation_join_it_and_see_its_progress(tmp_path):
    """A class told to train the same new settings at once: one computation, and every
    student sees its progress instead of a page that waits without a word."""
    cached = work.shared(train_until_release)
    config = (str(tmp_path), "seed 7")
    slots = [Slot() for _ in range(3)]
    results = {}

    def student(n: int) -> None:
        results[n] = work.compute(cached, config, slots[n])

    threads = [threading.Thread(target=student, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(
        "progress 0.50 half way" in slot.shown for slot in slots
    ):
        time.sleep(0.05)
    (tmp_path / "release").touch()
    for t in threads:
        t.join(30)
    assert [results[n] for n in range(3)] == [{"name": "seed 7"}] * 3
    assert len({id(r) for r in results.values()}) == 3  # each session its own copy
    assert calls(tmp_path) == ["seed"]  # computed once
    for slot in slots:
        assert "progress 0.50 half way" in slot.shown, slot.shown
        assert slot.shown[-1] == "empty"


def test_a_result_the_server_has_skips_the_queue(tmp_path):
    cached = work.shared(wait_for_release)
    (tmp_path / "release").touch()
    assert work.compute(cached, (str(tmp_path), "preset"), Slot()) == "preset"  # computed once
    (tmp_path / "release").unlink()  # the queue is now blocked for anything new …
    blockers = [
        threading.Thread(target=work.compute, args=(cached, (str(tmp_path), f"b{n}"), Slot()))
        for n in range(work.WORKERS)
    ]
    for b in blockers:
        b.start()
    while len(list(tmp_path.glob("started-b*"))) < work.WORKERS:
        time.sleep(0.02)
    slot = Slot()
    assert work.compute(cached, (str(tmp_path), "preset"), slot) == "preset"  # … not this
    assert slot.shown == []  # no queue note, no progress bar
    (tmp_path / "release").touch()
    for b in blockers:
        b.join(30)


def test_warmed_presets_are_queued_at_once_and_then_come_without_a_wait(tmp_path):
    cached = work.shared(wait_for_release)
    presets = [(str(tmp_path), "moons"), (str(tmp_path), "digits")]
    work.warm(*((cached, p) for p in presets))  # returns while both are still running
    deadline = time.monotonic() + 30
    while len(list(tmp_path.glob("started-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert {p.name for p in tmp_path.glob("started-*")} == {"started-moons", "started-digits"}
    (tmp_path / "release").touch()
    for preset in presets:
        assert work.compute(cached, preset, Slot()) == preset[1]
    (tmp_path / "release").unlink()  # anything computed now would wait for ever …
    for preset in presets:
        slot = Slot()
        assert work.compute(cached, preset, slot) == preset[1]  # … the presets do not
        assert slot.shown == []  # no queue, no progress: the server had them


def test_a_worker_that_dies_is_replaced_and_the_page_says_why_it_stopped(tmp_path):
    slot = Slot()
    # st.stop() ends a page's run; outside one (as here) it returns, and so does compute
    assert work.compute(work.shared(die), "x", slot) is None
    assert any(text.startswith("error") and "died" in text for text in slot.shown), slot.shown
    cached = work.shared(train)  # the next computation gets fresh workers
    assert work.compute(cached, (str(tmp_path), "after"), Slot())["name"] == "after"


def test_workers_end_when_their_server_is_killed(tmp_path):
    """A server stopped by a signal runs no clean-up: its workers must not linger."""
    script = (
        "import sys; sys.path.insert(0, '.')\n"
        "from tests.test_ui_work import Slot, train\n"
        "from ui import work\n"
        f"work.compute(work.shared(train), ({str(tmp_path)!r}, 'x'), Slot())\n"
        "import time; time.sleep(60)\n"
    )
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not (tmp_path / "calls").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = int((tmp_path / "calls").read_text().split()[1])
    os.kill(server.pid, signal.SIGKILL)
    server.wait(10)
    deadline = time.monotonic() + 10
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(worker)


def running(pid: int) -> bool:
    """Alive and not a zombie (an ended process its new parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
