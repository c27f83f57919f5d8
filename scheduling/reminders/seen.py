"""What a patient saw of a message, kept on its outbox row when it goes: their own page
lists their messages in those words, not as today's templates and visits would say them
(a visit moved since would otherwise show its new time in the old message)."""

import re

from ..models import Reminder

# A text is kept whole; of an email, its subject and the opening lines after the greeting.
EMAIL_LINES_SHOWN = 2
_URL = re.compile(r"\s*:?\s*https?://\S+")


def message_lines(text: str) -> list[str]:
    return [line.strip().lstrip("-").strip() for line in (text or "").splitlines() if line.strip()]


def without_links(text: str) -> str:
    """A message's words without its links: those were for that message, and most have
    expired or been replaced since; the patient's page is where they act now."""
    return _URL.sub("", text).strip()


def message_seen(*, channel: str, subject: str, text: str) -> dict:
    """The subject and opening lines of a message as its patient received it."""
    if channel == "sms":
        return {"subject": "Text message", "lines": [without_links(text)]}
    body = [without_links(line) for line in message_lines(text) if not line.lower().startswith("hello")]
    return {"subject": subject, "lines": [line for line in body if line][:EMAIL_LINES_SHOWN]}


def message_seen_note(row: Reminder, *, channel: str, subject: str, text: str) -> None:
    """Note what this message says in its row's payload (saved with the row as it is
    marked sent; a resend keeps the newest)."""
    row.payload = {**(row.payload or {}), "seen": message_seen(channel=channel, subject=subject, text=text)}
