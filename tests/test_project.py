"""The project as a newcomer meets it: checks pass, migrations are complete, compose parses."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_docker_compose_runs_the_full_stack_with_health_checks():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        assert service["healthcheck"]["test"], f"{name}'s health check runs nothing"
    assert "gunicorn" in " ".join(services["web"]["command"])
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "celery" in " ".join(services["worker"]["command"]) and "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1].splitlines()[1:]  # after the language tag
    assert [line for line in first_block if line.strip()] == ["make run", "make test"]


def test_a_web_worker_loads_the_views_and_the_cache_client_as_it_boots(tmp_path):
    """The first request a worker serves should not wait for imports."""
    probe = (
        "import sys\n"
        "import clinic.wsgi\n"
        "missing = [m for m in ('scheduling.api.views', 'patients.api.views', 'redis') if m not in sys.modules]\n"
        "assert not missing, missing\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
        "DJANGO_CACHE_URL": "redis://127.0.0.1:6379/15",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'boot.sqlite3'}",
    }
    result = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
