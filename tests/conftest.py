"""Shared fixtures. Tests marked `postgres` or `redis` need those servers, and tests
marked `browser` need Chromium: they are skipped with the reason when it is missing,
except under CI, where they fail."""

import os
import socket
from datetime import datetime, time
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from tests import factories

LONDON = ZoneInfo("Europe/London")
# Debian's Chromium, which the browser tests drive with Playwright.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_reachable(url: str) -> bool:
    if not url.startswith("redis://"):
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run every test)")
    pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            _missing("needs PostgreSQL: set DATABASE_URL or run PostgreSQL on 127.0.0.1:5432")
    if item.get_closest_marker("redis"):
        from django.conf import settings

        if not _redis_reachable(settings.CELERY_BROKER_URL):
            _missing("needs Redis: set CELERY_BROKER_URL=redis://... or run Redis on 127.0.0.1:6379")
    if item.get_closest_marker("browser"):
        if not os.path.exists(CHROMIUM):
            _missing(f"needs Chromium at {CHROMIUM}: apt-get install -y chromium "
                     "(Playwright drives it; never `playwright install`)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem) -> None:
    """A transactional test ends with the database flushed, which also removes the rows
    data migrations made (roles, the protocol, screening rules, message templates). Put
    them back, so the tests after it find the database as migrations left it. (The
    snapshot exists because transactional tests ask for serialized_rollback.)"""
    yield
    marker = item.get_closest_marker("django_db")
    # After the last test the session's test database is already gone, and nothing follows.
    if marker is None or not marker.kwargs.get("transaction") or nextitem is None:
        return
    from django.db import connection
    from pytest_django.plugin import blocking_manager_key

    contents = getattr(connection, "_test_serialized_contents", None)
    if contents:
        with item.config.stash[blocking_manager_key].unblock():
            connection.creation.deserialize_db_from_string(contents)


@pytest.fixture
def location(db):
    return factories.LocationFactory()


@pytest.fixture
def provider(location):
    return factories.ProviderFactory(location=location)


@pytest.fixture
def room(location):
    return factories.RoomFactory(location=location)


@pytest.fixture
def patient(db):
    return factories.PatientFactory()


@pytest.fixture
def protocol(db):
    from scheduling.models import TreatmentProtocol

    return TreatmentProtocol.objects.get(slug="facial-microneedling")


def london(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(datetime(year, month, day).date(), time(hour, minute), LONDON)
