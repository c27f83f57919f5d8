"""Signed links in messages: the patient's unsubscribe link, the link an SMS carries to
the message page, and a waitlist offer's claim link.

Signed, not stored: the token names the patient (or the message) and cannot be forged
without the secret key. Unsubscribe links do not expire, as mail clients keep them;
message pages and offers do, after MESSAGE_PAGE_MAX_AGE_DAYS (default 60)."""

from functools import lru_cache

from django.core import signing
from django.urls import get_urlconf, reverse

from . import config

UNSUBSCRIBE_SALT = "scheduling.reminders.unsubscribe"
MESSAGE_SALT = "scheduling.reminders.message"
CLAIM_SALT = "scheduling.reminders.waitlist-claim"


def unsubscribe_token(*, patient_id: int, channel: str) -> str:
    return signing.dumps({"p": patient_id, "c": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    """(patient id, channel); raises signing.BadSignature for a forged or damaged token."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    return int(data["p"]), str(data["c"])


def unsubscribe_url(*, patient_id: int, channel: str) -> str:
    token = unsubscribe_token(patient_id=patient_id, channel=channel)
    return config.site_url() + reverse("reminders:unsubscribe", kwargs={"token": token})


def message_token(*, reminder_id: int) -> str:
    return signing.dumps({"r": reminder_id}, salt=MESSAGE_SALT, compress=True)


def message_token_read(token: str) -> int:
    """The reminder's id; signing.SignatureExpired once the page is older than allowed,
    signing.BadSignature for a forged or damaged token."""
    return int(signing.loads(token, salt=MESSAGE_SALT, max_age=config.message_page_max_age())["r"])


def expired_token_reminder_id(token: str) -> int | None:
    """The message an expired (but genuine) message or offer token names, so its page can
    still say which clinic to call; None for anything forged."""
    for salt in (MESSAGE_SALT, CLAIM_SALT):
        try:
            return int(signing.loads(token, salt=salt)["r"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            continue
    return None


def waitlist_claim_token(*, reminder_id: int) -> str:
    return signing.dumps({"r": reminder_id}, salt=CLAIM_SALT, compress=True)


def waitlist_claim_token_read(token: str) -> int:
    return int(signing.loads(token, salt=CLAIM_SALT, max_age=config.message_page_max_age())["r"])


def waitlist_claim_url(*, reminder_id: int) -> str:
    token = waitlist_claim_token(reminder_id=reminder_id)
    return config.site_url() + reverse("reminders:claim", kwargs={"token": token})


@lru_cache(maxsize=8)
def _message_path(urlconf: str | None) -> tuple[str, str]:
    # Reversed once with a placeholder: a send batch builds thousands of these links.
    prefix, suffix = reverse("reminders:message", kwargs={"token": "TOKEN"}, urlconf=urlconf).split("TOKEN")
    return prefix, suffix


def message_url(*, reminder_id: int) -> str:
    prefix, suffix = _message_path(get_urlconf())
    return f"{config.site_url()}{prefix}{message_token(reminder_id=reminder_id)}{suffix}"
