"""Benchmark workloads for benchmarks/run.py.

A workload is registered with ``@workload(...)`` on a function that takes a
PyTorch-like framework module (``ember`` or ``torch``), builds its inputs and
returns a zero-argument ``step()`` callable. Setup is not timed; ``step()`` is.
A builder may take ``device`` (``"cpu"`` or ``"cuda"``) as a second argument:
run.py passes it with ``--device cuda`` and skips builders without it there.
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
def seed_manual(torch, device="cpu"):
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device(device)
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
def seed_autograd(torch, device="cpu"):
    torch.manual_seed(0)
    dtype = torch.float
    device = torch.device(device)
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
def op_overhead(torch, device="cpu"):
    torch.manual_seed(0)
    a = torch.randn(4, 4, dtype=torch.float32, device=device, requires_grad=True)
    b = torch.randn(4, 4, dtype=torch.float32, device=device, requires_grad=True)
    c = torch.randn(4, 4, dtype=torch.float32, device=device, requires_grad=True)
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


# ---------------------------------------------------------------------------
# d. seed_nn: the seed network written with nn.Sequential + MSELoss + optim.SGD
# ---------------------------------------------------------------------------
SEED_NN_LR = 1e-4


def seed_nn_numpy(np):
    """The same network with biases, sum-of-squares loss and plain SGD, hand-written."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((SEED_N, SEED_D_IN), dtype=f32)
    y = rng.standard_normal((SEED_N, SEED_D_OUT), dtype=f32)
    b1_bound, b2_bound = 1 / np.sqrt(SEED_D_IN), 1 / np.sqrt(SEED_H)
    w1 = rng.uniform(-b1_bound, b1_bound, (SEED_H, SEED_D_IN)).astype(f32)
    b1 = rng.uniform(-b1_bound, b1_bound, SEED_H).astype(f32)
    w2 = rng.uniform(-b2_bound, b2_bound, (SEED_D_OUT, SEED_H)).astype(f32)
    b2 = rng.uniform(-b2_bound, b2_bound, SEED_D_OUT).astype(f32)
    lr = f32(SEED_NN_LR)

    def step():
        h = x @ w1.T + b1
        h_relu = np.maximum(h, 0)
        y_pred = h_relu @ w2.T + b2
        diff = y_pred - y
        loss = float(np.square(diff).sum())
        g_pred = 2 * diff
        g_w2 = g_pred.T @ h_relu
        g_b2 = g_pred.sum(0)
        g_h = g_pred @ w2
        g_h[h <= 0] = 0
        g_w1 = g_h.T @ x
        g_b1 = g_h.sum(0)
        for p, g in ((w1, g_w1), (b1, g_b1), (w2, g_w2), (b2, g_b2)):
            p -= lr * g
        return loss

    return step


@workload("seed_nn", unit="ms", iters=500, quick_iters=50,
          numpy=seed_nn_numpy,
          numpy_note="numpy column = the same network, backward and SGD written by hand",
          description="seed net as nn.Sequential(Linear, ReLU, Linear), MSELoss(reduction='sum'), optim.SGD")
