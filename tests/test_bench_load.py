"""The load simulator (bench/load.py) against a real ``streamlit run app.py``: two students
on the same page with different seeds of their own, each pressing Train with a further
seed, must see no error and only their own seeds. No timing is asserted.

The isolation verdict itself is checked first without a server: a student shown another
student's seed (or none at all) must not pass.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from streamlit.proto.BidiComponent_pb2 import BidiComponent

from bench.load import (
    OWN_SEED_BASE,
    Options,
    Student,
    component_data,
    listening_pid,
    make_students,
    run_class,
    streamlit_pid,
    summarize,
)
from tests.e2e.server import streamlit_server
from ui.player import pack

LOG = Path(__file__).resolve().parents[1] / "artifacts" / "bench" / "test-load-server.log"
PAGE = "decision_boundary"


def student(number: int, own_seed: bool) -> Student:
    return Student(number, PAGE, own_seed, "http://127.0.0.1:1", 10, random.Random(0))


def test_a_student_shown_another_students_seed_is_not_isolated() -> None:
    alice, bob = student(1, own_seed=True), student(2, own_seed=True)
    assert alice.seed(0) != bob.seed(0)
    assert alice.isolated() is None  # nothing seen: not verified either way
    alice.seen_seeds.add(alice.seed(0))
    assert alice.isolated() is True
    alice.seen_seeds.add(bob.seed(0))
    assert alice.isolated() is False


def test_a_preset_student_must_keep_one_seed_below_the_own_seeds() -> None:
    carol = student(3, own_seed=False)
    carol.seen_seeds.add(0)
    assert carol.isolated() is True
    carol.seen_seeds.add(OWN_SEED_BASE + 3)
    assert carol.isolated() is False


def test_the_step_players_bytes_are_read_like_the_browser_reads_them() -> None:
    """player_step needs the player's number of steps from its bytes."""
    packed = pack({"steps": [{"key": "a"}, {"key": "b"}, {"key": "c"}]})
    proto = BidiComponent(component_name="app.step_player")
    proto.bytes = b'{"id": "x", "step": 2}\n' + packed.body
    assert component_data(proto) == {
        "id": "x",
        "step": 2,
        "steps": [{"key": k} for k in "abc"],
        "toggles": [],
    }
    chart = BidiComponent(component_name="app.shared_chart", bytes=b'{"data": []}')
    assert component_data(chart) is None  # a figure: nothing a student acts on
    assert component_data(BidiComponent(json='{"step": 4}')) == {"step": 4}


def test_two_students_on_a_real_server_see_only_their_own_results() -> None:
    with streamlit_server(LOG) as url:
        assert streamlit_pid(int(url.rsplit(":", 1)[1])) is not None  # its figures are read
        opts = Options(
            base_url=url,
            students=2,
            duration=10,
            pages=(PAGE,),
            preset=0.0,  # both on seeds of their own: different data, different results
            think=(1.0, 2.0),
            ramp=1.0,
            timeout=40,
        )
        opts.check()
        students = make_students(opts, [PAGE])
        # In a thread of its own: the browser tests' Playwright may hold this thread's loop.
        with ThreadPoolExecutor(max_workers=1) as thread:
            times = thread.submit(asyncio.run, run_class(opts, students)).result()
    summary = summarize(students)

    assert times["cut_off"] == 0
    assert summary["errors"] == {}, summary["first_errors"]
    assert summary["isolation"] == dict(isolated=2, violations=[], unverified=0)
    for s in students:
        assert s.own_seed
        actions = [sample.action for sample in s.samples]
        assert actions[0] == "open" and len(actions) >= 2
        assert actions[1] == "train"  # the simulation's seed 0 makes Train each one's first act
        # Every run showed its first element before it finished (an open: the page and
        # its queue note, before the training's results).
        assert all(0 < sample.first < sample.seconds for sample in s.samples)
        assert s.seed_turn >= 1
        assert s.seen_seeds >= {s.seed(0)}  # the link's seed reached the widget
        # Each Train with a new seed left that seed in the widget and in the URL.
        assert s.seed_shown() == s.seed(s.seed_turn)
        assert f"seed={s.seed(s.seed_turn)}" in s.query


def test_only_a_streamlit_server_is_measured_not_a_balancer_in_front_of_it() -> None:
    with socket.socket() as listener:  # this test process stands in for HAProxy
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert listening_pid(port) == os.getpid()
        assert streamlit_pid(port) is None
