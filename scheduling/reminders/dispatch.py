"""Claiming due reminders and sending them: each one at most once.

The dispatcher (run by beat every minute, and by each send task as it finishes) claims
due rows in batches with `select_for_update(skip_locked=True)` plus a conditional update
that stamps a claim token and a lease, and hands each batch's token to a send task. A send task acts only on rows
still carrying its token, so a task delivered twice, a second dispatcher or a second beat
finds nothing left to do. If a worker dies or the broker loses its queue, the lease lapses
and the next dispatcher run takes the rows back: the database, not the broker, is the
record of what is still to send. No long ETA or countdown tasks are used: a retry is the
row going back to pending with a later due time."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Case, F, JSONField, Q, Value, When
from django.utils import timezone

from ..models import MessageTemplate, Reminder
from . import config
from .booking_codes import booking_code_decision, booking_code_deliver
from .channels import MailSession, channel_confirms_delivery, channel_delivered_keys, email_send, sms_send
from .errors import DeliveryError
from .maintenance_prompts import reminder_maintenance_next
from .reach import reminder_channel_for_row
from .rendering import reminder_render, sms_render
from .seen import message_seen_note
from .selectors import message_visits
from .send_checks import Decision, send_decision, superseded_leads

logger = logging.getLogger(__name__)

# What a send batch reads, in one query; the columns no message uses are left behind
# (a batch of a thousand rows otherwise spends much of its time building datetimes).
SEND_RELATED = (
    "patient",
    "appointment__location",
    "appointment__provider",
    "appointment__series__protocol",
    "series__location",
    "series__protocol",
    "waitlist_entry__location",
    "online_booking__location",
)
SEND_DEFERRED = (
    "created_at",
    "updated_at",
    "sent_at",
    "failed_at",
    "cancelled_at",
    "last_error",
    "provider_message_id",
    "patient__date_of_birth",
    "patient__fitzpatrick_type",
    "patient__skin_concerns",
    "patient__created_at",
    "patient__updated_at",
    "appointment__provider_starts_at",
    "appointment__provider_ends_at",
    "appointment__room_ends_at",
    "appointment__cancel_reason",
    "appointment__cancelled_at",
    "appointment__late_cancellation",
    "appointment__checked_in_at",
    "appointment__completed_at",
    "appointment__device",
    "appointment__side_effects",
    "appointment__notes",
    "appointment__created_at",
    "appointment__updated_at",
)

RECOVERED_SENT = "The worker stopped after sending this; the channel confirmed it went, so it was not sent again."
RECOVERED_RESENT = "The worker stopped before this message went out; it is sent again."


@dataclass
class DispatchReport:
    claimed: int = 0
    requeued: int = 0
    recovered_sent: int = 0
    recovered_retry: int = 0
    recovered_failed: int = 0
    batches: int = 0
    enqueue_failed: bool = False


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0
    not_ours: int = 0
    errors: list[str] = field(default_factory=list)


# --- The dispatcher -------------------------------------------------------------------


def _claim_batch(
    *,
    condition: Q,
    now: datetime,
    size: int,
    enqueue: Callable[[str], None],
    state: dict,
    after: tuple[datetime, int] | None,
) -> tuple[int, tuple[datetime, int] | None]:
    token = uuid.uuid4()
    with transaction.atomic():
        # Walk the due rows in (due_at, id) order from where the previous batch ended, so a
        # long run does not rescan the rows it already claimed. Rows another dispatcher
        # holds are skipped, not waited for.
        rows = Reminder.objects.filter(condition)
        if after is not None:
            rows = rows.filter(Q(due_at__gt=after[0]) | Q(due_at=after[0], pk__gt=after[1]))
        picked = list(
            rows.order_by("due_at", "pk").select_for_update(skip_locked=True).values_list("due_at", "pk")[:size]
        )
        if not picked:
            return 0, None
        # The condition again in the update: on a database without row locks (SQLite) it
        # is what stops two dispatchers from both taking a row.
        claimed = Reminder.objects.filter(condition, pk__in=[pk for _, pk in picked]).update(
            status=Reminder.Status.QUEUED, claim_token=token, lease_until=now + config.claim_lease(), updated_at=now
        )

        def hand_over() -> None:
            try:
                enqueue(str(token))
            except Exception:  # noqa: BLE001 - the broker is down; the lease brings the rows back
                logger.exception(
                    "Could not hand reminder batch %s to the broker; it is retried when its lease lapses", token
                )
                state["enqueue_failed"] = True

        transaction.on_commit(hand_over)
    return claimed, picked[-1]


def reminders_dispatch_due(
    *,
    enqueue: Callable[[str], None],
    now: datetime | None = None,
    batch_size: int | None = None,
    max_rows: int | None = None,
) -> DispatchReport:
    """Claim due reminders (and claims whose lease lapsed) in batches and hand each batch
    to `enqueue`, keeping at most a few batches waiting in the broker. Safe to run in
    several processes at once.

    Beat runs this every minute, and each send task runs it again when it finishes, so
    the workers pull work as fast as they send it while the broker never holds more than
    they can send within a claim's lease; that is what lets a short lease take back the
    work of a killed worker quickly without handing out batches merely waiting in line."""
    now = now or timezone.now()
    size = batch_size or config.dispatch_batch_size()
    report = DispatchReport()
    _recover_interrupted_sends(now=now, report=report)
    waiting = Reminder.objects.filter(status=Reminder.Status.QUEUED, lease_until__gte=now).count()
    limit = min(max_rows or config.dispatch_max_per_run(), config.dispatch_max_queued_batches() * size - waiting)
    if limit <= 0:
        return report
    state: dict = {}
    lapsed = Q(status=Reminder.Status.QUEUED, lease_until__lt=now)
    due = Q(status=Reminder.Status.PENDING, due_at__lte=now)
    for condition, counter in ((lapsed, "requeued"), (due, "claimed")):
        after = None
        while report.claimed + report.requeued < limit and not state.get("enqueue_failed"):
            claimed, after = _claim_batch(
                condition=condition,
                now=now,
                enqueue=enqueue,
                state=state,
                after=after,
                size=min(size, limit - report.claimed - report.requeued),
            )
            if after is None:
                break
            setattr(report, counter, getattr(report, counter) + claimed)
            report.batches += 1
    report.enqueue_failed = bool(state.get("enqueue_failed"))
    return report


def _recover_interrupted_sends(*, now: datetime, report: DispatchReport) -> None:
    """Rows left 'sending' past their lease: the worker died mid-batch. Where the channel
    can say whether the message went, finish or resend it; where it cannot, never guess:
    mark it failed with the reason, for staff to check."""
    with transaction.atomic():
        stuck = list(
            Reminder.objects.filter(status=Reminder.Status.SENDING, lease_until__lt=now)
            .select_for_update(skip_locked=True)
            .order_by("pk")[:5000]
        )
        confirmable = {row.key for row in stuck if channel_confirms_delivery(row.channel)}
        delivered = channel_delivered_keys("sms", confirmable) if confirmable else set()
        for row in stuck:
            base = Reminder.objects.filter(pk=row.pk, status=Reminder.Status.SENDING, claim_token=row.claim_token)
            if row.key in confirmable:
                if row.key in delivered:
                    base.update(
                        status=Reminder.Status.SENT,
                        sent_at=now,
                        lease_until=None,
                        updated_at=now,
                        attempts=F("attempts") + 1,
                        last_error=RECOVERED_SENT,
                    )
                    report.recovered_sent += 1
                else:
                    base.update(
                        status=Reminder.Status.PENDING,
                        claim_token=None,
                        lease_until=None,
                        updated_at=now,
                        last_error=RECOVERED_RESENT,
                    )
                    report.recovered_retry += 1
            else:
                base.update(
                    status=Reminder.Status.FAILED,
                    failed_at=now,
                    lease_until=None,
                    updated_at=now,
                    last_error="The worker stopped while sending: the message may or may not have gone out. "
                    "Check with the patient before sending it again.",
                )
                report.recovered_failed += 1


# --- Sending one batch ----------------------------------------------------------------


def _deliver(row: Reminder, channel: str, template: MessageTemplate | None, now: datetime, mail: MailSession) -> str:
    if row.kind == Reminder.Kind.BOOKING_CODE:
        return booking_code_deliver(row, channel, template, mail)
    if template is None:
        raise DeliveryError(f"There is no message template for '{row.get_kind_display()}'.")
    if channel == "sms":
        body = sms_render(row, template)
        message_seen_note(row, channel=channel, subject="", text=body)
        return sms_send(reminder=row, body=body)
    rendered = reminder_render(row, template, now=now, series_visits=message_visits(row))
    message_seen_note(row, channel=channel, subject=rendered.subject, text=rendered.text)
    return email_send(reminder=row, rendered=rendered, session=mail)


def _take_confirmable(
    rows: list[Reminder], channels: dict[int, str | None], *, token, deadline: datetime, now: datetime
) -> set[int]:
    """Rows on a channel that can later confirm delivery are taken in one update; the
    others one at a time just before sending, so a dying worker leaves at most one of
    them in doubt. Returns the rows taken here."""
    batch_ids = [row.pk for row in rows if channels[row.pk] and channel_confirms_delivery(channels[row.pk])]
    if not batch_ids:
        return set()
    Reminder.objects.filter(pk__in=batch_ids, claim_token=token, status=Reminder.Status.QUEUED).update(
        status=Reminder.Status.SENDING, lease_until=deadline, updated_at=now
    )
    return set(
        Reminder.objects.filter(pk__in=batch_ids, claim_token=token, status=Reminder.Status.SENDING).values_list(
            "pk", flat=True
        )
    )


def reminders_send_batch(*, token: uuid.UUID | str, now: datetime | None = None) -> SendReport:
    """Send the reminders claimed under `token`. Running it again for the same token (a
    redelivered task) does nothing: only rows still queued under this token are taken."""
    now = now or timezone.now()
    report = SendReport()
    rows = list(
        Reminder.objects.filter(claim_token=token, status=Reminder.Status.QUEUED)
        .select_related(*SEND_RELATED)
        .defer(*SEND_DEFERRED)
        .order_by("due_at", "pk")
    )
    if not rows:
        return report
    templates = {template.kind: template for template in MessageTemplate.objects.all()}
    deadline = timezone.now() + config.send_lease()
    # An online booking's code goes by the channel the person chose for it: they are not a patient yet.
    channels = {
        row.pk: reminder_channel_for_row(row.kind, row.channel, row.patient) if row.patient_id else row.channel
        for row in rows
    }
    taken_in_batch = _take_confirmable(rows, channels, token=token, deadline=deadline, now=now)
    superseded = superseded_leads(rows)
    mail = MailSession()
    sent_in_batch: list[int] = []
    follow_ons: list[Reminder] = []
    for row in rows:
        if timezone.now() >= deadline:
            # Past our lease the dispatcher may have handed these rows to someone else.
            break
        channel = channels[row.pk]
        if row.pk not in taken_in_batch and not _mine(row, token, Reminder.Status.QUEUED).update(
            status=Reminder.Status.SENDING, lease_until=deadline, updated_at=timezone.now()
        ):
            report.not_ours += 1
            continue
        if row.kind == Reminder.Kind.BOOKING_CODE:
            decision = booking_code_decision(row, now)
        else:
            decision = send_decision(row, channel, now)
        if decision.action == "send" and row.pk in superseded:
            decision = Decision("skip", "A later reminder for the same visit went instead.")
        if decision.action != "send":
            _record_decision(_mine(row, token, Reminder.Status.SENDING), decision, now=now, report=report)
            continue
        channel = decision.channel or channel
        try:
            provider_id = _deliver(row, channel, templates.get(row.kind), now, mail)
        except Exception as error:  # noqa: BLE001 - any failure is recorded on the row for staff
            _record_failure(row, _mine(row, token, Reminder.Status.SENDING), error, now=now, report=report)
            continue
        if row.pk in taken_in_batch and channel == row.channel:
            sent_in_batch.append(row.pk)
        else:
            _record_sent(_mine(row, token, Reminder.Status.SENDING), channel=channel, provider_id=provider_id,
                         payload=row.payload)
        report.sent += 1
        if row.kind == Reminder.Kind.MAINTENANCE:
            follow_on = reminder_maintenance_next(reminder=row, now=now)
            if follow_on is not None:
                follow_ons.append(follow_on)
    mail.close()
    _record_batch_sent(sent_in_batch, token=token, payloads={row.pk: row.payload for row in rows})
    if follow_ons:
        Reminder.objects.bulk_create(follow_ons, ignore_conflicts=True)
    return report


def _mine(row: Reminder, token, status: str):
    """This row, only while it is still ours (our token) and in the status we left it."""
    return Reminder.objects.filter(pk=row.pk, claim_token=token, status=status)


def _record_sent(mine, *, channel: str, provider_id: str, payload: dict) -> None:
    mine.update(
        status=Reminder.Status.SENT,
        payload=payload,
        sent_at=timezone.now(),
        channel=channel,
        lease_until=None,
        attempts=F("attempts") + 1,
        provider_message_id=provider_id[:120],
        last_error="",
        updated_at=timezone.now(),
    )


def _record_batch_sent(ids: list[int], *, token, payloads: dict[int, dict]) -> None:
    """The rows taken together, sent by the channel they were taken for, marked sent
    together, each with what it said (its payload) in the same statement."""
    if ids:
        payload = Case(*[When(pk=pk, then=Value(payloads[pk], output_field=JSONField())) for pk in ids],
                       default=F("payload"))
        Reminder.objects.filter(pk__in=ids, claim_token=token, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.SENT,
            payload=payload,
            sent_at=timezone.now(),
            lease_until=None,
            attempts=F("attempts") + 1,
            last_error="",
            updated_at=timezone.now(),
        )


def _record_decision(mine, decision: Decision, *, now: datetime, report: SendReport) -> None:
    if decision.action in ("defer", "postpone"):
        mine.update(
            status=Reminder.Status.PENDING,
            due_at=decision.due_at,
            claim_token=None,
            lease_until=None,
            deferred_for_quiet_hours=decision.action == "defer",
            last_error=decision.reason,
            updated_at=now,
        )
        report.deferred += 1
    elif decision.action == "cancel":
        mine.update(
            status=Reminder.Status.CANCELLED,
            cancelled_at=now,
            lease_until=None,
            last_error=decision.reason,
            updated_at=now,
        )
        report.cancelled += 1
    else:
        mine.update(status=Reminder.Status.SKIPPED, lease_until=None, last_error=decision.reason, updated_at=now)
        report.skipped += 1


def _record_failure(row: Reminder, mine, error: Exception, *, now: datetime, report: SendReport) -> None:
    """A transient failure goes back to pending with exponential backoff; a permanent one,
    or the last allowed attempt, ends as failed with the error for staff."""
    attempts = row.attempts + 1
    message = f"{type(error).__name__}: {error}"[:2000]
    report.errors.append(message)
    transient = getattr(error, "transient", True)
    if transient and attempts < config.max_attempts():
        mine.update(
            status=Reminder.Status.PENDING,
            due_at=now + config.retry_delay(attempts),
            claim_token=None,
            lease_until=None,
            attempts=attempts,
            last_error=message,
            updated_at=now,
        )
        report.retrying += 1
        logger.warning("Reminder %s attempt %s failed, retrying: %s", row.pk, attempts, message)
    else:
        mine.update(
            status=Reminder.Status.FAILED,
            failed_at=now,
            lease_until=None,
            attempts=attempts,
            last_error=message,
            updated_at=now,
        )
        report.failed += 1
        logger.error("Reminder %s failed after %s attempt(s): %s", row.pk, attempts, message)
