"""Celery tasks for scheduling: thin wrappers that call one service each.

Beat runs `reminders_dispatch` every minute (clinic/celery.py). The dispatcher claims due
reminders in the database and enqueues one `reminders_send_batch` per batch of them; if
a task is lost (killed worker, restarted broker) the claim's lease lapses and the next
dispatcher run hands the rows out again. Nothing here relies on ETA or countdown tasks."""

from dataclasses import asdict

from celery import shared_task
from django.db import InterfaceError, OperationalError

from scheduling.reminders.dispatch import reminders_dispatch_due, reminders_send_batch
from scheduling.reminders.nudges import reminders_schedule_series_nudges

# Acknowledged when they start, not when they finish (unlike the project's default): the
# outbox row is the record of what is left to send, and a task lost with a worker comes
# back through its claim's lease, so the broker need not redeliver it. Late
# acknowledgement with the Redis transport also leaves a worker idle while messages wait
# (celery/celery#4378), which costs a batch pipeline most of its throughput.
EARLY_ACK = {"acks_late": False}

# A database that is briefly unreachable is worth a few quick retries; anything longer is
# covered by the claim lease and the next dispatcher run.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 30,
    "max_retries": 3,
    "retry_jitter": True,
}


def _enqueue_send(token: str) -> None:
    reminders_send_batch_task.apply_async(args=[token], expires=3600)


@shared_task(name="scheduling.reminders_dispatch", ignore_result=True, **EARLY_ACK, **DB_RETRY)
def reminders_dispatch() -> dict:
    return asdict(reminders_dispatch_due(enqueue=_enqueue_send))


@shared_task(name="scheduling.reminders_send_batch", ignore_result=True, **EARLY_ACK, **DB_RETRY)
def reminders_send_batch_task(token: str) -> dict:
    report = reminders_send_batch(token=token)
    # Pull the next batch now rather than at beat's next tick: the workers set the pace.
    refill = reminders_dispatch_due(enqueue=_enqueue_send)
    return {key: value for key, value in asdict(report).items() if key != "errors"} | {
        "errors": report.errors[:5],
        "refilled": refill.claimed + refill.requeued,
        "recovered_sent": refill.recovered_sent,
        "recovered_resent": refill.recovered_retry,
        "recovered_failed": refill.recovered_failed,
    }


@shared_task(name="scheduling.reminders_schedule_series_nudges", ignore_result=True, **EARLY_ACK, **DB_RETRY)
def reminders_schedule_series_nudges_task() -> int:
    return reminders_schedule_series_nudges()
