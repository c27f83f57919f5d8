"""Writing the re-planning board's choices: accept (all at once, or one), another offered
time, or cancel with a reason.

Each patient's choices are written in one transaction, under the location's lock like
any booking, all or nothing, and the patient gets one message for all of it. A choice
carries the visit as it was when proposed (`stamp`): if anyone changed the visit since,
another admin working the same board say, nothing of that patient's moves and the desk
reads why, so no visit moves twice."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from clinic.audit import audit_record
from clinic.errors import Conflict, InvalidRequest
from clinic.models import Provider

from ..models import Appointment
from ..reminders.events import reminders_visits_rescheduled
from .booking import conflict_from_integrity_error, location_lock
from .replan import visit_stamp
from .reschedule import ReschedulePreview, appointment_reschedule_preview, reschedule_write, visit_moved_alone
from .visits import appointment_cancel


@dataclass(frozen=True)
class Choice:
    """One visit to move, as the board offered it."""

    appointment_id: int
    stamp: str
    new_start: datetime
    provider_id: int
    keeps_rules: bool = True


@dataclass
class ReplanResult:
    moved: int = 0  # visits moved, later sessions that followed included
    patients: int = 0
    problems: list[str] = field(default_factory=list)


def _stale(row: Appointment) -> Conflict:
    return Conflict(
        f"{row.patient}'s {row.get_kind_display().lower()} was changed by someone else since this board was shown, "
        "so nothing of theirs was moved; the board now shows it as it is."
    )


def _preview(row: Appointment, choice: Choice) -> ReschedulePreview:
    provider = Provider.objects.filter(pk=choice.provider_id, is_active=True).first()
    if provider is None:
        raise InvalidRequest("That provider no longer works here; choose another time.")
    if choice.keeps_rules:
        preview = appointment_reschedule_preview(appointment=row, new_start=choice.new_start, provider=provider)
    else:
        preview = visit_moved_alone(appointment=row, new_start=choice.new_start, provider=provider)
    if not preview.ok:
        raise Conflict(f"{row.patient}: {preview.message or 'that time no longer fits.'}")
    return preview


def _patient_apply(choices: Sequence[Choice], *, changed_by) -> int:
    """One patient's choices, all or nothing; the number of visits moved."""
    with transaction.atomic():
        ids = [c.appointment_id for c in choices]
        rows = {
            row.pk: row
            for row in Appointment.objects.select_for_update(of=("self",))
            .select_related("location", "series", "patient", "provider").filter(pk__in=ids)
        }
        for location in sorted({row.location for row in rows.values()}, key=lambda loc: loc.pk):
            location_lock(location)
        if set(ids) - set(rows):
            raise Conflict("A visit on the board no longer exists; the board now shows what is left.")
        moved_all, dropped_all, done = [], [], set()
        for choice in sorted(choices, key=lambda c: rows[c.appointment_id].starts_at):
            row = rows[choice.appointment_id]
            if row.pk in done:
                continue  # an earlier session's move already carried it along
            if row.status not in Appointment.OPEN_STATUSES or visit_stamp(row) != choice.stamp:
                raise _stale(row)
            before = row.starts_at
            moved, dropped = reschedule_write(appointment=row, preview=_preview(row, choice), changed_by=changed_by)
            audit_record(actor=changed_by, action="replanned", obj=row,
                         changes={"starts_at": [before, choice.new_start], "keeps_rules": choice.keeps_rules})
            done |= {visit.pk for visit, _ in moved} | {visit.pk for visit in dropped}
            moved_all += moved
            dropped_all += dropped
        # One message for all of this patient's changes.
        reminders_visits_rescheduled(moved=moved_all, dropped=dropped_all)
        return len(moved_all)


def replan_apply(*, choices: Sequence[Choice], changed_by=None) -> ReplanResult:
    """Write the choices, one patient at a time; a patient whose choices no longer fit
    keeps their visits as they were, and the result says why in a sentence."""
    patients = dict(Appointment.objects.filter(pk__in=[c.appointment_id for c in choices])
                    .values_list("pk", "patient_id"))
    grouped: dict[int, list[Choice]] = defaultdict(list)
    for choice in choices:
        grouped[patients.get(choice.appointment_id, 0)].append(choice)
    result = ReplanResult()
    for patient_choices in grouped.values():
        try:
            result.moved += _patient_apply(patient_choices, changed_by=changed_by)
            result.patients += 1
        except IntegrityError as error:
            result.problems.append(str(conflict_from_integrity_error(error)))
        except (Conflict, InvalidRequest) as error:
            result.problems.append(str(error))
    return result


def replan_cancel(*, appointment_id: int, stamp: str, reason: str, cancelled_by=None) -> Appointment:
    """Cancel a disrupted visit with a reason (the patient is told, with the reason), unless
    someone changed it since the board was shown."""
    with transaction.atomic():
        row = Appointment.objects.select_for_update(of=("self",)).select_related("patient").filter(
            pk=appointment_id).first()
        if row is None:
            raise Conflict("That visit no longer exists; the board now shows what is left.")
        if row.status not in Appointment.OPEN_STATUSES or visit_stamp(row) != stamp:
            raise _stale(row)
        cancelled = appointment_cancel(appointment=row, reason=reason, cancelled_by=cancelled_by)
        if row.kind == "session" and row.series_id is not None:
            # Its healing check goes with it; the one notice above is the patient's message.
            for check in Appointment.objects.filter(series_id=row.series_id, kind="healing_check",
                                                    session_number=row.session_number,
                                                    status__in=Appointment.OPEN_STATUSES):
                appointment_cancel(appointment=check, reason=reason, cancelled_by=cancelled_by, by_patient=True)
        return cancelled
