"""The one-xp-path rule, checked statically (CI has no GPU, so a CuPy-only failure would go unseen).

Ops reach their array library through ``xp`` (``xp_of(array)``: numpy or cupy). A call
``np.<func>(cupy_array)`` either raises (numpy refuses an implicit device->host copy) or
depends on CuPy's ``__array_function__`` covering that function with those arguments.
numpy *ufuncs* are fine: ``np.exp(cupy_array)`` dispatches to cupy through
``__array_ufunc__``. Their methods are not: ``np.add.at`` is numpy's own loop.

So in the files below every call ``np.<name>(...)`` must be a ufunc, a host-safe helper
that never sees array data (dtype metadata, shape math on tuples), or have an entry in
``ALLOWED`` saying why that call is host-only there. Keep ``ALLOWED`` small: the fix for a
new hit is almost always ``xp.<name>`` (``xp = xp_of(x)``).
"""
import ast
import pathlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHECKED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ember" / "ops").glob("*.py")) + [
    "ember/nn/functional.py",
    "ember/optim/_functional.py",
]

# Helpers that take dtypes, Python numbers or shape tuples, never arrays (plus numpy's scalar
# types, see _host_safe). errstate only sets numpy's floating-point warning state: no data, and
# nothing to do for CuPy, which never warns.
HOST_SAFE = {"dtype", "iinfo", "finfo", "result_type", "promote_types", "can_cast", "issubdtype",
             "broadcast_shapes", "errstate"}

# (file, enclosing function, numpy name) -> why this call is host-only. Names are dotted
# from numpy ("multiply.at"); the function is the innermost def (Class.method for methods).
ALLOWED = {
    ("ember/ops/movement.py", "broadcast_view", "ndarray"):
        "CPU fast path: builds a strided view only when x.__class__ is np.ndarray; cupy takes xp.broadcast_to",
    ("ember/ops/nn.py", "erf_array", "vectorize"):
        "SciPy-less fallback inside the `xp is np` branch; cupy uses cupyx.scipy.special.erf",
    ("ember/ops/sort.py", "Unique.forward", "unique"):
        "data-dependent output size: runs on to_host(x) by design, results moved back with xp.asarray",
    ("ember/ops/index.py", "Scatter.forward", "multiply.at"):
        "numpy branch, and cupy's host fallback on to_host() copies: CuPy has no multiply.at",
    ("ember/nn/functional.py", "pad", "arange"):
        "index vector from the Python ints of a shape; moved with tensor(idx, device=x.device)",
    ("ember/nn/functional.py", "pad", "where"): "same index vector as arange above (host shape math)",
    ("ember/nn/functional.py", "pad", "clip"): "same index vector as arange above (host shape math)",
}


def _resolve(dotted):
    obj = np
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _host_safe(dotted):
    if dotted in HOST_SAFE:
        return True
    obj = _resolve(dotted)
    if isinstance(obj, np.ufunc):
        return True  # dispatches through __array_ufunc__ (but np.add.at resolves to a method, not a ufunc)
    return isinstance(obj, type) and issubclass(obj, np.generic)  # np.float32(1.0): a scalar constructor


def _dotted(node, aliases):
    """``np.a.b`` -> "a.b" when the chain starts at a numpy alias, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id in aliases and parts:
        return ".".join(reversed(parts))
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self):
        self.aliases, self.scope, self.hits = set(), [], []

    def visit_Import(self, node):
        for a in node.names:
            if a.name == "numpy":
                self.aliases.add(a.asname or "numpy")

    def visit_ImportFrom(self, node):
        if node.module == "numpy":  # `from numpy import unique` would dodge the np.<name> check
            for a in node.names:
                if not _host_safe(a.name):
                    self.hits.append((node.lineno, self._where(), a.name))

    def _where(self):
        return ".".join(self.scope) or "<module>"

    def _scoped(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Call(self, node):
        name = _dotted(node.func, self.aliases)
        if name is not None and not _host_safe(name):
            self.hits.append((node.lineno, self._where(), name))
        self.generic_visit(node)


def find_host_calls(source):
    """(line, function, numpy name) of each non-ufunc, non-host-safe numpy call in ``source``."""
    f = _Finder()
    f.visit(ast.parse(source))
    return f.hits


@pytest.mark.parametrize("path", CHECKED)
def test_no_host_numpy_calls_on_array_data(path):
    hits = find_host_calls((ROOT / path).read_text())
    bad = [(line, fn, name) for line, fn, name in hits if (path, fn, name) not in ALLOWED]
    assert not bad, (
        f"{path}: numpy calls that break (or copy to the host) on CuPy arrays: "
        + "; ".join(f"line {line} in {fn}: np.{name}(...)" for line, fn, name in bad)
        + ". Use xp.<name> with xp = xp_of(array); if the call really only sees host data, add an "
          "entry to ALLOWED in tests/test_xp_paths.py saying why.")


def test_allow_list_entries_are_still_used():
    """A stale entry would silently allow a future real violation in that function."""
    used = set()
    for path in CHECKED:
        used |= {(path, fn, name) for _, fn, name in find_host_calls((ROOT / path).read_text())}
    assert not set(ALLOWED) - used, f"unused ALLOWED entries: {sorted(set(ALLOWED) - used)}"


def test_checker_flags_what_it_should():
    src = """
import numpy as np
from numpy import concatenate, float32

def op(x, xp):
    a = np.exp(x) + np.log(2.0) + np.matmul(x, x)   # ufuncs: dispatch to cupy
    b = np.float32(1.5), np.dtype("f4"), np.iinfo(np.int64).max, np.result_type(x, 1)
    with np.errstate(divide="ignore"):
        c = xp.where(x > 0, x, 0)
    np.add.at(x, [0], 1)                   # a ufunc method: numpy's own loop
    return np.where(x > 0, x, 0), np.asarray(x), np.lib.stride_tricks.as_strided(x, (2,), (0,))

class K:
    def forward(ctx, x):
        return np.concatenate([x, x])
"""
    hits = find_host_calls(src)
    assert [(fn, name) for _, fn, name in hits] == [
        ("<module>", "concatenate"), ("op", "add.at"), ("op", "where"), ("op", "asarray"),
        ("op", "lib.stride_tricks.as_strided"), ("K.forward", "concatenate")]
