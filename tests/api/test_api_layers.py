"""The layers of the service and the library, held by their imports (read with ``ast``).

``api/`` is a foundation (config, db, tables, errors, auth, limits...), the domain in
``api/services`` (plain functions over the database), and over it the API's blueprints and the
manager pages (``api/web``). The rules:

(a) the services import one another without a cycle, function-level imports included (an
    import moved into a function to dodge a cycle is still a cycle);
(b) no service reads the request (``flask.request``, ``flask.g``) or imports a blueprint
    module or the pages;
(c) no blueprint module imports another one (what two need is a service's);
(d) no name starting with ``_`` is imported from another package, in ``api/`` or ``matcher/``
    (``api``, ``api.services``, ``api.web`` and ``api.migrations`` are different packages);
(e) the library never imports the service;
(f) the pages do their domain work through the services, not the blueprint modules.

The checks read source files only: nothing is imported, so a broken import is reported here
too. Each is also run on a small tree made to break it, so that a check that passes everything
fails its own test.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]

#: The blueprint modules at the time of writing; :attr:`Tree.blueprints` finds them (and any
#: added since) by their ``APIBlueprint(...)``.
KNOWN_BLUEPRINTS = {
    "api.members",
    "api.suggestions",
    "api.sessions",
    "api.exchange",
    "api.insights",
    "api.versions",
    "api.users",
}
#: Names of ``flask`` that belong to a request: a service takes plain values instead.
REQUEST_NAMES = {"request", "g", "session"}


@dataclass(frozen=True)
class Import:
    """One import of `module` (function-level ones included): the absolute module it names
    (`target`) and the names it takes from it (none for ``import x``)."""

    module: str
    target: str
    names: tuple[str, ...]
    line: int

    def __str__(self) -> str:
        taken = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.module}:{self.line} imports {self.target}{taken}"


def is_private(name: str) -> bool:
    """Whether `name` is private by convention: one leading underscore, not a dunder."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class Tree:
    """The Python modules under `root` of the packages `tops` (``api``, ``matcher``)."""

    def __init__(self, root: Path, tops: tuple[str, ...] = ("api", "matcher")):
        self.root = root
        self.paths: dict[str, Path] = {}
        for top in tops:
            for path in sorted((root / top).rglob("*.py")):
                parts = path.relative_to(root).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                self.paths[".".join(parts)] = path

    def is_package(self, module: str) -> bool:
        return self.paths.get(module, Path()).name == "__init__.py"

    def package_of(self, module: str) -> str:
        """The package `module` belongs to: itself for a package, else its parent."""
        return module if self.is_package(module) else module.rpartition(".")[0]

    def imports_of(self, module: str) -> list[Import]:
        """Every import of `module`, resolved to absolute module names; ``from package import
        module`` counts as an import of that module too."""
        path = self.paths[module]
        found = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(module, alias.name, (), node.lineno) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = self.package_of(module).split(".")
                    anchor = package[: len(package) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                names = tuple(alias.name for alias in node.names)
                found.append(Import(module, base, names, node.lineno))
                found += [
                    Import(module, f"{base}.{name}", (), node.lineno)
                    for name in names
                    if f"{base}.{name}" in self.paths
                ]
        return found

    @cached_property
    def imports(self) -> dict[str, list[Import]]:
        return {module: self.imports_of(module) for module in self.paths}

    @cached_property
    def blueprints(self) -> set[str]:
        """The API's blueprint modules: modules right under ``api`` that make an APIBlueprint."""
        found = set()
        for module, path in self.paths.items():
            if module.count(".") != 1 or not module.startswith("api."):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "APIBlueprint":
                    found.add(module)
        return found

    def modules_under(self, package: str) -> list[str]:
        return [m for m in self.paths if m == package or m.startswith(package + ".")]


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


# ---------------------------------------------------------------------------------------------
# The rules: each returns what breaks it (empty: it holds)
# ---------------------------------------------------------------------------------------------


def service_cycles(tree: Tree) -> list[str]:
    """(a) The cycles among the services' imports, as ``a -> b -> a``."""
    services = set(tree.modules_under("api.services"))
    edges = {
        module: sorted({i.target for i in tree.imports[module] if i.target in services} - {module})
        for module in services
    }
    cycles, state = [], {}  # state: 1 while on the path, 2 when done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in edges[module]:
            if state.get(target) == 1:
                cycles.append(" -> ".join(path[path.index(target) :] + [module, target]))
            elif target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(services):
        if module not in state:
            visit(module, [])
    return cycles


def service_layer_breaches(tree: Tree) -> list[str]:
    """(b) Imports of the request, a blueprint module or the pages by a service."""
    breaches = []
    for module in tree.modules_under("api.services"):
        for found in tree.imports[module]:
            flask_request = within(found.target, "flask") and REQUEST_NAMES & set(found.names)
            if flask_request or found.target in tree.blueprints or within(found.target, "api.web"):
                breaches.append(str(found))
        # ``import flask`` and then ``flask.request``.
        path = tree.paths[module]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in REQUEST_NAMES
                and getattr(node.value, "id", "") == "flask"
            ):
                breaches.append(f"{module}:{node.lineno} reads flask.{node.attr}")
    return breaches


