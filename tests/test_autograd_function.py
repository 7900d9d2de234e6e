"""Custom ``autograd.Function`` against PyTorch, and gradcheck / gradgradcheck.

The Function classes are built for a library by ``fns(lib)``, so the same code runs
on torch and on ember; ``both`` compares what a case returns.
"""
import warnings

import numpy as np
import pytest
import torch

import ember

torch.set_num_threads(1)


def _plain(v):
    if isinstance(v, (torch.Tensor, ember.Tensor)):
        return ("tensor", str(v.dtype).split(".")[-1], np.asarray(v.detach().tolist(), dtype=np.float64))
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _same(a, b, path="result"):
    if isinstance(a, tuple) and a and a[0] == "tensor":
        assert isinstance(b, tuple) and b[0] == "tensor", f"{path}: ember {a} vs torch {b}"
        assert a[1] == b[1] and a[2].shape == b[2].shape, f"{path}: ember {a} vs torch {b}"
        assert np.allclose(a[2], b[2], rtol=1e-6, atol=1e-9, equal_nan=True), f"{path}: ember {a} vs torch {b}"
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{path}: ember {a} vs torch {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: ember {a!r} vs torch {b!r}"


def both(fn):
    e, t = fn(ember), fn(torch)
    _same(_plain(e), _plain(t))
    return e


def T(lib, data, rg=True):
    return lib.tensor(data, dtype=lib.float64, requires_grad=rg)


def fns(lib):
    F = lib.autograd.Function

    class ScaledMul(F):
        """x * y * k with a non-tensor k; records needs_input_grad."""
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_backward(x, y)
            ctx.k = k
            ctx.seen_needs = tuple(ctx.needs_input_grad)
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            gx = g * y * ctx.k if ctx.needs_input_grad[0] else None
            gy = g * x * ctx.k if ctx.needs_input_grad[1] else None
            return gx, gy, None

    class TwoOut(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2, x * x

        @staticmethod
        def backward(ctx, ga, gb):
            x, = ctx.saved_tensors
            return ga * 2 + gb * 2 * x

    class SortVals(F):
        """Sorted values and (non-differentiable) indices."""
        @staticmethod
        def forward(ctx, x):
            idx = x.argsort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return x[idx], idx

        @staticmethod
        def backward(ctx, gv, gi):
            idx, = ctx.saved_tensors
            ctx.gi_was = None if gi is None else tuple(gi.shape)
            out = lib.zeros_like(gv)
            out[idx] = gv
            return out

    class NoMaterialize(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x.clone(), x.clone()

        @staticmethod
        def backward(ctx, ga, gb):
            ctx.got = (ga is None, gb is None)
            out = None
            if ga is not None:
                out = ga
            if gb is not None:
                out = gb * 3 if out is None else out + gb * 3
            return out

    class Cube(F):
        """Backward in differentiable ops: twice differentiable."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x

    class CubeOnce(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x * x

    class Exp(F):
        """Saves its output."""
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    return dict(ScaledMul=ScaledMul, TwoOut=TwoOut, SortVals=SortVals, NoMaterialize=NoMaterialize, Cube=Cube,
                CubeOnce=CubeOnce, Exp=Exp)


# --- behaviour against PyTorch -------------------------------------------------------------------

def _save_and_nontensor_args(lib):
    f = fns(lib)["ScaledMul"]
    x, y = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0], rg=False)
    z = f.apply(x, y, 2.5)
    z.sum().backward()
    return z, x.grad, y.grad, z.requires_grad, z.is_leaf


def _needs_input_grad(lib):
    f = fns(lib)["ScaledMul"]
    x, y = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0], rg=False)
    seen = []
    orig = f.forward

    def spy(ctx, *a):
        out = orig(ctx, *a)
        seen.append(tuple(ctx.needs_input_grad))
        return out
    f.forward = staticmethod(spy)
    f.apply(x, y, 1.0)
    f.apply(y, x, 1.0)
    f.apply(y, y, 1.0)
    return seen


def _used_twice(lib):
    f = fns(lib)["ScaledMul"]
    x = T(lib, [1.0, 2.0])
    a = f.apply(x, x, 1.0)
    b = f.apply(a, x, 0.5)
    (a + b).sum().backward()
    return x.grad


def _two_outputs_both_used(lib):
    f = fns(lib)["TwoOut"]
    x = T(lib, [1.0, 2.0])
    a, b = f.apply(x)
    (a * 3 + b).sum().backward()
    return x.grad, a.grad_fn is b.grad_fn


def _two_outputs_one_used(lib):
    f = fns(lib)["TwoOut"]
    x = T(lib, [1.0, 2.0])
    a, b = f.apply(x)
    b.sum().backward()
    g1 = x.grad.clone()
    x.grad = None
    a2, _ = f.apply(x)
    a2.sum().backward()
    return g1, x.grad


def _non_differentiable(lib):
    f = fns(lib)["SortVals"]
    x = T(lib, [3.0, 1.0, 2.0])
    v, i = f.apply(x)
    (v * lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)).sum().backward()
    return v, i.tolist(), v.requires_grad, i.requires_grad, x.grad, v.grad_fn.gi_was


def _non_differentiable_input_returned(lib):
    class PassMark(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_non_differentiable(x)
            return x, x * 2

        @staticmethod
        def backward(ctx, ga, gb):
            return gb * 2
    x = T(lib, [1.0, 2.0])
    a, b = PassMark.apply(x)
    b.sum().backward()
    return a.requires_grad, b.requires_grad, a is x, x.grad


def _no_materialize(lib):
    f = fns(lib)["NoMaterialize"]
    x = T(lib, [3.0, 1.0])
    a, b = f.apply(x)
    b.sum().backward()
    got1 = b.grad_fn.got
    g1 = x.grad.clone()
    a2, b2 = f.apply(x)
    a2.sum().backward()
    return got1, a2.grad_fn.got, g1, x.grad


def _materialize_default(lib):
    class Seen(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, ga, gb):
            ctx.got = (ga is None, gb is None, tuple(gb.shape), gb.tolist())
            return ga + 2 * gb
    x = T(lib, [3.0, 1.0])
    a, b = Seen.apply(x)
    a.sum().backward()
    return a.grad_fn.got, x.grad


def _none_grad_returned(lib):
    class Half(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g, None
    x, y = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    Half.apply(x, y).sum().backward()
    return x.grad, y.grad


def _returns_input(lib):
    class Ident(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2
    x = T(lib, [1.0, 2.0])
    y = Ident.apply(x)
    r = (y is x, y.requires_grad, y.is_leaf, x.is_leaf)
    y.sum().backward()
    return r, x.grad


def _mark_dirty(lib):
    class AddOneInplace(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 1
    x = T(lib, [1.0, 2.0])
    h = x * 2
    v0 = h._version
    y = AddOneInplace.apply(h)
    r = (y is h, h._version > v0, h.tolist())
    (y * y).sum().backward()
    return r, x.grad


def _in_no_grad(lib):
    f = fns(lib)["ScaledMul"]
    x = T(lib, [1.0, 2.0])
    with lib.no_grad():
        z = f.apply(x, x, 1.0)
    return z.requires_grad, z.grad_fn is None, z


def _no_input_requires_grad(lib):
    f = fns(lib)["Exp"]
    x = T(lib, [1.0, 2.0], rg=False)
    z = f.apply(x)
    return z.requires_grad, z.grad_fn is None, z


def _saved_output(lib):
    f = fns(lib)["Exp"]
    x = T(lib, [0.5, 1.0])
    y = f.apply(x)
    (y * y).sum().backward()
    return x.grad


def _saved_freed(lib):
    f = fns(lib)["Exp"]
    x = T(lib, [0.5, 1.0])
    y = f.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    return True


def _saved_modified_inplace(lib):
    f = fns(lib)["Cube"]
    x = T(lib, [0.5, 1.0])
    h = x * 1
    y = f.apply(h)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    return True


def _double_backward(lib):
    f = fns(lib)["Cube"]
    x = T(lib, [0.5, 2.0])
    g, = lib.autograd.grad(f.apply(x).sum(), x, create_graph=True)
    h, = lib.autograd.grad(g.sum(), x, create_graph=True)
    k, = lib.autograd.grad(h.sum(), x)
    return g, h, k


def _once_differentiable_first_order(lib):
    f = fns(lib)["CubeOnce"]
    x = T(lib, [0.5, 2.0])
    f.apply(x).sum().backward()
    return x.grad


def _once_differentiable_refuses_double(lib):
    f = fns(lib)["CubeOnce"]
    x = T(lib, [0.5, 2.0])
    y = f.apply(x) * x  # the second-order path goes through the once-differentiable backward
    g, = lib.autograd.grad(y.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()
    return True


def _wrong_number_of_grads(lib):
    class TooMany(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g
    x = T(lib, [1.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooMany.apply(x).sum().backward()
    return True


def _wrong_shape_grad(lib):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g[:1]
    x = T(lib, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="invalid gradient at index 0"):
        Bad.apply(x).sum().backward()
    return True


def _broadcastable_grad_is_reduced(lib):
    class Expanding(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return g * lib.ones(3, 2, dtype=lib.float64)  # (3, 2) for an input of shape (2,)
    x = T(lib, [1.0, 2.0])
    Expanding.apply(x).backward()
    return x.grad


def _grad_dtype_follows_input(lib):
    class F64(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.double() * 2
    x = lib.tensor([1.0, 2.0], requires_grad=True)  # float32
    F64.apply(x).sum().backward()
    return x.grad


def _ctx_attributes_in_graph(lib):
    f = fns(lib)["ScaledMul"]
    x = T(lib, [1.0, 2.0])
    z = f.apply(x, x, 3.0)
    node = z.grad_fn
    name = node.name() if lib is ember else type(node).__name__
    return name, node.k, len(node.saved_tensors)


def _setup_context_style(lib):
    class Mul(lib.autograd.Function):
        @staticmethod
        def forward(x, y, k):
            return x * y * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            x, y, k = inputs
            ctx.save_for_backward(x, y)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return g * y * ctx.k, g * x * ctx.k, None
    x, y = T(lib, [1.0, 2.0]), T(lib, [3.0, 4.0])
    z = Mul.apply(x, y, 2.0)
    gx, gy = lib.autograd.grad(z.sum(), [x, y], create_graph=True)
    (gx * gy).sum().backward()
    return z, gx, gy, x.grad, y.grad


def _anomaly_names_custom(lib):
    class NaNGrad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")
    x = T(lib, [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as info:
                NaNGrad.apply(x).sum().backward()
    return str(info.value)


@pytest.mark.parametrize("case", [
    _save_and_nontensor_args, _needs_input_grad, _used_twice, _two_outputs_both_used, _two_outputs_one_used,
    _non_differentiable, _non_differentiable_input_returned, _no_materialize, _materialize_default,
    _none_grad_returned, _returns_input, _mark_dirty,
    _in_no_grad, _no_input_requires_grad, _saved_output, _saved_freed, _saved_modified_inplace, _double_backward,
    _once_differentiable_first_order, _once_differentiable_refuses_double, _wrong_number_of_grads,
    _wrong_shape_grad, _broadcastable_grad_is_reduced, _grad_dtype_follows_input, _ctx_attributes_in_graph,
    _setup_context_style, _anomaly_names_custom,
], ids=lambda f: f.__name__.strip("_"))
def test_custom_function(case):
    both(case)


def test_custom_function_in_deep_chain():
    f = fns(ember)["Exp"]
    x = T(ember, [0.0])
    y = x
    for _ in range(5000):
        y = f.apply(y * 0.0)  # exp(0) = 1 at every step
    y.sum().backward()
    assert x.grad.tolist() == [0.0]


# --- gradcheck / gradgradcheck ----------------------------------------------------------------------

def _bad_first(lib):
    class BadFirst(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x * x  # should be 3 x^2
    return BadFirst


def _bad_second(lib):
    class BadSecond(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 3 * x.detach() ** 2  # right values, but no graph through x: wrong 2nd derivative
    return BadSecond


GOOD = [
    ("cube", lambda lib: (fns(lib)["Cube"].apply, [(3,)])),
    ("exp", lambda lib: (fns(lib)["Exp"].apply, [(2, 2)])),
    ("scaled_mul", lambda lib: (lambda a, b: fns(lib)["ScaledMul"].apply(a, b, 1.5), [(3,), (3,)])),
    ("two_out", lambda lib: (fns(lib)["TwoOut"].apply, [(3,)])),
    ("builtin_ops", lambda lib: (lambda a, b: (a.mm(b).tanh() * a.sum()).softmax(1), [(2, 3), (3, 2)])),
    ("broadcast_div", lambda lib: (lambda a, b: a / (b * b + 1), [(2, 3), (3,)])),
]


@pytest.mark.parametrize("name,make", GOOD, ids=[n for n, _ in GOOD])
def test_gradcheck_and_gradgradcheck_pass(name, make):
    for lib in (torch, ember):
        fn, shapes = make(lib)
        rng = np.random.default_rng(0)
        inputs = tuple(lib.tensor(rng.uniform(0.5, 1.5, s), dtype=lib.float64, requires_grad=True) for s in shapes)
        assert lib.autograd.gradcheck(fn, inputs)
        assert lib.autograd.gradgradcheck(fn, inputs)


@pytest.mark.parametrize("make,check", [
    (_bad_first, "gradcheck"), (_bad_second, "gradgradcheck"),
], ids=["bad_first-gradcheck", "bad_second-gradgradcheck"])
def test_checks_fail_on_wrong_backward(make, check):
    for lib in (torch, ember):
        fn = make(lib).apply
        x = lib.tensor([0.5, 1.5, -1.0], dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            getattr(lib.autograd, check)(fn, (x,))
        assert getattr(lib.autograd, check)(fn, (x,), raise_exception=False) is False


def test_bad_second_passes_first_order_check():
    # BadSecond's first derivative is right: only gradgradcheck can catch it
    x = ember.tensor([0.5, 1.5, -1.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(_bad_second(ember).apply, (x,))


def test_gradcheck_noncontiguous_input():
    base = ember.tensor(np.arange(1.0, 7.0).reshape(2, 3), dtype=ember.float64)
    x = base.t().detach().requires_grad_()  # a transposed view: not contiguous
    assert not x.is_contiguous()
    assert ember.autograd.gradcheck(lambda a: (a * a).sum(1), (x,))
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        ember.autograd.gradcheck(_bad_first(ember).apply, (x,))


def test_gradcheck_leaves_inputs_unchanged():
    x = ember.tensor([0.5, 1.5], dtype=ember.float64, requires_grad=True)
    before = x.tolist()
    ember.autograd.gradcheck(lambda a: a.exp(), (x,))
    assert x.tolist() == before and x.grad is None


def test_gradcheck_error_is_runtime_error():
    import importlib
    err = importlib.import_module("ember.autograd.gradcheck").GradcheckError
    assert issubclass(err, RuntimeError)
    x = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
    with pytest.raises(err):
        ember.autograd.gradcheck(_bad_first(ember).apply, (x,))
