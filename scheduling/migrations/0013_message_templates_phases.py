"""The default message templates that speak of each visit's own phases (no "arrive early"
for a start time that already includes numbing) and the two new kinds (visits moved,
cancellation notice). A template the clinic has edited is left as it is: only a field
still holding the previous default word for word is replaced."""

import hashlib

from django.db import migrations

from scheduling.reminders.defaults import DEFAULT_TEMPLATES

# sha256 (first 16 hex digits) of each field of the previous defaults.
PREVIOUS = {
    "confirmation": {
        "email_subject": "5f8f730c64032ab7",
        "email_text": "f3e1810f13c954bb",
        "email_html": "5224413d7480c2fa",
        "sms_body": "4839a3300868cdc8"
    },
    "series_confirmation": {
        "email_subject": "22d7410e869e52a7",
        "email_text": "28c528abaabcf275",
        "email_html": "ec32859dcd8742c1",
        "sms_body": "7cec1717fe64010e"
    },
    "pre_visit": {
        "email_subject": "5933bbd99f04577f",
        "email_text": "1f92fe04d836d8a3",
        "email_html": "43a4ba5a59febf91",
        "sms_body": "54d5f8d920ac96e8"
    },
    "follow_up": {
        "email_subject": "64568244d36188ad",
        "email_text": "41234e6073ab621d",
        "email_html": "407773bbf2e734f3",
        "sms_body": "04de49c394309948"
    },
    "aftercare": {
        "email_subject": "d1b86e5ea2eb7b36",
        "email_text": "c0ec3dcfbab10650",
        "email_html": "c0a1b24b91bcbe97",
        "sms_body": "d51a1539fb6dd4c8"
    },
    "series_nudge": {
        "email_subject": "511eba1b04cc69d4",
        "email_text": "b8c2700a032e71f5",
        "email_html": "e5151a9c86d736a9",
        "sms_body": "fea9e86a1bbfdbe1"
    },
    "maintenance": {
        "email_subject": "198ef68dbc3784b5",
        "email_text": "adb480300b25121d",
        "email_html": "9cc82b3edc708227",
        "sms_body": "ff2fe533c7d1b276"
    },
    "waitlist_offer": {
        "email_subject": "71432d443c22ba8b",
        "email_text": "91bcf69b388e7a5d",
        "email_html": "215483788f3869cc",
        "sms_body": "c1b186023e51e4dc"
    }
}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def forwards(apps, schema_editor):
    MessageTemplate = apps.get_model("scheduling", "MessageTemplate")
    for kind, fields in DEFAULT_TEMPLATES.items():
        template = MessageTemplate.objects.filter(kind=kind).first()
        if template is None:
            MessageTemplate.objects.create(kind=kind, **fields)
            continue
        changed = [
            name for name, text in fields.items()
            if _digest(getattr(template, name)) == PREVIOUS.get(kind, {}).get(name)
        ]
        for name in changed:
            setattr(template, name, fields[name])
        if changed:
            template.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0012_messages_delivery_and_care_texts")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
