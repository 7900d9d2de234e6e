"""Grad mode: whether ops record the graph. Context managers that double as decorators.

The state is process-wide (class attributes of :class:`GradMode`, the cheapest
lookup on the hot path of every op), not thread-local as in PyTorch.
"""
import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]


class GradMode:
    """The switch every op reads (a class attribute: the cheapest global lookup)."""
    enabled = True
    inference = False


def is_grad_enabled():
    """Returns True if grad mode is currently enabled."""
    return GradMode.enabled


def is_inference_mode_enabled():
    return GradMode.inference


def _wrap_generator(ctx_factory, gen_fn):
    """Run every step of the generator made by ``gen_fn`` inside a fresh context (as PyTorch does)."""

    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with ctx_factory():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException as exc:
                    with ctx_factory():
                        response = gen.throw(exc)
                else:
                    with ctx_factory():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value
    return wrapper


class _DecoratorContextManager:
    """Base for grad-mode switches: usable as ``with no_grad():`` and as ``@no_grad()``.

    ``__enter__`` pushes the previous state on a per-instance stack, so one instance
    can be entered again while it is active and still restores correctly.
    """

    def __call__(self, fn):
        if isinstance(fn, type) or not callable(fn):
            raise TypeError(f"{type(self).__name__} can only decorate functions, got {fn!r}")
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(self.clone, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()

    def _push(self, state):
        stack = self.__dict__.setdefault("_prev", [])
        stack.append(state)

    def _pop(self):
        return self._prev.pop()


class _FixedGradMode(_DecoratorContextManager):
    """A switch to one fixed grad mode (``_mode``), usable with or without parentheses as a decorator."""
    _mode = None

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None:
            # ``@no_grad`` without parentheses: PyTorch allows it too.
            if not callable(orig_func):
                raise TypeError(f"{cls.__name__}() takes no arguments, got {orig_func!r}")
            return self(orig_func)
        return self

    def __init__(self, orig_func=None):
        pass

    def __enter__(self):
        self._push(GradMode.enabled)
        GradMode.enabled = self._mode

    def __exit__(self, *exc):
        GradMode.enabled = self._pop()
        return False


class no_grad(_FixedGradMode):
    """Context manager (and decorator) that disables gradient recording.

    Results computed inside have ``requires_grad=False`` even when inputs require grad.
    Example::

        >>> with ember.no_grad():
        ...     w -= lr * w.grad
    """
    _mode = False


class enable_grad(_FixedGradMode):
    """Context manager (and decorator) that enables gradient recording inside ``no_grad``."""
    _mode = True


class set_grad_enabled(_DecoratorContextManager):
    """Sets gradient recording on or off; works as a function, context manager or decorator.

    As a function (``ember.set_grad_enabled(False)``) the switch happens at once and
    stays; as a context manager it is undone on exit; as a decorator it applies only
    while the decorated function runs.
    """

    def __init__(self, mode):
        self.prev = GradMode.enabled
        self.mode = bool(mode)
        GradMode.enabled = self.mode

    def __call__(self, fn):
        GradMode.enabled = self.prev  # used as a decorator: the call above must not leak
        return super().__call__(fn)

    def __enter__(self):
        GradMode.enabled = self.mode

    def __exit__(self, *exc):
        GradMode.enabled = self.prev
        return False

    def clone(self):
        return _SetGrad(self.mode)

    def __repr__(self):
        return f"ember.set_grad_enabled(mode={self.mode})"


class _SetGrad(_DecoratorContextManager):
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self._push(GradMode.enabled)
        GradMode.enabled = self.mode

    def __exit__(self, *exc):
        GradMode.enabled = self._pop()
        return False

    def clone(self):
        return _SetGrad(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like :class:`no_grad`, for inference.

    ``inference_mode(False)`` switches inference mode off and turns grad mode on
    inside, as PyTorch's does.
    """

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if not isinstance(mode, bool):
            if callable(mode):  # ``@inference_mode`` without parentheses
                self.mode = True
                return self(mode)
            raise TypeError(f"inference_mode(mode) expects a bool, got {mode!r}")
        return self

    def __init__(self, mode=True):
        self.mode = mode if isinstance(mode, bool) else True

    def __enter__(self):
        self._push((GradMode.enabled, GradMode.inference))
        GradMode.enabled = not self.mode
        GradMode.inference = self.mode

    def __exit__(self, *exc):
        GradMode.enabled, GradMode.inference = self._pop()
        return False

    def clone(self):
        return inference_mode(self.mode)
