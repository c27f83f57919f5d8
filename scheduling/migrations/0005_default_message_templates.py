"""Writes the default message template of each kind; clinics edit them in the admin."""

from django.db import migrations

from scheduling.reminders.defaults import message_templates_install


def install(apps, schema_editor):
    message_templates_install(apps.get_model("scheduling", "MessageTemplate"))


def remove(apps, schema_editor):
    apps.get_model("scheduling", "MessageTemplate").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0004_reminders_and_waitlist"),
    ]

    operations = [migrations.RunPython(install, remove)]
