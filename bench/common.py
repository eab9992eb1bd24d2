"""Shared by the benchmarks: the services they need, the bench database, its data, and reporting.

Every benchmark runs against a dedicated PostgreSQL database (`ptrx_bench`) and Redis
database 13, never against a developer's own: the environment is set here, over any
DATABASE_URL or REDIS_URL already set.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "bench"
PYTHON = sys.executable
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_NAME", "ptrx_bench")
DATABASE_URL = f"{PG_SERVER}/{DB_NAME}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
WORK_DIR = Path(os.environ.get("BENCH_WORK_DIR", str(ROOT / "var" / "bench")))
# run_all.py keeps the database between benchmarks (the population is built once).
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"
RESULTS_DIR = os.environ.get("BENCH_RESULTS_DIR", "")
BENCH_USER_PREFIX = "bench-"

# One zone per UTC offset from -11 to +12 (offsets as in northern winter).
ZONES = (
    "Pacific/Pago_Pago",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/Sao_Paulo",
    "Atlantic/South_Georgia",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Paris",
    "Europe/Athens",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Brisbane",
    "Pacific/Noumea",
    "Pacific/Auckland",
)


def bench_env() -> dict[str, str]:
    """The environment every benchmark process runs with: production settings (DEBUG off,
    persistent connections), the bench database and Redis, a local email backend."""
    return {
        "DJANGO_SETTINGS_MODULE": "ptrx.settings",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": str(WORK_DIR / "var"),
        "EMAIL_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    }


def configure() -> None:
    """Point this process at the bench database and Redis (overriding the caller's
    environment) and set Django up."""
    os.environ.update(bench_env())
    for folder in ("outbox", "static"):
        (WORK_DIR / "var" / folder).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


# --- services ---------------------------------------------------------------------


def require_services() -> None:
    """Exit with a clear message when PostgreSQL or Redis is not answering."""
    import psycopg
    import redis

    problems = []
    try:
        psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3).close()
    except Exception as exc:
        problems.append(f"PostgreSQL is not answering at {PG_SERVER} ({exc})".strip())
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        problems.append(f"Redis is not answering at {REDIS_URL} ({exc})")
    if problems:
        for problem in problems:
            print(f"bench: {problem}", file=sys.stderr)
        print(
            "bench: the benchmarks need PostgreSQL (user postgres, trust auth on 127.0.0.1:5432; "
            "BENCH_PG_SERVER overrides) and Redis (127.0.0.1:6379, database 13; BENCH_REDIS_URL "
            "overrides).",
            file=sys.stderr,
        )
        sys.exit(2)


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def db_exists() -> bool:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone() is not None


def db_drop() -> None:
    from django.db import connections

    connections.close_all()
    _admin(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def db_prepare() -> None:
    """Create the bench database if missing, migrate it, load the library and protocols."""
    if not db_exists():
        _admin(f"CREATE DATABASE {DB_NAME}")
    from django.core.management import call_command

    from ptrx.exercises.services import library_load
    from ptrx.plans.services.protocols import protocols_load_fixture

    call_command("migrate", verbosity=0, interactive=False)
    library_load()
    protocols_load_fixture()


def db_release() -> None:
    """Drop the database unless run_all.py keeps it for the next benchmark."""
    if not KEEP_DB:
        db_drop()


def sql(statement: str, params: Any = None) -> int:
    """Run one statement on the bench database; returns the row count."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def sql_value(statement: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return row[0] if row else None


def sql_list(statement: str, params: Any = None) -> list[Any]:
    """The first column of every row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [row[0] for row in cursor.fetchall()]


def fast_passwords() -> None:
    """Bench accounts never log in with a password; PBKDF2 would cost 0.5 s each."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- the population: patients with active plans, built in bulk --------------------

BRANCH_SETS = (
    ["superior"],
    ["middle"],
    ["inferior"],
    ["superior", "middle"],
    ["superior", "inferior"],
    ["middle", "inferior"],
    ["superior", "middle", "inferior"],
)
SIDES = ("left", "right", "bilateral")
IRRITABILITIES = ("low", "moderate", "high")
PHASE_DAYS = 14  # each finished phase of a bench plan lasted two weeks
HISTORY_DAYS = 14  # completions and check-ins logged before today


