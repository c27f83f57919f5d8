"""Calendar feeds: the .ics files at secret addresses, and the API that hands out and
rotates those addresses."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from clinic.api.views import ClinicApi
from clinic.models import Provider
from clinic.roles import ALL_ROLES, DESK, is_clinic_admin, provider_of

from ..calendar_feeds import calendar_token_ensure, calendar_token_rotate, patient_feed, provider_feed
from ..visibility import patient_visible
from .serializers import CalendarFeedOut

TAGS = ["calendar"]


@never_cache
@require_GET
def feed(request: HttpRequest, owner: str, token: str) -> HttpResponse:
    if owner not in ("providers", "patients"):
        raise Http404("No calendar at this address.")
    body = provider_feed(token=token) if owner == "providers" else patient_feed(token=token)
    if body is None:
        raise Http404("No calendar at this address.")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="needlepoint.ics"'
    return response


def _url(request, owner: str, token: str) -> str:
    return request.build_absolute_uri(reverse("calendar-feed", kwargs={"owner": owner, "token": token}))


class ProviderFeedBase(ClinicApi):
    roles = ALL_ROLES

    def _provider(self, provider_id) -> Provider:
        provider = get_object_or_404(Provider.objects.all(), pk=provider_id)
        mine = provider_of(self.request.user)
        if not is_clinic_admin(self.request.user) and (mine is None or mine.pk != provider.pk):
            raise PermissionDenied("Only the provider or a clinic admin may see this calendar address.")
        return provider


class ProviderFeedApi(ProviderFeedBase):
    """A provider's own feed address (the provider, or a clinic admin)."""

    @extend_schema(responses=CalendarFeedOut, summary="A provider's calendar feed address", tags=TAGS)
    def get(self, request, provider_id):
        token = calendar_token_ensure(owner=self._provider(provider_id))
        return Response({"url": _url(request, "providers", token)})


class ProviderFeedRotateApi(ProviderFeedBase):
    @extend_schema(request=None, responses=CalendarFeedOut, summary="Give a provider's feed a new address", tags=TAGS)
    def post(self, request, provider_id):
        token = calendar_token_rotate(owner=self._provider(provider_id), rotated_by=request.user)
        return Response({"url": _url(request, "providers", token)})


class PatientFeedBase(ClinicApi):
    roles = DESK

    def _patient(self, patient_id):
        return get_object_or_404(patient_visible(provider=self.scope()), pk=patient_id)


class PatientFeedApi(PatientFeedBase):
    """A patient's feed address, to send to the patient (front desk and admins)."""

    @extend_schema(responses=CalendarFeedOut, summary="A patient's calendar feed address", tags=TAGS)
    def get(self, request, patient_id):
        token = calendar_token_ensure(owner=self._patient(patient_id))
        return Response({"url": _url(request, "patients", token)})


class PatientFeedRotateApi(PatientFeedBase):
    @extend_schema(request=None, responses=CalendarFeedOut, summary="Give a patient's feed a new address", tags=TAGS)
    def post(self, request, patient_id):
        token = calendar_token_rotate(owner=self._patient(patient_id), rotated_by=request.user)
        return Response({"url": _url(request, "patients", token)})
