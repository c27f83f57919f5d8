"""The test suite: PostgreSQL when configured or reachable on localhost, else SQLite."""

import os
import socket
from pathlib import Path

from .base import *  # noqa: F401,F403
from .base import STATIC_ROOT, VAR_DIR, env, tune_database


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if "DATABASE_URL" not in os.environ and _reachable("127.0.0.1", 5432):
    DATABASES = {"default": tune_database(env.db_url_config("postgres://postgres@127.0.0.1:5432/needlepoint"))}
elif "DATABASE_URL" not in os.environ:
    DATABASES = {"default": tune_database(env.db_url_config(f"sqlite:///{VAR_DIR / 'test.sqlite3'}"))}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so tests with several threads share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-run.sqlite3")}

if "CELERY_BROKER_URL" not in os.environ and _reachable("127.0.0.1", 6379):
    CELERY_BROKER_URL = "redis://127.0.0.1:6379/15"

SECRET_KEY = "test-only-secret-key-that-is-long-enough-for-signing-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise expects it, collected or not

# Tests move the clock by days while a client stays signed in; the idle timeout itself is
# tested with SESSION_COOKIE_AGE overridden (tests/clinic/test_sign_in_and_sessions.py).
SESSION_COOKIE_AGE = 365 * 24 * 3600
