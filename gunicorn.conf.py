"""Gunicorn's settings for the web app. Gunicorn reads this file from the project root
(`gunicorn clinic.wsgi`: the Procfile, the Dockerfile, docker-compose.yml and the API
benchmark all start it so), and the environment can change the sizes.

Sync workers, two per core: a request holds one worker from start to finish and the
kernel hands each new connection to whichever worker is free, so a slow answer never
keeps a quick one waiting behind it in the same process (with threads, the connections
a worker kept alive queue for its threads while another worker may be idle). Connections
are not kept alive by gunicorn; a proxy in front (nginx, the platform's router) keeps
them with the clients. On the two-core benchmark machine this served the availability
API faster, and with a far shorter tail, than 2 x 8 or 3 x 2 threads (bench/README.md)."""

import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))  # more than 1 switches to threaded workers
worker_class = "sync"
timeout = 60
graceful_timeout = 30


def post_fork(server, worker):
    """Gunicorn's access log carries the paths patients open: their tokens are hidden as
    in every other log (clinic/log_filters.py)."""
    # Imported here: gunicorn reads this file before the project is on the import path.
    from clinic.log_filters import TokenRedactingFilter

    for name in ("gunicorn.access", "gunicorn.error"):
        logging.getLogger(name).addFilter(TokenRedactingFilter())
