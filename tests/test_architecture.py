"""Rules of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

import authgate
from authgate.errors import MESSAGES, STATUS, Code

SOURCE = Path(authgate.__file__).parent


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text())) for path in SOURCE.rglob("*.py")]


def test_the_wall_clock_is_read_only_in_clock_py() -> None:
    offenders = []
    for path, tree in _modules():
        if path.name == "clock.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "time", "today"):
                base = node.value
                name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
                if name in ("datetime", "time", "date"):
                    offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert offenders == []


def test_randomness_comes_only_from_secrets() -> None:
    offenders = [
        f"{path.relative_to(SOURCE)}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(alias.name == "random" for alias in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and node.module == "random")
    ]
    assert offenders == []


def test_only_settings_read_the_environment() -> None:
    allowed = {"config/env.py", "app.py", "cli.py"}
    offenders = [
        f"{path.relative_to(SOURCE)}:{node.lineno}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and str(path.relative_to(SOURCE)) not in allowed
    ]
    assert offenders == []


def test_no_module_is_huge() -> None:
    sizes = {
        str(p.relative_to(SOURCE)): len(p.read_text().splitlines()) for p in SOURCE.rglob("*.py")
    }

    assert {name: n for name, n in sizes.items() if n > 600} == {}


def test_every_code_has_a_status() -> None:
    assert set(STATUS) == set(Code)
    assert set(MESSAGES) <= set(Code)


def test_public_surface() -> None:
    assert authgate.__all__ == ["__version__"]


def test_handlers_receive_their_services() -> None:
    """Each route module mounts its handlers from the deps it declares (``routes(deps)``), and
    only the composition (``app.py``, ``http/build.py``) sees every service (README,
    "Handlers receive their services")."""
    unbound = []
    for path in sorted((SOURCE / "http" / "routes").glob("*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "routes"]
        params = [a.annotation for f in found for a in f.args.args]
        if not found or not params or not all(_names_deps(a) for a in params):
            unbound.append(path.name)
    assert unbound == []
    seeing = {
        str(path.relative_to(SOURCE))
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module == "authgate.http.services"
        and any(alias.name == "Services" for alias in node.names)
    }
    assert seeing == {"app.py", "http/build.py"}


def _names_deps(annotation: ast.expr | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id.endswith("Deps")
