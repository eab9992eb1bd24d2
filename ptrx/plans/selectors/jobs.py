"""Reads for the jobs that go over every active plan: keyset paging, no JIT."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

from ptrx.db import postgresql_set_local
from ptrx.plans.models import Plan, PlanStatus


@contextmanager
def reads_without_jit() -> Iterator[None]:
    """A transaction whose statements PostgreSQL does not JIT-compile.

    The nightly jobs' chunk reads look large to the planner, which then compiles them
    (~100 ms each here), longer than they run. Set per transaction rather than per
    connection, which a connection pooler may refuse.
    """
    with transaction.atomic():
        postgresql_set_local(jit="off")
        yield


def active_plan_chunks(*, size: int) -> Iterator[list[Plan]]:
    """Every active plan with its patient, in id order, `size` at a time (keyset paging,
    so each chunk is one indexed query however far the walk has gone)."""
    last_pk = 0
    while True:
        plans = list(
            Plan.objects.filter(status=PlanStatus.ACTIVE, pk__gt=last_pk)
            .select_related("patient")
            .order_by("pk")[:size]
        )
        if not plans:
            return
        yield plans
        last_pk = plans[-1].pk
