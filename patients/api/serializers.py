"""Input and output shapes for patients, consultations and screening rules."""


from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from clinic.api.fields import NeedleDepthsField, SafeDateField
from clinic.api.serializers import ClinicalFieldsMixin, PatientRef, ProviderRef
from clinic.validators import validate_person_name, validate_time_zone
from scheduling.api.serializers import AppointmentBriefOut, SeriesBriefOut

from ..choices import Channel, FitzpatrickType, SkinConcern, TreatmentArea
from ..models import Consultation, ScreeningRule
from ..screening import consultation_cautions_open


# --- Patients -------------------------------------------------------------------------
class PatientOut(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    full_name = serializers.CharField()
    date_of_birth = serializers.DateField()
    email = serializers.EmailField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=Channel.choices)
    consent_email = serializers.BooleanField()
    consent_sms = serializers.BooleanField()
    time_zone = serializers.CharField()
    fitzpatrick_type = serializers.IntegerField(allow_null=True)
    skin_concerns = serializers.ListField(child=serializers.ChoiceField(choices=SkinConcern.choices))
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = str(instance.phone) if instance.phone else ""
        return data


class ConsultationBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Consultation.Outcome.choices)
    deferred_until = serializers.DateField(allow_null=True)
    assessed_at = serializers.DateTimeField(allow_null=True)
    provider = ProviderRef(allow_null=True)
    created_at = serializers.DateTimeField()


class PatientDetailOut(PatientOut):
    consultations = ConsultationBriefOut(many=True)
    series = SeriesBriefOut(many=True)
    appointments = AppointmentBriefOut(many=True)


class PatientIn(serializers.Serializer):
    first_name = serializers.CharField(max_length=80, validators=[validate_person_name])
    last_name = serializers.CharField(max_length=80, validators=[validate_person_name])
    date_of_birth = SafeDateField()
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    phone = PhoneNumberField(
        required=False, allow_blank=True, error_messages={"invalid": "Give a valid phone number, e.g. +447700900123."}
    )
    preferred_channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])
    fitzpatrick_type = serializers.ChoiceField(choices=FitzpatrickType.choices, required=False, allow_null=True)
    skin_concerns = serializers.ListField(
        child=serializers.ChoiceField(choices=SkinConcern.choices), required=False, max_length=len(SkinConcern.values)
    )

    def validate_skin_concerns(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Each concern may appear only once.")
        return value

    def validate(self, data):
        data = super().validate(data)
        if "phone" in data:
            data["phone"] = str(data["phone"]) if data["phone"] else ""
        return data


class PatientSearchIn(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200, help_text="A name, an email or a phone number.")
    name = serializers.CharField(required=False, max_length=200)
    phone = serializers.CharField(required=False, max_length=40)
    email = serializers.CharField(required=False, max_length=254)
    date_of_birth = SafeDateField(required=False)


# --- Consultations --------------------------------------------------------------------
class RecommendedAreaOut(serializers.Serializer):
    area = serializers.ChoiceField(choices=TreatmentArea.choices)
    depth_mm = serializers.DecimalField(max_digits=3, decimal_places=2)


class ScreeningMatchOut(serializers.Serializer):
    condition = serializers.CharField()
    label = serializers.CharField()
    effect = serializers.CharField()
    outcome = serializers.CharField(allow_null=True)
    last_present_on = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True, required=False)


class CautionLabelsField(serializers.ListField):
    """The labels of the caution rules a consultation matched: an optional output field
    (clinical, so left out for the desk), which a method field cannot be in the schema."""

    def __init__(self, **kwargs) -> None:
        super().__init__(child=serializers.CharField(), source="*", required=False, **kwargs)

    def to_representation(self, consultation):
        labels = [m["label"] for m in consultation.screening if m.get("effect") == ScreeningRule.Effect.CAUTION]
        return super().to_representation(labels)