def blueprint_breaches(tree: Tree, importers: list[str]) -> list[str]:
    """(c), (f) Imports of a blueprint module by `importers` (other than themselves)."""
    return [
        str(found)
        for module in importers
        for found in tree.imports[module]
        if found.target in tree.blueprints and found.target != module
    ]


def private_imports(tree: Tree) -> list[str]:
    """(d) Names (or modules) starting with ``_`` imported from another package."""
    breaches = []
    for module, imports in tree.imports.items():
        package = tree.package_of(module)
        for found in imports:
            if found.target in tree.paths:
                source = tree.package_of(found.target)
            else:
                source = found.target.rpartition(".")[0] if found.names == () else found.target
            private = [name for name in found.names if is_private(name)]
            parts = found.target.split(".")
            for depth, part in enumerate(parts):
                if is_private(part):
                    # A private module belongs to the package that holds it.
                    source = ".".join(parts[:depth])
                    private.append(found.target)
                    break
            if private and source != package:
                breaches.append(f"{found}: {', '.join(private)} is private to {source}")
    return breaches


def library_imports_of_the_service(tree: Tree) -> list[str]:
    """(e) Imports of ``api`` by the library."""
    return [
        str(found)
        for module in tree.modules_under("matcher")
        for found in tree.imports[module]
        if within(found.target, "api")
    ]


def breaches(tree: Tree) -> dict[str, list[str]]:
    """Every rule and what breaks it."""
    return {
        "a: the services import one another in a cycle": service_cycles(tree),
        "b: a service imports the request, a blueprint or the pages": service_layer_breaches(tree),
        "c: a blueprint module imports another": blueprint_breaches(tree, sorted(tree.blueprints)),
        "d: a private name crosses a package": private_imports(tree),
        "e: the library imports the service": library_imports_of_the_service(tree),
        "f: a page imports a blueprint module": blueprint_breaches(
            tree, tree.modules_under("api.web")
        ),
    }


# ---------------------------------------------------------------------------------------------
# The repository holds them
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repository() -> Tree:
    return Tree(ROOT)


def test_the_blueprint_modules_are_found(repository):
    assert repository.blueprints >= KNOWN_BLUEPRINTS
    assert not repository.blueprints & set(repository.modules_under("api.services"))


def test_the_services_are_there(repository):
    services = set(repository.modules_under("api.services"))
    assert {"api.services", "api.services.members", "api.services.sessions"} <= services
    # Some import others: an empty graph would pass rule (a) for nothing.
    assert any(
        i.target in services for m in services for i in repository.imports[m] if i.target != m
    )


