"""Benchmark 2: the reminder sweep and reminder delivery.

The population (bench/common.py): patients with active plans spread over 24 time
zones, every one of them due at the same instant (the worst case: a reminder time
30 minutes before that instant in each zone), HISTORY_DAYS of completions and
check-ins, none today.

- Dispatch: one `reminders_dispatch(now=...)` (ptrx.plans.reminders) selects the
  due patients, inserts their reminders and enqueues the sends on real Redis. Timed
  and its SQL statements counted at SMALL and LARGE patients (default 10,000 and
  100,000): queries per 1,000 patients should not grow with the population. Target:
  under 10 s at 100,000.
- Delivery: a 2-process Celery worker (prefork, the Procfile's options) on Redis
  sends BENCH_DELIVERED (default 5,000) of those reminders through Django's file
  email backend (a local backend: no network), in the sweep's batches of 100 ids.
  Timed from enqueueing to the last row marked sent, the worker already running.
  Target: at least 1,000 reminders/s.

At LARGE the sweep runs once when it takes over 20 s (the budget of `make bench`);
the profile is taken at SMALL, where the sweep does the same per-chunk work.

Run alone: .venv/bin/python bench/reminder_sweep.py [--profile]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import common

SMALL = int(os.environ.get("BENCH_PATIENTS_SMALL", "10000"))
LARGE = int(os.environ.get("BENCH_PATIENTS", "100000"))
DISPATCH_TARGET_S = 10.0
DELIVERY_TARGET_PER_S = 1000.0
WORKER_PROCESSES = 2
# Reminders sent per delivery run (from the SMALL sweep's).
DELIVERED = int(os.environ.get("BENCH_DELIVERED", "5000"))


def reset_outbox() -> None:
    """Forget every reminder and queued message, so the next sweep starts from scratch."""
    common.sql("TRUNCATE plans_notification")
    common.redis_flush()
    outbox = common.WORK_DIR / "var" / "outbox"
    shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir(parents=True, exist_ok=True)


def dispatch_once() -> dict[str, Any]:
    from ptrx.plans.reminders import reminders_dispatch

    now = common.reference_now()
    counter = common.QueryCounter()
    with counter.counting(), common.stopwatch() as took:
        report = reminders_dispatch(now=now)
    return {
        "seconds": took[0],
        "created": report.created,
        "enqueued": len(report.enqueued_ids),
        "queries": counter.count,
    }


def bench_dispatch(patients: int, runs: int) -> dict[str, Any]:
    """`runs` sweeps from an empty outbox; one only when the first takes over 20 s."""
    samples = []
    for _ in range(runs):
        reset_outbox()
        samples.append(dispatch_once())
        if samples[0]["seconds"] > 20:
            break
    seconds = common.median([sample["seconds"] for sample in samples])
    queries = samples[-1]["queries"]
    return {
        "patients": patients,
        "runs": len(samples),
        "seconds": seconds,
        "runs_seconds": [sample["seconds"] for sample in samples],
        "created": samples[-1]["created"],
        "enqueued": samples[-1]["enqueued"],
        "queries": queries,
        "queries_per_1000_patients": queries / patients * 1000,
        "reminders_per_s": samples[-1]["created"] / seconds if seconds else 0.0,
    }


# --- delivery ---------------------------------------------------------------------------


def worker_start() -> subprocess.Popen[bytes]:
    env = {**os.environ, **common.bench_env()}
    log = (common.WORK_DIR / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(Path(common.PYTHON).parent / "celery"), "--app", "ptrx", "worker", "--loglevel", "WARNING",
         "--concurrency", str(WORKER_PROCESSES), "--pool", "prefork", "--without-gossip", "--without-mingle"],
        cwd=common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    from ptrx.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise SystemExit(f"bench: the Celery worker exited; see {common.WORK_DIR / 'worker.log'}")
        replies = app.control.ping(timeout=1.0)
        if replies:
            return worker
    worker_stop(worker)
    raise SystemExit("bench: the Celery worker did not answer within 60 s")


def worker_stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _settled() -> tuple[int, int]:
    """(rows no longer pending or sending, rows sent)."""
    row = common.sql_value(
        "SELECT ARRAY[count(*) FILTER (WHERE status NOT IN ('pending', 'sending')),"
        " count(*) FILTER (WHERE status = 'sent')] FROM plans_notification"
    )
    return int(row[0]), int(row[1])


def deliver_once(total: int) -> dict[str, Any]:
    """Put every reminder back to pending, enqueue them all, wait until all are sent."""
    from django.db import transaction

    from ptrx.plans.outbox import notifications_enqueue

    common.sql(
        "UPDATE plans_notification SET status = 'pending', claimed_at = NULL, sent_at = NULL, attempts = 0"
    )
    ids = [int(pk) for pk in common.sql_list("SELECT id FROM plans_notification ORDER BY id")]
    began = time.perf_counter()
    with transaction.atomic():
        notifications_enqueue(ids)
    enqueued = time.perf_counter() - began
    deadline = time.monotonic() + max(120, total / 100)
    settled = sent = 0
    while time.monotonic() < deadline:
        settled, sent = _settled()
        if settled >= total:
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - began
    return {
        "reminders": total,
        "sent": sent,
        "seconds": seconds,
        "enqueue_seconds": enqueued,
        "per_s": sent / seconds if seconds else 0.0,
        "complete": settled >= total,
    }


def bench_delivery(runs: int) -> dict[str, Any]:
    # The sweep's own messages are dropped: each run enqueues its own DELIVERED rows.
    common.sql(
        "DELETE FROM plans_notification WHERE id NOT IN "
        f"(SELECT id FROM plans_notification ORDER BY id LIMIT {DELIVERED})"
    )
    total = int(common.sql_value("SELECT count(*) FROM plans_notification"))
    common.redis_flush()
    worker = worker_start()
    samples = []
    try:
        deliver_once(min(total, 500))  # warm-up: worker connections, imports
        for _ in range(runs):
            samples.append(deliver_once(total))
    finally:
        worker_stop(worker)
    outbox = common.WORK_DIR / "var" / "outbox"
    return {
        "reminders": total,
        "worker_processes": WORKER_PROCESSES,
        "per_s": common.median([sample["per_s"] for sample in samples]),
        "seconds": common.median([sample["seconds"] for sample in samples]),
        "runs_per_s": [sample["per_s"] for sample in samples],
        "all_sent": all(sample["sent"] == total for sample in samples),
        "outbox_files": len(list(outbox.iterdir())) if outbox.exists() else 0,
    }


def profile_delivery(count: int = 500) -> str:
    """notifications_send in this process (what each worker process does) under pyinstrument."""
    from ptrx.plans.outbox import notifications_send

    common.sql(
        "UPDATE plans_notification SET status = 'pending', claimed_at = NULL, sent_at = NULL, attempts = 0"
    )
    ids = [int(pk) for pk in common.sql_list(f"SELECT id FROM plans_notification ORDER BY id LIMIT {count}")]

    def send() -> None:
        for start in range(0, len(ids), 100):
            notifications_send(ids=ids[start : start + 100])

    return common.profile(send, title="reminder_delivery")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print pyinstrument profiles")
    args = parser.parse_args()
    common.require_services()
    common.configure()
    common.db_prepare()
    runs = common.runs()
    profiles: dict[str, str] = {}
    try:
        built_small = common.population_ensure(SMALL)
        small = bench_dispatch(SMALL, runs)
        delivery = bench_delivery(runs)
        if args.profile or delivery["per_s"] < DELIVERY_TARGET_PER_S:
            profiles["delivery"] = profile_delivery()
        if args.profile or small["seconds"] * LARGE / SMALL >= DISPATCH_TARGET_S:
            # Profiled at SMALL: the sweep works in fixed-size chunks, so the profile's
            # shares are those of the large sweep.
            reset_outbox()
            from ptrx.plans.reminders import reminders_dispatch

            now = common.reference_now()
            profiles["dispatch"] = common.profile(
                lambda: reminders_dispatch(now=now), title="reminder_dispatch"
            )
        built_large = common.population_ensure(LARGE)
        large = bench_dispatch(LARGE, runs)
        reset_outbox()
    finally:
        common.db_release()
    result = {
        "name": "reminder_sweep",
        "build": {"small": built_small.__dict__, "large": built_large.__dict__},
        "dispatch": {"small": small, "large": large},
        "delivery": delivery,
        "targets": {
            "dispatch_seconds": {
                "target": f"< {DISPATCH_TARGET_S:.0f} s",
                "value": large["seconds"],
                "status": common.check(large["seconds"], DISPATCH_TARGET_S, at_least=False),
            },
            "delivery_per_s": {
                "target": f">= {DELIVERY_TARGET_PER_S:.0f}/s",
                "value": delivery["per_s"],
                "status": common.check(delivery["per_s"], DELIVERY_TARGET_PER_S, at_least=True),
            },
        },
        "profiles": profiles,
    }
    common.write_result("reminder_sweep", result)
    print(f"Reminder sweep ({runs} runs, medians); every patient due at once")
    common.print_table(
        ["patients", "dispatch s", "reminders inserted", "queries", "queries / 1,000 patients"],
        [
            [f"{row['patients']:,}", f"{row['seconds']:.2f}", f"{row['created']:,}", row["queries"],
             f"{row['queries_per_1000_patients']:.1f}"]
            for row in (small, large)
        ],
    )  # fmt: skip
    print(
        f"delivery: {delivery['reminders']:,} reminders, {WORKER_PROCESSES}-process worker: "
        f"{delivery['per_s']:.0f}/s (runs {', '.join(f'{v:.0f}' for v in delivery['runs_per_s'])})"
    )
    for name, target in result["targets"].items():
        print(f"  {name}: {target['value']:.2f} (target {target['target']}) {target['status']}")
    for name, text in profiles.items():
        print(f"\nprofile ({name}):\n{text}")


if __name__ == "__main__":
    main()
