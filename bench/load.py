"""A class of simulated students over Streamlit's own websocket protocol.

    python -m bench.load --students 10 --scenario steady --duration 60
    python -m bench.load --students 50 --scenario burst --page decision_boundary
    python -m bench.load --students 10 --url http://127.0.0.1:8501   # a server already running

Without ``--url`` it starts its own ``streamlit run app.py`` on a free loopback port (the
browser tests' ``streamlit_server``) and stops it at the end. Traffic goes to loopback only.

Each student is what a browser tab does, minus the drawing: it fetches the page (keeping
the cookies a load balancer sets), opens ``/_stcore/stream``, asks for the first run with
the link's path and query string, then acts like a person: it changes a widget or presses
a button (a ``rerun_script`` BackMsg carrying that widget's new state, with the fragment
id when the widget lives in a fragment) and waits for the run's ``script_finished``. Like
the browser it sends back the URL the server last wrote and the hashes of the large
messages it already holds. Latency = request sent → ``script_finished`` received.

Scenarios. ``steady``: students arrive over ``--ramp`` seconds and act every 2-5 s
(``--think``) for ``--duration`` seconds. ``burst``: everyone opens the page, then all
press the page's burst action (Decision boundary: Train) within 2 s.

Two kinds of student (``--preset``, the share of the first kind): one keeps the page's
default seed (the class preset, which the server may compute once for everyone), the
other opens a link with a seed of its own and moves on to further seeds of its own
(student i's seeds are 1000 + i + 200 j, so no two students share one). Isolation: a
student must only ever see its own seeds, in its seed widget and in the URL the server
writes for it. Errors: exception elements, compile errors, "page not found", dropped
connections and runs that do not finish within ``--timeout``.

Server memory (RSS, from /proc) fresh, after one warm-up visit per page (the baseline),
at the class's peak, ``--memory-wait`` seconds after everyone left, and after one more
visit (Streamlit itself drops expired disconnected sessions only when it stores another;
the app's memory thread, ui/memory.py, does it without waiting).

The page-specific part (which widgets a student works) is the ``PAGES`` table below; a
page the table does not know is still opened and rerun as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "artifacts" / "bench" / "load-server.log"

MAX_STUDENTS = 200
MAX_DURATION_S = 600
MAX_WAIT_S = 900
OWN_SEED_BASE = 1000  # student i's seeds: OWN_SEED_BASE + i + MAX_STUDENTS * j, j < SEED_TURNS
SEED_TURNS = 40  # so every own seed stays within the pages' seed range (≤ 10 000)
BURST_WINDOW_S = 2.0
RELEASE_WAIT_S = 30  # after the visit that lets Streamlit drop expired sessions: the
# server's memory thread (ui/memory.py, every 20 s) has collected and trimmed by then
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
COOKIE_NAMES_IGNORED = {"_streamlit_xsrf"}
FINISHED = {  # a run's end; FINISHED_EARLY_FOR_RERUN is followed by another run
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}


# --- the page-specific part: which widgets a student works, by key ------------------------
# A widget is found by its key in the page's deltas: the key itself or ``<page>.<key>``
# (``seed`` finds both ``seed`` and ``boundary.seed``). ``how``:
#   press      a button or form submit button (a trigger)
#   other      another value in the widget's own range (number input, slider)
#   toggle     flip a checkbox or toggle
#   next_seed  the student's next seed of its own (students with the preset skip it)
#   a function (student, widget) -> the value the browser would send (a component's JSON)
# ``new_seed``: also set the page's seed widget to the student's next own seed in the same
# rerun (a form: the seed and the submit button go together, as the browser sends them).
@dataclass(frozen=True)
class Action:
    name: str
    key: str
    how: str | Callable[[Student, Widget], object]
    weight: int = 1
    new_seed: bool = False


def player_step(student: Student, report: Widget) -> str:
    """Build & Step's step player (ui.player) steps in the browser and reports the step it
    moved to, debounced, through its report component: one fragment rerun per report."""
    steps = student.find("bs_player")
    n = int(steps.data.get("steps", 1)) if steps else 1
    step = student.rng.randint(1, max(n, 1))
    return json.dumps({"step": {"id": report.data.get("id"), "step": step}})


SEED_KEY = "seed"  # every page's seed widget: what the isolation check reads
PAGES: dict[str, tuple[Action, ...]] = {
    "build_and_step": (
        Action("step", "bs_player_report", player_step, weight=3),
        Action("seed", SEED_KEY, "next_seed"),
    ),
    "decision_boundary": (
        Action("train", "train", "press", weight=2, new_seed=True),
        Action("shade", "shade", "toggle"),
    ),
}
BURST: dict[str, str] = {"build_and_step": "step", "decision_boundary": "train"}
RERUN = Action("rerun", "", "rerun")  # any other page: rerun it as it is (the R key)


# --- a student ----------------------------------------------------------------------------
@dataclass
class Widget:
    id: str
    kind: str  # the Element oneof: number_input, slider, button, checkbox, …
    fragment_id: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    value: object = None  # what the browser would show: the server's set value, or ours
    data: dict = field(default_factory=dict)  # a component's data: scalars, list lengths


@dataclass
class Sample:
    t: float  # monotonic time the action finished
    page: str
    action: str
    group: str  # "preset" or "own"
    seconds: float  # until the run finished: everything shown, results included
    first: float  # until its first element came: the page (or its queue note) showing


@dataclass
class Problem:
    t: float
    page: str
    action: str
    kind: str  # exception, compile_error, page_not_found, dropped, timeout, …
    detail: str


class ServerGone(Exception):
    """The connection dropped or a run did not finish in time: the session is lost."""


@dataclass
class Student:
    """One simulated browser tab: one Streamlit session at a time."""

    number: int
    page: str
    own_seed: bool
    base_url: str
    timeout: float
    rng: random.Random
    samples: list[Sample] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen_seeds: set[int] = field(default_factory=set)
    replicas: list[str] = field(default_factory=list)  # the affinity cookie per connection
    restored: list[bool] = field(default_factory=list)  # after each reopen: same seed?
    seed_turn: int = 0
    query: str = ""
    cookies: dict[str, str] = field(default_factory=dict)
    ws: object = None
    first_element: float | None = None  # when the current run sent its first element
    page_hash: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)
    cached_hashes: set[str] = field(default_factory=set)
    preset_seed: int | None = None

    @property
    def group(self) -> str:
        return "own" if self.own_seed else "preset"

    def seed(self, turn: int) -> int:
        return OWN_SEED_BASE + self.number + MAX_STUDENTS * (turn % SEED_TURNS)

    def own_seeds(self) -> set[int]:
        return {self.seed(j) for j in range(min(self.seed_turn + 1, SEED_TURNS))}

    def link(self) -> str:
        """The first link: the page, with the student's own seed when it has one."""
        return urlencode({SEED_KEY: self.seed(0)}) if self.own_seed else ""

    # --- the wire -----------------------------------------------------------------------
    async def open(self, query: str | None = None, action: str = "open") -> None:
        """Fetch the page, connect, run it with ``query`` (default: the student's link)."""
        await self.close()
        self.query = self.link() if query is None else query
        self.widgets, self.cached_hashes, self.page_hash = {}, set(), ""
        start = time.monotonic()
        url = f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")
        try:
            self.cookies.update(await http_get(url, self.cookies))
            self.replicas.append(self.affinity())
            ws_url = "ws" + self.base_url.removeprefix("http") + "/_stcore/stream"
            headers = {"Origin": self.base_url}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            self.ws = await websockets.connect(
                ws_url,
                subprotocols=["streamlit"],
                additional_headers=headers,
                max_size=None,
                ping_interval=None,  # a browser sends no pings
                open_timeout=self.timeout,
                proxy=None,
            )
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as error:
            self._problem(action, "dropped", f"connect: {error!r}")
            raise ServerGone from error
        state = self._client_state()
        state.page_name = self.page
        await self._run(state, action, start)

    async def act(self, action: Action) -> None:
        """One action: set its widgets, rerun, wait until the run has finished."""
        start = time.monotonic()
        state = self._client_state()
        if action.how != "rerun":
            widget = self.find(action.key)
            if widget is None:
                self._problem(action.name, "missing_widget", action.key)
                return
            changes = [(widget, self._new_value(action, widget))]
            if action.new_seed and self.own_seed and (seed := self.find(SEED_KEY)):
                self.seed_turn += 1
                changes.append((seed, self.seed(self.seed_turn)))
            for w, value in changes:
                state.widget_states.widgets.append(widget_state(w, value))
                if w.kind != "button":
                    w.value = value
            fragments = {w.fragment_id for w, _ in changes}
            if len(fragments) == 1:
                state.fragment_id = fragments.pop()
        await self._run(state, action.name, start)

    async def close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await asyncio.wait_for(ws.close(), 10)
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
                pass

    def find(self, key: str) -> Widget | None:
        for user_key, widget in self.widgets.items():
            if user_key == key or user_key.endswith("." + key):
                return widget
        return None

    def affinity(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.cookies.items())) or "-"

    def seed_shown(self) -> int | None:
        widget = self.find(SEED_KEY)
        return None if widget is None or widget.value is None else int(widget.value)

    def available(self) -> list[Action]:
        actions = PAGES.get(self.page, (RERUN,))
        return [a for a in actions if a.how != "next_seed" or self.own_seed]

    def _new_value(self, action: Action, widget: Widget) -> object:
        if callable(action.how):
            return action.how(self, widget)
        if action.how == "press":
            return True
        if action.how == "toggle":
            return not bool(widget.value)
        if action.how == "next_seed":
            self.seed_turn += 1
            return self.seed(self.seed_turn)
        low, high = widget.low or 0, widget.high if widget.high is not None else 100
        if widget.integer:
            choices = [v for v in range(int(low), int(high) + 1) if v != widget.value]
            return self.rng.choice(choices) if choices else low
        return self.rng.uniform(low, high)

    def _client_state(self) -> ClientState:
        state = ClientState(query_string=self.query, page_script_hash=self.page_hash)
        state.widget_states.SetInParent()
        state.cached_message_hashes.extend(sorted(self.cached_hashes))
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/{self.page}" + (f"?{self.query}" if self.query else "")
        info.is_embedded, info.color_scheme = False, "light"
        return state

    async def _run(self, state: ClientState, action: str, start: float) -> None:
        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        deadline = start + self.timeout
        self.first_element = None
        try:
            await self.ws.send(msg.SerializeToString())
            while True:
                data = await asyncio.wait_for(self.ws.recv(), max(deadline - time.monotonic(), 0))
                status = self._absorb(data, action)
                if status in FINISHED:
                    break
        except TimeoutError as error:
            self._problem(action, "timeout", f"no script_finished within {self.timeout:g} s")
            await self.close()
            raise ServerGone from error
        except (OSError, websockets.exceptions.WebSocketException) as error:
            self._problem(action, "dropped", repr(error))
            self.ws = None
            raise ServerGone from error
        now = time.monotonic()
        first = (self.first_element or now) - start
        self.samples.append(Sample(now, self.page, action, self.group, now - start, first))

    def _absorb(self, data: bytes, action: str) -> int | None:
        """Take in one ForwardMsg: widgets, URL, errors, seeds. Its finish status, if any."""
        msg = ForwardMsg()
        msg.ParseFromString(data)
        if msg.metadata.cacheable and msg.hash:
            self.cached_hashes.add(msg.hash)
        kind = msg.WhichOneof("type")
        if kind == "navigation":  # which page ran: the hash the next rerun names
            ran = msg.navigation.page_script_hash
            if self.page_hash and ran != self.page_hash:
                self._problem(action, "wrong_page", f"ran page {ran}, not {self.page}")
            self.page_hash = ran
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
            for name, value in parse_qsl(self.query):
                if name == SEED_KEY:
                    self._saw_seed(value)
        elif kind == "page_not_found":
            self._problem(action, "page_not_found", msg.page_not_found.page_name)
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            exc = msg.session_event.script_compilation_exception
            self._problem(action, "compile_error", f"{exc.type}: {exc.message}"[:300])
        elif kind == "script_finished":
            return msg.script_finished
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self.first_element = self.first_element or time.monotonic()
            self._element(msg.delta.new_element, msg.delta.fragment_id, action)
        return None

    def _element(self, element, fragment_id: str, action: str) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            exc = element.exception
            self._problem(action, "exception", f"{exc.type}: {exc.message}"[:300])
            return
        proto = getattr(element, kind)
        element_id = getattr(proto, "id", "") if kind not in ("markdown", "html") else ""
        if not element_id.startswith("$$ID-"):
            return
        user_key = element_id.split("-", 2)[-1]
        widget = self.widgets.get(user_key)
        if widget is None or widget.id != element_id:
            widget = self.widgets[user_key] = Widget(element_id, kind, fragment_id)
        widget.fragment_id = fragment_id
        if kind in ("number_input", "slider"):
            widget.low, widget.high = proto.min, proto.max
            widget.integer = proto.data_type == proto.INT
            shown = None
            if kind == "number_input" and (proto.set_value or widget.value is None):
                shown = proto.value if proto.set_value else proto.default
            elif kind == "slider" and (proto.set_value or widget.value is None):
                values = proto.value if proto.set_value else proto.default
                shown = values[0] if values else None
            if shown is not None:
                widget.value = int(shown) if widget.integer else shown
                if user_key == SEED_KEY or user_key.endswith("." + SEED_KEY):
                    self._saw_seed(widget.value)
        elif kind == "checkbox" and widget.value is None:
            widget.value = proto.value if proto.set_value else proto.default
        elif kind == "bidi_component" and proto.WhichOneof("data") in ("json", "bytes"):
            data = component_data(proto)
            if isinstance(data, dict):
                widget.data = {
                    k: len(v) if isinstance(v, list) else v
                    for k, v in data.items()
                    if isinstance(v, list | str | int | float | bool)
                }

    def _saw_seed(self, value) -> None:
        try:
            self.seen_seeds.add(int(float(value)))
        except ValueError:
            self.seen_seeds.add(-1)

    def _problem(self, action: str, kind: str, detail: str) -> None:
        self.problems.append(Problem(time.monotonic(), self.page, action, kind, detail))

    def isolated(self) -> bool | None:
        """True: saw only its own seeds; False: saw another's; None: saw no seed at all."""
        if not self.seen_seeds:
            return None
        if self.own_seed:
            return self.seen_seeds <= self.own_seeds()
        # The preset: one seed throughout, and never one of the students' own seeds.
        return len(self.seen_seeds) == 1 and min(self.seen_seeds) < OWN_SEED_BASE


