"""Benchmark 4: the nightly work for the whole population.

The two daily jobs over every active plan, called as their Celery tasks call them:

- `adherence_snapshots_take(now=...)` (ptrx.plans.services.tracking): each plan's
  snapshot of the patient's finished local day. The population is in steady state:
  the six days before already have their snapshot, so one row per plan is written;
- `progression_evaluate_due(now=...)` (ptrx.plans.services.progression): the
  advance / hold / regress decision of each plan, applied and alerted as in
  production (each plan its own transaction, alerts enqueued on real Redis).

Target: both together under 60 s for 100,000 plans. Each run starts from the same
state (decisions, new snapshots and alerts deleted, phases restored).

The jobs are measured first on SAMPLE plans (the rest paused for the run). When
that projects past BENCH_NIGHTLY_BUDGET seconds (default 150), or past the time
run_all.py has left before its 10 minutes (BENCH_DEADLINE), the whole population
is not run and the projection is reported as such.

Run alone: .venv/bin/python bench/nightly.py [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from typing import Any

import common

LARGE = int(os.environ.get("BENCH_PATIENTS", "100000"))
SAMPLE = int(os.environ.get("BENCH_NIGHTLY_SAMPLE", "2000"))
BUDGET_S = float(os.environ.get("BENCH_NIGHTLY_BUDGET", "150"))
TARGET_S = 60.0
STEADY_STATE_DAYS = 6


def time_left() -> float:
    """Seconds this benchmark may spend on the whole population: BENCH_NIGHTLY_BUDGET, or
    less when run_all.py's deadline (BENCH_DEADLINE, a Unix time) is nearer."""
    budget = BUDGET_S
    deadline = os.environ.get("BENCH_DEADLINE")
    if deadline:
        # Leave time for restoring the state and for run_all.py's own end.
        budget = min(budget, float(deadline) - time.time() - 45)
    return budget


def nightly_now() -> dt.datetime:
    """The night after the population's reference day: 03:00 UTC the next day."""
    reference = common.reference_now()
    return dt.datetime.combine(reference.date() + dt.timedelta(days=1), dt.time(3, 0), tzinfo=dt.UTC)


def state_save() -> None:
    """Remember what the jobs change (phases, decisions, snapshots, alerts)."""
    plans = common.sql_value("SELECT count(*) FROM plans_plan")
    saved = common.sql_value("SELECT to_regclass('bench_plan_state') IS NOT NULL")
    if not saved or common.sql_value("SELECT count(*) FROM bench_plan_state") != plans:
        if saved:
            state_restore()
        common.sql("DROP TABLE IF EXISTS bench_plan_state, bench_phase_state, bench_snapshot_mark")
        common.sql("CREATE TABLE bench_plan_state AS SELECT id, current_phase FROM plans_plan")
        common.sql("CREATE TABLE bench_phase_state AS SELECT id, started_on, ended_on FROM plans_phase")
    state_restore()
    # Steady state: the days before the finished day already have their snapshot.
    common.sql(
        """
        INSERT INTO plans_adherencesnapshot (plan_id, date, prescribed, completed)
        SELECT pl.id, (%(now)s AT TIME ZONE pa.timezone)::date - 1 - n, 12, 9
        FROM plans_plan pl JOIN plans_patient pa ON pa.id = pl.patient_id
        CROSS JOIN generate_series(1, %(days)s) n
        WHERE pl.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM plans_adherencesnapshot s WHERE s.plan_id = pl.id)
        """,
        {"now": nightly_now(), "days": STEADY_STATE_DAYS},
    )
    common.sql("DROP TABLE IF EXISTS bench_snapshot_mark")
    common.sql(
        "CREATE TABLE bench_snapshot_mark AS SELECT coalesce(max(id), 0) AS id FROM plans_adherencesnapshot"
    )
    common.sql("ANALYZE")


def state_restore() -> None:
    if common.sql_value("SELECT to_regclass('bench_snapshot_mark') IS NOT NULL"):
        common.sql("DELETE FROM plans_adherencesnapshot WHERE id > (SELECT id FROM bench_snapshot_mark)")
    common.sql("TRUNCATE plans_progressiondecision")
    common.sql("DELETE FROM plans_notification WHERE kind = 'therapist_alert'")
    common.sql(
        "UPDATE plans_plan p SET current_phase = s.current_phase FROM bench_plan_state s "
        "WHERE s.id = p.id AND p.current_phase <> s.current_phase"
    )
    common.sql(
        "UPDATE plans_phase p SET started_on = s.started_on, ended_on = s.ended_on FROM bench_phase_state s "
        "WHERE s.id = p.id AND (p.started_on, p.ended_on) IS DISTINCT FROM (s.started_on, s.ended_on)"
    )
    common.redis_flush()


def only_plans(count: int | None) -> None:
    """Pause every bench plan beyond the first `count` (None: all active again)."""
    if count is None:
        common.sql(
            "UPDATE plans_plan SET status = 'active' WHERE status = 'paused' "
            "AND id IN (SELECT plan_id FROM bench_population)"
        )
    else:
        common.sql(
            "UPDATE plans_plan SET status = 'paused' WHERE id IN "
            "(SELECT plan_id FROM bench_population WHERE g >= %s)",
            [count],
        )
    common.sql("ANALYZE plans_plan")


