"""Reminder settings, read at call time so tests and the benchmark can change them."""

from datetime import timedelta

from django.conf import settings

from .quiet_hours import QuietHours


def setting(name: str, default):
    return getattr(settings, name, default)


def quiet_hours() -> QuietHours | None:
    return QuietHours.parse(setting("REMINDERS_SMS_QUIET_HOURS", "21:00-08:00"))


def dispatch_batch_size() -> int:
    return int(setting("REMINDERS_DISPATCH_BATCH_SIZE", 500))


def dispatch_max_per_run() -> int:
    return int(setting("REMINDERS_DISPATCH_MAX_PER_RUN", 200_000))


def dispatch_max_queued_batches() -> int:
    """Batches claimed but not yet taken by a worker; more would only wait in the broker."""
    return int(setting("REMINDERS_DISPATCH_MAX_QUEUED_BATCHES", 20))


def claim_lease() -> timedelta:
    return timedelta(seconds=int(setting("REMINDERS_CLAIM_LEASE_SECONDS", 300)))


def send_lease() -> timedelta:
    return timedelta(seconds=int(setting("REMINDERS_SEND_LEASE_SECONDS", 600)))


def max_attempts() -> int:
    return int(setting("REMINDERS_MAX_ATTEMPTS", 5))


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff: base, 2x base, 4x base ... capped."""
    base = int(setting("REMINDERS_RETRY_BASE_SECONDS", 60))
    cap = int(setting("REMINDERS_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


def nudge_days() -> int:
    return int(setting("REMINDERS_NUDGE_DAYS", 7))


def waitlist_offers_per_slot() -> int:
    return int(setting("REMINDERS_WAITLIST_OFFERS_PER_SLOT", 3))


def prompt_hour() -> int:
    return int(setting("REMINDERS_PROMPT_HOUR", 10))


def site_url() -> str:
    """The clinic site's one public address: every link in a message starts with it."""
    return str(setting("PUBLIC_SITE_URL", "http://127.0.0.1:8000")).rstrip("/")


def message_page_max_age() -> int:
    """Seconds a message page (and a waitlist offer's claim link) keeps working."""
    return int(setting("MESSAGE_PAGE_MAX_AGE_DAYS", 60)) * 24 * 3600
