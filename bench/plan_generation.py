"""Benchmark 3: plan generation.

- the pure generator (`ptrx.plans.domain.generate_plan`) per plan, over every
  (branches, side, irritability) a patient can have: 7 x 3 x 3 = 63 contexts;
  target under 5 ms per plan;
- persisted plans per second through the service (`plan_generate`: the library and
  protocols from `plan_sources_load`, generate, write Plan, Phases and Prescriptions
  in one transaction) on PostgreSQL; target at least 200 per second. The library does
  not change during a run, as in a clinic, so after the first plan each one reads only
  the content version from the cache; reading it all again costs what "library +
  protocols load" shows.

Run alone: .venv/bin/python bench/plan_generation.py [--profile]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import common

PURE_TARGET_MS = 5.0
PERSISTED_TARGET_PER_S = 200.0
PLANS_PER_RUN = int(__import__("os").environ.get("BENCH_PLANS_PER_RUN", "300"))


def contexts() -> list[Any]:
    from ptrx.plans.domain import PatientContext

    return [
        PatientContext(branches=frozenset(branches), side=side, irritability=irritability)
        for branches in common.BRANCH_SETS
        for side in common.SIDES
        for irritability in common.IRRITABILITIES
    ]


def bench_pure(runs: int) -> dict[str, Any]:
    from ptrx.plans.domain import generate_plan
    from ptrx.plans.selectors import catalogue_load, plan_sources_load, protocols_load

    catalogue, protocols = catalogue_load(), protocols_load()
    every = contexts()
    start = dt.date(2026, 1, 5)
    for context in every:  # warm-up
        generate_plan(context, catalogue, protocols, start=start)
    per_plan_ms: list[float] = []
    slowest_ms: list[float] = []
    repeat = 20
    for _ in range(runs):
        per_context = []
        for context in every:
            began = time.perf_counter()
            for _ in range(repeat):
                generate_plan(context, catalogue, protocols, start=start)
            per_context.append((time.perf_counter() - began) / repeat * 1000)
        per_plan_ms.append(sum(per_context) / len(per_context))
        slowest_ms.append(max(per_context))
    prescriptions = [
        sum(len(phase.prescriptions) for phase in generate_plan(c, catalogue, protocols, start=start).phases)
        for c in every
    ]
    # What the service adds before generating: reading the library and the protocols.
    load_ms = []
    for _ in range(runs):
        began = time.perf_counter()
        for _ in range(10):
            catalogue_load()
            protocols_load()
        load_ms.append((time.perf_counter() - began) / 10 * 1000)
    # What plan_generate pays instead while nothing changed: the content version.
    plan_sources_load()
    version_ms = []
    for _ in range(runs):
        began = time.perf_counter()
        for _ in range(100):
            plan_sources_load()
        version_ms.append((time.perf_counter() - began) / 100 * 1000)
    return {
        "contexts": len(every),
        "per_plan_ms": common.median(per_plan_ms),
        "slowest_context_ms": common.median(slowest_ms),
        "runs_per_plan_ms": per_plan_ms,
        "prescriptions_min": min(prescriptions),
        "prescriptions_max": max(prescriptions),
        "load_library_and_protocols_ms": common.median(load_ms),
        "plan_sources_unchanged_ms": common.median(version_ms),
    }


def _patients() -> list[Any]:
    """One patient per context (made once, kept in the bench database)."""
    from ptrx.plans.models import Patient
    from ptrx.plans.services.patients import patient_create

    common.fast_passwords()
    therapist = common.therapist_get()
    patients = []
    for index, context in enumerate(contexts()):
        username = f"gen-{index}"
        patient = Patient.objects.filter(user__username=username).first() or patient_create(
            username=username,
            password="bench-password-0123456789",
            therapist=therapist,
            branches=sorted(context.branches),
            side=context.side,
            irritability=context.irritability,
        )
        patients.append(patient)
    return patients


def _delete_plans(patients: list[Any]) -> None:
    ids = [patient.pk for patient in patients]
    plans = "SELECT id FROM plans_plan WHERE patient_id = ANY(%s)"
    common.sql(
        f"DELETE FROM plans_prescription WHERE phase_id IN "
        f"(SELECT id FROM plans_phase WHERE plan_id IN ({plans}))",
        [ids],
    )
    common.sql(f"DELETE FROM plans_phase WHERE plan_id IN ({plans})", [ids])
    common.sql("DELETE FROM plans_plan WHERE patient_id = ANY(%s)", [ids])


def _generate(patients: list[Any], count: int) -> None:
    from ptrx.plans.services.plans import plan_generate

    start = dt.date(2026, 1, 5)
    for n in range(count):
        plan_generate(patient=patients[n % len(patients)], start=start)


def bench_persisted(runs: int) -> dict[str, Any]:
    patients = _patients()
    _delete_plans(patients)
    _generate(patients, 20)  # warm-up: connection, caches
    rates: list[float] = []
    counter = common.QueryCounter()
    for _ in range(runs):
        _delete_plans(patients)
        counter.count = 0
        with counter.counting(), common.stopwatch() as took:
            _generate(patients, PLANS_PER_RUN)
        rates.append(PLANS_PER_RUN / took[0])
    queries_per_plan = counter.count / PLANS_PER_RUN
    _delete_plans(patients)
    return {
        "plans_per_run": PLANS_PER_RUN,
        "plans_per_s": common.median(rates),
        "runs_plans_per_s": rates,
        "ms_per_plan": 1000 / common.median(rates),
        "queries_per_plan": queries_per_plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true", help="print pyinstrument profiles of both parts")
    args = parser.parse_args()
    common.require_services()
    common.configure()
    common.db_prepare()
    runs = common.runs()
    try:
        pure = bench_pure(runs)
        persisted = bench_persisted(runs)
        profiles = {}
        if args.profile or persisted["plans_per_s"] < PERSISTED_TARGET_PER_S:
            patients = _patients()
            profiles["persisted"] = common.profile(
                lambda: _generate(patients, 100), title="plan_generation_persisted"
            )
            _delete_plans(patients)
        if args.profile or pure["per_plan_ms"] >= PURE_TARGET_MS:
            from ptrx.plans.domain import generate_plan
            from ptrx.plans.selectors import catalogue_load, protocols_load

            catalogue, protocols = catalogue_load(), protocols_load()
            every = contexts()
            profiles["pure"] = common.profile(
                lambda: [
                    generate_plan(c, catalogue, protocols, start=dt.date(2026, 1, 5)) for c in every * 10
                ],
                title="plan_generation_pure",
            )
    finally:
        common.db_release()
    result = {
        "name": "plan_generation",
        "pure": pure,
        "persisted": persisted,
        "targets": {
            "pure_per_plan_ms": {
                "target": f"< {PURE_TARGET_MS}",
                "value": pure["per_plan_ms"],
                "status": common.check(pure["per_plan_ms"], PURE_TARGET_MS, at_least=False),
            },
            "persisted_plans_per_s": {
                "target": f">= {PERSISTED_TARGET_PER_S:.0f}",
                "value": persisted["plans_per_s"],
                "status": common.check(persisted["plans_per_s"], PERSISTED_TARGET_PER_S, at_least=True),
            },
        },
        "profiles": profiles,
    }
    common.write_result("plan_generation", result)
    print(f"Plan generation ({runs} runs, medians)")
    common.print_table(
        ["measure", "value", "target", "status"],
        [
            [
                f"pure generator, ms per plan (mean of {pure['contexts']} contexts)",
                f"{pure['per_plan_ms']:.3f}",
                f"< {PURE_TARGET_MS}",
                result["targets"]["pure_per_plan_ms"]["status"],
            ],
            ["pure generator, slowest context, ms", f"{pure['slowest_context_ms']:.3f}", "", ""],
            ["library + protocols load, ms", f"{pure['load_library_and_protocols_ms']:.2f}", "", ""],
            ["plan_sources_load, nothing changed, ms", f"{pure['plan_sources_unchanged_ms']:.2f}", "", ""],
            [
                f"persisted plans/s ({PLANS_PER_RUN} per run)",
                f"{persisted['plans_per_s']:.0f}",
                f">= {PERSISTED_TARGET_PER_S:.0f}",
                result["targets"]["persisted_plans_per_s"]["status"],
            ],
            ["queries per persisted plan", f"{persisted['queries_per_plan']:.1f}", "", ""],
        ],
    )
    for name, text in profiles.items():
        print(f"\nprofile ({name}):\n{text}")


if __name__ == "__main__":
    main()