def component_data(proto) -> object:
    """A component's data: JSON, or the step player's bytes (a JSON header line, then the
    payload's JSON; ``ui.player.player``). Other bytes (a shared chart's figure): None."""
    if proto.WhichOneof("data") == "json":
        return json.loads(proto.json)
    if proto.component_name.endswith("step_player"):
        header, _, body = proto.bytes.partition(b"\n")
        return json.loads(header) | json.loads(body)
    return None


def widget_state(widget: Widget, value) -> WidgetState:
    """A widget's new value as the browser sends it (the type each widget registers)."""
    state = WidgetState(id=widget.id)
    if widget.kind == "button":
        state.trigger_value = True
    elif widget.kind == "checkbox":
        state.bool_value = bool(value)
    elif widget.kind == "number_input":
        state.double_value = float(value)
    elif widget.kind == "slider":
        state.double_array_value.data.append(float(value))
    elif widget.kind == "bidi_component":
        state.json_value = str(value)
    else:  # selectbox, radio, … : the option's label
        state.string_value = str(value)
    return state


async def http_get(url: str, cookies: dict[str, str]) -> dict[str, str]:
    """GET ``url`` (HTTP/1.1, loopback), read it whole; the cookies it sets."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close"]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await writer.drain()
        response = await reader.read()
    finally:
        writer.close()
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    if len(head[0].split()) < 2 or head[0].split()[1] != "200":
        raise OSError(f"GET {url}: {head[0]!r}")
    found = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "set-cookie":
            key, _, rest = value.strip().partition("=")
            if key not in COOKIE_NAMES_IGNORED:
                found[key] = rest.split(";", 1)[0]
    return found


# --- the class ---------------------------------------------------------------------------
@dataclass
class Options:
    base_url: str
    students: int = 10
    scenario: str = "steady"  # or "burst"
    duration: float = 60.0
    pages: tuple[str, ...] = ()  # empty: every page the app lists
    preset: float = 0.5  # share of students who keep the page's default seed
    think: tuple[float, float] = (2.0, 5.0)
    ramp: float = 10.0
    timeout: float = 180.0
    reconnect: bool = False  # after a drop, reopen the link (as a person reloads)
    seed: int = 0

    def check(self) -> None:
        host = urlsplit(self.base_url).hostname
        if host not in LOOPBACK:
            raise SystemExit(f"--url must be a loopback address, not {host!r}")
        if not 1 <= self.students <= MAX_STUDENTS:
            raise SystemExit(f"--students must be 1 to {MAX_STUDENTS}")
        if not 1 <= self.duration <= MAX_DURATION_S:
            raise SystemExit(f"--duration must be 1 to {MAX_DURATION_S} s")
        if self.scenario not in ("steady", "burst"):
            raise SystemExit("--scenario must be steady or burst")
        if not 0 <= self.preset <= 1:
            raise SystemExit("--preset must be 0 to 1")
        low, high = self.think
        if not 0.05 <= low <= high <= 60:
            raise SystemExit("--think must be MIN MAX with 0.05 <= MIN <= MAX <= 60")
        if not 0 <= self.ramp <= self.duration:
            raise SystemExit("--ramp must be 0 to --duration")
        if not 1 <= self.timeout <= MAX_DURATION_S:
            raise SystemExit(f"--timeout must be 1 to {MAX_DURATION_S} s")


def make_students(opts: Options, pages: Sequence[str]) -> list[Student]:
    """Students spread over ``pages`` in turn; the first ``preset`` share of each page's
    students keep its default seed."""
    rng = random.Random(opts.seed)
    students = []
    for number in range(opts.students):
        page = pages[number % len(pages)]
        nth_on_page = number // len(pages)
        on_page = len(range(number % len(pages), opts.students, len(pages)))
        own = nth_on_page >= round(opts.preset * on_page)
        student = Student(
            number, page, own, opts.base_url, opts.timeout, random.Random(rng.random())
        )
        students.append(student)
    return students


async def run_class(opts: Options, students: list[Student]) -> dict:
    """Run the scenario with ``students``; returns the phase times (monotonic)."""
    start = time.monotonic()
    end = start + opts.duration
    opened = asyncio.Event()
    count = {"open": 0, "done": 0}
    done = asyncio.Event()

    def arrived() -> None:
        count["open"] += 1
        if count["open"] == len(students):
            opened.set()

    async def reopen(student: Student) -> bool:
        """After a drop: reopen the link the browser shows (a reload)."""
        url_seed = dict(parse_qsl(student.query)).get(SEED_KEY)
        try:
            await asyncio.sleep(student.rng.uniform(0.5, 2.0))
            await student.open(student.query, action="reopen")
        except ServerGone:
            return False
        expected = int(url_seed) if url_seed else student.preset_seed
        student.restored.append(student.seed_shown() == expected)
        return True

    async def attempt(student: Student, action: Action | None) -> bool:
        """Open (action None) or act; on a lost session, reopen if asked. Go on?"""
        try:
            if action is None:
                await student.open()
                if not student.own_seed:
                    student.preset_seed = student.seed_shown()
            else:
                await student.act(action)
            return True
        except ServerGone:
            return opts.reconnect and await reopen(student)

    async def steady(student: Student) -> None:
        await asyncio.sleep(student.rng.uniform(0, opts.ramp))
        going = await attempt(student, None)
        while going:
            await asyncio.sleep(student.rng.uniform(*opts.think))
            actions = student.available()
            if time.monotonic() >= end or not actions:
                break
            action = student.rng.choices(actions, [a.weight for a in actions])[0]
            going = await attempt(student, action)

    async def burst(student: Student) -> None:
        await asyncio.sleep(student.rng.uniform(0, opts.ramp))
        going = await attempt(student, None)
        arrived()
        await opened.wait()
        if going:
            name = BURST.get(student.page)
            action = next((a for a in student.available() if a.name == name), RERUN)
            await asyncio.sleep(student.rng.uniform(0, BURST_WINDOW_S))
            await attempt(student, action)
        count["done"] += 1
        if count["done"] == len(students):
            done.set()
        await done.wait()  # everyone stays until the whole burst is served

    async def one(student: Student) -> None:
        try:
            await (steady if opts.scenario == "steady" else burst)(student)
        finally:
            await student.close()

    bound = opts.ramp + opts.duration + 2 * opts.timeout + 30
    tasks = [asyncio.create_task(one(s)) for s in students]
    finished, late = await asyncio.wait(tasks, timeout=bound)
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    for task in finished:
        if task.exception() is not None:
            raise task.exception()
    return {"start": start, "left": time.monotonic(), "cut_off": len(late)}


# --- the server: pid, memory, CPU (from /proc, Linux) -------------------------------------
def listening_pid(port: int) -> int | None:
    """The pid of the process listening on TCP ``port``, or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return int(pid)
        except OSError:
            continue
    return None


