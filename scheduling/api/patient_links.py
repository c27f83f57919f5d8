"""The patient-link API: no login; the signed token is the only key, and it opens one visit."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from clinic.api.views import ClinicApi

from .. import services
from ..patient_links import ACTOR, CANCEL_REASON, patient_link_appointment, patient_view

TAGS = ["patient links"]


class PatientVisitOut(serializers.Serializer):
    appointment_id = serializers.IntegerField()
    what = serializers.CharField()
    local_start = serializers.CharField()
    location = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    status = serializers.CharField()
    can_confirm = serializers.BooleanField()
    can_cancel = serializers.BooleanField()
    late_if_cancelled = serializers.BooleanField(help_text="Cancelling now is inside the clinic's notice period.")


class PatientCancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PatientLinkApiBase(ClinicApi):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    extra_error_codes = ("410",)

    def _appointment(self, appointment_id, token):
        return patient_link_appointment(appointment_id=appointment_id, token=token)


class PatientLinkApi(PatientLinkApiBase):
    @extend_schema(responses=PatientVisitOut, summary="The visit a patient link is for", tags=TAGS, auth=[])
    def get(self, request, appointment_id, token):
        return Response(PatientVisitOut(patient_view(self._appointment(appointment_id, token))).data)


class PatientLinkConfirmApi(PatientLinkApiBase):
    @extend_schema(request=None, responses=PatientVisitOut, summary="The patient confirms", tags=TAGS, auth=[])
    def post(self, request, appointment_id, token):
        appointment = services.appointment_confirm_by_patient(appointment=self._appointment(appointment_id, token))
        return Response(PatientVisitOut(patient_view(appointment)).data)


class PatientLinkCancelApi(PatientLinkApiBase):
    @extend_schema(
        request=PatientCancelIn, responses=PatientVisitOut, summary="The patient cancels", tags=TAGS, auth=[]
    )
    def post(self, request, appointment_id, token):
        appointment = self._appointment(appointment_id, token)
        data = self.validated(PatientCancelIn, request.data)
        appointment = services.appointment_cancel(
            appointment=appointment, reason=data["reason"] or CANCEL_REASON, actor_label=ACTOR, by_patient=True
        )
        return Response(PatientVisitOut(patient_view(appointment)).data)
