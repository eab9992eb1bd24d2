"""Benchmark 1: API throughput under gunicorn on PostgreSQL, against two baselines.

gunicorn with 2 sync workers (the Procfile's command, DEBUG off, persistent database
connections) serves the product's URLs plus two bench-only baselines
(bench/bench_urls.py): a bare Django view and a bare DRF APIView, both checking the
same Bearer token and answering a constant JSON body. wrk (its own process,
2 threads, 8 connections) drives each endpoint; 1,000 patients' tokens are used in
turn. Each endpoint gets BENCH_SECONDS (default 30) in BENCH_RUNS rounds
(default 3), the endpoints interleaved round by round so that a noisy neighbour
hurts all of them alike; the median round is reported.

Endpoints: GET me/today/, GET me/plans/{id}/ (a plan of 20 prescriptions), POST
me/completions/ (every request a new completion: 201). Targets: today >= 0.5 of
bare DRF, plan detail >= 0.4, p99 under 50 ms.

Run alone: .venv/bin/python bench/api_throughput.py [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import common

PATIENTS = int(os.environ.get("BENCH_API_PATIENTS", "1000"))
PRESCRIPTIONS = 20
SECONDS = float(os.environ.get("BENCH_SECONDS", "30"))
WARMUP_SECONDS = 2
CONCURRENCY = 8
THREADS = 2
WORKERS = 2
PREFIX = "api-"
ENDPOINTS = ("django", "drf", "today", "plan", "completion")
LABELS = {
    "django": "bare Django view (baseline)",
    "drf": "bare DRF APIView (baseline)",
    "today": "GET me/today/",
    "plan": f"GET me/plans/{{id}}/ ({PRESCRIPTIONS} prescriptions)",
    "completion": "POST me/completions/",
}
RATIO_TARGETS = {"today": 0.5, "plan": 0.4}
P99_TARGET_MS = 50.0


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "bench: wrk is not installed. On Debian/Ubuntu: `sudo apt-get install -y wrk` "
            "(https://github.com/wg/wrk).",
            file=sys.stderr,
        )
        sys.exit(2)
    return wrk


# --- data -------------------------------------------------------------------------


def _template_plan() -> int:
    """A generated plan trimmed to PRESCRIPTIONS prescriptions (through the services)."""
    from ptrx.plans.models import Patient, Plan, Prescription
    from ptrx.plans.services.patients import patient_create
    from ptrx.plans.services.plans import plan_generate
    from ptrx.plans.services.prescriptions import prescription_remove

    common.fast_passwords()
    patient = Patient.objects.filter(user__username="api-template").first()
    if patient is None:
        patient = patient_create(
            username="api-template",
            password="bench-password-0123456789",
            therapist=common.therapist_get(),
            branches=["inferior"],
            side="left",
        )
    plan = Plan.objects.filter(patient=patient).first() or plan_generate(
        patient=patient, start=dt.date.today()
    )
    prescriptions = list(
        Prescription.objects.filter(phase__plan=plan).select_related("phase__plan", "exercise")
        .order_by("-phase__number", "-order")
    )  # fmt: skip
    if len(prescriptions) < PRESCRIPTIONS:
        raise SystemExit(f"bench: the generated plan has only {len(prescriptions)} prescriptions")
    for prescription in prescriptions[: len(prescriptions) - PRESCRIPTIONS]:
        prescription_remove(prescription=prescription)
    return plan.pk


def api_data_build() -> Path:
    """PATIENTS patients (UTC, reminders off), each with an active copy of the template plan
    started 400 days ago and in phase 2, and a token; returns the wrk data file."""
    from django.db import transaction
    from knox.models import AuthToken

    api_data_delete()
    template = _template_plan()
    therapist = common.therapist_get()
    today = dt.date.today()
    p = {"n": PATIENTS, "prefix": PREFIX, "therapist": therapist.pk, "template": template, "today": today}
    with transaction.atomic():
        common.sql(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                   is_staff, is_active, date_joined)
            SELECT '!', false, %(prefix)s || g, 'Api', '', %(prefix)s || g || '@example.org',
                   false, true, now()
            FROM generate_series(1, %(n)s) g
            """,
            p,
        )
        # Registered 400 days ago, as long as their plans: a completion dated before the
        # patient's registration is refused (400), and every POST must be a 201.
        common.sql(
            """
            INSERT INTO plans_patient (user_id, therapist_id, timezone, reminder_time, reminders_enabled,
                                       reminder_channel, branches, side, irritability, red_flags,
                                       red_flags_screened_on, created_at)
            SELECT u.id, %(therapist)s, 'UTC', '09:00', false, 'email', '["inferior"]'::jsonb, 'left',
                   'moderate', '{}'::jsonb, %(today)s, now() - interval '400 days'
            FROM auth_user u WHERE u.username LIKE %(prefix)s || '%%' AND u.username <> 'api-template'
            """,
            p,
        )
        common.sql(
            """
            INSERT INTO plans_plan (patient_id, title, status, branches, side, irritability, start_date,
                                    current_phase, auto_progress, status_reason, created_by_id,
                                    created_at, updated_at)
            SELECT pa.id, tp.title, 'active', tp.branches, tp.side, tp.irritability,
                   %(today)s::date - 400, 2, true, '', NULL, now(), now()
            FROM plans_patient pa JOIN auth_user u ON u.id = pa.user_id
            CROSS JOIN plans_plan tp
            WHERE tp.id = %(template)s AND u.username LIKE %(prefix)s || '%%'
              AND u.username <> 'api-template'
            """,
            p,
        )
        common.sql(
            """
            INSERT INTO plans_phase (plan_id, number, name, goal, min_weeks, typical_weeks,
                                     started_on, ended_on)
            SELECT pl.id, tph.number, tph.name, tph.goal, tph.min_weeks, tph.typical_weeks,
                   CASE WHEN tph.number = 1 THEN pl.start_date
                        WHEN tph.number = 2 THEN pl.start_date + 200 END,
                   CASE WHEN tph.number = 1 THEN pl.start_date + 200 END
            FROM plans_plan pl JOIN plans_patient pa ON pa.id = pl.patient_id
            JOIN auth_user u ON u.id = pa.user_id
            JOIN plans_phase tph ON tph.plan_id = %(template)s
            WHERE u.username LIKE %(prefix)s || '%%' AND u.username <> 'api-template'
            """,
            p,
        )
        common.sql(
            """
            INSERT INTO plans_prescription (phase_id, exercise_id, sets, reps, hold_seconds, side,
                                            sessions_per_day, days_of_week, notes, "order")
            SELECT ph.id, tpr.exercise_id, tpr.sets, tpr.reps, tpr.hold_seconds, tpr.side,
                   tpr.sessions_per_day, tpr.days_of_week, tpr.notes, tpr."order"
            FROM plans_phase ph JOIN plans_plan pl ON pl.id = ph.plan_id
            JOIN plans_patient pa ON pa.id = pl.patient_id JOIN auth_user u ON u.id = pa.user_id
            JOIN plans_phase tph ON tph.plan_id = %(template)s AND tph.number = ph.number
            JOIN plans_prescription tpr ON tpr.phase_id = tph.id
            WHERE u.username LIKE %(prefix)s || '%%' AND u.username <> 'api-template'
            """,
            p,
        )
    from ptrx.plans.models import Plan, Prescription

    plans = {
        plan.patient.user_id: plan
        for plan in Plan.objects.filter(patient__user__username__startswith=PREFIX, status="active")
        .exclude(patient__user__username="api-template")
        .select_related("patient")
    }
    prescriptions: dict[int, list[int]] = {}
    for pk, plan_id in Prescription.objects.filter(phase__plan__in=list(plans.values())).values_list(
        "pk", "phase__plan_id"
    ):
        prescriptions.setdefault(plan_id, []).append(pk)
    lines = []
    for user_id, plan in sorted(plans.items()):
        _instance, token = AuthToken.objects.create(user=plan.patient.user)
        assert len(prescriptions[plan.pk]) == PRESCRIPTIONS
        lines.append(f"{token} {plan.pk} {','.join(map(str, sorted(prescriptions[plan.pk])))}")
        del user_id
    path = common.WORK_DIR / "api_patients.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    common.sql("ANALYZE")
    return path


