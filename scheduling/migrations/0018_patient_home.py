"""The message that carries a patient the link to their own page ("send me my link"),
and its default words."""

from django.db import migrations, models

from scheduling.reminders.defaults import DEFAULT_TEMPLATES


def install(apps, schema_editor):
    MessageTemplate = apps.get_model("scheduling", "MessageTemplate")
    MessageTemplate.objects.get_or_create(kind="patient_link", defaults=DEFAULT_TEMPLATES["patient_link"])


def remove(apps, schema_editor):
    apps.get_model("scheduling", "MessageTemplate").objects.filter(kind="patient_link").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0017_online_booking'),
    ]

    operations = [
        migrations.AlterField(
            model_name='messagetemplate',
            name='kind',
            field=models.CharField(choices=[('confirmation', 'Booking confirmation'), ('series_confirmation', 'Series booking confirmation'), ('pre_visit', 'Pre-visit reminder'), ('follow_up', 'Follow-up reminder'), ('aftercare', 'Aftercare'), ('series_nudge', 'Series nudge'), ('maintenance', 'Maintenance prompt'), ('waitlist_offer', 'Waitlist offer'), ('reschedule', 'Visits moved'), ('cancellation', 'Cancellation notice'), ('booking_code', 'Online booking code'), ('patient_link', "Link to the patient's own page")], max_length=24, unique=True),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='kind',
            field=models.CharField(choices=[('confirmation', 'Booking confirmation'), ('series_confirmation', 'Series booking confirmation'), ('pre_visit', 'Pre-visit reminder'), ('follow_up', 'Follow-up reminder'), ('aftercare', 'Aftercare'), ('series_nudge', 'Series nudge'), ('maintenance', 'Maintenance prompt'), ('waitlist_offer', 'Waitlist offer'), ('reschedule', 'Visits moved'), ('cancellation', 'Cancellation notice'), ('booking_code', 'Online booking code'), ('patient_link', "Link to the patient's own page")], max_length=24),
        ),
        migrations.RunPython(install, remove),
    ]
