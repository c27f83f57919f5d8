"""The API's base view, logins, and the clinic's resources (locations, rooms, providers)."""

import json

from django.contrib.auth import authenticate
from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from clinic.audit import audit_clinical_reads, audit_sign_in, client_address
from clinic.models import AuditEntry, Location, Provider, Room
from clinic.roles import ADMIN, ALL_ROLES, provider_of, sees_clinical_notes, user_roles, viewer_scope
from scheduling.visibility import clinical_reader

from .errors import error_body, lockout_response
from .fields import AwareDateTimeField
from .serializers import NamedRef
from .tokens import token_for_login, tokens_revoke


class ClinicApi(APIView):
    """Every API view: validate, call one service, serialize. `roles` (or
    `roles_by_method`) says who may call it; `scope()` narrows reads to what the caller
    may see; `context()` gives serializers the caller's ClinicalReader (`clinical`: which
    records' clinical fields to include) and `scope` (so a reference to a patient the
    caller may not see is refused exactly as one to no patient)."""

    roles = ALL_ROLES
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    def scope(self):
        return viewer_scope(self.request.user)

    def context(self) -> dict:
        if not hasattr(self, "clinical_reads"):
            self.clinical_reads = []
        return {
            "request": self.request,
            "clinical": clinical_reader(self.request.user),
            "scope": self.scope,
            "clinical_reads": self.clinical_reads,
        }

    def finalize_response(self, request, response, *args, **kwargs):
        """Every clinical record an answer carried is one audit entry (who, which, from where)."""
        response = super().finalize_response(request, response, *args, **kwargs)
        reads = getattr(self, "clinical_reads", None)
        if reads and response.status_code < 400:
            audit_clinical_reads(reader=request.user, records=reads, via=f"{request.method} {request.path}")
        return response

    def validated(self, serializer_class, data):
        serializer = serializer_class(data=data, context=self.context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def query(self, serializer_class):
        """Query parameters through a serializer (lists repeat a key: ?status=booked&status=confirmed)."""
        return self.validated(serializer_class, self._query_data(serializer_class))

    def query_or_none(self, serializer_class):
        """Query parameters through a serializer, or None where `query` would answer 400."""
        serializer = serializer_class(data=self._query_data(serializer_class), context=self.context())
        return serializer.validated_data if serializer.is_valid() else None

    def _query_data(self, serializer_class) -> dict:
        data = {}
        # The declared fields, not an instance's copies: one deep copy per request is enough.
        for name, field in serializer_class._declared_fields.items():
            if name not in self.request.query_params:
                continue
            if isinstance(field, serializers.ListField | serializers.MultipleChoiceField):
                data[name] = self.request.query_params.getlist(name)
            else:
                data[name] = self.request.query_params.get(name)
        return data

    @staticmethod
    def render_json(data) -> bytes:
        """Data written as the API writes JSON, to keep and send again with `rendered`."""
        return JSONRenderer().render(data)

    def rendered(self, body: bytes) -> HttpResponse:
        """An answer written earlier by `render_json`, sent as it is; a caller that asked
        for another format (the browsable API, indented JSON) gets it rendered afresh."""
        renderer = self.request.accepted_renderer
        if isinstance(renderer, JSONRenderer) and not renderer.get_indent(self.request.accepted_media_type, {}):
            return HttpResponse(body, content_type=renderer.media_type)
        return Response(json.loads(body))

    def page(self, queryset, serializer_class):
        paginator = self.pagination_class() if self.pagination_class else None
        if paginator is None:
            return Response(serializer_class(queryset, many=True, context=self.context()).data)
        items = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(items, many=True, context=self.context()).data)