def seed_nn(torch, device="cpu"):
    torch.manual_seed(0)
    x = torch.randn(SEED_N, SEED_D_IN, device=device)
    y = torch.randn(SEED_N, SEED_D_OUT, device=device)
    model = torch.nn.Sequential(
        torch.nn.Linear(SEED_D_IN, SEED_H),
        torch.nn.ReLU(),
        torch.nn.Linear(SEED_H, SEED_D_OUT),
    ).to(device)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=SEED_NN_LR)

    def step():
        y_pred = model(x)
        loss = loss_fn(y_pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# ---------------------------------------------------------------------------
# f. mlp_4096: the mlp below at batch 4096, matmul-bound on a GPU (the GPU
#    target "MLP at batch 4096 <= 1.1x PyTorch"); run.py lists it only with
#    --device cuda unless named with --only
# ---------------------------------------------------------------------------
MLP_4096_BATCH = 4096


@workload("mlp_4096", unit="ms", iters=50, quick_iters=5,
          description="MLP 784-512-512-10 at batch 4096, CrossEntropyLoss, Adam(lr=1e-3) (GPU target)")
def mlp_4096(torch, device="cpu"):
    return mlp(torch, device, batch=MLP_4096_BATCH)


# ---------------------------------------------------------------------------
# e. mlp: 784-512-512-10 classifier, batch 256, CrossEntropyLoss, Adam
# ---------------------------------------------------------------------------
MLP_BATCH, MLP_SIZES, MLP_LR = 256, (784, 512, 512, 10), 1e-3


def mlp_numpy(np):
    """The same MLP with a hand-written backward and an in-place Adam (no temporaries in the update)."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.standard_normal((MLP_BATCH, MLP_SIZES[0]), dtype=f32)
    labels = rng.integers(0, MLP_SIZES[-1], MLP_BATCH)
    params = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(f32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(f32))
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    t = 0
    rows = np.arange(MLP_BATCH)

    def step():
        nonlocal t
        w1, b1, w2, b2, w3, b3 = params
        h1 = x @ w1.T + b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T + b2
        a2 = np.maximum(h2, 0)
        logits = a2 @ w3.T + b3
        shifted = logits - logits.max(1, keepdims=True)
        exp = np.exp(shifted)
        sum_exp = exp.sum(1, keepdims=True)
        loss = float((np.log(sum_exp[:, 0]) - shifted[rows, labels]).mean())
        g = exp / sum_exp
        g[rows, labels] -= 1
        g /= MLP_BATCH
        grads = [None] * 6
        grads[4], grads[5] = g.T @ a2, g.sum(0)
        g = g @ w3
        g[h2 <= 0] = 0
        grads[2], grads[3] = g.T @ a1, g.sum(0)
        g = g @ w2
        g[h1 <= 0] = 0
        grads[0], grads[1] = g.T @ x, g.sum(0)
        t += 1
        step_size = MLP_LR / (1 - beta1 ** t)
        bias2_sqrt = (1 - beta2 ** t) ** 0.5
        for p, gr, mi, vi, s in zip(params, grads, m, v, scratch):
            mi *= beta1
            mi += (1 - beta1) * gr
            vi *= beta2
            np.multiply(gr, gr, out=s)
            s *= 1 - beta2
            vi += s
            np.sqrt(vi, out=s)
            s /= bias2_sqrt
            s += eps
            np.divide(mi, s, out=s)
            s *= step_size
            p -= s
        return loss

    return step


@workload("mlp", unit="ms", iters=50, quick_iters=5,
          numpy=mlp_numpy,
          numpy_note="numpy column = the same MLP, backward and in-place Adam written by hand",
          description="MLP 784-512-512-10, batch 256, CrossEntropyLoss, Adam(lr=1e-3), random data")
def mlp(torch, device="cpu", batch=MLP_BATCH):
    torch.manual_seed(0)
    x = torch.randn(batch, MLP_SIZES[0], device=device)
    labels = torch.randint(0, MLP_SIZES[-1], (batch,), device=device)
    layers = []
    for fan_in, fan_out in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1]).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=MLP_LR)

    def step():
        logits = model(x)
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


# ---------------------------------------------------------------------------
# rng: the random factories (ember: Philox4x64-10, the same numbers on CPU and CUDA)
# ---------------------------------------------------------------------------
RNG_N = 1_000_000


def rng_numpy(np):
    """numpy's own generator (PCG64): uniform and ziggurat normal float32 draws."""
    gen = np.random.default_rng(0)

    def step():
        gen.random(RNG_N, dtype=np.float32)
        gen.standard_normal(RNG_N, dtype=np.float32)

    return step


@workload("rng", unit="ms", iters=20, quick_iters=3,
          numpy=rng_numpy,
          numpy_note="numpy column = np.random.default_rng() random + standard_normal, float32",
          description="rand(1e6) + randn(1e6), float32, from the default generator")
def rng(torch, device="cpu"):
    torch.manual_seed(0)

    def step():
        torch.rand(RNG_N, device=device)
        torch.randn(RNG_N, device=device)

    return step
