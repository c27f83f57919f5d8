"""The services behind the visit actions: status checks, late cancellations, on-hold
after a rare side effect, completing a series, pause/resume and cancelling the rest."""

from datetime import timedelta

import pytest

from clinic.errors import Conflict, InvalidRequest
from scheduling import services
from scheduling.models import Appointment
from tests.builders import sessions

pytestmark = pytest.mark.django_db


def _complete(visit, user, **kwargs):
    return services.appointment_complete(
        appointment=visit,
        areas=kwargs.get("areas", {"face": "1.00"}),
        device="pen",
        side_effects=kwargs.get("side_effects", []),
        notes="",
        completed_by=user,
    )


def test_a_cancellation_inside_the_notice_period_is_late(world, desk_user):
    first = sessions(world["series"])[0]
    world["clock"].move_to(first.starts_at - timedelta(hours=23))
    cancelled = services.appointment_cancel(appointment=first, reason="Childcare fell through", cancelled_by=desk_user)
    assert cancelled.late_cancellation is True
    second = sessions(world["series"])[0]
    assert (
        services.appointment_cancel(appointment=second, reason="Ill", cancelled_by=desk_user).late_cancellation is False
    )


def test_every_action_refuses_the_wrong_status_without_a_second_effect(world, desk_user):
    first = sessions(world["series"])[0]
    services.appointment_cancel(appointment=first, reason="Ill", cancelled_by=desk_user)
    for action in (
        lambda: services.appointment_cancel(appointment=first, reason="again", cancelled_by=desk_user),
        lambda: services.appointment_check_in(appointment=first, checked_in_by=desk_user),
        lambda: services.appointment_mark_no_show(appointment=first, marked_by=desk_user),
        lambda: services.appointment_confirm_by_patient(appointment=first),
    ):
        with pytest.raises(Conflict):
            action()
    from clinic.models import AuditEntry

    assert AuditEntry.objects.filter(object_id=str(first.pk), action="cancelled").count() == 1


def test_a_rare_side_effect_puts_the_series_on_hold_until_a_provider_resumes_it(world):
    provider_user = world["provider"].user
    first = sessions(world["series"])[0]
    world["clock"].move_to(first.starts_at + timedelta(minutes=40))
    _complete(first, provider_user, side_effects=["redness", "infection"])
    series = world["series"]
    series.refresh_from_db()
    assert series.status == "on_hold" and "provider's review" in series.status_reason
    assert "infection" not in series.status_reason, "the desk reads the reason; the side effect stays clinical"
    services.series_resume(series=series, resumed_by=provider_user, note="Cleared with antibiotics")
    series.refresh_from_db()
    assert series.status == "active"


def test_completing_the_last_open_session_completes_the_series(world, desk_user):
    provider_user = world["provider"].user
    first, second, third = sessions(world["series"])
    services.appointment_cancel(appointment=third, reason="Happy after two", cancelled_by=desk_user)
    for visit in (first, second):
        world["clock"].move_to(visit.starts_at + timedelta(minutes=40))
        _complete(visit, provider_user)
    world["series"].refresh_from_db()
    assert world["series"].status == "completed"


def test_a_session_needs_areas_and_a_device_and_a_check_in_is_on_the_day(world, desk_user):
    first = sessions(world["series"])[0]
    with pytest.raises(InvalidRequest):
        services.appointment_check_in(appointment=first, checked_in_by=desk_user)  # booked for a later day
    world["clock"].move_to(first.starts_at + timedelta(minutes=5))
    with pytest.raises(InvalidRequest, match="at least one treated area"):
        services.appointment_complete(
            appointment=first, areas={}, device="pen", side_effects=[], notes="", completed_by=world["provider"].user
        )
    assert Appointment.objects.get(pk=first.pk).status == "booked"


def test_pause_resume_and_cancel_the_remainder(world, desk_user):
    series = world["series"]
    services.series_pause(series=series, reason="Travelling for a month", paused_by=desk_user)
    with pytest.raises(Conflict):
        services.series_pause(series=series, reason="again", paused_by=desk_user)
    services.series_resume(series=series, resumed_by=desk_user)
    cancelled = services.series_cancel_remainder(series=series, reason="Moved abroad", cancelled_by=desk_user)
    series.refresh_from_db()
    assert series.status == "cancelled"
    assert cancelled and all(a.status == "cancelled" for a in cancelled)
    assert not series.appointments.filter(status__in=("booked", "confirmed")).exists()
    with pytest.raises(Conflict):
        services.series_cancel_remainder(series=series, reason="again", cancelled_by=desk_user)