def run_once() -> dict[str, Any]:
    from ptrx.plans.services.progression import progression_evaluate_due
    from ptrx.plans.services.tracking import adherence_snapshots_take

    now = nightly_now()
    state_restore()
    counter = common.QueryCounter()
    with counter.counting():
        with common.stopwatch() as snapshot_took:
            written = adherence_snapshots_take(now=now)
        snapshot_queries = counter.count
        with common.stopwatch() as progression_took:
            decisions = progression_evaluate_due(now=now)
    outcomes: dict[str, int] = {}
    for decision in decisions:
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    return {
        "snapshot_seconds": snapshot_took[0],
        "snapshots_written": written,
        "snapshot_queries": snapshot_queries,
        "progression_seconds": progression_took[0],
        "decisions": len(decisions),
        "outcomes": outcomes,
        "progression_queries": counter.count - snapshot_queries,
        "total_seconds": snapshot_took[0] + progression_took[0],
    }


def selector_comparison(count: int) -> dict[str, Any]:
    """The adherence read both jobs make per plan, one plan at a time (what they do now)
    against the batched selector (chunks of 500), over the same plans and 14-day windows."""
    from ptrx.plans.models import Plan
    from ptrx.plans.selectors import adherence_by_day_many, adherence_summary

    plans = list(Plan.objects.filter(status="active").order_by("pk")[:count])
    end = nightly_now().date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=13)
    with common.stopwatch() as one_by_one:
        for plan in plans:
            adherence_summary(plan=plan, start=start, end=end)
    with common.stopwatch() as batched:
        for index in range(0, len(plans), 500):
            adherence_by_day_many(windows=[(plan, start, end) for plan in plans[index : index + 500]])
    return {
        "plans": len(plans),
        "one_by_one_ms_per_plan": one_by_one[0] / len(plans) * 1000,
        "batched_ms_per_plan": batched[0] / len(plans) * 1000,
    }


def summarise(samples: list[dict[str, Any]], plans: int) -> dict[str, Any]:
    last = samples[-1]
    return {
        "plans": plans,
        "runs": len(samples),
        "snapshot_seconds": common.median([s["snapshot_seconds"] for s in samples]),
        "progression_seconds": common.median([s["progression_seconds"] for s in samples]),
        "total_seconds": common.median([s["total_seconds"] for s in samples]),
        "runs_total_seconds": [s["total_seconds"] for s in samples],
        "snapshots_written": last["snapshots_written"],
        "decisions": last["decisions"],
        "outcomes": last["outcomes"],
        "snapshot_queries_per_plan": last["snapshot_queries"] / plans,
        "progression_queries_per_plan": last["progression_queries"] / plans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print pyinstrument profiles")
    args = parser.parse_args()
    common.require_services()
    common.configure()
    common.db_prepare()
    runs = common.runs()
    profiles: dict[str, str] = {}
    full: dict[str, Any] | None = None
    try:
        built = common.population_ensure(LARGE)
        plans = common.population_size()
        state_save()
        sample_size = min(SAMPLE, plans)
        only_plans(sample_size)
        sample = summarise([run_once() for _ in range(runs)], sample_size)
        selectors = selector_comparison(sample_size)
        projected = sample["total_seconds"] * plans / sample_size
        budget = time_left()
        if projected <= budget:
            only_plans(None)
            # As many runs as fit (at least one), up to BENCH_RUNS.
            full_runs = max(1, min(runs, int(budget // max(projected, 1))))
            full = summarise([run_once() for _ in range(full_runs)], plans)
        if args.profile or (full or {}).get("total_seconds", projected) >= TARGET_S:
            from ptrx.plans.services.progression import progression_evaluate_due
            from ptrx.plans.services.tracking import adherence_snapshots_take

            only_plans(300)
            state_restore()
            now = nightly_now()
            profiles["snapshot"] = common.profile(
                lambda: adherence_snapshots_take(now=now), title="nightly_snapshot"
            )
            profiles["progression"] = common.profile(
                lambda: progression_evaluate_due(now=now), title="nightly_progression"
            )
        only_plans(None)
        state_restore()
    finally:
        common.db_release()
    value = full["total_seconds"] if full else projected
    result = {
        "name": "nightly",
        "build": built.__dict__,
        "sample": sample,
        "full": full,
        "population": plans,
        "adherence_selectors": selectors,
        "projected_full_seconds": projected,
        "targets": {
            "nightly_seconds": {
                "target": f"< {TARGET_S:.0f} s for {plans:,} plans",
                "value": value,
                "measured": full is not None,
                "status": common.check(value, TARGET_S, at_least=False),
            }
        },
        "profiles": profiles,
    }
    common.write_result("nightly", result)
    print(f"Nightly work ({runs} runs on the sample, medians)")
    rows = [sample] + ([full] if full else [])
    common.print_table(
        ["plans", "snapshot s", "progression s", "total s", "queries/plan (snap, prog)", "decisions"],
        [
            [f"{row['plans']:,}", f"{row['snapshot_seconds']:.1f}", f"{row['progression_seconds']:.1f}",
             f"{row['total_seconds']:.1f}",
             f"{row['snapshot_queries_per_plan']:.1f}, {row['progression_queries_per_plan']:.1f}",
             ", ".join(f"{k} {v}" for k, v in sorted(row["outcomes"].items()))]
            for row in rows
        ],
    )  # fmt: skip
    if full is None:
        print(f"{plans:,} plans: projected {projected:.0f} s from the sample (over the time left: not run)")
    print(
        f"adherence read over {selectors['plans']:,} plans, 14-day windows: "
        f"{selectors['one_by_one_ms_per_plan']:.2f} ms per plan one by one (adherence_summary), "
        f"{selectors['batched_ms_per_plan']:.2f} ms batched (adherence_by_day_many)"
    )
    target = result["targets"]["nightly_seconds"]
    print(f"  nightly: {target['value']:.1f} s (target {target['target']}) {target['status']}")
    for name, text in profiles.items():
        print(f"\nprofile ({name}):\n{text}")


if __name__ == "__main__":
    main()
