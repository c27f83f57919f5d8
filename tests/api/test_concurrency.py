"""Two desks confirming overlapping series at the same moment, on PostgreSQL with real threads."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from scheduling import services
from scheduling.models import Appointment, SeriesHold, TreatmentSeries
from scheduling.planner import Preferences
from tests.builders import at, eligible_consultation

from .conftest import login

# serialized_rollback puts back the rows data migrations made (roles, protocol, screening rules).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _run_together(*calls):
    """Start every call at once (a barrier) and return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_desks_confirming_overlapping_series_one_wins_the_other_gets_409(clinic, desk_user, clinic_admin_user):
    # Two patients, each eligible, offered the very same slots with Dr Patel: the first
    # desk's hold ran out before the second desk held the same slots.
    first = eligible_consultation(clinic=clinic, when=at(2, 10))
    second = eligible_consultation(clinic=clinic, when=at(2, 11))
    with time_machine.travel(at(2, 12), tick=True):
        plan = dict(
            location=clinic["location"],
            preferences=Preferences(provider_id=clinic["provider"].pk),
            earliest_start=at(3, 9),
        )
        best_first = services.series_propose(consultation=first, **plan).best
        hold_first = services.series_hold(
            consultation=first, location=clinic["location"], plan=best_first, held_by=desk_user
        )
        SeriesHold.objects.filter(pk=hold_first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        best_second = services.series_propose(consultation=second, **plan).best
        assert best_second.sessions[0].start == best_first.sessions[0].start, "both offered the same first slot"
        hold_second = services.series_hold(
            consultation=second, location=clinic["location"], plan=best_second, held_by=clinic_admin_user
        )

        desk_a, desk_b = login(desk_user), login(clinic_admin_user)
        responses = _run_together(
            lambda: desk_a.post(f"/api/v1/series/holds/{hold_first.pk}/confirm/"),
            lambda: desk_b.post(f"/api/v1/series/holds/{hold_second.pk}/confirm/"),
        )

    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409], [r.json() for r in responses]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["conflicts"], "the 409 says what was taken"
    assert any("Patel" in text or "Room" in text for text in loser["conflicts"])
    assert TreatmentSeries.objects.count() == 1
    # Nothing of the losing series was saved, and no two live visits overlap for the provider.
    live = Appointment.objects.filter(
        provider=clinic["provider"], status__in=Appointment.ACTIVE_STATUSES, series__isnull=False
    )
    assert {a.patient_id for a in live} == {TreatmentSeries.objects.get().patient_id}


def test_the_same_confirm_sent_twice_at_once_with_one_key_books_once(clinic, desk_user):
    consultation = eligible_consultation(clinic=clinic, when=at(2, 10))
    with time_machine.travel(at(2, 12), tick=True):
        best = services.series_propose(
            consultation=consultation, location=clinic["location"], earliest_start=at(3, 9)
        ).best
        hold = services.series_hold(
            consultation=consultation, location=clinic["location"], plan=best, held_by=desk_user
        )
        client_a, client_b = login(desk_user), login(desk_user)
        url = f"/api/v1/series/holds/{hold.pk}/confirm/"
        responses = _run_together(
            lambda: client_a.post(url, HTTP_IDEMPOTENCY_KEY="same-click"),
            lambda: client_b.post(url, HTTP_IDEMPOTENCY_KEY="same-click"),
        )
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert TreatmentSeries.objects.count() == 1
