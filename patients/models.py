"""Patients, their contact preferences and consent, and their consultations."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from phonenumber_field.modelfields import PhoneNumberField

from clinic.validators import ChoiceListValidator, validate_person_name, validate_time_zone

from .choices import (
    MAX_DEPTH_MM,
    MIN_DEPTH_MM,
    Channel,
    Contraindication,
    FitzpatrickType,
    SkinConcern,
    TreatmentArea,
)


class Patient(models.Model):
    first_name = models.CharField(max_length=80, validators=[validate_person_name])
    last_name = models.CharField(max_length=80, validators=[validate_person_name])
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True, help_text="International format, e.g. +447700900123.")
    preferred_channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    consent_email = models.BooleanField("consents to email reminders", default=False)
    consent_sms = models.BooleanField("consents to SMS reminders", default=False)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    email_bounced_at = models.DateTimeField(
        null=True, blank=True, help_text="The email provider reported the address bouncing or a complaint."
    )
    email_bounce_reason = models.CharField(max_length=200, blank=True)
    fitzpatrick_type = models.PositiveSmallIntegerField(
        "Fitzpatrick skin type", choices=FitzpatrickType.choices, null=True, blank=True
    )
    skin_concerns = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator(SkinConcern)])
    calendar_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False,
        help_text="Secret in the patient's calendar feed address; rotating it retires the old address.",
    )
    link_version = models.PositiveIntegerField(
        default=0, editable=False,
        help_text="Named in the links to the patient's own page; raising it retires every link sent before.",
    )
    maintenance_prompts_stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="The patient asked for no more maintenance prompts."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(fitzpatrick_type__isnull=True) | Q(fitzpatrick_type__gte=1, fitzpatrick_type__lte=6),
                name="patient_fitzpatrick_i_to_vi",
            ),
            # A patient who prefers SMS must have a number to send it to; likewise email.
            models.CheckConstraint(condition=~Q(preferred_channel="sms", phone=""), name="patient_sms_needs_phone"),
            models.CheckConstraint(
                condition=~Q(preferred_channel="email", email=""), name="patient_email_needs_address"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Consultation(models.Model):
    """The clinical record of a consultation visit: screening and the recommended plan."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Not yet assessed"
        ELIGIBLE = "eligible", "Eligible"
        DEFERRED = "deferred", "Deferred"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consultations")
    provider = models.ForeignKey(
        "clinic.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="consultations"
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    concerns = models.JSONField(default=list, blank=True, validators=[ChoiceListValidator(SkinConcern)])
    contraindications = models.JSONField(
        default=list,
        blank=True,
        validators=[ChoiceListValidator(Contraindication)],
        help_text="Found at the assessment.",
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    deferred_until = models.DateField(null=True, blank=True, help_text="Re-consult after this date.")
    recommended_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(3), MaxValueValidator(6)]
    )
    hyperpigmentation_caution = models.BooleanField(
        default=False, help_text="Fitzpatrick IV-VI: higher risk of hyperpigmentation; a provider must acknowledge."
    )
    caution_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    caution_acknowledged_at = models.DateTimeField(null=True, blank=True)
    clinical_notes = models.TextField(blank=True)
    screening = models.JSONField(
        default=list, blank=True,
        help_text="The screening rules that matched at the assessment, as they read then "
                  "(condition, label, effect, outcome, when last present).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["patient", "outcome"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended_sessions__isnull=True)
                | Q(recommended_sessions__gte=3, recommended_sessions__lte=6),
                name="consultation_sessions_3_to_6",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="eligible") | Q(recommended_sessions__isnull=False, assessed_at__isnull=False),
                name="consultation_eligible_has_plan",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="deferred") | Q(deferred_until__isnull=False),
                name="consultation_deferred_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Consultation for {self.patient} ({self.get_outcome_display()})"


class AreaDepth(models.Model):
    """A treatment area and its needle depth: planned at a consultation, used at a session."""

    area = models.CharField(max_length=16, choices=TreatmentArea.choices)
    depth_mm = models.DecimalField(
        max_digits=3,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(MIN_DEPTH_MM)), MaxValueValidator(Decimal(MAX_DEPTH_MM))],
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_area_display()} {self.depth_mm} mm"