def streamlit_pid(port: int) -> int | None:
    """The pid of the Streamlit server listening on ``port``; None for anything else (a
    load balancer's figures would pass for the server's)."""
    pid = listening_pid(port)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes() if pid else b""
    except OSError:
        command = b""
    return pid if b"streamlit" in command else None


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def family(pids: Sequence[int]) -> list[int]:
    """``pids`` and all their descendants (a server's worker processes), from /proc."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children[ppid].append(int(entry))
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def total_rss_mb(pids: Sequence[int]) -> float | None:
    """The RSS of ``pids`` and their worker processes together."""
    values = [v for v in map(rss_mb, family(pids)) if v is not None]
    return sum(values) if values else None


def cpu_by_pid(pids: Sequence[int]) -> dict[int, float]:
    return {p: c for p in family(pids) if (c := cpu_seconds(p)) is not None}


class Probe:
    """Samples the servers' RSS every ``every`` seconds while running: the peak."""

    def __init__(self, pids: Sequence[int], every: float = 0.5) -> None:
        self.pids, self.every = list(pids), every
        self.peak = self.total() or 0.0
        self.task: asyncio.Task | None = None

    def total(self) -> float | None:
        return total_rss_mb(self.pids)

    async def _loop(self) -> None:
        while True:
            self.peak = max(self.peak, self.total() or 0.0)
            await asyncio.sleep(self.every)

    def __enter__(self) -> Probe:
        self.task = asyncio.get_running_loop().create_task(self._loop())
        return self

    def __exit__(self, *exc) -> None:
        self.peak = max(self.peak, self.total() or 0.0)
        self.task.cancel()


