"""Oracle comparisons of ember against PyTorch, one line per test case.

``check(fn, shapes=[(3, 4), (4,)])`` builds seeded random numpy inputs, makes a
torch copy and an ember copy of each (floating inputs require grad), runs ``fn``
on both, compares values, dtypes and shapes of every output, then back-propagates
the same random upstream gradient through both and compares every input's grad.

Usually the same lambda serves both frameworks because the APIs match; where a
module-level function is needed, ``lib(x)`` returns ``torch`` or ``ember`` for a
tensor of that framework: ``lambda x, y: lib(x).cat([x, y], 1)``.
"""
import math

import numpy as np
import pytest
import torch

import ember

# --- devices --------------------------------------------------------------------------------

DEVICES = ["cpu", "cuda"]
HAS_CUDA = ember.cuda.is_available()
CUDA_SKIP_REASON = "CUDA not available (no CuPy or no GPU)"
# With a GPU, ember-on-CUDA is compared with PyTorch on CUDA when this PyTorch build has CUDA
# (with PyTorch on the CPU otherwise: same numbers up to the tolerances).
TORCH_CUDA = torch.cuda.is_available()

# The device ``check``/``check_raises`` use when a test does not name one. conftest runs every
# test that calls them once per device (see ``pytest_generate_tests`` there) and sets this.
CURRENT = {"device": "cpu"}


def current_device(device=None):
    return CURRENT["device"] if device is None else device


def torch_device(device):
    """Where the PyTorch oracle runs for an ember case on ``device``."""
    return "cuda" if device == "cuda" and TORCH_CUDA else "cpu"


def skip_unless_device(device):
    """Skip the running test when ``device`` is not usable here."""
    if device == "cuda" and not HAS_CUDA:
        pytest.skip(CUDA_SKIP_REASON)


# --- small utilities --------------------------------------------------------------------------

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8")
ALL_DTYPES = FLOAT_DTYPES + INT_DTYPES + ("bool",)

# (atol, rtol) by dtype name, for forward values and gradients
TOL = {"float16": (2e-3, 2e-3), "float32": (1e-5, 1e-4), "float64": (1e-10, 1e-9)}


def lib(t):
    """The framework module a tensor belongs to: ``lib(x).cat(...)``."""
    return torch if isinstance(t, torch.Tensor) else ember


def dtype_name(d):
    return str(d).split(".")[-1]


def random_array(shape, dtype="float32", low=-2.0, high=2.0, rng=None):
    rng = rng if rng is not None else np.random.default_rng(0)
    shape = tuple(shape)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_DTYPES:
        lo = max(int(math.floor(low)), 0) if dtype == "uint8" else int(math.floor(low))
        hi = max(int(math.ceil(high)), lo + 1)
        return rng.integers(lo, hi, size=shape).astype(dtype)
    return rng.uniform(low, high, size=shape).astype(dtype)


def to_numpy(t):
    """Host numpy copy of a torch or ember tensor (or a Python value)."""
    if isinstance(t, torch.Tensor):
        return t.detach().cpu().numpy()
    if isinstance(t, ember.Tensor):
        return np.array(t.detach().cpu().numpy())
    return np.asarray(t)


def _flatten_outputs(out):
    """Outputs as a flat list: tensors, numbers and bools (tuples, lists and named tuples unpacked)."""
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten_outputs(o))
        return res
    return [out]


