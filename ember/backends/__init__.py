"""``ember.backends``: switches scripts written for PyTorch set (``torch.backends.cuda.matmul.allow_tf32 = True``).

* ``backends.cuda.matmul.allow_tf32`` (default False, as in PyTorch) really changes how CuPy
  multiplies float32 matrices; see :mod:`ember.backends.cuda`.
* ``backends.cudnn`` has the attributes people set (``enabled``, ``benchmark``,
  ``deterministic``, ``allow_tf32``); ember uses no cuDNN yet, so they are stored and
  otherwise have no effect.
* ``backends.mps.is_available()`` is False: ember has no Apple GPU backend.
"""
from . import cuda, cudnn, mps, cpu  # noqa: F401

__all__ = ["cuda", "cudnn", "mps", "cpu"]
