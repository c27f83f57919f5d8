"""The patients API: patients (register, find, update), consultations (book, assess,
acknowledge a caution) and the clinic's screening rules."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from clinic.api.idempotency import idempotent
from clinic.api.views import ClinicApi
from clinic.roles import ADMIN, ALL_ROLES, CLINICAL, DESK
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.api.serializers import ConsultationBookIn
from scheduling.visibility import patient_visible

from .. import selectors, services
from ..models import Consultation, ScreeningRule
from ..screening import Finding
from . import serializers as s

TAG_PATIENTS, TAG_CONSULTATIONS, TAG_RULES = ["patients"], ["consultations"], ["screening rules"]


class PatientsApi(ClinicApi):
    """Find patients (by any of name, phone, email, date of birth) or register one."""

    roles_by_method = {"GET": ALL_ROLES, "POST": DESK}

    @extend_schema(
        parameters=[s.PatientSearchIn], responses=s.PatientOut(many=True), summary="Find patients", tags=TAG_PATIENTS
    )
    def get(self, request):
        f = self.query(s.PatientSearchIn)
        patients = selectors.patient_search(
            patients=patient_visible(provider=self.scope()),
            q=f.get("q", ""),
            name=f.get("name", ""),
            phone=f.get("phone", ""),
            email=f.get("email", ""),
            date_of_birth=f.get("date_of_birth"),
        )
        return self.page(patients, s.PatientOut)

    @extend_schema(request=s.PatientIn, responses={201: s.PatientOut}, summary="Register a patient", tags=TAG_PATIENTS)
    @idempotent
    def post(self, request):
        data = self.validated(s.PatientIn, request.data)
        patient = services.patient_create(created_by=request.user, **data)
        return Response(s.PatientOut(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailApi(ClinicApi):
    """A patient with their consultations, series and appointments."""

    roles_by_method = {"GET": ALL_ROLES, "PATCH": DESK, "DELETE": DESK}

    def _patient(self, patient_id):
        return get_object_or_404(scheduling_selectors.patient_detail(provider=self.scope()), pk=patient_id)

    @extend_schema(responses=s.PatientDetailOut, summary="A patient", tags=TAG_PATIENTS)
    def get(self, request, patient_id):
        return Response(s.PatientDetailOut(self._patient(patient_id), context=self.context()).data)

    @extend_schema(
        request=s.PatientIn(partial=True), responses=s.PatientDetailOut, summary="Update a patient", tags=TAG_PATIENTS
    )
    def patch(self, request, patient_id):
        patient = self._patient(patient_id)
        serializer = s.PatientIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.patient_update(patient=patient, updated_by=request.user, **serializer.validated_data)
        return Response(s.PatientDetailOut(self._patient(patient_id), context=self.context()).data)

    @extend_schema(responses={204: None}, summary="Remove a patient registered by mistake", tags=TAG_PATIENTS)
    def delete(self, request, patient_id):
        services.patient_delete(patient=self._patient(patient_id), deleted_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsultationsApi(ClinicApi):
    """Consultations (filtered to the caller's), or book a consultation visit."""

    roles_by_method = {"GET": ALL_ROLES, "POST": DESK}

    @extend_schema(
        parameters=[s.ConsultationFilterIn],
        responses=s.ConsultationOut(many=True),
        summary="Consultations",
        tags=TAG_CONSULTATIONS,
    )
    def get(self, request):
        f = self.query(s.ConsultationFilterIn)
        consultations = selectors.consultation_visible(provider=self.scope())
        if "patient" in f:
            consultations = consultations.filter(patient_id=f["patient"])
        if f.get("outcome"):
            consultations = consultations.filter(outcome__in=list(f["outcome"]))
        return self.page(consultations, s.ConsultationOut)

    @extend_schema(
        request=ConsultationBookIn,
        responses={201: s.ConsultationOut},
        summary="Book a consultation",
        tags=TAG_CONSULTATIONS,
    )
    @idempotent
    def post(self, request):
        data = self.validated(ConsultationBookIn, request.data)
        visit = scheduling_services.consultation_book(
            patient=data["patient"],
            location=data["location"],
            provider=data["provider"],
            starts_at=data["starts_at"],
            room=data.get("room"),
            booked_by=request.user,
        )
        consultation = selectors.consultation_visible(provider=None).get(pk=visit.consultation_id)
        return Response(s.ConsultationOut(consultation, context=self.context()).data, status=status.HTTP_201_CREATED)


class ConsultationApiBase(ClinicApi):
    def _consultation(self, consultation_id) -> Consultation:
        return get_object_or_404(selectors.consultation_visible(provider=self.scope()), pk=consultation_id)

    def _answer(self, consultation: Consultation) -> Response:
        fresh = selectors.consultation_visible(provider=None).get(pk=consultation.pk)
        return Response(s.ConsultationOut(fresh, context=self.context()).data)


class ConsultationDetailApi(ConsultationApiBase):
    @extend_schema(responses=s.ConsultationOut, summary="A consultation", tags=TAG_CONSULTATIONS)
    def get(self, request, consultation_id):
        return Response(s.ConsultationOut(self._consultation(consultation_id), context=self.context()).data)


class AssessmentApi(ConsultationApiBase):
    """A provider records the assessment; the clinic's screening rules set the outcome
    (active acne, eczema, rosacea, infection and the clinic's own rules), and
    Fitzpatrick IV-VI adds the hyperpigmentation caution to acknowledge."""

    roles = CLINICAL

    @extend_schema(
        request=s.AssessmentIn, responses=s.ConsultationOut, summary="Record the assessment", tags=TAG_CONSULTATIONS
    )
    def post(self, request, consultation_id):
        data = self.validated(s.AssessmentIn, request.data)
        consultation = scheduling_services.consultation_assess(
            consultation=self._consultation(consultation_id),
            assessed_by=request.user,
            findings=[Finding(f["condition"], f.get("last_present_on")) for f in data["findings"]],
            fitzpatrick_type=data.get("fitzpatrick_type"),
            concerns=data["concerns"],
            recommended_sessions=data.get("recommended_sessions"),
            areas=data["areas"],
            clinical_notes=data["clinical_notes"],
            outcome=data.get("outcome"),
            deferred_until=data.get("deferred_until"),
        )
        return self._answer(consultation)


class AcknowledgeCautionApi(ConsultationApiBase):
    roles = CLINICAL

    @extend_schema(request=None, responses=s.ConsultationOut, summary="Acknowledge the caution", tags=TAG_CONSULTATIONS)
    def post(self, request, consultation_id):
        consultation = services.consultation_acknowledge_caution(
            consultation=self._consultation(consultation_id), acknowledged_by=request.user
        )
        return self._answer(consultation)


class ScreeningRulesApi(ClinicApi):
    """The clinic's screening rules: everyone reads them, clinic admins change them."""

    roles_by_method = {"GET": ALL_ROLES, "POST": ADMIN}
    pagination_class = None

    @extend_schema(responses=s.ScreeningRuleSerializer(many=True), summary="Screening rules", tags=TAG_RULES)
    def get(self, request):
        return Response(s.ScreeningRuleSerializer(selectors.screening_rules(), many=True).data)

    @extend_schema(
        request=s.ScreeningRuleSerializer,
        responses={201: s.ScreeningRuleSerializer},
        summary="Add a screening rule",
        tags=TAG_RULES,
    )
    @idempotent
    def post(self, request):
        data = self.validated(s.ScreeningRuleSerializer, request.data)
        rule = services.screening_rule_create(created_by=request.user, **data)
        return Response(s.ScreeningRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class ScreeningRuleDetailApi(ClinicApi):
    roles_by_method = {"GET": ALL_ROLES, "PATCH": ADMIN, "DELETE": ADMIN}

    def _rule(self, rule_id) -> ScreeningRule:
        return get_object_or_404(selectors.screening_rules(), pk=rule_id)

    @extend_schema(responses=s.ScreeningRuleSerializer, summary="A screening rule", tags=TAG_RULES)
    def get(self, request, rule_id):
        return Response(s.ScreeningRuleSerializer(self._rule(rule_id)).data)

    @extend_schema(
        request=s.ScreeningRuleSerializer(partial=True),
        responses=s.ScreeningRuleSerializer,
        summary="Change a screening rule",
        tags=TAG_RULES,
    )
    def patch(self, request, rule_id):
        rule = self._rule(rule_id)
        serializer = s.ScreeningRuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.screening_rule_update(rule=rule, updated_by=request.user, **serializer.validated_data)
        return Response(s.ScreeningRuleSerializer(rule).data)

    @extend_schema(responses={204: None}, summary="Remove a screening rule", tags=TAG_RULES)
    def delete(self, request, rule_id):
        services.screening_rule_delete(rule=self._rule(rule_id), deleted_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
