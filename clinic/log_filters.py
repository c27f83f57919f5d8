"""No valid token in a log: the signed tokens in patients' links (message pages, offers,
unsubscribe, confirm-or-cancel, calendar feeds) are keys to a patient's page, so every
log line has them replaced by "[token]" before it is written."""

import logging
import re

# The token segment of each public link (the paths in clinic/urls.py and scheduling/pages/urls.py).
_TOKEN_IN_PATH = re.compile(
    r"(/(?:reminders/(?:m|unsubscribe|offer)|visit/\d+|calendar/[\w-]+|patient-links/\d+)/)([^/\s\"'?#]+)"
)
# A Django-signed value anywhere else (payload:signature or payload:timestamp:signature).
_SIGNED_VALUE = re.compile(r"\.?[A-Za-z0-9_-]{8,}(?::[A-Za-z0-9_-]{6,}){1,2}:[A-Za-z0-9_-]{27,}")
REDACTED = "[token]"


def tokens_redact(text: str) -> str:
    text = _TOKEN_IN_PATH.sub(lambda match: match.group(1) + REDACTED, text)
    return _SIGNED_VALUE.sub(REDACTED, text)


class TokenRedactingFilter(logging.Filter):
    """Rewrites the record's message (its arguments merged in) without the tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is
            return True
        cleaned = tokens_redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True