# Completions on the days of the current phase before today: patients do
# 55-100% of their sessions (a hash of g, the day and the session). Pain is
# the patient's for the day: 7 in 10 patients stay green (0-3), 2 in 10 have
# an amber day (4-5) one day in five, 1 in 10 a red day (6-7) one in seven.
COMPLETIONS_SQL = """
INSERT INTO plans_completion (plan_id, prescription_id, date, session, sets_done, reps_done,
                              pain_during, effort, note, created_at)
SELECT b.plan_id, pr.id, d.day, s.session, pr.sets, pr.reps,
       CASE WHEN b.g %% 10 < 7 THEN abs(hashint4(b.g * 13 + d.n)) %% 4
            WHEN b.g %% 10 < 9 AND abs(hashint4(b.g * 13 + d.n)) %% 5 = 0
                 THEN 4 + abs(hashint4(b.g + d.n)) %% 2
            WHEN b.g %% 10 = 9 AND abs(hashint4(b.g * 13 + d.n)) %% 7 = 0
                 THEN 6 + abs(hashint4(b.g + d.n)) %% 2
            ELSE abs(hashint4(b.g * 13 + d.n)) %% 4 END,
       5, '', now()
FROM bench_population b
JOIN plans_plan pl ON pl.id = b.plan_id
JOIN plans_phase ph ON ph.plan_id = pl.id AND ph.number = pl.current_phase
JOIN plans_prescription pr ON pr.phase_id = ph.id
CROSS JOIN LATERAL (
    SELECT n, %(today)s::date - n AS day FROM generate_series(1, %(history)s) n
) d
CROSS JOIN LATERAL generate_series(1, pr.sessions_per_day) AS s(session)
WHERE b.g >= %(lo)s AND b.g < %(hi)s
  AND d.day >= ph.started_on
  AND pr.days_of_week @> to_jsonb(extract(isodow FROM d.day)::int - 1)
  AND abs(hashint4(b.g * 31 + d.n * 7 + s.session + pr."order")) %% 100 < 55 + b.g %% 46
"""


def therapist_get() -> Any:
    from django.contrib.auth import get_user_model

    from ptrx.plans.services.patients import therapist_create

    User = get_user_model()
    fast_passwords()
    return User.objects.filter(username="bench-therapist").first() or therapist_create(
        username="bench-therapist", password="bench-password-0123456789"
    )


def templates_ensure() -> int:
    """One draft plan per (branches, side, irritability), generated by the real service; the
    population copies them. Returns the number of templates."""
    from ptrx.plans.services.patients import patient_create
    from ptrx.plans.services.plans import plan_generate

    sql("CREATE TABLE IF NOT EXISTS bench_template (idx int PRIMARY KEY, plan_id bigint NOT NULL)")
    count = sql_value("SELECT count(*) FROM bench_template")
    if count:
        return int(count)
    therapist = therapist_get()
    fast_passwords()
    start = dt.date.today()
    idx = 0
    for branches in BRANCH_SETS:
        for side in SIDES:
            for irritability in IRRITABILITIES:
                patient = patient_create(
                    username=f"template-{idx}",
                    password="bench-password-0123456789",
                    therapist=therapist,
                    branches=list(branches),
                    side=side,
                    irritability=irritability,
                )
                plan = plan_generate(patient=patient, start=start)
                sql("INSERT INTO bench_template (idx, plan_id) VALUES (%s, %s)", [idx, plan.pk])
                idx += 1
    return idx


def _zone_reminder_times(now: dt.datetime) -> list[tuple[int, str, dt.time]]:
    """Per zone, a reminder time 30 minutes before the local time of `now` (00:00 at the
    earliest), so every bench patient is due in one sweep: the worst case."""
    rows = []
    for index, name in enumerate(ZONES):
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        earlier = local - dt.timedelta(minutes=30)
        at = (
            dt.time(0, 0)
            if earlier.date() != local.date()
            else earlier.time().replace(second=0, microsecond=0)
        )
        rows.append((index, name, at))
    return rows


