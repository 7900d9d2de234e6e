"""The primitives: elementwise, reduce, movement, linalg, index, sort; fast_backward attaches
array-level backward formulas to some of them."""
from . import elementwise, movement, reduce, linalg, index, fast_backward  # noqa: F401
