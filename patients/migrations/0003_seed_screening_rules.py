"""The screening rules DOMAIN.md names, as data the clinic can edit afterwards."""

from django.db import migrations

RULES = [
    # condition, label, effect, block outcome, look-back days, defer days
    ("active_acne", "Active acne", "block", "deferred", None, 90),
    ("eczema", "Eczema on an area to be treated", "block", "deferred", None, 90),
    ("rosacea", "Rosacea", "block", "not_eligible", None, None),
    ("active_infection", "Active skin infection", "block", "deferred", None, 30),
    ("fitzpatrick_iv_vi", "Darker skin tone (Fitzpatrick IV-VI): higher risk of hyperpigmentation",
     "caution", "", None, None),
    ("isotretinoin", "Isotretinoin in the last 6 months", "block", "deferred", 183, None),
    ("chemical_peel", "Chemical peel in the last 30 days", "block", "deferred", 30, None),
    ("pregnancy_or_breastfeeding", "Pregnant or breastfeeding", "block", "deferred", None, 180),
    ("keloid_history", "History of keloid scarring", "caution", "", None, None),
    ("blood_thinners", "Takes blood thinners", "caution", "", None, None),
    ("cold_sores", "Cold sores now", "block", "deferred", None, 14),
]


def seed(apps, schema_editor):
    ScreeningRule = apps.get_model("patients", "ScreeningRule")
    for condition, label, effect, outcome, lookback, defer in RULES:
        ScreeningRule.objects.get_or_create(
            condition=condition,
            defaults={"label": label, "effect": effect, "block_outcome": outcome,
                      "lookback_days": lookback, "defer_days": defer},
        )


def unseed(apps, schema_editor):
    apps.get_model("patients", "ScreeningRule").objects.filter(condition__in=[rule[0] for rule in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_screening_rules_and_calendar_token")]

    operations = [migrations.RunPython(seed, unseed)]
