"""SMS backends that misbehave on purpose, for the retry and failure tests."""

from django.core.mail.backends import locmem

from scheduling.reminders.errors import PermanentDeliveryError, TransientDeliveryError
from scheduling.reminders.sms import SmsBackend


class FailingSmsBackend(SmsBackend):
    """Fails every send: transient unless `permanent` is set. Counts its calls."""

    calls: list[str] = []
    permanent = False

    def send(self, *, to: str, body: str, key: str) -> str:
        type(self).calls.append(key)
        if type(self).permanent:
            raise PermanentDeliveryError("21211 The 'To' number is not a valid phone number.")
        raise TransientDeliveryError("503 Service Unavailable")


class CountingEmailBackend(locmem.EmailBackend):
    """Django's in-memory backend, counting the connections made."""

    connections = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        type(self).connections += 1
