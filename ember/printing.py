"""Text form of tensors, matching PyTorch's ``repr``/``str`` character for character.

The entry point is :func:`format_tensor`, which works on a host (numpy) copy of
a tensor's values plus a few facts about the tensor (dtype name, device,
autograd state).  :func:`set_printoptions` / :func:`get_printoptions` /
:func:`printoptions` control it exactly like their PyTorch namesakes.

How a tensor is laid out, in the order the code below does it:

1. Pick the values that will be shown: all of them, or, once the tensor has
   more than ``threshold`` elements, only the first and last ``edgeitems``
   along every dimension ("summarization").
2. From the shown values choose one notation and one column width for the
   whole tensor (:class:`_Formatter`): plain integers for int/bool dtypes,
   and for floats "integer mode" (``1.``), fixed point (``1.2500``) or
   scientific (``1.2500e+10``).
3. Lay the values out in nested brackets, wrapping 1-D rows at ``linewidth``
   and indenting continuation lines under the opening bracket.
4. Append suffixes such as ``dtype=ember.float64`` or ``grad_fn=<MulBackward0>``,
   moving a suffix to its own line when it would overflow ``linewidth``.

Several of PyTorch's quirks are reproduced on purpose, because callers compare
our output with PyTorch's; each is marked "quirk" where it happens.
"""

import contextlib
import dataclasses
import math

import numpy as np

__all__ = [
    "set_printoptions",
    "get_printoptions",
    "printoptions",
    "format_tensor",
    "format_size",
]

# The namespace shown in dtype suffixes and ``Size`` reprs.
_NAMESPACE = "ember"

# Dtypes that never get a ``dtype=`` suffix on non-empty tensors, besides the
# default float dtype (which the caller tells us about).
_SUFFIXLESS_DTYPES = ("int64", "bool")


# --------------------------------------------------------------------------
# Print options
# --------------------------------------------------------------------------


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: "bool | None" = None


_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}

PRINT_OPTS = _PrintOptions()


def set_printoptions(
    precision=None,
    threshold=None,
    edgeitems=None,
    linewidth=None,
    profile=None,
    sci_mode=None,
):
    r"""Set options for printing tensors.

    Args:
        precision: Number of digits after the decimal point for floating
            point output (default = 4).
        threshold: Total number of elements above which a tensor is
            summarized with ``...`` instead of printed in full
            (default = 1000).
        edgeitems: Number of items kept at the beginning and the end of each
            dimension of a summarized tensor (default = 3).
        linewidth: Number of characters per line after which rows are
            wrapped (default = 80). Summarized tensors still wrap their rows.
        profile: A preset applied before the other arguments, which then
            override it. One of ``'default'``, ``'short'`` (precision 2,
            edgeitems 2) or ``'full'`` (never summarize). Other values are
            ignored.
        sci_mode: ``True`` forces scientific notation, ``False`` forbids it
            and ``None`` (default) lets the formatter choose from the values.
            Note that every call sets this option, so a call that does not
            pass it resets it to ``None``.

    Example::

        >>> ember.set_printoptions(precision=2)
        >>> ember.tensor([1.12345])
        tensor([1.12])
        >>> ember.set_printoptions(threshold=5)
        >>> ember.arange(10)
        tensor([0, 1, 2,  ..., 7, 8, 9])
        >>> ember.set_printoptions(profile='default')
        >>> ember.tensor([1.12345])
        tensor([1.1235])
    """
    if profile in _PROFILES:
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # Unlike the others, sci_mode is always assigned (PyTorch does the same).
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    r"""Return the current print options as a dictionary.

    The dictionary has the keys ``precision``, ``threshold``, ``edgeitems``,
    ``linewidth`` and ``sci_mode``, and can be passed back as ``**kwargs`` to
    :func:`set_printoptions`.
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    r"""Context manager that applies :func:`set_printoptions` with ``kwargs``
    and restores the previous options on exit."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# --------------------------------------------------------------------------
# Choosing notation and width
# --------------------------------------------------------------------------


