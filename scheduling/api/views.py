"""The scheduling API: availability, series (propose, hold, confirm, pause, resume,
cancel the rest, maintenance) and appointments (diary, reschedule, cancel, check in,
complete, no-show). Each view validates, calls one service and serializes."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from clinic.api.idempotency import idempotent
from clinic.api.views import ClinicApi
from clinic.errors import InvalidRequest
from clinic.models import Location
from clinic.roles import CLINICAL, DESK
from patients.models import Consultation

from .. import selectors, services, visibility
from ..models import Appointment, TreatmentSeries
from ..planner import Plan, Preferences
from . import serializers as s

TAG_SERIES, TAG_VISITS, TAG_AVAILABILITY = ["series"], ["appointments"], ["availability"]


def _plan_data(plan: Plan, *, consultation: Consultation, location: Location) -> dict:
    return {
        "proposal": services.proposal_sign(consultation=consultation, location=location, plan=plan),
        "score": plan.score,
        "completion": plan.completion,
        "visits": plan.visits,
    }


def _plan_result(result, *, consultation: Consultation, location: Location) -> dict:
    return {
        "best": _plan_data(result.best, consultation=consultation, location=location) if result.best else None,
        "alternatives": [_plan_data(p, consultation=consultation, location=location) for p in result.alternatives],
        "problem": result.problem,
    }


# --- Availability ---------------------------------------------------------------------
class AvailabilityApi(ClinicApi):
    """Free times for one visit of a kind at a location, with any provider or one.

    The answer comes from `services.availability_answer`; for ranges up to a week with
    no patient it is kept briefly under a fingerprint of the diary, and the same question
    asked again is answered from it before anything is looked up. Booking always
    re-checks everything."""

    @extend_schema(
        parameters=[s.AvailabilityIn], responses=s.SlotOut(many=True), summary="Free slots", tags=TAG_AVAILABILITY
    )
    def get(self, request):
        render = self._render_slots
        repeat = None if "patient" in request.query_params else self.query_or_none(s.AvailabilityRepeatIn)
        fingerprint = None
        if repeat is not None:
            answer, fingerprint = services.availability_answer_kept(
                location_id=int(repeat["location"]),
                kind=repeat["kind"],
                start=repeat["start"],
                end=repeat["end"],
                areas=sorted(repeat.get("areas") or []),
                provider_id=int(repeat["provider"]) if "provider" in repeat else None,
                limit=repeat["limit"],
                render=render,
            )
            if answer is not None:
                return self.rendered(answer)
        data = self.query(s.AvailabilityIn)
        answer = services.availability_answer(
            location=data["location"],
            kind=data["kind"],
            start=data["start"],
            end=data["end"],
            areas=sorted(data.get("areas") or []),
            provider=data.get("provider"),
            patient=data.get("patient"),
            limit=data["limit"],
            render=render,
            fingerprint=fingerprint,
        )
        return self.rendered(answer)

    def _render_slots(self, slots) -> bytes:
        return self.render_json(s.SlotOut(slots, many=True).data)


# --- Series: propose, hold, confirm ---------------------------------------------------
class ProposalApi(ClinicApi):
    """The planner's best whole series for an eligible consultation, with alternatives.
    Nothing is reserved: hold a plan to keep its slots while the patient decides."""

    roles = DESK

    @extend_schema(request=s.ProposalIn, responses={200: s.PlanResultOut}, summary="Propose a series", tags=TAG_SERIES)
    def post(self, request):
        data = self.validated(s.ProposalIn, request.data)
        consultation = get_object_or_404(Consultation.objects.select_related("patient"), pk=data["consultation"].pk)
        prefs = data.get("preferences") or {}
        preferences = Preferences(
            provider_id=prefs["provider"].pk if prefs.get("provider") else None,
            weekdays=frozenset(prefs["weekdays"]) if prefs.get("weekdays") else None,
            earliest_time=prefs.get("earliest_time"),
            latest_time=prefs.get("latest_time"),
            strict=prefs.get("strict", False),
        )
        result = services.series_propose(
            consultation=consultation,
            location=data["location"],
            earliest_start=data.get("earliest_start"),
            session_count=data.get("session_count"),
            target_interval_days=data.get("target_interval_days"),
            preferences=preferences,
            alternatives=data["alternatives"],
        )
        body = _plan_result(result, consultation=consultation, location=data["location"])
        return Response(s.PlanResultOut(body).data)


class HoldCreateApi(ClinicApi):
    """Hold a proposed series for a few minutes: no other desk can take its slots."""

    roles = DESK

    @extend_schema(request=s.ProposalTokenIn, responses={201: s.HoldOut}, summary="Hold a proposal", tags=TAG_SERIES)
    @idempotent
    def post(self, request):
        data = self.validated(s.ProposalTokenIn, request.data)
        consultation, location, plan = services.proposal_read(token=data["proposal"])
        if not plan.sessions:
            raise InvalidRequest(
                "This proposal has no treatment sessions.", details={"proposal": ["Not a series proposal."]}
            )
        hold = services.series_hold(consultation=consultation, location=location, plan=plan, held_by=request.user)
        return Response(s.HoldOut(hold).data, status=status.HTTP_201_CREATED)


class HoldApi(ClinicApi):
    roles = DESK

    def _hold(self, hold_id):
        return get_object_or_404(visibility.hold_visible(provider=self.scope()), pk=hold_id)

    @extend_schema(responses=s.HoldOut, summary="A hold", tags=TAG_SERIES)
    def get(self, request, hold_id):
        return Response(s.HoldOut(self._hold(hold_id)).data)

    @extend_schema(responses={204: None}, summary="Release a hold", tags=TAG_SERIES)
    def delete(self, request, hold_id):
        services.hold_release(hold=self._hold(hold_id), released_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HoldConfirmApi(ClinicApi):
    """Book every visit of a held proposal as one series, or none of them. If another
    desk took a slot meanwhile the answer is 409 with `conflicts`."""

    roles = DESK

    @extend_schema(request=None, responses={201: s.SeriesOut}, summary="Confirm a held series", tags=TAG_SERIES)
    @idempotent
    def post(self, request, hold_id):
        hold = get_object_or_404(visibility.hold_visible(provider=self.scope()), pk=hold_id)
        series = services.series_confirm(hold=hold, confirmed_by=request.user)
        series = selectors.series_with_visits(provider=None).get(pk=series.pk)
        return Response(s.SeriesOut(series, context=self.context()).data, status=status.HTTP_201_CREATED)


class SeriesListApi(ClinicApi):
    @extend_schema(parameters=[s.SeriesFilterIn], responses=s.SeriesOut(many=True), summary="Series", tags=TAG_SERIES)
    def get(self, request):
        filters = self.query(s.SeriesFilterIn)
        series = selectors.series_list(
            provider=self.scope(),
            patient=filters.get("patient"),
            statuses=filters.get("status") or (),
            location=filters.get("location"),
        )
        return self.page(series, s.SeriesOut)


class SeriesApiBase(ClinicApi):
    def _series(self, series_id) -> TreatmentSeries:
        return get_object_or_404(selectors.series_with_visits(provider=self.scope()), pk=series_id)

    def _answer(self, series: TreatmentSeries) -> Response:
        fresh = selectors.series_with_visits(provider=None).get(pk=series.pk)
        return Response(s.SeriesOut(fresh, context=self.context()).data)


class SeriesDetailApi(SeriesApiBase):
    @extend_schema(responses=s.SeriesOut, summary="A series with its visits", tags=TAG_SERIES)
    def get(self, request, series_id):
        return Response(s.SeriesOut(self._series(series_id), context=self.context()).data)


class SeriesPauseApi(SeriesApiBase):
    roles = DESK

    @extend_schema(request=s.ReasonIn, responses=s.SeriesOut, summary="Pause a series", tags=TAG_SERIES)
    def post(self, request, series_id):
        data = self.validated(s.ReasonIn, request.data)
        series = services.series_pause(series=self._series(series_id), reason=data["reason"], paused_by=request.user)
        return self._answer(series)


class SeriesResumeApi(SeriesApiBase):
    """Resume a paused series (the desk) or release one on hold after a rare side effect
    (a provider, having reviewed it)."""

    @extend_schema(request=s.ResumeIn, responses=s.SeriesOut, summary="Resume a series", tags=TAG_SERIES)
    def post(self, request, series_id):
        data = self.validated(s.ResumeIn, request.data)
        series = self._series(series_id)
        refusal = visibility.series_resume_refusal(series=series, user=request.user)
        if refusal:
            raise PermissionDenied(refusal)
        series = services.series_resume(series=series, resumed_by=request.user, note=data["note"])
        return self._answer(series)


class SeriesCancelRemainderApi(SeriesApiBase):
    roles = DESK

    @extend_schema(request=s.ReasonIn, responses=s.SeriesOut, summary="Cancel the rest of a series", tags=TAG_SERIES)
    def post(self, request, series_id):
        data = self.validated(s.ReasonIn, request.data)
        series = self._series(series_id)
        services.series_cancel_remainder(series=series, reason=data["reason"], cancelled_by=request.user)
        return self._answer(series)


class MaintenanceProposalApi(SeriesApiBase):
    roles = DESK

    @extend_schema(
        request=s.MaintenanceProposalIn,
        responses={200: s.PlanResultOut},
        summary="Propose maintenance visits",
        tags=TAG_SERIES,
    )
    def post(self, request, series_id):
        data = self.validated(s.MaintenanceProposalIn, request.data)
        series = self._series(series_id)
        result = services.maintenance_propose(series=series, count=data["count"], alternatives=data["alternatives"])
        body = _plan_result(result, consultation=series.consultation, location=series.location)
        return Response(s.PlanResultOut(body).data)


class MaintenanceBookApi(SeriesApiBase):
    roles = DESK

    @extend_schema(
        request=s.ProposalTokenIn,
        responses={201: s.AppointmentOut(many=True)},
        summary="Book proposed maintenance visits",
        tags=TAG_SERIES,
    )
    @idempotent
    def post(self, request, series_id):
        data = self.validated(s.ProposalTokenIn, request.data)
        series = self._series(series_id)
        consultation, location, plan = services.proposal_read(token=data["proposal"])
        if consultation.pk != series.consultation_id or location.pk != series.location_id or not plan.maintenance:
            raise InvalidRequest(
                "This proposal is not a maintenance proposal for this series.",
                details={"proposal": ["Not for this series."]},
            )
        booked = services.maintenance_book(series=series, plan=plan, booked_by=request.user)
        visits = (
            visibility.appointment_visible(provider=None)
            .filter(pk__in=[a.pk for a in booked])
            .order_by("starts_at")
        )
        return Response(
            s.AppointmentOut(visits, many=True, context=self.context()).data, status=status.HTTP_201_CREATED
        )


# --- Appointments ---------------------------------------------------------------------
class AppointmentListApi(ClinicApi):
    """The diary: filter by time range, location, provider, room, patient, series, kind
    and status (repeat kind or status for several)."""

    @extend_schema(
        parameters=[s.AppointmentFilterIn],
        responses=s.AppointmentOut(many=True),
        summary="Appointments",
        tags=TAG_VISITS,
    )
    def get(self, request):
        f = self.query(s.AppointmentFilterIn)
        appointments = selectors.appointment_list(
            provider=self.scope(),
            starts_after=f.get("starts_after"),
            starts_before=f.get("starts_before"),
            location=f.get("location"),
            with_provider=f.get("provider"),
            room=f.get("room"),
            patient=f.get("patient"),
            series=f.get("series"),
            kinds=f.get("kind") or (),
            statuses=f.get("status") or (),
        )
        return self.page(appointments, s.AppointmentOut)


class AppointmentApiBase(ClinicApi):
    def _appointment(self, appointment_id) -> Appointment:
        return get_object_or_404(visibility.appointment_visible(provider=self.scope()), pk=appointment_id)

    def _answer(self, appointment: Appointment, code=status.HTTP_200_OK) -> Response:
        fresh = visibility.appointment_visible(provider=None).get(pk=appointment.pk)
        return Response(s.AppointmentOut(fresh, context=self.context()).data, status=code)


class AppointmentDetailApi(AppointmentApiBase):
    @extend_schema(responses=s.AppointmentOut, summary="An appointment", tags=TAG_VISITS)
    def get(self, request, appointment_id):
        return Response(s.AppointmentOut(self._appointment(appointment_id), context=self.context()).data)


def _preview_data(preview) -> dict:
    return {
        "appointment_id": preview.appointment_id,
        "ok": preview.ok,
        "message": preview.message,
        "changes": preview.changes,
        "cancelled": preview.cancelled,
        "problem": preview.problem,
    }


class ReschedulePreviewApi(AppointmentApiBase):
    """What moving this visit would change (later sessions pushed back into their
    window, follow-ups moved with them), before anything is saved."""

    roles = DESK

    @extend_schema(
        request=s.RescheduleIn, responses=s.ReschedulePreviewOut, summary="Preview a reschedule", tags=TAG_VISITS
    )
    def post(self, request, appointment_id):
        data = self.validated(s.RescheduleIn, request.data)
        preview = services.appointment_reschedule_preview(
            appointment=self._appointment(appointment_id), new_start=data["starts_at"], provider=data.get("provider")
        )
        return Response(s.ReschedulePreviewOut(_preview_data(preview)).data)


class RescheduleApi(AppointmentApiBase):
    """Apply the move the preview showed, in one transaction (409 if it no longer fits)."""

    roles = DESK

    @extend_schema(request=s.RescheduleIn, responses=s.AppointmentOut(many=True), summary="Reschedule", tags=TAG_VISITS)
    @idempotent
    def post(self, request, appointment_id):
        data = self.validated(s.RescheduleIn, request.data)
        changed = services.appointment_reschedule(
            appointment=self._appointment(appointment_id),
            new_start=data["starts_at"],
            provider=data.get("provider"),
            changed_by=request.user,
        )
        visits = (
            visibility.appointment_visible(provider=None)
            .filter(pk__in=[a.pk for a in changed])
            .order_by("starts_at")
        )
        return Response(s.AppointmentOut(visits, many=True, context=self.context()).data)


class CancelApi(AppointmentApiBase):
    """Cancel with a reason; inside the location's notice period it is marked late."""

    roles = DESK

    @extend_schema(request=s.ReasonIn, responses=s.AppointmentOut, summary="Cancel", tags=TAG_VISITS)
    @idempotent
    def post(self, request, appointment_id):
        data = self.validated(s.ReasonIn, request.data)
        appointment = services.appointment_cancel(
            appointment=self._appointment(appointment_id), reason=data["reason"], cancelled_by=request.user
        )
        return self._answer(appointment)