async def visit(base_url: str, page: str) -> Student:
    """One student opens ``page`` once and leaves (a warm-up or a poke)."""
    student = Student(-1, page, False, base_url, 120, random.Random(0))
    try:
        await student.open(action="visit")
    finally:
        await student.close()
    return student


async def list_pages(base_url: str) -> list[str]:
    """The URL paths of the app's pages (home excluded), as the server announces them."""
    ws_url = "ws" + base_url.removeprefix("http") + "/_stcore/stream"
    msg = BackMsg()
    msg.rerun_script.widget_states.SetInParent()
    async with websockets.connect(
        ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None, proxy=None
    ) as ws:
        await ws.send(msg.SerializeToString())
        while True:
            reply = ForwardMsg()
            reply.ParseFromString(await asyncio.wait_for(ws.recv(), 120))
            if reply.WhichOneof("type") == "navigation":
                return [p.url_pathname for p in reply.navigation.app_pages if p.url_pathname]
            if reply.WhichOneof("type") == "script_finished":
                return []


# --- figures -----------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0…100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def summarize(students: Sequence[Student]) -> dict:
    """Per (page, action, group): n, p50, p95, max, and p95 of the first element's time;
    problems; isolation; restored links."""
    timings: dict[tuple[str, str, str], list[Sample]] = defaultdict(list)
    for s in students:
        for sample in s.samples:
            timings[(sample.page, sample.action, sample.group)].append(sample)
    actions = []
    for (page, action, group), samples in sorted(timings.items()):
        v = [x.seconds for x in samples]
        actions.append(dict(page=page, action=action, group=group, n=len(v),
                            p50=percentile(v, 50), p95=percentile(v, 95), max=max(v),
                            first_p95=percentile([x.first for x in samples], 95)))  # fmt: skip
    problems = [asdict(p) | {"student": s.number} for s in students for p in s.problems]
    verdicts = [s.isolated() for s in students]
    return dict(
        actions=actions,
        completed=sum(len(s.samples) for s in students),
        errors=dict(Counter(p["kind"] for p in problems)),
        first_errors=problems[:10],
        isolation=dict(
            isolated=verdicts.count(True),
            violations=[s.number for s, v in zip(students, verdicts, strict=True) if v is False],
            unverified=verdicts.count(None),
        ),
        reopened=sum(len(s.restored) for s in students),
        restored=sum(sum(s.restored) for s in students),
    )