class _Formatter:
    """One notation and one column width for all values of a tensor.

    Built from the values that will be shown (after summarization), so that
    hidden values do not widen the columns.
    """

    def __init__(self, shown, floating):
        self.floating = floating
        self.int_mode = True  # floats that are all whole numbers print as "3."
        self.sci_mode = False
        self.max_width = 1
        if floating:
            self._choose_float_layout(np.asarray(shown, dtype=np.float64).ravel())
        else:
            for value in np.asarray(shown).ravel().tolist():
                self.max_width = max(self.max_width, len(self._text(value)))

    def _choose_float_layout(self, values):
        # Only nonzero finite values decide notation and width; zeros, nan
        # and inf just follow what they chose.
        candidates = values[np.isfinite(values) & (values != 0)]
        if candidates.size == 0:
            # Quirk: with nothing to measure PyTorch stops here, before
            # applying a forced sci_mode, so e.g. all-zero tensors stay "0.".
            return
        magnitudes = np.abs(candidates)
        largest, smallest = magnitudes.max(), magnitudes.min()
        self.int_mode = bool(np.all(candidates == np.ceil(candidates)))
        with np.errstate(over="ignore"):  # e.g. 1e300 / 5e-324 is inf: fine
            too_spread = largest / smallest > 1000.0 or largest > 1.0e8
        if self.int_mode:
            # Whole numbers are never "too small", so 1e-4 plays no part.
            self.sci_mode = too_spread
        else:
            self.sci_mode = too_spread or smallest < 1.0e-4
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        # Quirk: the width ignores zeros, nan and inf, so one wider than every
        # candidate ("-0." or "nan" beside "1.") is left unaligned.
        self.max_width = max(len(self._text(v)) for v in candidates.tolist())

    def _text(self, value):
        """The text of one Python scalar in the chosen notation."""
        if not self.floating:
            return str(value)
        if self.sci_mode:
            return f"{value:.{PRINT_OPTS.precision}e}"
        if self.int_mode:
            # Whole numbers keep a "." to show they are floats; nan/inf don't.
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{PRINT_OPTS.precision}f}"

    def format(self, value):
        """The text of one Python scalar, right-aligned to the column width."""
        return self._text(value).rjust(self.max_width)


# --------------------------------------------------------------------------
# Laying out the brackets
# --------------------------------------------------------------------------


def _edge_indices(size):
    """Indices kept along a dimension of length ``size`` when summarizing."""
    edge = PRINT_OPTS.edgeitems
    if size > 2 * edge:
        return list(range(edge)) + list(range(size - edge, size))
    return list(range(size))


def _summarized_values(array):
    """The values a summarized print shows: edges of every dimension."""
    for axis in range(array.ndim):
        array = np.take(array, _edge_indices(array.shape[axis]), axis=axis)
    return array


def _to_python_scalars(array, floating):
    """Values as Python scalars; floats become Python floats (float64), which
    is exactly what PyTorch formats, whatever the float dtype."""
    if floating:
        array = array.astype(np.float64)
    return array.tolist()


