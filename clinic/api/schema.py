"""OpenAPI details every operation shares: error answers and the Idempotency-Key header."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.permissions import AllowAny

ERROR_SCHEMA = {
    "type": "object",
    "description": "An error: `detail` is a sentence for staff; `fields` maps each field to its messages; "
    "a 409 lists what was taken in `conflicts`.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {}},
        "conflicts": {"type": "array", "items": {}},
    },
    "required": ["detail", "code"],
}
DESCRIPTIONS = {
    "400": "The request is not valid; `fields` says what to correct.",
    "401": "Not signed in.",
    "403": "Your role may not do this.",
    "404": "Not found, or not yours to see.",
    "409": "Taken meanwhile, or not possible in the current state.",
    "410": "The link has expired.",
    "415": "Send the body as JSON (Content-Type: application/json).",
    "422": "The Idempotency-Key was used for a different request.",
    "429": "Too many failed logins; wait for the cool-off time.",
}


class ClinicAutoSchema(AutoSchema):
    def _is_public(self) -> bool:
        return any(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _is_idempotent(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "idempotent", False))

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    str,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string (a UUID is best). A retry with the same key and body gets the "
                    "first answer again instead of doing the work twice.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400"]
        if not self._is_public():
            codes += ["401", "403"]
        else:
            codes += ["403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409", "415"]
        if self._is_idempotent():
            codes.append("422")
        codes += list(getattr(self.view, "extra_error_codes", ()))
        for code in codes:
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": ERROR_SCHEMA}},
                    "description": DESCRIPTIONS.get(code, "Error"),
                }
        return responses