def table(summary: dict) -> str:
    """p50, p95, max: until the run finished; first p95: until its first element showed."""
    rows = [
        f"{'page':<18} {'action':<7} {'group':<6} {'n':>5} {'p50':>7} {'p95':>7} {'max':>7} "
        f"{'first p95':>9}"
    ]
    for a in summary["actions"]:
        rows.append(
            f"{a['page']:<18} {a['action']:<7} {a['group']:<6} {a['n']:>5} "
            f"{a['p50']:>6.2f}s {a['p95']:>6.2f}s {a['max']:>6.2f}s {a['first_p95']:>8.2f}s"
        )
    return "\n".join(rows)


def report(result: dict) -> str:
    """The human-readable report of ``measure``'s result."""
    s, m, o = result["summary"], result["memory_mb"], result["options"]
    iso = s["isolation"]
    lines = [
        f"{o['students']} students, {o['scenario']}, duration {o['duration']:g} s, think "
        f"{o['think'][0]:g}-{o['think'][1]:g} s, ramp {o['ramp']:g} s, preset share "
        f"{o['preset']:g}, pages {', '.join(result['pages'])}",
        f"load average before {result['load_before']}, after {result['load_after']}; "
        f"{os.cpu_count()} cores",
        table(s),
        f"completed actions: {s['completed']} in {result['class_seconds']:.0f} s "
        f"({s['completed'] / max(result['class_seconds'], 1e-9):.2f}/s)",
        f"errors: {s['errors'] or 0}"
        + (
            f"; {result['cut_off']} students cut off at the time bound" if result["cut_off"] else ""
        ),
        f"isolation: {iso['isolated']}/{o['students']} saw only their own seeds; "
        f"violations {iso['violations'] or 0}; no seed seen {iso['unverified']}",
    ]
    for p in s["first_errors"][:5]:
        lines.append(f"  e.g. student {p['student']} {p['page']} {p['action']}: "
                     f"{p['kind']} {p['detail'][:160]}")  # fmt: skip
    if s["reopened"]:
        lines.append(f"reopened links: {s['reopened']}, same seed shown: {s['restored']}")
    if not m:
        lines.append("server RSS and CPU: not measured (no Streamlit process listens there)")
    if m:
        lines.append(
            "server RSS with its workers (MB): fresh {fresh:.0f}, baseline {baseline:.0f}, "
            "peak {peak:.0f}, {wait:g} s after all left {after:.0f}, "
            f"after one more visit (+{RELEASE_WAIT_S} s) "
            "{poked:.0f}".format(**m)
        )
    if result.get("server_cores") is not None:
        lines.append(f"server CPU with its workers during the class: "
                     f"{result['server_cores']:.2f} cores; "
                     f"this client: {result['client_cores']:.2f} cores")  # fmt: skip
    return "\n".join(lines)


