"""Output pieces every part of the API shares."""

from rest_framework import serializers


class ClinicalFieldsMixin:
    """Leaves out clinical fields (notes, side effects, screening detail) unless the
    caller may read this record's clinical fields: the context's `clinical` is the
    login's scheduling.visibility.ClinicalReader, asked record by record, so a nested
    visit of another provider is shown without them. No reader: nothing clinical. Each
    record shown with its clinical fields is noted for the audit trail."""

    clinical_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        reader = self.context.get("clinical")
        if reader is None or not reader.reads(instance):
            for name in self.clinical_fields:
                data.pop(name, None)
        elif "clinical_reads" in self.context:
            self.context["clinical_reads"].append(instance)  # audited when the answer goes out
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
