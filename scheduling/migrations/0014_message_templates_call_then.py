"""The default message templates' phone check says "we will call you then" (the sentence
before gives the time; it read "we will call you at Saturday 6 March 2027 at 09:00 GMT"),
and the text before a follow-up no longer says the clinic "will be in touch", which told a
patient coming in for a review that they would be called. Aftercare no longer says
"today" (a visit recorded the next morning sent it the day after) nor repeats the
protocol's own "call us if pain, swelling or warmth grows" in its closing line. A
treatment with no numbing no longer reads "numbing cream takes about 0 minutes". One
visit moved reads "Your visit has moved", not "Your visits have moved". A
template the clinic has edited is left as it is: only a field still holding the previous
default word for word is replaced."""

import hashlib

from django.db import migrations

from scheduling.reminders.defaults import DEFAULT_TEMPLATES

# sha256 (first 16 hex digits) of each field of the previous defaults (0013's).
PREVIOUS = {
    "confirmation": {
        "email_subject": "5f8f730c64032ab7",
        "email_text": "d1843cf3fa16d49b",
        "email_html": "c4339259d6bab847",
        "sms_body": "4839a3300868cdc8"
    },
    "series_confirmation": {
        "email_subject": "22d7410e869e52a7",
        "email_text": "5210311ad05e8bdf",
        "email_html": "db4d1a0eff17c0cb",
        "sms_body": "7cec1717fe64010e"
    },
    "pre_visit": {
        "email_subject": "5933bbd99f04577f",
        "email_text": "cd43bc3048d68e9a",
        "email_html": "f673aa8cc9a4c13b",
        "sms_body": "54d5f8d920ac96e8"
    },
    "follow_up": {
        "email_subject": "64568244d36188ad",
        "email_text": "73e9a75efde85f2d",
        "email_html": "f57084cf6e46f8ad",
        "sms_body": "96db6a21f86904f7"
    },
    "aftercare": {
        "email_subject": "d1b86e5ea2eb7b36",
        "email_text": "029bc7d81b187db5",
        "email_html": "bff4a77a97f9dd73",
        "sms_body": "d51a1539fb6dd4c8"
    },
    "series_nudge": {
        "email_subject": "511eba1b04cc69d4",
        "email_text": "d62517041fb8f873",
        "email_html": "070c23bba49bda1e",
        "sms_body": "fea9e86a1bbfdbe1"
    },
    "maintenance": {
        "email_subject": "198ef68dbc3784b5",
        "email_text": "9c7e61746ef6e92b",
        "email_html": "4db1a004eccfdd63",
        "sms_body": "ff2fe533c7d1b276"
    },
    "waitlist_offer": {
        "email_subject": "71432d443c22ba8b",
        "email_text": "22394814c9419fe9",
        "email_html": "7f9cba4ae2fad5d4",
        "sms_body": "89368417b92919f7"
    },
    "reschedule": {
        "email_subject": "a82a77914ffd2613",
        "email_text": "b20d8c53faae1314",
        "email_html": "aa52bcc10af64723",
        "sms_body": "051f588ffd4f2645"
    },
    "cancellation": {
        "email_subject": "423660496ba5710e",
        "email_text": "87f2fd9665f2592b",
        "email_html": "661590e30f565e4a",
        "sms_body": "6391fa6c344e2f4b"
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
            name
            for name, text in fields.items()
            if text != getattr(template, name) and _digest(getattr(template, name)) == PREVIOUS.get(kind, {}).get(name)
        ]
        for name in changed:
            setattr(template, name, fields[name])
        if changed:
            template.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0013_message_templates_phases")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
