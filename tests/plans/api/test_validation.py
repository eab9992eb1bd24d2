"""Input the schema does not allow is a 400: dates before registration, non-canonical
time zones, empty or non-integer query values."""

import datetime as dt

import pytest

from ptrx.plans.selectors import patient_local_today
from tests.factories import make_active_plan, make_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer(library, therapist):
    """A patient registered ten days ago whose plan was back-dated to start twenty days ago."""
    patient = make_patient(therapist=therapist, timezone_name="Europe/London", registered_days_ago=10)
    make_active_plan(patient, start=patient_local_today(patient=patient) - dt.timedelta(days=20))
    return patient


def test_a_checkin_dated_before_registration_is_a_400(newcomer, make_client):
    api = make_client(newcomer.user)
    answer = api.post(
        "/api/v1/me/checkins/", {"date": "2000-01-01", "pain_now": 3, "red_flags": {"bladder_bowel": True}}
    )
    assert answer.status_code == 400
    assert "before you were registered" in answer.json()["date"][0]
    newcomer.refresh_from_db()
    assert newcomer.red_flags_screened_on != dt.date(2000, 1, 1)
    assert not newcomer.checkins.exists()


def test_a_completion_dated_before_registration_is_a_400(newcomer, make_client):
    api = make_client(newcomer.user)
    today = patient_local_today(patient=newcomer)
    item = api.get("/api/v1/me/today/").json()["items"][0]
    body = {"prescription": item["prescription"], "sets_done": 1, "pain_during": 2}
    early = api.post("/api/v1/me/completions/", {**body, "date": (today - dt.timedelta(days=15)).isoformat()})
    assert early.status_code == 400
    assert "before you were registered" in early.json()["date"][0]
    assert api.post("/api/v1/me/completions/", {**body, "date": today.isoformat()}).status_code == 201


@pytest.mark.parametrize(
    "zone", ["localtime", "Factory", "EST5EDT", "GMT", "US/Eastern", "posix/Europe/London", "Etc/GMT+5"]
)
def test_only_canonical_time_zones_are_accepted(api, zone):
    answer = api.patch("/api/v1/me/", {"timezone": zone})
    assert answer.status_code == 400
    assert "timezone" in answer.json()


@pytest.mark.parametrize(
    "zone", ["UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Pacific/Auckland"]
)
def test_canonical_time_zones_are_accepted(api, zone):
    answer = api.patch("/api/v1/me/", {"timezone": zone})
    assert answer.status_code == 200
    assert answer.json()["timezone"] == zone


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/me/today/?date=", "date"),
        ("/api/v1/me/adherence/?days=", "days"),
        ("/api/v1/me/completions/?from=", "from"),
        ("/api/v1/me/completions/?to=", "to"),
        ("/api/v1/me/plans/?page=true", "page"),
        ("/api/v1/me/checkins/?page=0", "page"),
        ("/api/v1/me/notifications/?page=", "page"),
        ("/api/v1/me/completions/?page=last", "page"),
    ],
)
def test_empty_or_malformed_query_values_are_a_400(api, plan, path, name):
    answer = api.get(path)
    assert answer.status_code == 400
    assert name in answer.json()


def test_a_page_past_the_end_is_still_a_404(api, plan):
    assert api.get("/api/v1/me/plans/?page=99").status_code == 404
    assert api.get("/api/v1/me/plans/?page=1").status_code == 200


def test_the_schema_lists_the_red_flag_codes_and_the_from_to_rule(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    red_flags = schema["components"]["schemas"]["CheckInInputRequest"]["properties"]["red_flags"]
    assert "bladder_bowel" in red_flags["properties"]
    assert red_flags["additionalProperties"] is False
    parameters = schema["paths"]["/api/v1/me/completions/"]["get"]["parameters"]
    assert "after" in next(p for p in parameters if p["name"] == "from")["description"]
    page = next(p for p in parameters if p["name"] == "page")
    assert page["schema"]["minimum"] == 1
