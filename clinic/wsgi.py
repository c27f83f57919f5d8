import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
application = get_wsgi_application()


def _load_before_the_first_request() -> None:
    """Import, while the worker boots, what its first requests would otherwise import
    while a desk waits: every view and serializer (the URL conf) and the cache's client
    library. Nothing is connected to yet."""
    # Imported only once get_wsgi_application() has configured Django.
    from django.core.cache import caches
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - evaluated for its imports
    caches["default"]


_load_before_the_first_request()
# What is loaded by now lives as long as the worker: leave it out of the collector's full
# passes, which would otherwise walk all of Django in the middle of a request.
gc.freeze()
