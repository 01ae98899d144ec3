"""Two replicas behind HAProxy on loopback: throughput with 1 and 2 replicas, and a replica
killed in the middle of a class.

    python -m bench.scaleout                       # the defaults below, about 4 minutes
    python -m bench.scaleout --students 40 --duration 60 --kill-at 30
    python -m bench.scaleout --hold 600   # only serve: 2 replicas behind HAProxy, 10 min

It starts two ``streamlit run app.py`` replicas on free loopback ports, both with the same
``server.cookieSecret`` (env STREAMLIT_SERVER_COOKIE_SECRET), and Debian's haproxy (it
installs the ``haproxy`` package with apt-get when missing) with ``deploy/haproxy.cfg``,
its ``bind`` and ``server`` lines rewritten for those ports. Then, through the load
balancer, with the simulated students of ``bench.load``:

1. Throughput: the same busy class (short think time) against one replica behind the
   balancer, then against both: completed actions per second, p50/p95.
2. A replica killed (SIGKILL, a crash) at ``--kill-at`` seconds of a steady class whose
   students reopen their link after a drop, as a person reloads. Checks: the students on
   the other replica see no error and keep acting after the kill; every student on the
   killed replica loses its session, reopens its link on the surviving replica and sees
   the same configuration there (its seed in the seed widget).

Everything it starts (replicas, haproxy) is its own child process, stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.load import (
    MAX_DURATION_S,
    MAX_STUDENTS,
    Options,
    Student,
    list_pages,
    make_students,
    run_class,
    summarize,
    table,
)

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"
LOGS = ROOT / "artifacts" / "bench"
START_TIMEOUT_S = 60

sys.path.insert(0, str(ROOT))
from tests.e2e.server import _free_port, _stop  # noqa: E402  (the browser tests' helpers)


# --- processes -----------------------------------------------------------------------------
def wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited; its output is in {log}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url}/_stcore/health did not answer ok in {START_TIMEOUT_S} s; see {log}")


@contextmanager
def child(command: Sequence[str], log: Path, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """A child process writing to ``log``, stopped (by its own handle) on exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )  # fmt: skip
    try:
        yield process
    finally:
        _stop(process)


def replica(name: str, cookie_secret: str, stack: ExitStack) -> tuple[str, subprocess.Popen]:
    """``streamlit run app.py`` on a free loopback port, healthy: (its URL, its process)."""
    port = _free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
    ]  # fmt: skip
    log = LOGS / f"scaleout-{name}.log"
    env = {"STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}
    process = stack.enter_context(child(command, log, env))
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, process, log)
    return url, process


def haproxy_binary() -> str:
    """Debian's haproxy, installed with apt-get when missing (the machine is the bench's)."""
    found = shutil.which("haproxy")
    if found:
        return found
    print("haproxy is missing: apt-get install -y haproxy", flush=True)
    subprocess.run(["apt-get", "install", "-y", "haproxy"], check=True, timeout=600)
    found = shutil.which("haproxy")
    if not found:
        raise SystemExit("haproxy is still missing after apt-get install")
    return found


def loopback_config(template: str, port: int, servers: dict[str, int]) -> str:
    """deploy/haproxy.cfg with its frontend bound to 127.0.0.1:``port`` and its server
    lines replaced by ``servers`` (name → loopback port), each with its affinity cookie."""
    lines, placed = [], False
    for line in template.splitlines():
        words = line.split()
        if words[:1] == ["bind"]:
            line = f"    bind 127.0.0.1:{port}"
        elif words[:1] == ["server"]:
            if placed:
                continue
            placed = True
            lines += [f"    server {n} 127.0.0.1:{p} cookie {n}" for n, p in servers.items()]
            continue
        lines.append(line)
    if not placed:
        raise ValueError("the HAProxy template has no server line to replace")
    return "\n".join(lines) + "\n"


def affinity_cookie(template: str) -> str:
    found = re.search(r"^\s*cookie\s+(\S+)\s+insert", template, re.MULTILINE)
    if not found:
        raise ValueError("the HAProxy template sets no affinity cookie")
    return found.group(1)


@contextmanager
def balancer(servers: dict[str, int], name: str) -> Iterator[str]:
    """HAProxy on a free loopback port in front of ``servers``; yields its URL."""
    port = _free_port()
    config = LOGS / f"haproxy-{name}.cfg"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(loopback_config(HAPROXY_CFG.read_text(), port, servers))
    binary = haproxy_binary()
    subprocess.run([binary, "-c", "-q", "-f", str(config)], check=True, timeout=30)
    with child([binary, "-db", "-f", str(config)], LOGS / f"haproxy-{name}.log") as process:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, LOGS / f"haproxy-{name}.log")
        yield url


# --- the two experiments -------------------------------------------------------------------
def replica_of(student: Student, cookie: str, connection: int = 0) -> str:
    """The replica a student's ``connection``-th page load was given (by its cookie)."""
    if len(student.replicas) <= connection:
        return "-"
    pairs = dict(p.split("=", 1) for p in student.replicas[connection].split(",") if "=" in p)
    return pairs.get(cookie, "-")


def throughput(url: str, args: argparse.Namespace, pages: list[str], label: str) -> dict:
    opts = Options(
        base_url=url, students=args.busy_students, duration=args.busy_duration, pages=tuple(pages),
        think=(0.3, 0.8), ramp=5, timeout=120, seed=args.seed,
    )  # fmt: skip
    opts.check()
    students = make_students(opts, pages)
    start = time.monotonic()
    asyncio.run(run_class(opts, students))
    seconds = time.monotonic() - start
    summary = summarize(students)
    rate = summary["completed"] / seconds
    errors = summary["errors"] or 0
    print(f"\n== {label}: {args.busy_students} busy students (think 0.3-0.8 s), "
          f"{seconds:.0f} s: {rate:.2f} completed actions/s, errors {errors}")  # fmt: skip
    print(table(summary))
    return dict(rate=rate, summary=summary)


