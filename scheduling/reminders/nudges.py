"""Series nudges: a patient whose next session is not booked while its window closes
hears from us once, before the window shuts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Reminder
from . import config
from .reach import place_for_channel, reminder_channel_for
from .selectors import series_needing_next_session


def reminders_schedule_series_nudges(*, now: datetime | None = None) -> int:
    """Nudge each patient whose next session is not booked while its window closes within
    the nudge horizon (default 7 days). One nudge per series and session number, so a
    second run, or a second beat, writes nothing more."""
    now = now or timezone.now()
    rows = []
    for gap in series_needing_next_session(now=now, within_days=config.nudge_days()):
        if gap.window_closes_at <= now:
            continue
        patient = gap.series.patient
        channel = reminder_channel_for(patient) or patient.preferred_channel
        placed = place_for_channel(
            due=now, channel=channel, patient=patient, visit_starts_at=gap.window_closes_at, now=now
        )
        rows.append(
            Reminder(
                key=f"series_nudge:{gap.series.pk}:{gap.next_session_number}",
                kind=Reminder.Kind.SERIES_NUDGE,
                slot="series_nudge",
                channel=placed.channel,
                patient=patient,
                series=gap.series,
                due_at=placed.due,
                deferred_for_quiet_hours=placed.deferred,
                status=Reminder.Status.SKIPPED if placed.held else Reminder.Status.PENDING,
                last_error=placed.reason,
                payload={
                    "session_number": gap.next_session_number,
                    "window_closes_at": gap.window_closes_at.isoformat(),
                },
            )
        )
    with transaction.atomic():
        created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)
