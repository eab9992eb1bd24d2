"""The hourly job that deletes expired API tokens, run by a real worker."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import Celery
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from ptrx.plans.tasks import delete_expired_tokens
from tests.factories import make_patient, make_therapist
from tests.jobs.conftest import finished_tasks, running_worker, wait_until


def token_for(user, *, expires_in: dt.timedelta | None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    instance, token = AuthToken.objects.create(user=user)
    expiry = None if expires_in is None else timezone.now() + expires_in
    AuthToken.objects.filter(pk=instance.pk).update(expiry=expiry)
    return instance.pk, token


@pytest.mark.django_db(transaction=True)
def test_expired_tokens_are_deleted_and_live_ones_kept(library: None, celery_app: Celery) -> None:
    therapist = make_therapist()
    patient = make_patient(therapist=therapist)
    expired = [
        token_for(patient.user, expires_in=-dt.timedelta(minutes=1))[0],
        token_for(patient.user, expires_in=-dt.timedelta(days=40))[0],
        token_for(therapist, expires_in=-dt.timedelta(seconds=5))[0],
    ]
    live_pk, live_token = token_for(patient.user, expires_in=dt.timedelta(days=3))
    never_pk, _never = token_for(therapist, expires_in=None)

    with finished_tasks() as finished, running_worker(celery_app):
        delete_expired_tokens.delay()
        delete_expired_tokens.delay()
        wait_until(lambda: finished[delete_expired_tokens.name] == 2)

    assert not AuthToken.objects.filter(pk__in=expired).exists()
    assert set(AuthToken.objects.values_list("pk", flat=True)) == {live_pk, never_pk}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {live_token}")
    assert client.get("/api/v1/me/").status_code == 200
