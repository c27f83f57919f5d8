"""The default health questionnaire, each answer mapped to the screening rule it
suggests, and the rules DOMAIN.md's intake names that the first seed lacked. All of it
is data the clinic edits afterwards."""

from django.db import migrations

NEW_RULES = [
    # condition, label, effect, block outcome, look-back days, defer days
    ("retinoids", "Uses retinoid creams (stop a few days before each session)", "caution", "", None, None),
    ("numbing_allergy", "Allergy to numbing cream or lidocaine", "caution", "", None, None),
    ("hyperpigmentation_tendency", "Tends to dark marks after spots or injuries", "caution", "", None, None),
    ("laser_treatment", "Laser treatment on the face in the last 30 days", "block", "deferred", 30, None),
    ("sunburn", "Sunburn on the face now", "block", "deferred", None, 14),
]

YES = "yes"
# key, answer type, text, help, choices, {answer: rule condition}
QUESTIONS = [
    ("isotretinoin", "date", "If you have taken isotretinoin (Roaccutane) in the last year, when did you last take it?",
     "Leave empty if you have not.", [], {"": "isotretinoin"}),
    ("blood_thinners", "yes_no", "Do you take medicine that thins the blood (for example warfarin or daily aspirin)?",
     "", [], {YES: "blood_thinners"}),
    ("retinoids", "yes_no", "Do you use retinoid creams on your face (tretinoin, retinol, adapalene)?",
     "", [], {YES: "retinoids"}),
    ("numbing_allergy", "yes_no", "Are you allergic to numbing cream or to lidocaine?", "", [], {YES: "numbing_allergy"}),
    ("pregnancy", "yes_no", "Are you pregnant or breastfeeding?", "", [], {YES: "pregnancy_or_breastfeeding"}),
    ("cold_sores", "yes_no", "Do you have a cold sore now?", "", [], {YES: "cold_sores"}),
    ("keloid", "yes_no", "Have scars on your skin ever grown raised and thick (keloids)?", "", [],
     {YES: "keloid_history"}),
    ("dark_marks", "yes_no", "Does your skin tend to leave dark marks after spots, cuts or burns?", "", [],
     {YES: "hyperpigmentation_tendency"}),
    ("acne", "yes_no", "Do you have active acne (inflamed spots) on your face now?", "", [], {YES: "active_acne"}),
    ("eczema", "yes_no", "Do you have eczema on your face or neck now?", "", [], {YES: "eczema"}),
    ("rosacea", "yes_no", "Have you been told you have rosacea?", "", [], {YES: "rosacea"}),
    ("infection", "yes_no", "Do you have a skin infection on your face now?", "", [], {YES: "active_infection"}),
    ("chemical_peel", "date", "If you have had a chemical peel in the last two months, when was it?",
     "Leave empty if you have not.", [], {"": "chemical_peel"}),
    ("laser", "date", "If you have had laser treatment on your face in the last two months, when was it?",
     "Leave empty if you have not.", [], {"": "laser_treatment"}),
    ("sun", "choice", "How much sun has your face had in the last two weeks?", "",
     ["Little or none", "Some, without burning", "I am sunburnt now"], {"I am sunburnt now": "sunburn"}),
    ("anything_else", "text", "Is there anything else we should know? (other medicines, allergies or conditions)",
     "", [], {}),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("patients", "ScreeningRule")
    Question = apps.get_model("patients", "IntakeQuestion")
    Suggestion = apps.get_model("patients", "IntakeSuggestion")
    for condition, label, effect, outcome, lookback, defer in NEW_RULES:
        Rule.objects.get_or_create(
            condition=condition,
            defaults={"label": label, "effect": effect, "block_outcome": outcome,
                      "lookback_days": lookback, "defer_days": defer},
        )
    for order, (key, answer_type, text, help_text, choices, suggests) in enumerate(QUESTIONS, start=1):
        question, _ = Question.objects.get_or_create(
            key=key, defaults={"text": text, "help_text": help_text, "answer_type": answer_type,
                               "choices": choices, "order": order * 10},
        )
        for answer, condition in suggests.items():
            rule = Rule.objects.filter(condition=condition).first()
            if rule is not None:
                Suggestion.objects.get_or_create(question=question, answer=answer, rule=rule)


def unseed(apps, schema_editor):
    apps.get_model("patients", "IntakeQuestion").objects.filter(key__in=[q[0] for q in QUESTIONS]).delete()
    apps.get_model("patients", "ScreeningRule").objects.filter(condition__in=[r[0] for r in NEW_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_intake")]

    operations = [migrations.RunPython(seed, unseed)]
