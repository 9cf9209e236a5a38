"""The layout holds: arrows point down the packages, no two files import each other in a
loop (imports inside functions included), the user's interfaces and the experiments reach
the run engine through its public API only, DGL and Ray stay where they belong, and no
file or function outgrows what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
FLOORS = ("graph_schema", "detectors", "agents", "orchestrator", "experiments")  # arrows point down
MAX_FILE_LINES = 350
MAX_FUNCTION_LINES = 60


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in FLOORS:
        for p in (ROOT / pkg).rglob("*.py"):
            name = ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            out[name] = p
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module that importing ``name`` loads (a package's own file for a package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _bound(package: str) -> set[str]:
    """The names a package's own file binds by importing them (its public API)."""
    path = MODULES.get(package)
    if path is None or path.name != "__init__.py":
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {(a.asname or a.name) for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}


def _imports(name: str, path: Path) -> set[str]:
    """Project modules that ``name`` imports anywhere in its file. `from P import m`, where
    P.m is a module, counts as an import of P.m (P is its parent, already being imported)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")[: len(name.split(".")) - node.level + (path.name == "__init__.py")]
                base = ".".join([*parts, base] if base else parts)
            bound = _bound(base)
            subs = [f"{base}.{a.name}" for a in node.names
                    if f"{base}.{a.name}" in MODULES and a.name not in bound]
            targets = subs if subs and len(subs) == len(node.names) else [base, *subs]
        else:
            continue
        out |= {r for t in targets if t.split(".")[0] in FLOORS and (r := _resolve(t)) and r != name}
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_arrows_point_down():
    up = [(a, b) for a, deps in GRAPH.items() for b in deps
          if FLOORS.index(b.split(".")[0]) > FLOORS.index(a.split(".")[0])]
    assert up == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(GRAPH):
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(GRAPH.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycles_between_files():
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle():
    GRAPH["graph_schema.tables"].add("graph_schema.dsl")
    GRAPH["graph_schema.dsl"].add("graph_schema.tables")
    try:
        assert ["graph_schema.dsl", "graph_schema.tables"] in _cycles()
    finally:
        GRAPH.update({n: _imports(n, MODULES[n]) for n in ("graph_schema.tables", "graph_schema.dsl")})


def test_interfaces_and_experiments_use_only_the_engines_public_api():
    outside = [n for n in GRAPH if n.startswith("experiments") or
               (n.startswith("orchestrator.") and not n.startswith("orchestrator.engine"))]
    reach = [(n, d) for n in outside for d in GRAPH[n] if d.startswith("orchestrator.engine.")]
    assert reach == []
    engine_up = [(n, d) for n in GRAPH if n.startswith("orchestrator.engine") for d in GRAPH[n]
                 if d.startswith("orchestrator.") and not d.startswith("orchestrator.engine")]
    assert engine_up == []  # the engine knows none of its interfaces


def test_experiments_never_import_the_cli_except_the_entry_point():
    assert [n for n in GRAPH if n.startswith("experiments") and n != "experiments.cli"
            and any(d.startswith("orchestrator.cli") for d in GRAPH[n])] == []


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_dgl_in_one_module_and_ray_only_in_the_orchestrator():
    dgl = sorted(n for n, p in MODULES.items() if "dgl" in _imported_roots(p))
    ray = sorted(n for n, p in MODULES.items() if "ray" in _imported_roots(p))
    assert dgl == ["detectors._dgl"]
    assert ray and all(n.startswith("orchestrator.engine") for n in ray)


def test_files_and_functions_stay_short():
    long_files = [(str(p.relative_to(ROOT)), n) for p in MODULES.values()
                  if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES]
    long_functions = []
    for p in MODULES.values():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long_functions.append((f"{p.relative_to(ROOT)}:{node.lineno} {node.name}", n))
    assert long_files == [] and long_functions == []
