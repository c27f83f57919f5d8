"""A consultation's confirmation carries the link to its health questions. A template the
clinic has edited is left as it is: only a field still holding the previous default word
for word is replaced."""

import hashlib

from django.db import migrations

from scheduling.reminders.defaults import DEFAULT_TEMPLATES

# sha256 (first 16 hex digits) of the confirmation's fields as 0014 left them.
PREVIOUS = {"email_text": "422679d355d18a42", "email_html": "42ebaa7d0b9ba090"}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forwards(apps, schema_editor):
    template = apps.get_model("scheduling", "MessageTemplate").objects.filter(kind="confirmation").first()
    if template is None:
        return
    fields = DEFAULT_TEMPLATES["confirmation"]
    changed = [name for name, digest in PREVIOUS.items() if _digest(getattr(template, name)) == digest]
    for name in changed:
        setattr(template, name, fields[name])
    if changed:
        template.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0015_consent")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
