"""The architecture, read from the code's imports (ARCHITECTURE.md).

Every module of the package belongs to one floor, and imports only from its own floor or the
floors below; the imports form no circle; each floor uses only the third-party packages it
is allowed; and no source file is a 2,000-line room. The imports are read with :mod:`ast`,
so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "xlmodel"

#: The floors, bottom to top, and the third-party packages each may import.
FLOORS = [
    ("xlmodel.errors", set()),  # the ground: error types and the version
    ("xlmodel._version", set()),
    ("xlmodel.model", {"numpy"}),
    ("xlmodel.functions", {"numpy"}),
    ("xlmodel.formula", {"numpy"}),
    ("xlmodel.workbook", {"numpy", "defusedxml"}),
    ("xlmodel.harness", {"numpy", "openpyxl", "ironcalc", "pytest", "defusedxml"}),
    ("xlmodel.excel", {"numpy", "xlwings"}),
    ("xlmodel.template", {"numpy", "openpyxl", "xlwings"}),
    ("xlmodel.api", {"numpy", "pandas"}),
    ("xlmodel.cli", set()),
    ("xlmodel.__main__", set()),
    ("xlmodel", set()),  # the package: its docstring, version and lazy access to the API
]
#: What a floor may take from the package root (which runs its __init__): nothing.
FROM_PACKAGE_ROOT: set[str] = set()
MAX_LINES = 800


def _floor(module: str) -> int:
    for rank, (prefix, _) in enumerate(FLOORS):
        # the package root is a floor of its own; everything else is named by its folder
        if module == prefix or (prefix != "xlmodel" and module.startswith(prefix + ".")):
            return rank
    raise AssertionError(f"{module} belongs to no floor: add it to a floor's folder")


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, path: Path) -> list[tuple[str, int, str | None]]:
    """(imported module, line, name taken from the package root) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in MODULES:
                    found.append((sub, node.lineno, None))
                else:
                    found.append((target, node.lineno, a.name if target == "xlmodel" else None))
    return found


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in _imports(m, p) if t in MODULES and t != m}
            for m, p in MODULES.items()}


def test_every_module_is_on_a_floor():
    for module in MODULES:
        _floor(module)


def test_no_import_runs_up_a_floor():
    upward = []
    for module, path in MODULES.items():
        rank = _floor(module)
        for target, line, name in _imports(module, path):
            if not target.startswith("xlmodel"):
                continue
            if target == "xlmodel" and module != "xlmodel":
                if name not in FROM_PACKAGE_ROOT:
                    upward.append(f"{path.name}:{line} takes {name} from the package root")
                continue
            if _floor(target) > rank:
                upward.append(f"{module}:{line} imports {target} ({FLOORS[_floor(target)][0]} "
                              f"is above {FLOORS[rank][0]})")
    assert not upward, "\n".join(upward)


def test_each_floor_uses_only_its_third_party_packages():
    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for module, path in MODULES.items():
        rank = _floor(module)
        allowed = FLOORS[rank][1]
        if FLOORS[rank][0] in ("xlmodel.cli", "xlmodel.__main__", "xlmodel"):
            allowed = {"*"}
        for target, line, _ in _imports(module, path):
            top = target.split(".")[0]
            if top in stdlib or top == "xlmodel" or "*" in allowed:
                continue
            if top not in allowed:
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong, "\n".join(wrong)


def test_the_model_imports_nothing_of_excel():
    # the rule the whole layout exists for, said once more on its own
    for module, path in MODULES.items():
        if module.startswith("xlmodel.model"):
            for target, line, _ in _imports(module, path):
                assert target.split(".")[0] not in {"openpyxl", "xlwings", "pandas"}, (
                    f"{module}:{line} imports {target}")
                assert target in ("xlmodel.errors",) or not target.startswith("xlmodel") or (
                    target.startswith("xlmodel.model")), f"{module}:{line} imports {target}"


def test_the_imports_form_no_circle():
    graph = _graph()
    index, low, stack, on_stack, circles = {}, {}, [], set(), []
    counter = [0]

    def visit(root):  # Tarjan's strongly connected components, without recursion
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not circles, circles


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_source_file_is_over_800_lines(module):
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[module].name}: {lines} lines"


def test_the_checks_here_can_fail(tmp_path):
    # the same reading on a module that imports upward, and on two that import each other
    up = tmp_path / "up.py"
    up.write_text("from xlmodel.harness import check\nimport openpyxl\n")
    assert ("xlmodel.harness", 1, None) in _imports("xlmodel.model.up", up)
    assert _floor("xlmodel.harness") > _floor("xlmodel.model")
    with pytest.raises(AssertionError, match="no floor"):
        _floor("xlmodel.somewhere")


# Start-up: what importing a floor loads. The harness, the reader and the writers need neither
# numpy nor the local formula engine until a check calls our functions or vets a formula, so
# importing them must not load those (the 0.15 s start-up target of the engine issue).
LIGHT_IMPORTS = {
    "xlmodel.harness": ("numpy", "xlmodel.formula.evaluate", "xlmodel.formula.tokenizer",
                        "xlmodel.functions.catalogue", "ironcalc"),
    "xlmodel.workbook": ("numpy", "xlmodel.formula.evaluate", "xlmodel.formula.tokenizer"),
}


@pytest.mark.parametrize("module", sorted(LIGHT_IMPORTS))
def test_importing_a_floor_leaves_the_heavy_modules_unloaded(module):
    import subprocess

    heavy = LIGHT_IMPORTS[module]
    code = (f"import sys, {module}\n"
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=PACKAGE.parent).stdout.strip()
    assert out == "", f"importing {module} loads {out}"


def test_the_formula_package_still_offers_its_names():
    import xlmodel.formula as formula

    assert formula.Engine is __import__("xlmodel.formula.evaluate",
                                        fromlist=["Engine"]).Engine
    assert set(formula.__all__) <= set(dir(formula))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        formula.Nope  # noqa: B018
