"""A series' confirmation carries the link to sign the consent while none counts. A
template the clinic has edited is left as it is: only a field still holding the previous
default word for word is replaced."""

import hashlib

from django.db import migrations

from scheduling.reminders.defaults import DEFAULT_TEMPLATES

# sha256 (first 16 hex digits) of the series confirmation's fields as 0016 left them.
PREVIOUS = {"email_text": "5210311ad05e8bdf", "email_html": "db4d1a0eff17c0cb"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forwards(apps, schema_editor):
    template = apps.get_model("scheduling", "MessageTemplate").objects.filter(kind="series_confirmation").first()
    if template is None:
        return
    fields = DEFAULT_TEMPLATES["series_confirmation"]
    changed = [name for name, digest in PREVIOUS.items() if _digest(getattr(template, name)) == digest]
    for name in changed:
        setattr(template, name, fields[name])
    if changed:
        template.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0019_maintenance_prompt_books_online")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