@pytest.mark.parametrize(
    "rule",
    [
        "a: the services import one another in a cycle",
        "b: a service imports the request, a blueprint or the pages",
        "c: a blueprint module imports another",
        "d: a private name crosses a package",
        "e: the library imports the service",
        "f: a page imports a blueprint module",
    ],
)
def test_the_repository_keeps_the_rule(repository, rule):
    assert breaches(repository)[rule] == []


# ---------------------------------------------------------------------------------------------
# Each rule catches what breaks it
# ---------------------------------------------------------------------------------------------

#: A tree that keeps every rule: path -> source.
SOUND = {
    "api/__init__.py": "from . import members\n",
    "api/errors.py": "def abort(status, detail): ...\n_PRIVATE = 1\n",
    "api/members.py": (
        "from flask import request\nfrom flask_openapi3 import APIBlueprint\n"
        "from .services.members import get_member\nbp = APIBlueprint('members', __name__)\n"
    ),
    "api/sessions.py": (
        "from flask_openapi3 import APIBlueprint\nfrom .services import sessions\n"
        "bp = APIBlueprint('sessions', __name__)\n"
    ),
    "api/services/__init__.py": '"""The domain."""\n',
    "api/services/members.py": "from ..errors import abort\n_RULE = 1\ndef get_member(): ...\n",
    "api/services/sessions.py": (
        "from .members import _RULE, get_member\n\ndef f():\n    from ..errors import abort\n"
    ),
    "api/web/__init__.py": "",
    "api/web/views.py": "from ..services.members import get_member\n_error_page = 1\n",
    "api/web/pages.py": "from .views import _error_page\n",
    "matcher/__init__.py": "",
    "matcher/profiles.py": "from ._parse import read\n",
    "matcher/_parse.py": "def read(): ...\n",
    "matcher/engine/__init__.py": "from ..profiles import read\n",
}

#: What breaks each rule: the rule and the files changed or added.
BREAKS = {
    "a, a function-level import": (
        "a: the services import one another in a cycle",
        {"api/services/members.py": "def g():\n    from .sessions import f\n"},
    ),
    "b, flask.request": (
        "b: a service imports the request, a blueprint or the pages",
        {"api/services/members.py": "from flask import request\n"},
    ),
    "b, flask.g by attribute": (
        "b: a service imports the request, a blueprint or the pages",
        {"api/services/members.py": "import flask\n\ndef f():\n    return flask.g.caller\n"},
    ),
    "b, a blueprint module": (
        "b: a service imports the request, a blueprint or the pages",
        {"api/services/members.py": "from .. import sessions\n"},
    ),
    "b, the pages": (
        "b: a service imports the request, a blueprint or the pages",
        {"api/services/members.py": "from ..web.views import get_member\n"},
    ),
    "c": (
        "c: a blueprint module imports another",
        {"api/sessions.py": SOUND["api/sessions.py"] + "from .members import bp as members\n"},
    ),
    "d, a name from the package above": (
        "d: a private name crosses a package",
        {"api/services/members.py": "from ..errors import _PRIVATE\n"},
    ),
    "d, a name from a page": (
        "d: a private name crosses a package",
        {"api/sessions.py": SOUND["api/sessions.py"] + "from .web.views import _error_page\n"},
    ),
    "d, a private module of another package": (
        "d: a private name crosses a package",
        {"matcher/engine/__init__.py": "from .._parse import read\n"},
    ),
    "e": (
        "e: the library imports the service",
        {"matcher/profiles.py": "def f():\n    import api.services\n"},
    ),
    "f": (
        "f: a page imports a blueprint module",
        {"api/web/views.py": "from ..members import bp\n"},
    ),
}


def make_tree(root: Path, files: dict[str, str]) -> Tree:
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return Tree(root)


def test_a_sound_tree_keeps_every_rule(tmp_path):
    assert all(found == [] for found in breaches(make_tree(tmp_path, SOUND)).values())


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_rule_catches_its_breach(tmp_path, case):
    rule, changes = BREAKS[case]
    found = breaches(make_tree(tmp_path, {**SOUND, **changes}))
    assert found[rule], f"{case}: not caught"
    assert all(not what for name, what in found.items() if name != rule), found