async def measure(opts: Options, pids: Sequence[int], memory_wait: float) -> dict:
    """Warm up, run the class, wait, measure: everything ``report`` prints."""
    opts.check()
    fresh = total_rss_mb(pids)
    pages = list(opts.pages) or await list_pages(opts.base_url)
    if not pages:
        raise SystemExit("the app lists no pages to open")
    for page in pages:
        await visit(opts.base_url, page)
    baseline = total_rss_mb(pids)
    students = make_students(opts, pages)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    cpu0 = cpu_by_pid(pids)
    client0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    with Probe(pids) as probe:
        times = await run_class(opts, students)
    class_seconds = time.monotonic() - t0
    cpu1 = cpu_by_pid(pids)
    client1 = resource.getrusage(resource.RUSAGE_SELF)
    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = {}
    if pids:
        await asyncio.sleep(memory_wait)
        after = probe.total()
        await visit(opts.base_url, pages[0])
        await asyncio.sleep(RELEASE_WAIT_S)
        memory = dict(fresh=fresh, baseline=baseline, peak=probe.peak, wait=memory_wait,
                      after=after, poked=probe.total())  # fmt: skip
    used = [c - cpu0.get(pid, 0.0) for pid, c in cpu1.items()]  # workers may start later
    client = (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)
    return dict(
        options=asdict(opts),
        pages=pages,
        summary=summarize(students),
        class_seconds=class_seconds,
        cut_off=times["cut_off"],
        load_before=load_before,
        load_after=load_after,
        memory_mb=memory,
        server_cores=sum(used) / class_seconds if used else None,
        client_cores=client / class_seconds,
    )