def api_data_delete() -> None:
    """Remove the API benchmark's patients and everything of theirs (keeps the template)."""
    users = "SELECT id FROM auth_user WHERE username LIKE 'api-%%' AND username <> 'api-template'"
    patients = f"SELECT id FROM plans_patient WHERE user_id IN ({users})"
    plans = f"SELECT id FROM plans_plan WHERE patient_id IN ({patients})"
    for statement in (
        f"DELETE FROM plans_completion WHERE plan_id IN ({plans})",
        f"DELETE FROM plans_prescription WHERE phase_id IN "
        f"(SELECT id FROM plans_phase WHERE plan_id IN ({plans}))",
        f"DELETE FROM plans_phase WHERE plan_id IN ({plans})",
        f"DELETE FROM plans_notification WHERE patient_id IN ({patients})",
        f"DELETE FROM plans_checkin WHERE patient_id IN ({patients})",
        f"DELETE FROM plans_plan WHERE patient_id IN ({patients})",
        f"DELETE FROM plans_patient WHERE user_id IN ({users})",
        f"DELETE FROM knox_authtoken WHERE user_id IN ({users})",
        f"DELETE FROM auth_user WHERE id IN ({users})",
    ):
        common.sql(statement, [])


# --- gunicorn and wrk ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_start(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **common.bench_env(), "DJANGO_SETTINGS_MODULE": "bench.bench_settings"}
    log = (common.WORK_DIR / "gunicorn.log").open("wb")
    # The Procfile's web command, on a local port.
    server = subprocess.Popen(
        [str(Path(common.PYTHON).parent / "gunicorn"), "ptrx.wsgi", "--chdir", str(common.ROOT),
         "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--access-logfile", "-",
         "--forwarded-allow-ips", "127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited; see {common.WORK_DIR / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    gunicorn_stop(server)
    raise SystemExit("bench: gunicorn did not answer /healthz within 60 s")


def gunicorn_stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wrk_run(wrk: str, port: int, mode: str, data: Path, seconds: float, epoch: int) -> dict[str, Any]:
    script = common.BENCH_DIR / "wrk_api.lua"
    command = [
        wrk, f"-t{THREADS}", f"-c{CONCURRENCY}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(script), f"http://127.0.0.1:{port}", "--", mode, str(data), str(THREADS), str(epoch),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise SystemExit(f"bench: no summary from wrk:\n{done.stdout}\n{done.stderr}")
    figures = json.loads(line.removeprefix("WRK_JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = sum(figures[key] for key in figures if key.startswith("errors_"))
    return figures


# --- profiles -------------------------------------------------------------------------


def py_spy() -> str | None:
    """py-spy next to this Python or on PATH (optional: `pip install py-spy`; needs ptrace)."""
    beside = Path(common.PYTHON).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def spy_endpoints(
    spy: str, wrk: str, port: int, data: Path, server: subprocess.Popen[bytes], epoch: int
) -> dict[str, Any]:
    """Each product endpoint under load again, its gunicorn workers sampled by py-spy."""
    workers = subprocess.run(
        ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    record = [spy, "record", "--duration", "5", "--rate", "200", "--format", "raw", "--nonblocking"]
    out: dict[str, Any] = {}
    for name in ("drf", "today", "plan", "completion"):
        paths = [common.WORK_DIR / "profiles" / f"py-spy-{name}-{pid}.txt" for pid in workers]
        paths[0].parent.mkdir(parents=True, exist_ok=True)
        spies = [
            subprocess.Popen(
                [*record, "--pid", pid, "--output", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid, path in zip(workers, paths, strict=True)
        ]
        wrk_run(wrk, port, name, data, 6, epoch)
        for spy_process in spies:
            spy_process.wait()
        summary = common.spy_summary([path for path in paths if path.exists()])
        if summary:
            out[name] = summary
    return out


# --- in-process profile -------------------------------------------------------------


def profile_endpoints(data: Path, requests: int = 150) -> dict[str, Any]:
    """Each product endpoint served in this process (Django's test client, DEBUG off) under
    pyinstrument, and its number of SQL queries."""
    from django.test import Client

    token, plan, prescriptions = data.read_text().splitlines()[0].split(" ")
    first = prescriptions.split(",")[0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    calls = {
        "today": lambda: client.get("/api/v1/me/today/"),
        "plan": lambda: client.get(f"/api/v1/me/plans/{plan}/"),
        "drf": lambda: client.get("/bench/drf/"),
    }
    day = dt.date.today() - dt.timedelta(days=200)
    counter = {"n": 0}

    def completion() -> Any:
        counter["n"] += 1
        return client.post(
            "/api/v1/me/completions/",
            {"prescription": int(first), "date": (day - dt.timedelta(days=counter["n"])).isoformat(),
             "session": 1, "sets_done": 2, "pain_during": 2},
            content_type="application/json",
        )  # fmt: skip

    calls["completion"] = completion
    out: dict[str, Any] = {}
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.bench_urls"
    for name, call in calls.items():
        status = call().status_code
        queries = common.QueryCounter()
        with queries.counting():
            call()
        count = requests if name != "completion" else 100
        out[name] = {
            "status": status,
            "queries": queries.count,
            "profile": common.profile(
                lambda call=call, count=count: [call() for _ in range(count)],
                title=f"api_{name}",
                limit_lines=45,
            ),
        }
    return out


# --- the benchmark -------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="also profile each endpoint in-process")
    args = parser.parse_args()
    wrk = require_wrk()
    common.require_services()
    common.configure()
    common.db_prepare()
    common.redis_flush()
    rounds = common.runs()
    try:
        data = api_data_build()
        from django.db import connections

        connections.close_all()
        port = _free_port()
        server = gunicorn_start(port)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in ENDPOINTS}
        epoch = 0
        spied: dict[str, Any] = {}
        try:
            for name in ENDPOINTS:
                wrk_run(wrk, port, name, data, WARMUP_SECONDS, epoch)
            for _ in range(rounds):
                epoch += 1
                for name in ENDPOINTS:
                    samples[name].append(wrk_run(wrk, port, name, data, SECONDS / rounds, epoch))
            spy = py_spy()
            if spy and (args.profile or os.environ.get("BENCH_PY_SPY") == "1"):
                spied = spy_endpoints(spy, wrk, port, data, server, epoch + 1)
        finally:
            gunicorn_stop(server)
        written = common.sql_value(
            "SELECT count(*) FROM plans_completion c JOIN plans_plan p ON p.id = c.plan_id "
            "JOIN plans_patient pa ON pa.id = p.patient_id JOIN auth_user u ON u.id = pa.user_id "
            "WHERE u.username LIKE 'api-%%'",
            [],
        )
        rows = {}
        for name in ENDPOINTS:
            runs = samples[name]
            rows[name] = {
                "rps": common.median([run["rps"] for run in runs]),
                "p50_ms": common.median([run["p50_us"] / 1000 for run in runs]),
                "p99_ms": common.median([run["p99_us"] / 1000 for run in runs]),
                "requests": sum(run["requests"] for run in runs),
                "errors": sum(run["errors"] for run in runs),
                "runs": runs,
            }
        baseline = rows["drf"]["rps"]
        for name in ENDPOINTS:
            rows[name]["ratio_to_drf"] = rows[name]["rps"] / baseline
        targets = {}
        for name, floor in RATIO_TARGETS.items():
            targets[f"{name}_ratio"] = {
                "target": f">= {floor}",
                "value": rows[name]["ratio_to_drf"],
                "status": common.check(rows[name]["ratio_to_drf"], floor, at_least=True),
            }
        for name in ("today", "plan", "completion"):
            targets[f"{name}_p99_ms"] = {
                "target": f"< {P99_TARGET_MS:.0f}",
                "value": rows[name]["p99_ms"],
                "status": common.check(rows[name]["p99_ms"], P99_TARGET_MS, at_least=False),
            }
        missed = any(target["status"] != "met" for target in targets.values())
        profiles = profile_endpoints(data) if args.profile or missed else {}
        api_data_delete()
    finally:
        common.db_release()
    result = {
        "name": "api_throughput",
        "settings": {"seconds_per_endpoint": SECONDS, "rounds": rounds, "concurrency": CONCURRENCY,
                     "wrk_threads": THREADS, "gunicorn_workers": WORKERS, "patients": PATIENTS,
                     "prescriptions_per_plan": PRESCRIPTIONS},
        "endpoints": rows,
        "completions_written": written,
        "targets": targets,
        "profiles": profiles,
        "py_spy": spied,
    }  # fmt: skip
    common.write_result("api_throughput", result)
    print(
        f"API throughput: gunicorn {WORKERS} workers, wrk {THREADS} threads x {CONCURRENCY} connections, "
        f"{SECONDS:.0f} s per endpoint in {rounds} rounds (median round)"
    )
    common.print_table(
        ["endpoint", "req/s", "p50 ms", "p99 ms", "x bare DRF", "errors"],
        [
            [LABELS[name], f"{row['rps']:.0f}", f"{row['p50_ms']:.1f}", f"{row['p99_ms']:.1f}",
             f"{row['ratio_to_drf']:.2f}", row["errors"]]
            for name, row in rows.items()
        ],
    )  # fmt: skip
    print(f"completions written by POST: {written} (every answer a 201)")
    for name, target in targets.items():
        print(f"  {name}: {target['value']:.2f} (target {target['target']}) {target['status']}")
    for name, found in profiles.items():
        print(f"\nprofile {name} (in-process, {found['queries']} queries per request):\n{found['profile']}")
    for name, shares in spied.items():
        print(f"\npy-spy, gunicorn workers under load, {name} (inclusive share of samples):")
        for share, frame in shares:
            print(f"  {share:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
