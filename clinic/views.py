from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from .api.errors import not_found


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


@csrf_exempt  # nothing is changed here; a stray POST gets the 404 it would have had
def not_found_page(request: HttpRequest) -> HttpResponse:
    """The last route: an address nothing else matches. It adds a missing slash as
    CommonMiddleware would (which it cannot do once every path resolves), and otherwise
    answers with the product's 404, in development too."""
    if not request.path.endswith("/") and request.method in ("GET", "HEAD"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found_page:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return not_found(request)
