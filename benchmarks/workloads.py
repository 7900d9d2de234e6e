"""Benchmark workloads for benchmarks/run.py.

A workload is registered with ``@workload(...)`` on a function that takes a
PyTorch-like framework module (``ember`` or ``torch``), builds its inputs and
returns a zero-argument ``step()`` callable. Setup is not timed; ``step()`` is.
An optional NumPy reference takes the ``numpy`` module and returns a
``step()`` the same way.

This module imports no framework itself: run.py imports numpy/torch/ember only
after the thread-count environment variables are set, and passes them in.

To add a workload (later: MLP, CNN, LSTM)::

    def my_thing_numpy(np): ...           # optional reference

    @workload("my_thing", unit="ms", iters=200, quick_iters=20,
              numpy=my_thing_numpy, description="...")
    def my_thing(torch):
        ...set up tensors...
        def step():
            ...one training step...
        return step
"""
from dataclasses import dataclass
from typing import Callable, Optional

UNIT_SCALE = {"ms": 1e3, "us": 1e6}  # seconds -> unit


@dataclass
class Workload:
    name: str
    build: Callable  # (torch-like module) -> step()
    unit: str  # "ms" or "us": the unit of the reported time per step
    iters: int  # timed step() calls per repetition
    quick_iters: int  # the same under --quick
    numpy: Optional[Callable] = None  # (numpy module) -> step(), the numpy column
    numpy_note: str = ""  # shown in the table's notes, e.g. what the numpy column measures
    description: str = ""


WORKLOADS = {}


def workload(name, *, unit, iters, quick_iters, numpy=None, numpy_note="", description=""):
    if unit not in UNIT_SCALE:
        raise ValueError(f"unit must be one of {sorted(UNIT_SCALE)}")

    def register(build):
        if name in WORKLOADS:
            raise ValueError(f"workload {name!r} registered twice")
        WORKLOADS[name] = Workload(name, build, unit, iters, quick_iters,
                                   numpy, numpy_note, description)
        return build

    return register


# ---------------------------------------------------------------------------
# a. seed_manual: the seed notebook's two-layer ReLU net, hand-written backward
# ---------------------------------------------------------------------------
SEED_N, SEED_D_IN, SEED_H, SEED_D_OUT = 64, 1000, 100, 10
SEED_LR = 1e-6


def seed_manual_numpy(np):
    """The notebook's NumPy program, in float32."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((SEED_N, SEED_D_IN), dtype=f32)
    y = rng.standard_normal((SEED_N, SEED_D_OUT), dtype=f32)
    w1 = rng.standard_normal((SEED_D_IN, SEED_H), dtype=f32)
    w2 = rng.standard_normal((SEED_H, SEED_D_OUT), dtype=f32)
    lr = f32(SEED_LR)

    def step():
        nonlocal w1, w2
        h = x.dot(w1)
        h_relu = np.maximum(h, 0)
        y_pred = h_relu.dot(w2)
        loss = float(np.square(y_pred - y).sum())  # like .item()

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)

        w1 -= lr * grad_w1
        w2 -= lr * grad_w2
        return loss

    return step


@workload("seed_manual", unit="ms", iters=500, quick_iters=50,
          numpy=seed_manual_numpy,
          description="seed net 64x1000x100x10 float32, hand-written backward (the notebook)")
def seed_manual(torch):
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.randn(SEED_N, SEED_D_IN, device=device, dtype=dtype)
    y = torch.randn(SEED_N, SEED_D_OUT, device=device, dtype=dtype)
    w1 = torch.randn(SEED_D_IN, SEED_H, device=device, dtype=dtype)
    w2 = torch.randn(SEED_H, SEED_D_OUT, device=device, dtype=dtype)
    learning_rate = SEED_LR

    def step():
        nonlocal w1, w2
        h = x.mm(w1)
        h_relu = h.clamp(min=0)
        y_pred = h_relu.mm(w2)
        loss = (y_pred - y).pow(2).sum().item()

        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
        return loss

    return step


# ---------------------------------------------------------------------------
# b. seed_autograd: the same network trained with autograd
# ---------------------------------------------------------------------------
@workload("seed_autograd", unit="ms", iters=500, quick_iters=50,
          numpy=seed_manual_numpy,
          numpy_note="numpy column = seed_manual's hand-written numpy (numpy has no autograd)",
          description="seed net with requires_grad, backward(), no_grad update, grad.zero_()")
def seed_autograd(torch):
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device("cpu")
    x = torch.randn(SEED_N, SEED_D_IN, device=device, dtype=dtype)
    y = torch.randn(SEED_N, SEED_D_OUT, device=device, dtype=dtype)
    w1 = torch.randn(SEED_D_IN, SEED_H, device=device, dtype=dtype, requires_grad=True)
    w2 = torch.randn(SEED_H, SEED_D_OUT, device=device, dtype=dtype, requires_grad=True)
    learning_rate = SEED_LR

    def step():
        nonlocal w1, w2
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        value = loss.item()
        loss.backward()
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        return value

    return step


# ---------------------------------------------------------------------------
# c. op_overhead: per-op framework overhead on tiny tensors
# ---------------------------------------------------------------------------
def op_overhead_numpy(np):
    """The same 10-op chain, forward only (numpy has no autograd)."""
    rng = np.random.default_rng(0)
    a, b, c = (rng.standard_normal((4, 4), dtype=np.float32) for _ in range(3))

    def step():
        z = a * b
        z = z + c
        z = np.sin(z)
        z = z * 2
        z = np.exp(z)
        z = z - a
        z = np.tanh(z)
        z = z * b
        z = np.maximum(z, 0)
        return z.sum()

    return step


@workload("op_overhead", unit="us", iters=500, quick_iters=50,
          numpy=op_overhead_numpy,
          numpy_note="numpy column = the same 10 ops, forward only",
          description="10 elementwise ops on 4x4 float32 with requires_grad, then backward()")
def op_overhead(torch):
    torch.manual_seed(0)
    a = torch.randn(4, 4, dtype=torch.float32, requires_grad=True)
    b = torch.randn(4, 4, dtype=torch.float32, requires_grad=True)
    c = torch.randn(4, 4, dtype=torch.float32, requires_grad=True)
    leaves = (a, b, c)

    def step():
        z = a * b       # 1
        z = z + c       # 2
        z = z.sin()     # 3
        z = z * 2       # 4
        z = z.exp()     # 5
        z = z - a       # 6
        z = z.tanh()    # 7
        z = z * b       # 8
        z = z.relu()    # 9
        s = z.sum()     # 10
        s.backward()
        for leaf in leaves:  # like optimizer.zero_grad(set_to_none=True)
            leaf.grad = None

    return step