# --- Logins ---------------------------------------------------------------------------
class LoginThrottle(AnonRateThrottle):
    """Counted per client address, read as the audit trail and django-axes read it
    (NUM_PROXIES trusted proxies)."""

    rate = "30/min"

    def get_ident(self, request) -> str:
        return client_address(request) or ""


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class TokenApi(ClinicApi):
    """Token login for integrations. Repeated wrong passwords for one username from one
    address lock that pair out for a while (django-axes)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]
    extra_error_codes = ("429",)

    @extend_schema(request=TokenIn, responses={200: TokenOut}, summary="Get an API token", tags=["auth"])
    def post(self, request):
        data = self.validated(TokenIn, request.data)
        django_request = request._request
        user = authenticate(request=django_request, username=data["username"], password=data["password"])
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None or not user.is_active:
            return Response(error_body(400, "Wrong username or password.", "invalid_credentials"), status=400)
        if not user_roles(user):
            return Response(
                error_body(403, "This login has no clinic role; ask a clinic admin.", "no_role"), status=403
            )
        token = token_for_login(user=user)
        audit_sign_in(user=user, succeeded=True, how="api token")
        return Response({"token": token.key, "username": user.get_username(), "roles": sorted(user_roles(user))})


class TokenRevokeApi(ClinicApi):
    """Sign out an integration: its token stops working at once."""

    @extend_schema(request=None, responses={204: None}, summary="Revoke my API token", tags=["auth"])
    def delete(self, request):
        tokens_revoke(user=request.user, reason="signed out", revoked_by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeOut(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    provider = serializers.IntegerField(allow_null=True)
    sees_clinical_notes = serializers.BooleanField()


class MeApi(ClinicApi):
    @extend_schema(responses=MeOut, summary="Who am I", tags=["auth"])
    def get(self, request):
        provider = provider_of(request.user)
        return Response(
            MeOut(
                {
                    "username": request.user.get_username(),
                    "roles": sorted(user_roles(request.user)),
                    "provider": provider.pk if provider else None,
                    "sees_clinical_notes": sees_clinical_notes(request.user),
                }
            ).data
        )


# --- The clinic's resources -----------------------------------------------------------
class LocationOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    time_zone = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    late_cancel_notice_hours = serializers.IntegerField()
    slot_minutes = serializers.IntegerField()
    rooms = NamedRef(many=True, source="active_rooms")


class LocationListApi(ClinicApi):
    pagination_class = None

    @extend_schema(responses=LocationOut(many=True), summary="Locations and their rooms", tags=["clinic"])
    def get(self, request):
        locations = Location.objects.filter(is_active=True).prefetch_related(
            Prefetch("rooms", queryset=Room.objects.filter(is_active=True), to_attr="active_rooms")
        )
        return Response(LocationOut(locations, many=True).data)


class ProviderOut(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    title = serializers.CharField()
    locations = serializers.ListField(child=serializers.IntegerField(), source="location_ids")


class ProviderListApi(ClinicApi):
    pagination_class = None

    @extend_schema(responses=ProviderOut(many=True), summary="Providers and where they work", tags=["clinic"])
    def get(self, request):
        providers = list(Provider.objects.filter(is_active=True).prefetch_related("working_hours"))
        for provider in providers:
            provider.location_ids = sorted({hours.location_id for hours in provider.working_hours.all()})
        return Response(ProviderOut(providers, many=True).data)


class AuditFilterIn(serializers.Serializer):
    object_type = serializers.ChoiceField(
        choices=[
            "appointment", "treatmentseries", "consultation", "patient", "serieshold", "waitlistentry", "user",
            "screeningrule",
        ],
        required=False,
    )
    object_id = serializers.CharField(max_length=64, required=False)
    action = serializers.CharField(max_length=40, required=False, help_text="e.g. clinical_record_read, signed_in.")
    actor = serializers.CharField(max_length=150, required=False, help_text="The login (username) that acted.")
    address = serializers.IPAddressField(required=False)
    since = AwareDateTimeField(required=False)
    until = AwareDateTimeField(required=False)


class AuditOut(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    address = serializers.IPAddressField(allow_null=True)
    changes = serializers.DictField()


class AuditListApi(ClinicApi):
    """The audit trail: who did what, when and from where (clinic admins); the admin's
    Audit entries page filters the same rows and downloads them as CSV."""

    roles = ADMIN

    @extend_schema(parameters=[AuditFilterIn], responses=AuditOut(many=True), summary="Audit trail", tags=["clinic"])
    def get(self, request):
        filters = self.query(AuditFilterIn)
        entries = AuditEntry.objects.all().order_by("-at", "-pk")
        lookups = {"object_type": "object_type", "object_id": "object_id", "action": "action",
                   "actor": "actor_label", "address": "address", "since": "at__gte", "until": "at__lt"}
        entries = entries.filter(**{lookup: filters[name] for name, lookup in lookups.items() if name in filters})
        return self.page(entries, AuditOut)