@contextmanager
def server(url: str | None) -> Iterator[str]:
    """``url`` as it is, or a fresh ``streamlit run app.py`` on a free loopback port."""
    if url:
        yield url.rstrip("/")
        return
    sys.path.insert(0, str(ROOT))
    from tests.e2e.server import streamlit_server

    with streamlit_server(LOG) as started:
        yield started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=10, help=f"1-{MAX_STUDENTS}")
    parser.add_argument("--scenario", choices=("steady", "burst"), default="steady")
    parser.add_argument("--duration", type=float, default=60, help="seconds of acting (steady)")
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--page", action="append", default=[], help="URL path; repeatable")
    parser.add_argument("--preset", type=float, default=0.5, help="share keeping the preset")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"))
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which they arrive")
    parser.add_argument("--timeout", type=float, default=180, help="seconds one run may take")
    parser.add_argument("--memory-wait", type=float, default=180, help="seconds after they left")
    parser.add_argument("--reconnect", action="store_true", help="reopen the link after a drop")
    parser.add_argument("--seed", type=int, default=0, help="of the simulation's randomness")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    if not 0 <= args.memory_wait <= MAX_WAIT_S:
        raise SystemExit(f"--memory-wait must be 0 to {MAX_WAIT_S} s")
    with server(args.url) as url:
        opts = Options(
            base_url=url,
            students=args.students,
            scenario=args.scenario,
            duration=args.duration,
            pages=tuple(args.page),
            preset=args.preset,
            think=tuple(args.think),
            ramp=min(args.ramp, args.duration),
            timeout=args.timeout,
            reconnect=args.reconnect,
            seed=args.seed,
        )
        opts.check()
        pid = streamlit_pid(urlsplit(url).port or 80)
        result = asyncio.run(measure(opts, [pid] if pid else [], args.memory_wait))
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
