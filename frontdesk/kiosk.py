"""The clinic's tablet while a patient holds it: once the desk opens a signing page for a
patient, the browser's staff session shows only that page until a member of staff types
their password again. The patient cannot wander into the staff app, the API or the Django
admin with the desk's login, whatever address they type or however they go back."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SESSION_KEY = "consent_kiosk"


def kiosk_start(request: HttpRequest, *, page: str, back: str) -> None:
    """Hand the tablet over: this session now shows only `page` (a path with its query)."""
    request.session[SESSION_KEY] = {"page": page, "back": back}


def kiosk_page(request: HttpRequest) -> dict | None:
    held = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    return held if isinstance(held, dict) and held.get("page") else None


def kiosk_end(request: HttpRequest) -> str:
    """The tablet is back with the staff: where they were before handing it over."""
    held = request.session.pop(SESSION_KEY, None) or {}
    return held.get("back") or reverse("frontdesk:schedule")


class ConsentKioskMiddleware:
    """While the tablet is handed over, every other address leads back to the signing page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        held = kiosk_page(request)
        if held is not None and not self._allowed(request, held["page"]):
            return HttpResponseRedirect(held["page"])
        return self.get_response(request)

    @staticmethod
    def _allowed(request: HttpRequest, page: str) -> bool:
        path = request.path
        return (request.get_full_path() == page or path == reverse("frontdesk:consent-kiosk-return")
                or path.startswith("/" + settings.STATIC_URL.lstrip("/")))
