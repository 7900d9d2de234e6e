"""Grad mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each case runs the same function with ``lib`` = torch and ``lib`` = ember and
compares what it returns (which flags ops record, which modes are on).
"""
import pytest
import torch

import ember
from ember.autograd.grad_mode import GradMode

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _no_leaked_mode():
    """A switch that forgets to restore the mode fails the test that used it (and is repaired)."""
    before = (GradMode.enabled, GradMode.inference)
    yield
    after = (GradMode.enabled, GradMode.inference)
    GradMode.enabled, GradMode.inference = before
    assert after == before, f"grad mode leaked: {before} -> {after}"


def both(fn):
    e, t = fn(ember), fn(torch)
    assert e == t, f"ember {e!r} != torch {t!r}"
    return e


def leaf(lib):
    return lib.tensor([1.0, 2.0], requires_grad=True)


def records(lib, x):
    """Whether an op on ``x`` records a graph right now."""
    y = x * 2
    return (y.requires_grad, y.grad_fn is not None, y.is_leaf)


# --- context managers ----------------------------------------------------------------------------

def _ctx_no_grad(lib):
    x = leaf(lib)
    with lib.no_grad():
        inside = records(lib, x), lib.is_grad_enabled()
    return inside, records(lib, x), lib.is_grad_enabled()


def _ctx_enable_in_no_grad(lib):
    x = leaf(lib)
    with lib.no_grad():
        with lib.enable_grad():
            a = records(lib, x)
            with lib.no_grad():
                b = records(lib, x)
            c = records(lib, x)
        d = records(lib, x)
    return a, b, c, d, records(lib, x)


def _ctx_set_grad_enabled(lib):
    x = leaf(lib)
    with lib.set_grad_enabled(False):
        a = records(lib, x)
        with lib.set_grad_enabled(True):
            b = records(lib, x)
        c = lib.is_grad_enabled()
    return a, b, c, lib.is_grad_enabled()


def _fn_set_grad_enabled(lib):
    x = leaf(lib)
    lib.set_grad_enabled(False)
    a = records(lib, x), lib.is_grad_enabled()
    lib.set_grad_enabled(True)
    return a, records(lib, x)


def _exception_restores(lib):
    out = []
    for cm in (lib.no_grad(), lib.enable_grad(), lib.set_grad_enabled(False), lib.inference_mode()):
        try:
            with cm:
                raise KeyError("boom")
        except KeyError:
            pass
        out.append((lib.is_grad_enabled(), lib.is_inference_mode_enabled()))
    return out


def _inference_mode(lib):
    x = leaf(lib)
    with lib.inference_mode():
        a = records(lib, x), lib.is_grad_enabled(), lib.is_inference_mode_enabled()
        with lib.inference_mode(False):
            b = records(lib, x), lib.is_grad_enabled(), lib.is_inference_mode_enabled()
        c = lib.is_inference_mode_enabled()
    return a, b, c, lib.is_inference_mode_enabled()


def _inference_false_enables_grad(lib):
    x = leaf(lib)
    with lib.no_grad():
        with lib.inference_mode(False):
            a = records(lib, x)
        b = lib.is_grad_enabled()
    return a, b


def _no_grad_results_are_leaves(lib):
    x = leaf(lib)
    with lib.no_grad():
        y = x * x + 1
        z = y.sum()
    return y.requires_grad, y.is_leaf, y.grad_fn, z.requires_grad, x.requires_grad


def _no_grad_update_then_backward(lib):
    w = leaf(lib)
    (w * w).sum().backward()
    with lib.no_grad():
        w -= 0.5 * w.grad
        w.mul_(2)
    w.grad = None
    (w * 3).sum().backward()
    return w.tolist(), w.grad.tolist(), w.is_leaf, w.requires_grad


@pytest.mark.parametrize("case", [
    _ctx_no_grad, _ctx_enable_in_no_grad, _ctx_set_grad_enabled, _fn_set_grad_enabled,
    _exception_restores, _inference_mode, _inference_false_enables_grad, _no_grad_results_are_leaves,
    _no_grad_update_then_backward,
], ids=lambda f: f.__name__.strip("_"))
def test_context_managers(case):
    both(case)


# --- decorators --------------------------------------------------------------------------------

def _decorated(lib, deco):
    x = leaf(lib)

    @deco
    def f(a):
        """doc"""
        return records(lib, a), lib.is_grad_enabled()
    outside = lib.is_grad_enabled()
    return f(x), f.__name__, f.__doc__, outside, lib.is_grad_enabled()


@pytest.mark.parametrize("make", [
    lambda lib: lib.no_grad(),
    lambda lib: lib.no_grad,
    lambda lib: lib.enable_grad(),
    lambda lib: lib.enable_grad,
    lambda lib: lib.inference_mode(),
    lambda lib: lib.inference_mode,
    lambda lib: lib.inference_mode(False),
    lambda lib: lib.set_grad_enabled(False),
    lambda lib: lib.set_grad_enabled(True),
], ids=["no_grad()", "no_grad", "enable_grad()", "enable_grad", "inference_mode()", "inference_mode",
        "inference_mode(False)", "set_grad_enabled(False)", "set_grad_enabled(True)"])
def test_decorators(make):
    both(lambda lib: _decorated(lib, make(lib)))


@pytest.mark.parametrize("make", [lambda lib: lib.enable_grad(), lambda lib: lib.set_grad_enabled(True)],
                         ids=["enable_grad", "set_grad_enabled(True)"])
def test_decorator_enables_inside_no_grad(make):
    def case(lib):
        x = leaf(lib)
        f = make(lib)(lambda a: records(lib, a))
        with lib.no_grad():
            return f(x), lib.is_grad_enabled()
    both(case)


def test_decorated_method_and_recursion():
    def case(lib):
        class M:
            @lib.no_grad()
            def step(self, x, n):
                return [records(lib, x)] + (self.step(x, n - 1) if n else [])
        return M().step(leaf(lib), 2), lib.is_grad_enabled()
    both(case)


def test_decorated_generator_runs_each_step_in_mode():
    def case(lib):
        x = leaf(lib)

        @lib.no_grad()
        def gen():
            for _ in range(2):
                got = yield records(lib, x), lib.is_grad_enabled()
                yield got
        g = gen()
        first = next(g)
        between = lib.is_grad_enabled()  # the caller's mode between steps
        echoed = g.send("sent")
        return first, between, echoed, list(g)
    both(case)


def test_reentering_one_instance_restores_outer_mode():
    # PyTorch keeps a single "prev" per instance, so re-entering the same no_grad()
    # object leaves grad disabled afterwards; ember keeps a stack and restores it.
    cm = ember.no_grad()
    with cm:
        with cm:
            assert not ember.is_grad_enabled()
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()


def test_set_grad_enabled_as_decorator_does_not_switch_at_definition():
    before = ember.is_grad_enabled()

    @ember.set_grad_enabled(False)
    def f():
        return ember.is_grad_enabled()
    assert ember.is_grad_enabled() == before
    assert f() is False
    assert ember.is_grad_enabled() == before


def test_decorating_a_class_is_an_error():
    with pytest.raises(TypeError):
        ember.no_grad()(type("C", (), {}))


def test_namespace():
    assert ember.autograd.no_grad is ember.no_grad
    assert ember.autograd.enable_grad is ember.enable_grad
    assert ember.autograd.set_grad_enabled is ember.set_grad_enabled
    assert ember.autograd.inference_mode is ember.inference_mode
    assert ember.autograd.grad_mode.no_grad is ember.no_grad
