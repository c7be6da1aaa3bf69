"""The package's shape: imports point down the layers of DESIGN.md, and never in a circle.

Every ``import`` statement in ``flowframe/`` is read with :mod:`ast`: those at module level,
under ``if TYPE_CHECKING:`` and inside functions alike, since a deferred import still ties
two modules together.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import flowframe

PACKAGE = Path(flowframe.__file__).resolve().parent

# The layers, bottom first; a module may import its own layer and those below it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "flowframe._version",
            "flowframe._constants",
            "flowframe._params",
            "flowframe._session",
            "flowframe._stats",
            "flowframe._wire",
            "flowframe._moved",
            "flowframe.errors",
        ),
    ),
    ("sources", ("flowframe.sources",)),
    ("store", ("flowframe.store",)),
    ("frames", ("flowframe.frames",)),
    ("analysis", ("flowframe.analysis",)),
    ("plotting", ("flowframe.plotting",)),
    ("accessor", ("flowframe.accessor",)),
    ("live", ("flowframe.live",)),
    ("serve", ("flowframe.serve",)),
    ("research", ("flowframe.research",)),
    ("cli", ("flowframe.cli",)),
    ("top", ("flowframe",)),
)

# third-party packages only some layers may import (DESIGN.md: "Only the hosted client
# imports httpx; only live imports ipywidgets"; the engine alone needs scipy)
ONLY_IN: dict[str, tuple[str, ...]] = {
    "httpx": ("flowframe.sources.hosted",),
    "httpcore": ("flowframe.sources.hosted",),
    "ipywidgets": ("flowframe.live",),
    "ipympl": ("flowframe.live",),
    "scipy": ("flowframe.sources.engine",),
    "databento": ("flowframe.sources.vendors",),
    "databento_dbn": ("flowframe.sources.vendors",),
    "matplotlib": ("flowframe.plotting", "flowframe.live", "flowframe.cli"),
    "starlette": ("flowframe.serve",),
    "uvicorn": ("flowframe.serve", "flowframe.cli"),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> tuple[int, str]:
    """Return the rank and name of the layer holding ``module`` (the longest prefix wins)."""
    best: tuple[int, int, str] | None = None
    for rank, (name, roots) in enumerate(LAYERS):
        for root in roots:
            inside = module == root or module.startswith(root + ".")
            if inside and (best is None or len(root) > best[0]):
                best = (len(root), rank, name)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best[1], best[2]


def imports(module: str) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """Yield (line, imported module, names) for every import in ``module``'s source."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = tuple(a.name for a in node.names)
            # ``from flowframe.frames import checks`` imports the submodule
            subs = [n for n in names if f"{target}.{n}" in MODULES]
            for name in subs:
                yield node.lineno, f"{target}.{name}", ()
            rest = tuple(n for n in names if n not in subs)
            if rest or not subs:
                yield node.lineno, target, rest


def internal_edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for _, target, _ in imports(module):
            if target in MODULES and target != module:
                graph[module].add(target)
    return graph


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer(module)
    assert len(MODULES) > 40


def test_no_import_points_up_a_layer() -> None:
    upward = []
    for module in MODULES:
        rank, name = layer(module)
        for line, target, _ in imports(module):
            if target == "flowframe" or not target.startswith("flowframe."):
                continue
            their_rank, their_name = layer(target)
            if their_rank > rank:
                upward.append(f"{module}:{line} ({name}) imports {target} ({their_name})")
    assert upward == []


def test_no_private_name_crosses_a_layer() -> None:
    crossing = []
    for module in MODULES:
        _, name = layer(module)
        for line, target, names in imports(module):
            if not target.startswith("flowframe."):
                continue
            _, their_name = layer(target)
            if their_name in (name, "base"):
                continue
            private_module = any(part.startswith("_") for part in target.split(".")[1:])
            private_names = [n for n in names if n.startswith("_")]
            if private_module or private_names:
                crossing.append(f"{module}:{line} imports {target} {private_names or ''}")
    assert crossing == []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the cycles a depth-first walk of ``graph`` meets (each as a closed path)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycle() -> None:
    assert find_cycles(internal_edges()) == []


def test_the_cycle_check_finds_a_planted_cycle() -> None:
    # negative control: local imports core; make core import local back
    graph = internal_edges()
    assert "flowframe.sources.engine.core" in graph["flowframe.sources.engine.local"]
    graph["flowframe.sources.engine.core"].add("flowframe.sources.engine.local")
    assert [
        "flowframe.sources.engine.core",
        "flowframe.sources.engine.local",
        "flowframe.sources.engine.core",
    ] in find_cycles(graph)


@pytest.mark.parametrize("package", sorted(ONLY_IN))
def test_heavy_packages_stay_in_their_layer(package: str) -> None:
    allowed = ONLY_IN[package]
    misplaced = []
    for module in MODULES:
        for line, target, _ in imports(module):
            uses = target == package or target.startswith(package + ".")
            if uses and not any(module == a or module.startswith(a + ".") for a in allowed):
                misplaced.append(f"{module}:{line} imports {target}")
    assert misplaced == []


def test_import_flowframe_loads_only_what_loaders_and_accessors_need() -> None:
    code = (
        "import sys, flowframe\n"
        "heavy = ['matplotlib', 'scipy', 'httpx', 'ipywidgets', 'flowframe.sources.engine',\n"
        "         'flowframe.sources.hosted', 'flowframe.plotting', 'flowframe.live',\n"
        "         'flowframe.analysis']\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == []


def test_lazy_names_load_on_first_use() -> None:
    code = (
        "import sys, flowframe as ff\n"
        "ff.Simulated, ff.FlashAlpha, ff.plot_hedge, ff.live.Dashboard\n"
        "print(' '.join(m for m in ('scipy', 'httpx', 'matplotlib', 'ipywidgets')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["scipy", "httpx", "matplotlib", "ipywidgets"]


def test_every_name_in_all_resolves() -> None:
    for name in flowframe.__all__:
        assert getattr(flowframe, name) is not None, name
    assert set(flowframe.__all__) <= set(dir(flowframe))
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        flowframe.nope  # noqa: B018


def test_old_module_paths_give_the_same_modules() -> None:
    import importlib

    from flowframe import calibration
    from flowframe.sources.engine import calibration as new_calibration
    from flowframe.sources.engine import greeks as new_greeks
    from flowframe.sources.hosted import _client

    # the notebooks' ``from flowframe.engine import greeks`` (mypy cannot see moved names)
    greeks = importlib.import_module("flowframe.engine.greeks")
    assert greeks is new_greeks and calibration is new_calibration
    assert greeks.__spec__ is not None and greeks.__spec__.name == new_greeks.__name__
    assert importlib.import_module("flowframe.hosted._client") is _client
    assert importlib.import_module("flowframe.decision.snapshot").__name__ == (
        "flowframe.sources.engine.decision.body"
    )
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("flowframe.engine.nope")
