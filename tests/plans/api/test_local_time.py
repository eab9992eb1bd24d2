"""Dates are the patient's own: around their midnight and on both clock-change days."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from ptrx.plans.domain import EXERCISE_CATEGORIES
from ptrx.plans.models import Completion, Prescription
from ptrx.plans.services.plans import plan_activate, plan_generate

pytestmark = pytest.mark.django_db


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def march_plan(patient):
    plan = plan_generate(patient=patient, start=dt.date(2026, 3, 1))
    plan = plan_activate(plan=plan, today=dt.date(2026, 3, 1))
    Prescription.objects.filter(phase__plan=plan).update(days_of_week=list(range(7)))
    return plan


@pytest.mark.parametrize(
    ("zone", "instant", "local_date"),
    [
        # Europe/London springs forward at 01:00 UTC on 29 March 2026.
        ("Europe/London", utc(2026, 3, 28, 23, 59), "2026-03-28"),
        ("Europe/London", utc(2026, 3, 29, 0, 30), "2026-03-29"),
        ("Europe/London", utc(2026, 3, 29, 23, 30), "2026-03-30"),  # 00:30 BST
        # ... and falls back at 01:00 UTC on 25 October 2026 (01:00-02:00 local happens twice).
        ("Europe/London", utc(2026, 10, 24, 22, 59), "2026-10-24"),  # 23:59 BST
        ("Europe/London", utc(2026, 10, 24, 23, 30), "2026-10-25"),  # 00:30 BST
        ("Europe/London", utc(2026, 10, 25, 0, 30), "2026-10-25"),  # 01:30 BST, first time
        ("Europe/London", utc(2026, 10, 25, 1, 30), "2026-10-25"),  # 01:30 GMT, second time
        ("Europe/London", utc(2026, 10, 25, 23, 59), "2026-10-25"),  # 23:59 GMT
        # America/New_York: 8 March and 1 November 2026.
        ("America/New_York", utc(2026, 3, 8, 4, 59), "2026-03-07"),  # 23:59 EST
        ("America/New_York", utc(2026, 3, 8, 5, 0), "2026-03-08"),
        ("America/New_York", utc(2026, 11, 2, 4, 59), "2026-11-01"),  # 23:59 EST after fall-back
        ("America/New_York", utc(2026, 11, 2, 5, 0), "2026-11-02"),
        # Far from UTC: Auckland is already tomorrow, Honolulu still yesterday.
        ("Pacific/Auckland", utc(2026, 6, 1, 12, 0), "2026-06-02"),
        ("Pacific/Honolulu", utc(2026, 6, 1, 9, 0), "2026-05-31"),
    ],
)
def test_today_and_completions_use_the_patients_local_date(
    api, patient, march_plan, zone, instant, local_date
):
    patient.timezone = zone
    patient.save(update_fields=["timezone"])
    prescription = Prescription.objects.filter(
        phase__plan=march_plan, phase__number=1, exercise__category__in=EXERCISE_CATEGORIES
    ).first()
    with time_machine.travel(instant, tick=False):
        today = api.get("/api/v1/me/today/").json()
        logged = api.post(
            "/api/v1/me/completions/", {"prescription": prescription.pk, "sets_done": 1, "pain_during": 1}
        )
        adherence = api.get("/api/v1/me/adherence/?days=1").json()
    assert today["date"] == local_date
    assert logged.status_code == 201
    assert logged.json()["date"] == local_date
    assert adherence["to"] == local_date
    assert adherence["completed"] == 1


def test_a_log_for_the_patients_tomorrow_is_in_the_future(api, patient, march_plan):
    patient.timezone = "Pacific/Honolulu"
    patient.save(update_fields=["timezone"])
    prescription = Prescription.objects.filter(phase__plan=march_plan, phase__number=1).first()
    with time_machine.travel(utc(2026, 6, 1, 9, 0), tick=False):  # 23:00 on 31 May in Honolulu
        answer = api.post(
            "/api/v1/me/completions/",
            {"prescription": prescription.pk, "date": "2026-06-01", "sets_done": 1, "pain_during": 1},
        )
    assert answer.status_code == 400
    assert "date" in answer.json()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_completions_make_one_row(library, make_client):
    from tests.factories import make_active_plan, make_patient

    patient = make_patient()
    plan = make_active_plan(patient)
    prescription = Prescription.objects.filter(phase__plan=plan, phase__number=1).first()
    body = {
        "prescription": prescription.pk,
        "date": plan.start_date.isoformat(),
        "sets_done": 1,
        "pain_during": 2,
    }
    clients = [make_client(patient.user) for _ in range(6)]
    barrier = threading.Barrier(len(clients))
    answers: list[tuple[int, int]] = []

    def post(client) -> None:
        try:
            barrier.wait()
            answer = client.post("/api/v1/me/completions/", body, format="json")
            answers.append((answer.status_code, answer.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(code for code, _id in answers) == [200] * 5 + [201]
    assert len({record for _code, record in answers}) == 1
    assert Completion.objects.filter(prescription=prescription).count() == 1
