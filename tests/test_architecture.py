"""The package layers point one way, and no modules import each other in a circle (issue 11).

Read from the source's own import statements (including imports inside functions, which are still
dependencies), so a new upward import fails here before it becomes a cycle someone has to hide.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "medalist"
LAYERS: list[set[str]] = [
    {"errors", "fsutil", "clock", "paths", "configfile", "metrics"},
    {"tasks"},
    {"grading", "sandbox"},
    {"inside"},
    {"llm", "baselines"},
    {"agents"},
    {"runner"},
    {"report"},
    {"api"},
    {"cli"},
]
LAYER_OF = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def _module_name(src: Path, path: Path) -> str:
    parts = ("medalist",) + path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, top_level_only: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every ``medalist`` import in a file (``from m import n`` gives ``m.n``: it may be
    a module); ``top_level_only``: only those that run on import (not in functions or ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in found if m.startswith("medalist.")]


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _sources(src: Path) -> list[Path]:
    """Harness modules (the built-in task folders' prepare scripts are data, not layers)."""
    return sorted(p for p in src.rglob("*.py") if "builtin" not in p.relative_to(src).parts)


def wrong_way_imports(src: Path) -> list[str]:
    """Imports from a lower layer to a higher one, or between two packages of one layer above the base."""
    wrong = []
    for path in _sources(src):
        own = _package(_module_name(src, path))
        if own is None:  # medalist/__init__.py loads the API on first use, for users
            continue
        for line, module in _imports(path):
            dst = _package(module)
            if dst is None or dst == own or dst not in LAYER_OF or own not in LAYER_OF:
                continue
            if LAYER_OF[dst] > LAYER_OF[own] or (LAYER_OF[dst] == LAYER_OF[own] > 0):
                wrong.append(f"{path.relative_to(src.parent)}:{line} ({own}) imports {module} ({dst})")
    return sorted(set(wrong))


def import_cycle(src: Path) -> list[str]:
    """A cycle of modules that import each other when loaded (empty when there is none)."""
    modules = {_module_name(src, p): p for p in _sources(src)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {
            m
            for _, m in _imports(path, top_level_only=True)
            if m in modules and m != name and not name.startswith(m + ".")
        }  # a package's __init__
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return list(exc.args[1])
    return []


def test_every_package_has_a_layer() -> None:
    packages = {_package(_module_name(SRC, p)) for p in _sources(SRC)} - {None}
    assert packages <= set(LAYER_OF), sorted(packages - set(LAYER_OF))


def test_no_import_points_up_or_sideways() -> None:
    assert wrong_way_imports(SRC) == []


def test_no_import_cycle_between_modules() -> None:
    assert import_cycle(SRC) == []


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """Controls: without them the two tests above could pass because the checks see nothing."""
    up = _tree(
        tmp_path / "up" / "medalist",
        {
            "tasks/__init__.py": "",
            "runner/__init__.py": "",
            "runner/b.py": "",
            "tasks/a.py": "def f():\n    from medalist.runner import b\n",
        },
    )
    assert wrong_way_imports(up) == [
        "medalist/tasks/a.py:2 (tasks) imports medalist.runner (runner)",
        "medalist/tasks/a.py:2 (tasks) imports medalist.runner.b (runner)",
    ]
    loop = _tree(
        tmp_path / "loop" / "medalist",
        {
            "tasks/__init__.py": "",
            "tasks/a.py": "from medalist.tasks import b\n",
            "tasks/b.py": "from medalist.tasks.a import x\n",
        },
    )
    assert set(import_cycle(loop)) == {"medalist.tasks.a", "medalist.tasks.b"}
    lazy = _tree(
        tmp_path / "lazy" / "medalist",
        {
            "tasks/__init__.py": "",
            "tasks/a.py": "from medalist.tasks import b\n",
            "tasks/b.py": "def f():\n    from medalist.tasks.a import x\n",
        },
    )
    assert import_cycle(lazy) == []


@pytest.mark.parametrize("package", sorted(LAYER_OF))
def test_layers_name_real_packages(package: str) -> None:
    assert (SRC / package).is_dir() or (SRC / f"{package}.py").is_file()
