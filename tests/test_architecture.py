"""The module map of docs/architecture.md holds: every module has a place in the layers,
imports inside functions say why, and no module or function grows past what a newcomer
can read. `lint-imports` checks the imports themselves (make check, .ci/run)."""

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("clinic", "patients", "scheduling", "frontdesk")
# Project configuration: may import everything, in no contract.
CONFIG = (
    "clinic.settings", "clinic.urls", "clinic.celery", "clinic.wsgi", "clinic.asgi",
    "clinic.middleware", "clinic.views", "clinic.apps", "patients.apps", "scheduling.apps",
)
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# The planner's search is one loop over candidate placements; split, it would be harder
# to follow, not easier (docs/architecture.md).
LONG_ON_PURPOSE = {"scheduling.planner.reschedule.plan_reschedule"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def _modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts:
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            yield ".".join(parts), path


def _within(module: str, packages) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_every_module_is_core_edge_or_configuration():
    contract = _contracts()["core-below-edges"]
    core, edges = contract["source_modules"], [m for m in contract["forbidden_modules"] if m.split(".")[0] in APPS]
    unplaced = [
        module for module, _ in _modules()
        if module not in APPS and not _within(module, [*core, *edges, *CONFIG])
    ]
    assert unplaced == [], "add each to a layer in pyproject.toml and docs/architecture.md"


def test_the_planner_contract_forbids_the_orm():
    assert {"django", "scheduling.models"} <= set(_contracts()["pure-planner"]["forbidden_modules"])


def _project_imports_inside_functions(tree: ast.Module):
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0] in APPS):
                yield node
            elif isinstance(node, ast.Import) and any(a.name.split(".")[0] in APPS for a in node.names):
                yield node


def test_an_import_inside_a_function_says_why():
    silent = []
    for module, path in _modules():
        lines = path.read_text().splitlines()
        for node in _project_imports_inside_functions(ast.parse("\n".join(lines))):
            here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
            if "#" not in here and not above.startswith("#"):
                silent.append(f"{module}:{node.lineno}")
    assert silent == []


def test_no_module_or_function_is_too_long_to_read():
    too_long = []
    for module, path in _modules():
        source = path.read_text()
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_long.append(module)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{module}.{node.name}"
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES and name not in LONG_ON_PURPOSE:
                    too_long.append(name)
    assert too_long == []

