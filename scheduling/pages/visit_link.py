"""The page a patient's reminder link opens: when and where, with Confirm and Cancel."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from clinic.errors import DomainError
from clinic.models import Location

from .. import services
from ..patient_links import ACTOR, CANCEL_REASON, patient_link_appointment, patient_view
from ..reminders.branding import branding_for


@never_cache
@require_http_methods(["GET", "POST"])
def patient_link_page(request: HttpRequest, appointment_id: int, token: str) -> HttpResponse:
    try:
        appointment = patient_link_appointment(appointment_id=appointment_id, token=token)
    except DomainError as error:
        # A genuine link to a moved or cancelled visit still shows whose clinic it is.
        location = Location.objects.filter(pk=getattr(error, "location_id", None) or 0).first()
        context = {"error": error.message, "brand": branding_for(location) if location else None}
        return render(request, "scheduling/patient_link.html", context, status=error.status_code)
    message = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm":
                appointment = services.appointment_confirm_by_patient(appointment=appointment)
                message = "Thank you: your visit is confirmed."
            elif action == "cancel":
                reason = (request.POST.get("reason") or "").strip()[:300] or CANCEL_REASON
                appointment = services.appointment_cancel(
                    appointment=appointment, reason=reason, actor_label=ACTOR, by_patient=True
                )
                message = "Your visit is cancelled. Call us when you would like to book again."
            else:
                message = "Please choose Confirm or Cancel."
        except DomainError as error:
            message = error.message
    context = {"visit": patient_view(appointment), "message": message, "brand": branding_for(appointment.location)}
    return render(request, "scheduling/patient_link.html", context)
