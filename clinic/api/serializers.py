"""Output pieces every part of the API shares."""

from rest_framework import serializers


class ClinicalFieldsMixin:
    """Leaves out clinical fields (notes, side effects, screening detail) unless the
    serializer context says the caller may read them (providers and clinic admins)."""

    clinical_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("clinical", False):
            for name in self.clinical_fields:
                data.pop(name, None)
        return data


class NamedRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProviderRef(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class PatientRef(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class MessageOut(serializers.Serializer):
    detail = serializers.CharField()