def _vector_str(array, indent, summarize, formatter):
    """A 1-D row: values joined by ", ", wrapped so lines fit ``linewidth``."""
    # Each element takes its width plus ", " (the last one a "]" or ",").
    element_length = formatter.max_width + 2
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems

    def texts(part):
        return [formatter.format(v) for v in _to_python_scalars(part, formatter.floating)]

    if summarize and not edge:
        items = ["..."]
    elif summarize and array.shape[0] > 2 * edge:
        # The " ..." takes a slot like a value when rows are wrapped.
        items = texts(array[:edge]) + [" ..."] + texts(array[-edge:])
    else:
        items = texts(array)
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(array, indent, summarize, formatter):
    """Brackets for ``array``; ``indent`` is the column of its opening "["."""
    if array.ndim == 0:
        return formatter.format(_to_python_scalars(array, formatter.floating))
    if array.ndim == 1:
        return _vector_str(array, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems

    def inner(rows):
        return [_nested_str(array[i], indent + 1, summarize, formatter) for i in rows]

    if summarize and array.shape[0] > 2 * edge:
        size = array.shape[0]
        blocks = inner(range(edge)) + ["..."] + inner(range(size - edge, size))
    else:
        blocks = inner(range(array.shape[0]))
    # The rows of a 2-D block go on consecutive lines; every further
    # dimension adds one blank line between its sub-blocks.
    separator = "," + "\n" * (array.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _body_str(array, indent):
    """The values part of the repr, e.g. ``[[1., 2.], [3., 4.]]``."""
    summarize = array.size > PRINT_OPTS.threshold
    floating = array.dtype.kind == "f"
    shown = _summarized_values(array) if summarize else array
    formatter = _Formatter(shown, floating)
    return _nested_str(array, indent, summarize, formatter)


# --------------------------------------------------------------------------
# Suffixes and the public entry points
# --------------------------------------------------------------------------


def _add_suffixes(text, suffixes, indent):
    """Append ``, suffix`` items and the closing ")", wrapping at ``linewidth``."""
    pieces = [text]
    # Quirk: PyTorch over-counts the last line by 2 when the text has no
    # newline (and by 1 otherwise: it counts the "\n" itself); keep it so
    # suffixes wrap at exactly the same point.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            pieces.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            pieces.append(", " + suffix)
            last_line_len += len(suffix) + 2
    pieces.append(")")
    return "".join(pieces)


def _dtype_str(dtype_name):
    return f"{_NAMESPACE}.{dtype_name}"


def format_tensor(
    array,
    *,
    dtype_name,
    is_default_float,
    device=None,
    requires_grad=False,
    grad_fn_name=None,
    prefix="tensor(",
):
    """The ``repr`` of a tensor, exactly as PyTorch would print it.

    Args:
        array: numpy array (host copy) holding the tensor's values.
        dtype_name: the tensor's dtype without namespace, e.g. ``'float32'``.
        is_default_float: whether the dtype is the current default float
            dtype; such tensors get no ``dtype=`` suffix.
        device: ``None`` (or ``'cpu'``) for CPU tensors, else a device string
            such as ``'cuda:0'``, shown as ``device='cuda:0'``.
        requires_grad: shown as ``requires_grad=True`` when there is no
            ``grad_fn_name``.
        grad_fn_name: the backward node's name, shown as ``grad_fn=<name>``.
        prefix: text before the values; continuation lines are indented by
            its length.
    """
    array = np.asarray(array)
    indent = len(prefix)
    suffixes = []
    if device is not None and device != "cpu":
        suffixes.append(f"device='{device}'")
    if array.size == 0:
        # Nothing to print, so the shape and dtype are spelled out, except
        # for the common cases 1-D and the default float dtype.
        body = "[]"
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if not is_default_float:
            suffixes.append(f"dtype={_dtype_str(dtype_name)}")
    else:
        if not PRINT_OPTS.edgeitems:
            # With edgeitems=0 a summary shows no values at all.
            suffixes.append(f"size={tuple(array.shape)}")
        if not (is_default_float or dtype_name in _SUFFIXLESS_DTYPES):
            suffixes.append(f"dtype={_dtype_str(dtype_name)}")
        body = _body_str(array, indent)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)


def format_size(shape):
    """The ``repr`` of a ``Size``, e.g. ``ember.Size([2, 3])``."""
    return f"{_NAMESPACE}.Size({[int(d) for d in shape]!r})"


def tensor_repr(t):
    """``repr`` of an ember Tensor: its values on the host plus the suffixes PyTorch prints."""
    from .backend import to_host
    from .dtypes import get_default_dtype
    dt = t.dtype
    fn = t.grad_fn
    return format_tensor(
        to_host(t._data), dtype_name=dt.name, is_default_float=dt is get_default_dtype(),
        device=None if t._device.type == "cpu" else str(t._device),
        requires_grad=t.requires_grad, grad_fn_name=fn.name() if fn is not None else None)
