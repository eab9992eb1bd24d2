"""The embedded default heals itself: `make serve` (web, worker and beat, each behind
bin/respawn) keeps answering after the worker's main process is killed with SIGKILL,
and the restarted worker delivers a reminder queued afterwards."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ptrx.plans.models import Notification, NotificationStatus
from tests.jobs.conftest import (
    BASE_DIR,
    database_url,
    local_now,
    minutes_from_now,
    reminded_patient,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)

ZONES = ["Europe/London", "Asia/Tokyo", "America/Chicago", "Australia/Sydney"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def processes() -> dict[int, tuple[int, str]]:
    """Every process on the machine: pid -> (parent pid, command line)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (int(stat.rsplit(")", 1)[1].split()[1]), cmdline)
    return found


def descendants(root: int) -> dict[int, tuple[int, str]]:
    table = processes()
    family, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, cmdline) in table.items():
            if ppid == parent and pid not in family:
                family[pid] = (ppid, cmdline)
                frontier.append(pid)
    return family


def _is_worker(cmdline: str) -> bool:
    # The Celery worker itself (its main process or a pool child), not a shell around it.
    return "celery" in cmdline and " worker" in cmdline and not cmdline.startswith(("sh ", "/bin/sh "))


def worker_main(root: int) -> int | None:
    """The Celery worker's main process: a worker whose parent is not one."""
    family = descendants(root)
    for pid, (ppid, cmdline) in family.items():
        if _is_worker(cmdline) and not _is_worker(family.get(ppid, (0, ""))[1]):
            return pid
    return None


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`make serve` on the test database, a private VAR_DIR and a free port."""
    var = tmp_path / "var"
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(var),
        "PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "REMINDER_SWEEP_SECONDS": "1",
    }
    env.pop("EMAIL_URL", None)
    log = (tmp_path / "serve.log").open("wb")
    # -o: the virtualenv is in place already; `make serve` must not reinstall it.
    serve = subprocess.Popen(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "serve"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen: dict[int, tuple[int, str]] = {}
    try:
        wait_until(lambda: healthy(port), timeout=60, interval=0.5)
        yield serve, port
    finally:
        seen.update(descendants(serve.pid))
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
        # Whatever outlived the shutdown (an orphaned pool process of the killed worker),
        # if its pid still names the process this test started.
        still = processes()
        for pid, (_ppid, cmdline) in seen.items():
            if pid in still and still[pid][1] == cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        log.close()


def test_a_killed_worker_is_restarted_and_delivers_what_is_queued_afterwards(library, embedded):
    serve, port = embedded
    first = wait_until(lambda: worker_main(serve.pid), timeout=30, interval=0.2)
    os.kill(first, signal.SIGKILL)

    second = wait_until(lambda: (pid := worker_main(serve.pid)) not in (None, first) and pid, timeout=30)
    assert serve.poll() is None, "make serve stopped when the worker died"
    assert healthy(port)

    zones = [zone for zone in ZONES if dt.time(0, 10) <= local_now(zone).time() <= dt.time(23, 30)]
    patient = reminded_patient(zone=zones[0], reminder_time=minutes_from_now(zones[0], -2))

    def delivered() -> bool:
        return Notification.objects.filter(patient=patient, status=NotificationStatus.SENT).exists()

    wait_until(delivered, timeout=60, interval=0.5)
    assert worker_main(serve.pid) == second
    assert healthy(port)
