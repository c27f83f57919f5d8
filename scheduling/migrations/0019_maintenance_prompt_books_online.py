"""The maintenance prompt links to the times the patient can book on their own page
(`book_maintenance`), where it only said "call us to book". A template the clinic has
edited is left as it is: only a field still holding the previous default word for word
is replaced."""

import hashlib

from django.db import migrations

from scheduling.reminders.defaults import DEFAULT_TEMPLATES

# sha256 (first 16 hex digits) of the previous default of each field replaced.
PREVIOUS = {"email_text": "9c7e61746ef6e92b", "email_html": "4db1a004eccfdd63"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forwards(apps, schema_editor):
    template = apps.get_model("scheduling", "MessageTemplate").objects.filter(kind="maintenance").first()
    if template is None:
        return
    changed = [name for name, digest in PREVIOUS.items() if _digest(getattr(template, name)) == digest]
    for name in changed:
        setattr(template, name, DEFAULT_TEMPLATES["maintenance"][name])
    if changed:
        template.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0018_patient_home")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