def reference_now() -> dt.datetime:
    """The instant the population's reminders are due at, fixed when it was first built
    (kept in the bench database, so the benchmarks that reuse the data agree on it)."""
    from django.utils import timezone

    sql("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
    stored = sql_value("SELECT value FROM bench_meta WHERE key = 'reference_now'")
    if stored:
        return dt.datetime.fromisoformat(stored)
    now = timezone.now().replace(microsecond=0)
    sql("INSERT INTO bench_meta VALUES ('reference_now', %s)", [now.isoformat()])
    return now


def population_size() -> int:
    sql("CREATE TABLE IF NOT EXISTS bench_population (g int PRIMARY KEY, user_id bigint, plan_id bigint)")
    return int(sql_value("SELECT count(*) FROM bench_population"))


@dataclass(frozen=True)
class BuildReport:
    patients: int
    seconds: float
    rows: dict[str, int]
    step_seconds: dict[str, float]


def population_ensure(size: int) -> BuildReport:
    """Grow the population to `size` patients, each with an active plan copied from a
    template, a reminder due at reference_now(), and HISTORY_DAYS of completions and
    check-ins before that day.

    Set-based SQL (INSERT ... SELECT over generate_series): 100,000 patients take
    about a minute where the services would take an hour. Patient g uses template
    g mod T and zone g mod 24; its adherence and pain come from a hash of g, so the
    same g always gets the same history.
    """
    from django.db import transaction

    now = reference_now()
    templates = templates_ensure()
    therapist = therapist_get()
    have = population_size()
    if have >= size:
        return BuildReport(patients=have, seconds=0.0, rows={}, step_seconds={})
    started = time.perf_counter()
    lo, hi = have, size
    rows: dict[str, int] = {}
    step_seconds: dict[str, float] = {}
    today = now.date()

    def step(name: str, statement: str) -> None:
        began = time.perf_counter()
        rows[name] = sql(statement, p)
        step_seconds[name] = round(time.perf_counter() - began, 2)

    with transaction.atomic():
        sql("SET LOCAL synchronous_commit = off")
        # The rows are consistent by construction: skip the per-row foreign-key triggers.
        sql("SET LOCAL session_replication_role = replica")
        sql("CREATE TABLE IF NOT EXISTS bench_zone (idx int PRIMARY KEY, name text, reminder_time time)")
        sql("DELETE FROM bench_zone")
        for index, name, at in _zone_reminder_times(now):
            sql("INSERT INTO bench_zone VALUES (%s, %s, %s)", [index, name, at])
        p = {"lo": lo, "hi": hi, "t": templates, "therapist": therapist.pk, "today": today,
             "prefix": BENCH_USER_PREFIX, "phase_days": PHASE_DAYS, "history": HISTORY_DAYS}  # fmt: skip
        step(
            "users",
            """
            WITH u AS (
                INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
                                       is_staff, is_active, date_joined)
                SELECT '!', false, %(prefix)s || g, 'Pat', '', %(prefix)s || g || '@example.org',
                       false, true, now()
                FROM generate_series(%(lo)s, %(hi)s - 1) g
                RETURNING id, username
            )
            INSERT INTO bench_population (g, user_id)
            SELECT substr(username, length(%(prefix)s) + 1)::int, id FROM u
            """,
        )
        step(
            "patients",
            """
            INSERT INTO plans_patient (user_id, therapist_id, timezone, reminder_time, reminders_enabled,
                                       reminder_channel, branches, side, irritability, red_flags,
                                       red_flags_screened_on, created_at)
            SELECT b.user_id, %(therapist)s, z.name, z.reminder_time, true, 'email', tp.branches,
                   tp.side, tp.irritability, '{}'::jsonb, %(today)s, now()
            FROM bench_population b
            JOIN bench_zone z ON z.idx = b.g %% 24
            JOIN bench_template t ON t.idx = (b.g / 24) %% %(t)s
            JOIN plans_plan tp ON tp.id = t.plan_id
            WHERE b.g >= %(lo)s
            """,
        )
        # start_date 30-59 days ago; current phase 1-3, each earlier phase lasted PHASE_DAYS.
        step(
            "plans",
            """
            WITH new AS (
                INSERT INTO plans_plan (patient_id, title, status, branches, side, irritability,
                                        start_date, current_phase, auto_progress, status_reason,
                                        created_by_id, created_at, updated_at)
                SELECT pa.id, tp.title, 'active', tp.branches, tp.side, tp.irritability,
                       %(today)s::date - (30 + b.g %% 30), 1 + b.g %% 3, true, '', NULL, now(), now()
                FROM bench_population b
                JOIN plans_patient pa ON pa.user_id = b.user_id
                JOIN bench_template t ON t.idx = (b.g / 24) %% %(t)s
                JOIN plans_plan tp ON tp.id = t.plan_id
                WHERE b.g >= %(lo)s
                RETURNING id, patient_id
            )
            UPDATE bench_population b SET plan_id = new.id
            FROM new JOIN plans_patient pa ON pa.id = new.patient_id
            WHERE b.user_id = pa.user_id
            """,
        )
        step(
            "phases",
            """
            INSERT INTO plans_phase (plan_id, number, name, goal, min_weeks, typical_weeks,
                                     started_on, ended_on)
            SELECT pl.id, tph.number, tph.name, tph.goal, tph.min_weeks, tph.typical_weeks,
                   CASE WHEN tph.number <= pl.current_phase
                        THEN pl.start_date + (tph.number - 1) * %(phase_days)s END,
                   CASE WHEN tph.number < pl.current_phase
                        THEN pl.start_date + tph.number * %(phase_days)s END
            FROM bench_population b
            JOIN plans_plan pl ON pl.id = b.plan_id
            JOIN bench_template t ON t.idx = (b.g / 24) %% %(t)s
            JOIN plans_phase tph ON tph.plan_id = t.plan_id
            WHERE b.g >= %(lo)s
            """,
        )
        step(
            "prescriptions",
            """
            INSERT INTO plans_prescription (phase_id, exercise_id, sets, reps, hold_seconds, side,
                                            sessions_per_day, days_of_week, notes, "order")
            SELECT ph.id, tpr.exercise_id, tpr.sets, tpr.reps, tpr.hold_seconds, tpr.side,
                   tpr.sessions_per_day, tpr.days_of_week, tpr.notes, tpr."order"
            FROM bench_population b
            JOIN bench_template t ON t.idx = (b.g / 24) %% %(t)s
            JOIN plans_phase ph ON ph.plan_id = b.plan_id
            JOIN plans_phase tph ON tph.plan_id = t.plan_id AND tph.number = ph.number
            JOIN plans_prescription tpr ON tpr.phase_id = tph.id
            WHERE b.g >= %(lo)s
            """,
        )
        step(
            "checkins",
            """
            INSERT INTO plans_checkin (patient_id, date, pain_now, pain_next_morning, flare, red_flags,
                                       note, created_at)
            SELECT pl.patient_id, %(today)s::date - n, (b.g + n) %% 5, (b.g + n) %% 4, false, '{}'::jsonb,
                   '', now()
            FROM bench_population b
            JOIN plans_plan pl ON pl.id = b.plan_id
            CROSS JOIN generate_series(1, %(history)s) n
            WHERE b.g >= %(lo)s AND abs(hashint4(b.g * 17 + n)) %% 3 > 0
            """,
        )
    began = time.perf_counter()
    rows["completions"] = _completions_insert(lo, hi, today)
    step_seconds["completions"] = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    sql("ANALYZE")
    step_seconds["analyze"] = round(time.perf_counter() - began, 2)
    return BuildReport(
        patients=hi, seconds=time.perf_counter() - started, rows=rows, step_seconds=step_seconds
    )


def _completions_insert(lo: int, hi: int, today: dt.date) -> int:
    """COMPLETIONS_SQL for patients lo..hi-1, the bulk of the rows: in two halves on two
    connections at once (PostgreSQL works one CPU per connection)."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    def insert(bounds: tuple[int, int]) -> int:
        with psycopg.connect(DATABASE_URL) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET session_replication_role = replica")
            cursor = conn.execute(
                COMPLETIONS_SQL, {"lo": bounds[0], "hi": bounds[1], "today": today, "history": HISTORY_DAYS}
            )
            return cursor.rowcount

    middle = (lo + hi) // 2
    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(insert, [(lo, middle), (middle, hi)]))


def table_counts() -> dict[str, int]:
    names = ("plans_patient", "plans_plan", "plans_prescription", "plans_completion", "plans_checkin")
    return {name: int(sql_value(f"SELECT count(*) FROM {name}")) for name in names}


# --- measuring --------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def runs() -> int:
    """How many times each measurement is repeated (the median is reported)."""
    return int(os.environ.get("BENCH_RUNS", "3"))


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as took:` ... `took[0]` is the elapsed seconds."""
    took: list[float] = []
    started = time.perf_counter()
    try:
        yield took
    finally:
        took.append(time.perf_counter() - started)


class QueryCounter:
    """Counts the SQL statements this process sends (django.db execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql_text: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql_text, params, many, context)

    @contextmanager
    def counting(self) -> Iterator[QueryCounter]:
        from django.db import connection

        with connection.execute_wrapper(self):
            yield self


def profile(fn: Callable[[], Any], *, title: str, limit_lines: int = 60) -> str:
    """Run `fn` under pyinstrument and return its text report (time-ordered call tree)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        fn()
    finally:
        profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    lines = text.splitlines()
    out = "\n".join(lines[:limit_lines])
    path = WORK_DIR / "profiles" / f"{title}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return out


# Library frames worth naming in a py-spy summary (inclusive share of the samples).
SPY_FRAMES = {
    "CursorWrapper.execute (django/db/backends/utils.py)": "Django cursor.execute (send, await answer)",
    "Connection.wait (psycopg/connection.py)": "psycopg waiting on PostgreSQL (statements, commits, pings)",
    "SQLCompiler.as_sql (django/db/models/sql/compiler.py)": "ORM: compiling SQL",
    "ModelIterable.__iter__ (django/db/models/query.py)": "ORM: querysets evaluated (SQL + model instances)",
    "DatabaseWrapper.is_usable (django/db/backends/postgresql/base.py)": "CONN_HEALTH_CHECKS ping",
    "Request._authenticate (rest_framework/request.py)": "DRF authentication (knox token)",
    "APIView.finalize_response (rest_framework/views.py)": "DRF response",
    "JSONRenderer.render (rest_framework/renderers.py)": "JSON rendering",
    "SyncWorker.handle_request (gunicorn/workers/sync.py)": "gunicorn request (everything)",
    "WSGIHandler.__call__ (django/core/handlers/wsgi.py)": "Django (middleware + view)",
}


def spy_summary(paths: list[Path], limit: int = 14) -> list[tuple[float, str]]:
    """Inclusive share of py-spy's raw samples for the frames of SPY_FRAMES and of ptrx's
    own functions, largest first."""
    import re

    inclusive: dict[str, int] = {}
    total = 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            total += int(count)
            for frame in {re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")}:
                inclusive[frame] = inclusive.get(frame, 0) + int(count)
    if not total:
        return []
    named = [(100 * n / total, SPY_FRAMES[frame]) for frame, n in inclusive.items() if frame in SPY_FRAMES]
    own = [
        (100 * n / total, frame)
        for frame, n in inclusive.items()
        if "(ptrx/" in frame or "(bench_urls.py" in frame or "(bench/" in frame
    ]
    return sorted(named, reverse=True) + sorted(own, reverse=True)[:limit]


# --- results ----------------------------------------------------------------------


def write_result(name: str, result: dict[str, Any]) -> None:
    """Hand the figures to run_all.py (a JSON file) and print them."""
    if RESULTS_DIR:
        Path(RESULTS_DIR).mkdir(parents=True, exist_ok=True)
        (Path(RESULTS_DIR) / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * width for width in widths))


def check(value: float, target: float, *, at_least: bool) -> str:
    ok = value >= target if at_least else value < target
    return "met" if ok else "MISSED"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
