"""Creates the Facial microneedling protocol with DOMAIN.md's defaults."""

from django.db import migrations

PROTOCOL = {
    "name": "Facial microneedling",
    "slug": "facial-microneedling",
    "session_count_min": 3,
    "session_count_default": 3,
    "session_count_max": 6,
    "min_interval_days": 28,
    "target_interval_days": 28,
    "max_interval_days": 42,
    "consultation_minutes": 30,
    "numbing_minutes": 30,
    "area_minutes": {"face": 30, "neck": 10, "chest": 10, "hands": 10},
    "max_treatment_minutes": 60,
    "turnover_minutes": 10,
    "healing_check_min_days": 3,
    "healing_check_max_days": 7,
    "healing_check_minutes": 15,
    "healing_check_by_phone": True,
    "review_min_days": 28,
    "review_max_days": 42,
    "review_minutes": 20,
    "maintenance_min_days": 60,
    "maintenance_max_days": 90,
    "consultation_valid_days": 180,
    "reminder_lead_hours": [72, 24],
}


def create_protocol(apps, schema_editor):
    TreatmentProtocol = apps.get_model("scheduling", "TreatmentProtocol")
    defaults = {key: value for key, value in PROTOCOL.items() if key != "slug"}
    TreatmentProtocol.objects.get_or_create(slug=PROTOCOL["slug"], defaults=defaults)


def remove_protocol(apps, schema_editor):
    TreatmentProtocol = apps.get_model("scheduling", "TreatmentProtocol")
    TreatmentProtocol.objects.filter(slug=PROTOCOL["slug"], series__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(create_protocol, remove_protocol)]
