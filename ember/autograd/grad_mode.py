"""Grad mode: whether ops record the graph. Context managers that double as decorators."""
import functools

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


class _DecoratorContextManager:
    """Base for grad-mode switches: usable as ``with no_grad():`` and as ``@no_grad()``."""

    def __call__(self, fn):
        if isinstance(fn, type) or not callable(fn):
            raise TypeError(f"{type(self).__name__} can only decorate functions, got {fn!r}")

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    """Context manager (and decorator) that disables gradient recording.

    Results computed inside have ``requires_grad=False`` even when inputs require grad.
    Example::

        >>> with ember.no_grad():
        ...     w -= lr * w.grad
    """

    def __init__(self, orig_func=None):
        # ``@no_grad`` without parentheses: PyTorch allows it too.
        self._func = orig_func

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            self.__init__()
            return self(orig_func)
        return self

    def __enter__(self):
        self.prev = GradMode.enabled
        GradMode.enabled = False

    def __exit__(self, *exc):
        GradMode.enabled = self.prev
        return False


class enable_grad(_DecoratorContextManager):
    """Context manager (and decorator) that enables gradient recording inside ``no_grad``."""

    def __enter__(self):
        self.prev = GradMode.enabled
        GradMode.enabled = True

    def __exit__(self, *exc):
        GradMode.enabled = self.prev
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Sets gradient recording on or off; works as a function, context manager or decorator."""

    def __init__(self, mode):
        self.prev = GradMode.enabled
        self.mode = bool(mode)
        GradMode.enabled = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        GradMode.enabled = self.prev
        return False

    def clone(self):
        return _SetGrad(self.mode)


class _SetGrad(_DecoratorContextManager):
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = GradMode.enabled
        GradMode.enabled = self.mode

    def __exit__(self, *exc):
        GradMode.enabled = self.prev
        return False


class inference_mode(_DecoratorContextManager):
    """Like :class:`no_grad`, for inference. ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode=True):
        self.mode = mode

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode) and not isinstance(mode, bool):
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        self.prev = (GradMode.enabled, GradMode.inference)
        if self.mode:
            GradMode.enabled = False
            GradMode.inference = True

    def __exit__(self, *exc):
        GradMode.enabled, GradMode.inference = self.prev
        return False

    def clone(self):
        return inference_mode(self.mode)