class ConsultationOut(ClinicalFieldsMixin, serializers.Serializer):
    """A consultation. The screening detail, which caution matched (the hyperpigmentation
    flag among them) and clinical notes go to its provider and clinic admins only; the
    desk sees the outcome and whether a caution is open (`caution_pending`)."""

    clinical_fields = ("contraindications", "screening", "clinical_notes", "cautions", "hyperpigmentation_caution")

    id = serializers.IntegerField()
    patient = PatientRef()
    provider = ProviderRef(allow_null=True)
    visit = serializers.SerializerMethodField()
    outcome = serializers.ChoiceField(choices=Consultation.Outcome.choices)
    deferred_until = serializers.DateField(allow_null=True)
    assessed_at = serializers.DateTimeField(allow_null=True)
    concerns = serializers.ListField(child=serializers.ChoiceField(choices=SkinConcern.choices))
    recommended_sessions = serializers.IntegerField(allow_null=True)
    recommended_areas = RecommendedAreaOut(many=True)
    hyperpigmentation_caution = serializers.BooleanField(required=False)
    caution_pending = serializers.SerializerMethodField(help_text="A provider must acknowledge a caution first.")
    caution_acknowledged_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    contraindications = serializers.ListField(child=serializers.CharField(), required=False)
    screening = ScreeningMatchOut(many=True, required=False)
    cautions = CautionLabelsField()
    clinical_notes = serializers.CharField(required=False)

    @extend_schema_field(AppointmentBriefOut(allow_null=True))
    def get_visit(self, consultation):
        visit = getattr(consultation, "visit", None)
        return AppointmentBriefOut(visit).data if visit is not None else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_caution_pending(self, consultation) -> bool:
        return bool(consultation_cautions_open(consultation))


class ConsultationFilterIn(serializers.Serializer):
    patient = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    outcome = serializers.MultipleChoiceField(choices=Consultation.Outcome.choices, required=False)


class FindingIn(serializers.Serializer):
    condition = serializers.SlugField(max_length=60, help_text="A screening rule's condition, e.g. isotretinoin.")
    last_present_on = SafeDateField(
        required=False, allow_null=True, help_text="When it was last present (needed for look-back rules)."
    )


class AssessmentIn(serializers.Serializer):
    findings = FindingIn(many=True, required=False, default=list, max_length=50)
    fitzpatrick_type = serializers.ChoiceField(choices=FitzpatrickType.choices, required=False, allow_null=True)
    concerns = serializers.ListField(
        child=serializers.ChoiceField(choices=SkinConcern.choices),
        required=False,
        default=list,
        max_length=len(SkinConcern.values),
    )
    recommended_sessions = serializers.IntegerField(
        required=False, allow_null=True, error_messages={"invalid": "Give a whole number of sessions."}
    )
    areas = NeedleDepthsField(example="1.00")
    clinical_notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)
    outcome = serializers.ChoiceField(
        choices=[c for c in Consultation.Outcome.choices if c[0] != "pending"],
        required=False,
        help_text="Leave out to let screening decide; a stricter outcome than screening's is allowed.",
    )
    deferred_until = SafeDateField(required=False, help_text="For a deferral the screening rules do not date.")

# --- Screening rules ------------------------------------------------------------------
class ScreeningRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScreeningRule
        fields = [
            "id",
            "condition",
            "label",
            "effect",
            "block_outcome",
            "lookback_days",
            "defer_days",
            "is_active",
            "notes",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {
            "lookback_days": {"max_value": 3650},
            "defer_days": {"max_value": 3650},
            "condition": {"validators": []},
        }

    def validate(self, data):
        effect = data.get("effect", getattr(self.instance, "effect", None))
        outcome = data.get("block_outcome", getattr(self.instance, "block_outcome", ""))
        lookback = data.get("lookback_days", getattr(self.instance, "lookback_days", None))
        defer = data.get("defer_days", getattr(self.instance, "defer_days", None))
        if effect == ScreeningRule.Effect.BLOCK and outcome not in ScreeningRule.BlockOutcome.values:
            raise serializers.ValidationError({"block_outcome": ["A blocking rule says deferred or not eligible."]})
        if effect == ScreeningRule.Effect.CAUTION and outcome:
            raise serializers.ValidationError({"block_outcome": ["A caution does not block; leave this empty."]})
        if outcome == ScreeningRule.BlockOutcome.DEFERRED and lookback is None and defer is None:
            raise serializers.ValidationError(
                {"defer_days": ["Say how many days to defer, or give a look-back window."]}
            )
        condition = data.get("condition")
        if (
            condition
            and ScreeningRule.objects.exclude(pk=getattr(self.instance, "pk", None))
            .filter(condition=condition)
            .exists()
        ):
            raise serializers.ValidationError({"condition": ["A rule for this condition already exists."]})
        return data
