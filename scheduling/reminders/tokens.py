"""Signed links in messages: the patient's unsubscribe link and the link an SMS carries.

Signed, not stored: the token names the patient (or the message) and cannot be forged
without the secret key. Unsubscribe links do not expire, as mail clients keep them."""

from django.core import signing
from django.urls import reverse

from . import config

UNSUBSCRIBE_SALT = "scheduling.reminders.unsubscribe"
MESSAGE_SALT = "scheduling.reminders.message"


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
    return int(signing.loads(token, salt=MESSAGE_SALT)["r"])


def message_url(*, reminder_id: int) -> str:
    return config.site_url() + reverse("reminders:message", kwargs={"token": message_token(reminder_id=reminder_id)})
