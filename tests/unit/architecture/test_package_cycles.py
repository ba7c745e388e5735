"""The engine's packages, on the run-time import graph without the edge modules (controllers,
command lines, the app), form no cycle."""

from __future__ import annotations

import re
from collections import defaultdict

import grimp

PACKAGES = ("engine", "question_bank", "grading", "proctoring", "overflow_lambda")
EDGE = re.compile(
    r"(\.routes$|_routes$|\.cli$|^engine\.(app|asgi|deps|cli|routes|items_cli|metrics_endpoint)$"
    r"|^overflow_lambda\.(handler|local))"
)
# nothing is tied any more: ten packages were, before services took ports and the stream,
# access, results-counter and job-runner modules moved (ADR 0010); the "engine-layers"
# contract orders them, and this test names a cycle in words should one come back
STILL_TIED: set[str] = set()


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "engine" and len(parts) > 1 else parts[0]


def package_edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        if EDGE.search(module):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _package(module), _package(imported)
            if a != b and not EDGE.search(imported):
                edges[a].add(b)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one package (Tarjan, iteratively)."""
    nodes = sorted(set(edges) | {b for bs in edges.values() for b in bs})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_cycles_are_found() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(defaultdict(set, edges)) == [{"a", "b", "c"}]
    assert cycles(defaultdict(set, {"a": {"b"}, "b": set()})) == []


def test_the_engine_cycle_only_shrinks() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    found = cycles(package_edges(graph))
    tied = set().union(*found)
    assert tied <= STILL_TIED, f"new in a cycle: {sorted(tied - STILL_TIED)} ({found})"
    assert "engine.services" not in tied and "engine.kernel" not in tied
