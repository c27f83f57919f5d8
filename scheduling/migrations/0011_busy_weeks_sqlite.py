"""Merged busy time per provider and per room and UTC week on SQLite, kept by triggers.

The SQLite counterpart of 0010 (PostgreSQL's scheduling_busyweek), so the loader reads
the embedded default's busy time per week too. The table, its triggers and the rows of
the visits already booked are made by `scheduling.loader.sqlite_weeks`, which also puts
the triggers back after a later migration rebuilds the appointments table (SQLite's way
of altering a table drops them; scheduling/apps.py runs the repair after `migrate`).

PostgreSQL gets nothing here: 0010 keeps its own table."""

from django.db import migrations

from scheduling.loader.sqlite_weeks import busy_weeks_create, busy_weeks_drop


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        busy_weeks_create(schema_editor.connection)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        busy_weeks_drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0010_busy_weeks"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