# The database holds the depth bounds too; each concrete model names its own constraint.
DEPTH_IN_RANGE = Q(depth_mm__gte=Decimal(MIN_DEPTH_MM), depth_mm__lte=Decimal(MAX_DEPTH_MM))


class RecommendedArea(AreaDepth):
    """One area of the recommended plan, with the needle depth the provider chose."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="recommended_areas")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consultation", "area"], name="recommended_area_once_per_consultation"),
            models.CheckConstraint(condition=DEPTH_IN_RANGE, name="recommended_area_depth_0_5_to_2_5_mm"),
        ]


class ScreeningRule(models.Model):
    """A condition the provider screens for at a consultation, and what it means for a
    series: the clinic edits these in the admin; the assessment reads them."""

    class Effect(models.TextChoices):
        BLOCK = "block", "Blocks a series"
        CAUTION = "caution", "Caution a provider must acknowledge"

    class BlockOutcome(models.TextChoices):
        DEFERRED = "deferred", "Deferred: re-consult later"
        NOT_ELIGIBLE = "not_eligible", "Not eligible"

    condition = models.SlugField(
        max_length=60, unique=True, help_text="The code staff record when they find it, e.g. isotretinoin."
    )
    label = models.CharField(max_length=160, help_text="As staff read it, e.g. Isotretinoin in the last 6 months.")
    effect = models.CharField(max_length=8, choices=Effect.choices)
    block_outcome = models.CharField(max_length=16, choices=BlockOutcome.choices, blank=True)
    lookback_days = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Applies when the condition was present within this many days before the consultation "
                  "(the date it was last present is then required). Empty: applies when present now.",
    )
    defer_days = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="For a deferral of a present condition: re-consult after this many days. A look-back rule "
                  "defers until its window has passed.",
    )
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["condition"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effect="caution", block_outcome="")
                | Q(effect="block", block_outcome__in=["deferred", "not_eligible"]),
                name="screening_rule_block_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(block_outcome="deferred") | Q(defer_days__isnull=False) | Q(lookback_days__isnull=False),
                name="screening_rule_deferral_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return self.label


# --- Intake: the health questions a patient answers before a consultation ---------------
class IntakeQuestion(models.Model):
    """One question of the clinic's health questionnaire, as data the clinic edits."""

    class AnswerType(models.TextChoices):
        YES_NO = "yes_no", "Yes or no"
        CHOICE = "choice", "One of a list"
        DATE = "date", "A date"
        TEXT = "text", "Free text"

    key = models.SlugField(max_length=60, unique=True, help_text="A short name that stays when the wording changes.")
    text = models.CharField(max_length=240, help_text="As the patient reads it.")
    help_text = models.CharField(max_length=300, blank=True)
    answer_type = models.CharField(max_length=8, choices=AnswerType.choices)
    choices = models.JSONField(default=list, blank=True, help_text="For a choice: the answers offered, in order.")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class IntakeSuggestion(models.Model):
    """An answer that suggests a screening finding to the provider: "yes", one of a
    choice's answers, or for a date question any date (the date the condition was last
    present). The provider confirms or not at the assessment."""

    question = models.ForeignKey(IntakeQuestion, on_delete=models.CASCADE, related_name="suggestions")
    answer = models.CharField(max_length=120, blank=True, help_text="Empty for a date question: any date given.")
    rule = models.ForeignKey(ScreeningRule, on_delete=models.CASCADE, related_name="intake_suggestions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "answer", "rule"], name="intake_suggestion_once"),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}={self.answer or 'a date'} suggests {self.rule.condition}"


class Intake(models.Model):
    """A patient's answers before one consultation; editable by the patient until the
    consultation starts, read-only after."""

    consultation = models.OneToOneField(Consultation, on_delete=models.CASCADE, related_name="intake")
    submitted_at = models.DateTimeField(help_text="First sent by the patient.")
    updated_at = models.DateTimeField(help_text="Last changed by the patient.")

    def __str__(self) -> str:
        return f"Health questions for {self.consultation}"


class IntakeAnswer(models.Model):
    """One answer, with the question's words as the patient read them."""

    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(IntakeQuestion, on_delete=models.PROTECT, related_name="answers")
    question_text = models.CharField(max_length=240)
    answer = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["question__order", "question_id"]
        constraints = [
            models.UniqueConstraint(fields=["intake", "question"], name="intake_answer_once_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question_text}: {self.answer}"
