"""SQLite's own busy weeks (migration scheduling 0011, scheduling/loader/sqlite_weeks.py):
the triggers come back after a migration rebuilds the appointments table, only changes
to busy time touch the table, the packed numbers' range is kept, and loading reads the
same number of rows however full the diary. The tests that hold the table to the visits
and the planner to the plain path run on both databases, in test_busy_weeks.py."""

import random
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.backends import utils
from django.db.models import CheckConstraint, Q
from django.test.utils import CaptureQueriesContext

from scheduling import loader
from scheduling.loader.sqlite_weeks import TRIGGERS, busy_weeks_repair
from scheduling.models import Appointment
from scheduling.services import availability_find
from tests.factories import LocationFactory, PatientFactory, ProviderFactory, RoomFactory

from .busy_diaries import BASE, book_some, busy_table, change_at_random, expected_table, new_visit

pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's busy-week triggers; PostgreSQL's are in test_busy_weeks.py"
)


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'scheduling_appointment'")
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_migration_that_rebuilds_the_appointments_table_gets_its_busy_weeks_back():
    """SQLite alters a table by copying it into a new one, which drops the triggers; the
    next `migrate` puts them back and rebuilds the busy weeks from the visits."""
    location = LocationFactory()
    resources = {"location": location, "providers": [ProviderFactory(location=location) for _ in range(2)],
                 "rooms": [RoomFactory(location=location), None], "patients": [PatientFactory() for _ in range(3)]}
    book_some(resources, random.Random(11), 30)
    assert _triggers() == set(TRIGGERS)
    rule = CheckConstraint(condition=Q(starts_at__lt="2200-01-01"), name="appointment_test_rebuild")
    with connection.schema_editor() as editor:
        editor.add_constraint(Appointment, rule)  # SQLite rebuilds the table for this
        editor.remove_constraint(Appointment, rule)
    assert _triggers() == set()
    change_at_random(resources, random.Random(12), 20)  # written while nothing keeps the busy weeks
    assert busy_table() != expected_table()

    call_command("migrate", verbosity=0)

    assert _triggers() == set(TRIGGERS)
    assert busy_table() == expected_table()
    change_at_random(resources, random.Random(13), 20)
    assert busy_table() == expected_table()


@pytest.mark.django_db
def test_the_repair_leaves_a_database_alone_that_never_had_busy_weeks():
    """Migrated back before 0011, there is nothing to put back."""
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
        cursor.execute("DROP TABLE scheduling_busyweek")
    assert busy_weeks_repair(connection) is False
    assert _triggers() == set()


@pytest.mark.django_db
def test_only_changes_to_busy_time_rewrite_busy_weeks(resources):
    """Confirming a visit or writing its notes changes no busy time, so the triggers leave
    the table alone; moving or cancelling it rewrites its weeks."""
    visit = new_visit(resources, random.Random(3))
    visit.save()
    sqlite = connection.connection

    def rows_changed(change) -> int:
        before = sqlite.total_changes  # counts the rows triggers change too
        change()
        return sqlite.total_changes - before

    assert rows_changed(lambda: Appointment.objects.filter(pk=visit.pk).update(status="confirmed")) == 1
    assert rows_changed(lambda: Appointment.objects.filter(pk=visit.pk).update(notes="Prefers mornings")) == 1
    later = {f: getattr(visit, f) + timedelta(hours=2)
             for f in ("starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at")}
    assert rows_changed(lambda: Appointment.objects.filter(pk=visit.pk).update(**later)) > 1
    assert rows_changed(lambda: Appointment.objects.filter(pk=visit.pk).update(
        status="cancelled", cancel_reason="Patient unwell")) > 1
    assert busy_table() == expected_table() == {}


@pytest.mark.django_db
def test_a_live_visit_after_2105_is_refused(resources):
    visit = new_visit(resources, random.Random(5))
    for field in ("starts_at", "provider_starts_at", "provider_ends_at", "ends_at", "room_ends_at"):
        setattr(visit, field, getattr(visit, field).replace(year=2106))
    with pytest.raises(DatabaseError, match="between 1970 and 2106"), transaction.atomic():
        visit.save()
    visit.status, visit.cancel_reason = "cancelled", "Typed the wrong year"
    visit.save()  # a cancelled visit holds no busy time
    assert busy_table() == {}


def _rows_and_statements(call, monkeypatch) -> tuple[int, int]:
    """Rows SQLite hands back to Python, and statements run, while `call` runs (the
    loader reads every statement's rows with fetchall)."""
    fetched = []

    def fetchall(self):
        rows = self.cursor.fetchall()
        fetched.append(len(rows))
        return rows

    with monkeypatch.context() as patch:
        patch.setattr(utils.CursorWrapper, "fetchall", fetchall, raising=False)
        with CaptureQueriesContext(connection) as queries:
            call()
    return sum(fetched), len(queries)


@pytest.mark.django_db
def test_loading_reads_as_many_rows_for_a_full_diary_as_for_an_empty_one(resources, monkeypatch):
    """However many visits the clinic has; the patient's own visits are theirs to read."""
    windows = [(BASE, BASE + timedelta(hours=10)), (BASE + timedelta(days=8), BASE + timedelta(days=9))]
    newcomer = PatientFactory()

    def load():
        loader.diary_load(location=resources["location"], start=BASE, end=BASE + timedelta(days=9),
                          windows=windows, patient=newcomer)

    empty = _rows_and_statements(load, monkeypatch)
    book_some(resources, random.Random(9), 150)
    assert Appointment.objects.count() > 60
    assert _rows_and_statements(load, monkeypatch) == empty


@pytest.mark.django_db
def test_availability_reads_busy_weeks_not_visits(resources, protocol):
    """A question about free times reads the busy weeks, never the visits themselves, and
    a visit booked shows in the answer."""
    location, provider = resources["location"], resources["providers"][0]
    monday = BASE + timedelta(hours=11)  # 08:00 London on Monday 15 March 2027
    with time_machine.travel(BASE - timedelta(days=1), tick=False):
        free = availability_find(location=location, kind="consultation", start=monday,
                                 end=monday + timedelta(hours=12), provider=provider, limit=500)
        assert any(slot.start == monday for slot in free)
        Appointment.objects.create(
            kind="consultation", location=location, patient=resources["patients"][0], provider=provider,
            starts_at=monday, provider_starts_at=monday, provider_ends_at=monday + timedelta(minutes=30),
            ends_at=monday + timedelta(minutes=30), room_ends_at=monday + timedelta(minutes=30))
        with CaptureQueriesContext(connection) as queries:
            taken = availability_find(location=location, kind="consultation", start=monday,
                                      end=monday + timedelta(hours=12), provider=provider, limit=500)
    sql = " ".join(query["sql"] for query in queries)
    assert "scheduling_busyweek" in sql and "scheduling_appointment" not in sql
    assert not any(slot.start < monday + timedelta(minutes=30) for slot in taken)
    assert len(taken) < len(free)
