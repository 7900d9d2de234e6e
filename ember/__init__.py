"""ember: N-dimensional tensors on numpy (CPU) and CuPy (CUDA) with reverse-mode autograd.

Use it as PyTorch: ``import ember as torch``.
"""
import math as _math
import warnings as _warnings

# numpy warns on log(0), x/0, 0**-1 ...; PyTorch computes inf/nan silently. Silence those
# warnings only where ember's own modules call numpy (no per-op cost, user code unaffected).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

from . import dtypes as _dtypes
from .dtypes import (dtype, float16, half, float32, float, float64, double, int8, int16, int32, int, int64, long,
                     uint8, bool, get_default_dtype, set_default_dtype, promote_types)
from .device import device
from .tensor import (Tensor, Size, tensor, as_tensor, asarray, from_numpy, zeros, ones, empty, full, zeros_like,
                     ones_like, empty_like, full_like, arange, linspace, logspace, eye, where, mm, bmm, matmul, mv,
                     dot, outer, einsum, cat, concat, concatenate, stack, broadcast_tensors, broadcast_shapes)
from .random import (Generator, manual_seed, seed, initial_seed, get_rng_state, set_rng_state, default_generator,
                     rand, randn, randint, randperm, normal, bernoulli, multinomial, rand_like, randn_like,
                     randint_like)
from .autograd.grad_mode import no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled, \
    is_inference_mode_enabled
from .printing import set_printoptions, get_printoptions
from .interop import from_dlpack
from . import autograd, cuda, backend, return_types, random, testing  # noqa: F401
from ._functional import *  # noqa: F401,F403  torch.exp(x) and friends
from ._functional import __all__ as _functional_all
from .threads import set_num_threads, get_num_threads

__version__ = "0.1.0"

inf = _math.inf
nan = _math.nan
pi = 3.141592653589793
e = 2.718281828459045

# Legacy type aliases people still write: torch.FloatTensor(...)
from .tensor import _legacy_types  # noqa: E402

FloatTensor, DoubleTensor, HalfTensor, LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = \
    _legacy_types()


def is_tensor(obj):
    """True if ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def numel(input):
    return input.numel()


def result_type(tensor1, tensor2):
    return _dtypes.result_type(tensor1, tensor2)


def can_cast(from_, to):
    from .tensor import _can_cast
    return _can_cast(from_, to)


def is_grad_enabled_():  # pragma: no cover - kept private
    return is_grad_enabled()

# Subpackages that build on the core (imported last: they use everything above).
from .serialization import save, load  # noqa: E402
from . import nn, optim, utils  # noqa: E402,F401
from . import backends  # noqa: E402,F401
