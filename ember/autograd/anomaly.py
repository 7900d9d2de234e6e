"""Anomaly detection: name the op whose backward produced NaN, and where it was created."""
import traceback
import warnings

from .grad_mode import GradMode

__all__ = ["detect_anomaly", "set_detect_anomaly"]


def record_trace(node):
    """Remember where the op was called (only while anomaly mode is on: it is slow)."""
    node._anomaly_trace = "".join(traceback.format_stack()[:-3])


def check_grads(node, grads):
    for i, g in enumerate(grads):
        if g is not None and hasattr(g, "isnan") and g.dtype.is_floating_point and bool(g.isnan().any()):
            trace = node._anomaly_trace
            if trace:
                warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the "
                              f"error:\n{trace}", RuntimeWarning, stacklevel=2)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly:
    """Context manager that checks every backward result for NaN and names the op that produced it.

    Also records the forward stack of each op so the error can show where it came from.
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = GradMode.anomaly
        GradMode.anomaly = self.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only "
                      "be enabled for debugging.", UserWarning, stacklevel=2)
        return self

    def __exit__(self, *exc):
        GradMode.anomaly = self.prev
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with detect_anomaly(self.check_nan):
                return fn(*a, **k)
        return wrapper


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = GradMode.anomaly
        GradMode.anomaly = bool(mode) and check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        GradMode.anomaly = self.prev
        return False


def is_anomaly_enabled():
    return GradMode.anomaly
