"""Development on a laptop: `make run`."""

from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import STATIC_ROOT, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

# Whitenoise serves from STATIC_ROOT; without collectstatic it is empty, but it must exist.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# Messages are written to files under var/ (and listed on the admin's "Sent messages"
# page) instead of reaching anyone.
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
REMINDERS_SMS_BACKEND = env("REMINDERS_SMS_BACKEND", default="scheduling.reminders.sms.FileSmsBackend")
