"""Text messages: a small backend interface, a console and a file backend for development
and tests, and an adapter for Twilio's Messages REST API."""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from . import config
from .errors import PermanentDeliveryError, TransientDeliveryError


class SmsBackend:
    """Sends one text message. `confirms_delivery` says whether the backend can tell
    afterwards if a message with a given key went out, which lets a send interrupted by a
    killed worker be finished without sending twice."""

    confirms_delivery = False

    def send(self, *, to: str, body: str, key: str) -> str:
        """Send and return the provider's id for the message."""
        raise NotImplementedError

    def was_delivered(self, key: str) -> bool:
        raise NotImplementedError

    def delivered_keys(self, keys: set[str]) -> set[str]:
        """Of these keys, those whose message went out (for backends that confirm delivery)."""
        return {key for key in keys if self.was_delivered(key)}


class ConsoleSmsBackend(SmsBackend):
    """Prints each message: the default in development."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str, key: str) -> str:
        self.stream.write(f"SMS to {to} [{key}]: {body}\n")
        self.stream.flush()
        return f"console-{uuid.uuid4().hex[:12]}"


class FileSmsBackend(SmsBackend):
    """Appends one JSON line per message to a file of its own process in a folder
    (REMINDERS_SMS_FILE_DIR): for development, tests and the benchmark.

    Nothing is hidden: a message sent twice is two lines with the same key, so duplicates
    can be counted. Each line is one append-mode write, so a killed process leaves whole
    lines only."""

    confirms_delivery = True

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory or getattr(settings, "REMINDERS_SMS_FILE_DIR", "var/sms"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        self._pid: int | None = None

    def _descriptor(self) -> int:
        # A worker forks its pool processes: each writes its own file.
        if self._pid != os.getpid():
            name = f"sms-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
            self._fd = os.open(self.directory / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd

    def send(self, *, to: str, body: str, key: str) -> str:
        message_id = uuid.uuid4().hex
        line = json.dumps({"key": key, "to": to, "body": body, "id": message_id, "at": timezone.now().isoformat()})
        data = (line + "\n").encode()
        written = os.write(self._descriptor(), data)
        if written != len(data):
            raise TransientDeliveryError("The SMS file was not fully written.")
        return message_id

    def messages(self) -> list[dict]:
        """Every message in the folder, in no particular order."""
        found = []
        for path in sorted(self.directory.glob("*.jsonl")):
            with open(path, encoding="utf-8") as handle:
                found.extend(json.loads(line) for line in handle if line.strip())
        return found

    def delivered_keys(self, keys: set[str]) -> set[str]:
        return {message["key"] for message in self.messages()} & set(keys)

    def was_delivered(self, key: str) -> bool:
        return key in self.delivered_keys({key})


class TwilioSmsBackend(SmsBackend):
    """Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth.

    A 429 or 5xx answer, or no answer, is transient (try again later); any other 4xx means
    the message itself was refused (bad number, unsubscribed recipient) and is permanent."""

    def __init__(
        self,
        *,
        account_sid: str | None = None,
        auth_token: str | None = None,
        from_number: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.account_sid = account_sid or settings.TWILIO_ACCOUNT_SID
        self.auth_token = auth_token or settings.TWILIO_AUTH_TOKEN
        self.from_number = from_number or settings.TWILIO_FROM_NUMBER
        self.base_url = (base_url or settings.TWILIO_API_BASE).rstrip("/")
        self.timeout = timeout

    def send(self, *, to: str, body: str, key: str) -> str:
        url = f"{self.base_url}/2010-04-01/Accounts/{urllib.parse.quote(self.account_sid)}/Messages.json"
        # Twilio reports delivery to our status callback, signed (pages/delivery.py).
        callback = config.site_url() + reverse("reminders:twilio-status")
        form = urllib.parse.urlencode(
            {"To": to, "From": self.from_number, "Body": body, "StatusCallback": callback}
        ).encode()
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=form,
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = _twilio_error(error)
            if error.code == 429 or error.code >= 500:
                raise TransientDeliveryError(f"Twilio {error.code}: {detail}") from error
            raise PermanentDeliveryError(f"Twilio {error.code}: {detail}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise TransientDeliveryError(f"Twilio unreachable: {error}") from error
        sid = answer.get("sid")
        if not sid:
            raise TransientDeliveryError(f"Twilio answered without a message id: {answer}")
        return str(sid)


def _twilio_error(error: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(error.read() or b"{}")
    except ValueError:
        return error.reason or ""
    return f"{data.get('code', '')} {data.get('message', '')}".strip()


_backend_cache: dict[str, SmsBackend] = {}


def sms_backend() -> SmsBackend:
    """The configured backend (REMINDERS_SMS_BACKEND), one instance per process and setting."""
    path = getattr(settings, "REMINDERS_SMS_BACKEND", "scheduling.reminders.sms.ConsoleSmsBackend")
    directory = str(getattr(settings, "REMINDERS_SMS_FILE_DIR", ""))
    cache_key = f"{path}|{directory}"
    backend = _backend_cache.get(cache_key)
    if backend is None:
        backend = import_string(path)()
        _backend_cache[cache_key] = backend
    return backend