def assert_same(e, t, atol=None, rtol=None, what="output"):
    """An ember result equals a torch one: same kind, shape, dtype name and values (NaNs match NaNs)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{what}: ember gave {type(e).__name__}, torch gave a Tensor"
        assert tuple(e.shape) == tuple(t.shape), f"{what}: shape {tuple(e.shape)} != torch {tuple(t.shape)}"
        assert dtype_name(e.dtype) == dtype_name(t.dtype), \
            f"{what}: dtype {dtype_name(e.dtype)} != torch {dtype_name(t.dtype)}"
        a, b = to_numpy(e), to_numpy(t)
        name = dtype_name(t.dtype)
        if name in TOL:
            dat, drt = TOL[name]
            atol = dat if atol is None else atol
            rtol = drt if rtol is None else rtol
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            ok = np.isclose(a64, b64, atol=atol, rtol=rtol, equal_nan=True)
            if not ok.all():
                bad = ~ok
                raise AssertionError(
                    f"{what}: values differ at {int(bad.sum())}/{bad.size} positions; max abs diff "
                    f"{np.max(np.abs(a64 - b64)[bad])}\nember:\n{a}\ntorch:\n{b}")
        else:
            assert np.array_equal(a, b), f"{what}: values differ\nember:\n{a}\ntorch:\n{b}"
    elif isinstance(t, torch.Size):
        assert tuple(e) == tuple(t), f"{what}: {tuple(e)} != torch {tuple(t)}"
    else:
        assert not isinstance(e, ember.Tensor), f"{what}: ember gave a Tensor, torch gave {type(t).__name__}"
        if isinstance(t, float) and math.isnan(t):
            assert isinstance(e, float) and math.isnan(e), f"{what}: {e!r} != torch {t!r}"
        elif isinstance(t, float):
            assert e == pytest.approx(t, rel=1e-5, abs=1e-6), f"{what}: {e!r} != torch {t!r}"
        else:
            assert type(e) is type(t) and e == t, f"{what}: {e!r} != torch {t!r}"


def make_inputs(shapes, dtype="float32", low=-2.0, high=2.0, seed=0):
    """numpy inputs: a shape tuple gives random values, an array (or number) is taken as it is."""
    rng = np.random.default_rng(seed)
    dtypes = dtype if isinstance(dtype, (list, tuple)) else [dtype] * len(shapes)
    arrays = []
    for s, d in zip(shapes, dtypes):
        if isinstance(s, np.ndarray):
            arrays.append(s)
        elif isinstance(s, tuple):
            arrays.append(random_array(s, d, low, high, rng))
        else:
            arrays.append(np.asarray(s, dtype=d))
    return arrays


def check(torch_fn, ember_fn=None, shapes=((3, 4),), dtype="float32", low=-2.0, high=2.0, grad=True,
          atol=None, rtol=None, device=None, seed=0, grad_atol=None, grad_rtol=None):
    """Run the same function on torch and on ember tensors and compare forward results and gradients.

    ``shapes``: one entry per input, a shape tuple (random values in [low, high)) or a numpy array.
    ``dtype``: a dtype name, or one per input. Floating inputs require grad when ``grad``.
    ``device``: where ember runs (default: the test's device, see ``CURRENT``).
    """
    device = current_device(device)
    skip_unless_device(device)
    tdev = torch_device(device)
    ember_fn = ember_fn or torch_fn
    arrays = make_inputs(shapes, dtype, low, high, seed)
    tin, ein = [], []
    for a in arrays:
        floating = a.dtype.kind == "f"
        t = torch.tensor(a, device=tdev)
        e = ember.tensor(a, device=device)
        if grad and floating:
            t.requires_grad_(True)
            e.requires_grad_(True)
        tin.append(t)
        ein.append(e)

    t_out = torch_fn(*tin)
    e_out = ember_fn(*ein)
    t_flat, e_flat = _flatten_outputs(t_out), _flatten_outputs(e_out)
    assert len(e_flat) == len(t_flat), f"ember gave {len(e_flat)} outputs, torch {len(t_flat)}"
    if atol is None and rtol is None:
        # mixed precisions: compare at the loosest precision that took part (float32 math into a float64 grad)
        names = [a.dtype.name for a in arrays] + [dtype_name(t.dtype) for t in t_flat if isinstance(t, torch.Tensor)]
        floats = [n for n in FLOAT_DTYPES if n in names]
        if len(floats) > 1:
            atol, rtol = TOL[floats[0]]
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert_same(e, t, atol, rtol, what=f"forward output {i}")
        if isinstance(t, torch.Tensor) and isinstance(e, ember.Tensor):
            assert e.device.type == device, f"output {i} is on {e.device}, expected {device}"
            assert e.requires_grad == t.requires_grad, \
                f"forward output {i}: requires_grad {e.requires_grad} != torch {t.requires_grad}"

    if not grad:
        return
    rng = np.random.default_rng(seed + 1)
    t_roots, t_grads, e_roots, e_grads = [], [], [], []
    for e, t in zip(e_flat, t_flat):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            g = rng.uniform(-1.0, 1.0, size=tuple(t.shape)).astype(dtype_name(t.dtype))
            t_roots.append(t)
            t_grads.append(torch.tensor(g, device=tdev))
            e_roots.append(e)
            e_grads.append(ember.tensor(g, device=device))
    if not t_roots:
        return
    torch.autograd.backward(t_roots, t_grads)
    ember.autograd.backward(e_roots, e_grads)
    for i, (e, t) in enumerate(zip(ein, tin)):
        if not t.requires_grad:
            continue
        if t.grad is None:
            assert e.grad is None, f"input {i}: ember has a grad, torch has None"
            continue
        assert e.grad is not None, f"input {i}: ember grad is None, torch has one"
        assert_same(e.grad, t.grad, grad_atol if grad_atol is not None else atol,
                    grad_rtol if grad_rtol is not None else rtol, what=f"grad of input {i}")


def check_raises(torch_fn, ember_fn=None, shapes=((3, 4),), dtype="float32", match=None, device=None):
    """Both frameworks raise the same exception type; ember's message matches ``match`` (a regex)."""
    device = current_device(device)
    skip_unless_device(device)
    ember_fn = ember_fn or torch_fn
    arrays = make_inputs(shapes, dtype)
    with pytest.raises(Exception) as t_info:
        torch_fn(*[torch.tensor(a, device=torch_device(device)) for a in arrays])
    with pytest.raises(Exception) as e_info:
        ember_fn(*[ember.tensor(a, device=device) for a in arrays])
    assert e_info.type is t_info.type or issubclass(e_info.type, t_info.type), \
        f"ember raised {e_info.type.__name__}({e_info.value}), torch raised {t_info.type.__name__}({t_info.value})"
    if match is not None:
        e_info.match(match)
    return e_info


def cases(*entries):
    """``pytest.param`` entries with readable ids: (id, *values)."""
    return [pytest.param(*e[1:], id=e[0]) for e in entries]


def check_like_torch(torch_fn, shapes=((3, 4),), dtype="float32", **kw):
    """For edge cases: if PyTorch raises, ember must raise the same type; otherwise ``check`` the results."""
    arrays = make_inputs(shapes, dtype)
    try:
        torch_fn(*[torch.tensor(a) for a in arrays])
    except Exception:  # noqa: BLE001 - the type is compared by check_raises
        return check_raises(torch_fn, shapes=shapes, dtype=dtype, device=kw.get("device"))
    return check(torch_fn, shapes=shapes, dtype=dtype, **kw)


def same_error(fn, match=None):
    """Both frameworks raise; ember's exception is (a subclass of) torch's, its message matches ``match``.
    Returns ember's exception info."""
    with pytest.raises(Exception) as t_info:
        fn(torch)
    with pytest.raises(Exception) as e_info:
        fn(ember)
    assert issubclass(e_info.type, t_info.type), \
        f"ember raised {e_info.type.__name__}({e_info.value}), torch raised {t_info.type.__name__}({t_info.value})"
    if match is not None:
        e_info.match(match)
    return e_info
