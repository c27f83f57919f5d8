from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks: the app answers and the database does too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unhealthy", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