def kill_test(url: str, victim: subprocess.Popen, args: argparse.Namespace, pages: list[str]):
    cookie = affinity_cookie(HAPROXY_CFG.read_text())
    opts = Options(
        base_url=url, students=args.students, duration=args.duration, pages=tuple(pages),
        ramp=min(10, args.kill_at / 2), timeout=60, reconnect=True, seed=args.seed,
    )  # fmt: skip
    opts.check()
    students = make_students(opts, pages)
    killed_at = {}

    async def scenario() -> None:
        async def kill() -> None:
            await asyncio.sleep(args.kill_at)
            victim.kill()  # a crash: no goodbye to anyone
            killed_at["t"] = time.monotonic()
            print(f"   killed replica r1 (pid {victim.pid}) at {args.kill_at:g} s", flush=True)

        killer = asyncio.create_task(kill())
        await run_class(opts, students)
        await killer

    asyncio.run(scenario())
    t = killed_at["t"]
    on = {name: [s for s in students if replica_of(s, cookie) == name] for name in ("r1", "r2")}
    survivors, victims = on["r2"], on["r1"]
    checks = {
        "students on both replicas": bool(survivors) and bool(victims),
        "r2's students: no error": all(not s.problems for s in survivors),
        "r2's students: acted after the kill": all(
            any(x.t > t and x.action != "open" for x in s.samples) for s in survivors
        ),
        "r2's students: one session throughout": all(len(s.replicas) == 1 for s in survivors),
        "r1's students: lost their session": all(
            any(p.kind in ("dropped", "timeout") and p.t >= t for p in s.problems) for s in victims
        ),
        "r1's students: reopened on r2": all(
            len(s.replicas) > 1 and replica_of(s, cookie, len(s.replicas) - 1) == "r2"
            for s in victims
        ),
        "r1's students: same seed after reopening": all(
            s.restored and all(s.restored) for s in victims
        ),
        "r1's students: acted again after reopening": all(
            any(x.t > t and x.action not in ("open", "reopen") for x in s.samples) for s in victims
        ),
    }
    summary = summarize(students)
    print(f"\n== kill test: {args.students} students, steady {args.duration:g} s, r1 killed at "
          f"{args.kill_at:g} s; {len(survivors)} on r2, {len(victims)} on r1")  # fmt: skip
    print(table(summary))
    print(f"errors: {summary['errors'] or 0}; reopened {summary['reopened']}, same seed "
          f"{summary['restored']}; isolation {summary['isolation']}")  # fmt: skip
    for name, ok in checks.items():
        print(f"   {'PASS' if ok else 'FAIL'}  {name}")
    return checks


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30, help="in the kill test")
    parser.add_argument("--duration", type=float, default=60, help="of the kill test, s")
    parser.add_argument("--kill-at", type=float, default=25, help="s into the kill test")
    parser.add_argument("--busy-students", type=int, default=20, help="in the throughput runs")
    parser.add_argument("--busy-duration", type=float, default=40, help="of each throughput run")
    parser.add_argument("--page", action="append", default=[], help="URL path; repeatable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hold", type=float, default=0, help="only serve through both, s")
    args = parser.parse_args(argv)
    if not 0 <= args.hold <= MAX_DURATION_S:
        raise SystemExit(f"--hold must be 0 to {MAX_DURATION_S} s")
    for name in ("students", "busy_students"):
        if not 2 <= getattr(args, name) <= MAX_STUDENTS:
            raise SystemExit(f"--{name.replace('_', '-')} must be 2 to {MAX_STUDENTS}")
    for name in ("duration", "busy_duration"):
        if not 10 <= getattr(args, name) <= MAX_DURATION_S:
            raise SystemExit(f"--{name.replace('_', '-')} must be 10 to {MAX_DURATION_S} s")
    if not 5 <= args.kill_at <= args.duration - 5:
        raise SystemExit("--kill-at must leave 5 s before and after it")
    haproxy_binary()
    cookie_secret = secrets.token_hex(32)  # the same on every replica
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    with ExitStack() as stack:
        (url1, proc1), (url2, _) = (replica(n, cookie_secret, stack) for n in ("r1", "r2"))
        ports = {"r1": int(url1.rsplit(":", 1)[1]), "r2": int(url2.rsplit(":", 1)[1])}
        pages = list(args.page) or asyncio.run(list_pages(url1))
        if args.hold:  # for a class of bench.load --url … through the balancer
            with balancer(ports, "two") as lb:
                print(f"2 replicas behind HAProxy at {lb} for {args.hold:g} s", flush=True)
                time.sleep(args.hold)
            return
        with balancer({"r1": ports["r1"]}, "one") as lb:
            one = throughput(lb, args, pages, "1 replica behind HAProxy")
        with balancer(ports, "two") as lb:
            two = throughput(lb, args, pages, "2 replicas behind HAProxy")
            print(f"\nthroughput: 1 replica {one['rate']:.2f}/s, 2 replicas {two['rate']:.2f}/s "
                  f"(× {two['rate'] / max(one['rate'], 1e-9):.2f})")  # fmt: skip
            checks = kill_test(lb, proc1, args, pages)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