class CheckInApi(AppointmentApiBase):
    @extend_schema(request=None, responses=s.AppointmentOut, summary="Check in", tags=TAG_VISITS)
    def post(self, request, appointment_id):
        appointment = services.appointment_check_in(
            appointment=self._appointment(appointment_id), checked_in_by=request.user
        )
        return self._answer(appointment)


class CompleteApi(AppointmentApiBase):
    """A provider records the visit: for a treatment, areas with needle depth, device and
    side effects. A rare side effect puts the series on hold."""

    roles = CLINICAL

    @extend_schema(request=s.CompleteIn, responses=s.AppointmentOut, summary="Complete", tags=TAG_VISITS)
    def post(self, request, appointment_id):
        data = self.validated(s.CompleteIn, request.data)
        appointment = services.appointment_complete(
            appointment=self._appointment(appointment_id),
            areas=data["areas"],
            device=data["device"],
            side_effects=data["side_effects"],
            notes=data["notes"],
            completed_by=request.user,
        )
        return self._answer(appointment)


class NoShowApi(AppointmentApiBase):
    @extend_schema(request=None, responses=s.AppointmentOut, summary="Mark a no-show", tags=TAG_VISITS)
    def post(self, request, appointment_id):
        appointment = services.appointment_mark_no_show(
            appointment=self._appointment(appointment_id), marked_by=request.user
        )
        return self._answer(appointment)
