r"""``ember.save`` / ``ember.load``: checkpoints as safetensors files, never pickle.

:func:`save` writes one file that *is* a valid `safetensors <https://github.com/huggingface/safetensors>`_
file, and :func:`load` reads it back. Nothing in a file can make :func:`load` run code: the format holds
only numbers, strings and raw tensor bytes, and ``load`` checks every byte range before it touches it.

The file
--------
::

    8 bytes    N, the JSON header's length, unsigned little-endian
    N bytes    JSON header  {name: {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
                             "__metadata__": {"ember": "<structure JSON>"}}
    the rest   the tensors' bytes, little-endian, back to back (offsets count from here)

Every tensor in the saved object is one safetensors tensor, named after where it sits in the object:
``"fc.weight"`` for a state_dict entry, ``"state.0.exp_avg"`` inside an optimizer's state, ``"tensor"``
for a lone tensor (``#1``, ``#2``... make names unique). Other readers (``safetensors.torch.load_file``)
therefore see a flat dict of sensibly named tensors. A tensor that appears several times in the object
(the same Python object) is stored once and loads as one object, as with ``torch.save``.

Everything else is JSON in ``__metadata__["ember"]``: ``{"version": 1, "nodes": [node, ...]}``. ``nodes``
is a flat table and node 0 is the saved object. Containers name their children by index; a child always
comes after its parent and is referenced exactly once. The table is therefore a tree, which ``load``
rebuilds bottom-up with no recursion, and which cannot encode cycles or shared subtrees that would expand
exponentially. Its JSON is at most six levels deep however deep the saved object is. Node forms:

==========================================================  ==============================================
``null``, ``true``, ``false``, ``"text"``, ``12``          None, bool, str, int (JSON only when
                                                            \|x\| < 2**53, so every JSON reader is exact)
``{"int": "-0x1f"}``                                        any other int, in hex (exact, no digit limit)
``{"float": "0.1"}``, ``{"float": "-inf"}``                 float, by ``repr`` (exact, incl. nan and -0.0)
``{"tensor": name, "requires_grad": true,``                 a tensor; the last three keys are optional
``"parameter": true, "device": "cuda:0"}``                  (``parameter``: an ``nn.Parameter``)
``{"dtype": "float32"}``, ``{"device": "cuda:1"}``,         ``ember.dtype``, ``ember.device``,
``{"size": [2, 3]}``                                        ``ember.Size``
``{"list": [i, ...]}``, ``{"tuple": [i, ...]}``              list, tuple
``{"dict": [[key, i], ...]}``                               dict; ``key`` is an inline None, bool, str,
                                                            int or float node
``{"ordered_dict": [[key, i], ...], "metadata": i}``        OrderedDict; ``metadata`` (optional) is a
                                                            state_dict's ``_metadata`` attribute
==========================================================  ==============================================

A safetensors file *without* ``"ember"`` metadata (say ``safetensors.torch.save_file(model.state_dict(),
"model.safetensors")`` from PyTorch) loads as a dict name -> tensor in file order, so
``ember_model.load_state_dict(ember.load("model.safetensors"))`` takes pretrained PyTorch weights.
Supported safetensors dtypes: F16, F32, F64, I8, I16, I32, I64, U8, BOOL.

Differences from ``torch.save`` / ``torch.load``
------------------------------------------------
* Only tensors, dicts, OrderedDicts, lists, tuples, str, int, float, bool, None, ``ember.dtype``,
  ``ember.device`` and ``ember.Size`` can be saved; anything else raises ``TypeError`` (torch pickles
  arbitrary objects, then refuses most of them at ``weights_only=True`` load time).
* Views are saved as their values: two tensors sharing memory load as two independent tensors (the same
  tensor *object* twice still loads as one object). A shared sub-list is written twice.
* ``weights_only`` is accepted and ignored: ``load`` never executes code whatever its value.
* A ``map_location`` callable receives ``(cpu_tensor, saved_location)`` instead of a storage.
* Saving to a path is atomic (temporary file in the same directory, fsync, rename), so a crash leaves
  the old file intact. A save killed mid-write leaves its temporary file behind (``.NAME.xxxx.tmp``, or
  safetensors' own ``.tmpXXXXXX``, which safetensors >= 0.8 writes first and renames onto ours).
* Containers may nest at most :data:`MAX_DEPTH` (1000) levels, about where pickle's recursion stops too.

Loading
-------
Every check happens before tensor bytes are read: the 8-byte header length against the file size and a
100 MB cap; the header's JSON nesting (by a linear scan, so ``json`` never recurses deeply); each tensor's
dtype, shape and byte range (in bounds, ``numel * itemsize`` bytes, the ranges tiling the data section
with no gap or overlap); and the whole node table. Only then are exactly the validated ranges read into
arrays of the declared size. Problems raise :class:`LoadError`, whose message names the file.
"""
import collections
import io
import json
import math
import mmap as _mmap_mod
import os
import re
import secrets
import stat
import struct
import sys

import numpy as np

from . import dtypes as _dt
from .backend import to_host
from .device import device as _device
from .tensor import Size, Tensor, _wrap

__all__ = ["save", "load", "LoadError"]

FORMAT_VERSION = 1
#: Containers may nest this deep in a saved object (pickle, and so ``torch.save``, stops near here too).
MAX_DEPTH = 1000
_MAX_HEADER = 100_000_000  # the safetensors library's own cap on the JSON header
_SAFE_INT = 2 ** 53  # ints beyond this are written in hex: JSON readers other than Python's round them
_HEADER_JSON_DEPTH = 3  # {"name": {"shape": [...]}}: a safetensors header is never deeper
_STRUCT_JSON_DEPTH = 6  # {"nodes": [{"dict": [[{"int": ...}, i]]}]}: the structure JSON is never deeper
_CHUNK = 1 << 20

# safetensors dtype codes <-> ember dtypes (always little-endian in the file)
_ST_TO_DTYPE = {"F16": _dt.float16, "F32": _dt.float32, "F64": _dt.float64, "I8": _dt.int8, "I16": _dt.int16,
                "I32": _dt.int32, "I64": _dt.int64, "U8": _dt.uint8, "BOOL": _dt.bool}
_ST_KNOWN_UNSUPPORTED = {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F6_E2M3",
                         "F6_E3M2", "F4", "U16", "U32", "U64", "C64", "C128"}


_SUPPORTED = ("ember.Tensor, nn.Parameter, dict, OrderedDict, list, tuple, str, int, float, bool, None, "
              "ember.dtype, ember.device and ember.Size")


class LoadError(RuntimeError):
    """Raised by :func:`ember.load` when a file is not a readable ember/safetensors file.

    Truncated, corrupted or hostile files all raise this, with the file's name in the message. It is a
    ``RuntimeError``, which is what ``torch.load`` raises for a corrupt checkpoint.
    """


# --- save ----------------------------------------------------------------------------------------------

_EXIT = object()  # stack marker: a container's children are done
_NOT_SCALAR = object()


def _path_keys(link):
    keys = []
    while link is not None:
        link, key = link
        keys.append(key)
    keys.reverse()
    return keys


def _key_text(k, as_repr=True):
    """A key as text; ints past Python's 4300-digit str limit are written in hex instead of raising."""
    if type(k) is int and not -10 ** 1000 < k < 10 ** 1000:
        return hex(k)
    return repr(k) if as_repr else str(k)


def _path_str(link):
    parts = [f"[{_key_text(k):.60}]" for k in _path_keys(link)]
    if len(parts) > 12:  # a path 1000 levels deep is not a readable message
        parts[6:-6] = [f"...({len(parts) - 12} more)..."]
    return "obj" + "".join(parts)


def _scalar_node(value):
    """The JSON node of None/bool/str/int/float, or ``_NOT_SCALAR`` when ``value`` is none of those."""
    cls = type(value)
    if value is None or cls is bool or cls is str:
        return value
    if cls is int:
        return value if -_SAFE_INT < value < _SAFE_INT else {"int": hex(value)}
    if cls is float:
        return {"float": repr(value)}
    return _NOT_SCALAR


def _type_name(value):
    cls = type(value)
    mod = cls.__module__
    return cls.__qualname__ if mod == "builtins" else f"{mod}.{cls.__qualname__}"


def _unsupported(value, link, what="an object"):
    hint = ""
    if isinstance(value, (np.ndarray, np.generic)):
        hint = " Convert numpy values first: ember.from_numpy(a) for arrays, .item() for scalars."
    elif isinstance(value, (set, frozenset)):
        hint = " Store a set as a list or tuple."
    elif isinstance(value, Tensor):
        hint = " Tensor subclasses other than nn.Parameter would load as a different type; save t.detach()."
    elif isinstance(value, (dict, list, tuple, str, int, float)):
        hint = f" Subclasses do not round-trip; convert to a plain {type(value).__mro__[1].__name__} first."
    return TypeError(f"ember.save: cannot save {what} of type {_type_name(value)} at {_path_str(link)}. "
                     f"ember.save stores {_SUPPORTED}.{hint}")


def _tensor_name(link, used):
    keys = _path_keys(link)
    base = ".".join(_key_text(k, as_repr=False) for k in keys) if keys else "tensor"
    # safetensors names are UTF-8: keep odd characters (lone surrogates) readable instead of failing
    base = base.encode("utf-8", "backslashreplace").decode("utf-8")
    name, n = base, 0
    while name in used or name == "__metadata__" or not name:
        n += 1
        name = f"{base}#{n}"
    used.add(name)
    return name


def _encode(obj):
    """Turn ``obj`` into (name -> contiguous numpy array, safetensors metadata), or raise before any write."""
    from .nn.parameter import Parameter

    nodes, arrays, by_id, used = [], {}, {}, set()
    ancestors = set()
    # (value, link to parent path, depth, slot, slot key): the node's index is stored in slot[key]
    stack = [(obj, None, 0, None, None)]
    while stack:
        item = stack.pop()
        value = item[0]
        if value is _EXIT:
            ancestors.discard(item[1])
            continue
        value, link, depth, slot, key = item
        if slot is not None:
            slot[key] = len(nodes)
        node = _scalar_node(value)
        if node is not _NOT_SCALAR:
            nodes.append(node)
            continue
        cls = type(value)
        if isinstance(value, Tensor):
            if cls is not Tensor and cls is not Parameter:
                raise _unsupported(value, link)
            hit = by_id.get(id(value))
            if hit is None:
                # (name, tensor): holding the tensor keeps its id from being reused by another object
                hit = by_id[id(value)] = (_tensor_name(link, used), value)
                a = to_host(value._data)
                # non-contiguous tensors are saved as their values (np.ascontiguousarray would make 0-d 1-d)
                arrays[hit[0]] = a if a.flags.c_contiguous else a.copy(order="C")
            node = {"tensor": hit[0]}
            if value.requires_grad:
                node["requires_grad"] = True
            if cls is Parameter:
                node["parameter"] = True
            if value.device.type != "cpu":
                node["device"] = str(value.device)
            nodes.append(node)
            continue
        if cls is _dt.dtype:
            nodes.append({"dtype": value.name})
            continue
        if cls is _device:
            nodes.append({"device": str(value)})
            continue
        if cls is Size:
            dims = list(value)
            if any(type(d) is not int for d in dims):
                raise _unsupported(value, link, "an ember.Size with non-int entries")
            nodes.append({"size": dims})
            continue
        if cls not in (list, tuple, dict, collections.OrderedDict):
            raise _unsupported(value, link)
        if depth >= MAX_DEPTH:
            raise ValueError(f"ember.save: containers nest more than {MAX_DEPTH} levels deep at {_path_str(link)}")
        if id(value) in ancestors:
            raise ValueError(f"ember.save: circular reference: {_path_str(link)} contains itself")
        ancestors.add(id(value))
        stack.append((_EXIT, id(value)))
        children = []
        if cls is list or cls is tuple:
            node = {"list" if cls is list else "tuple": [None] * len(value)}
            slots = node["list" if cls is list else "tuple"]
            children = [(v, (link, i), depth + 1, slots, i) for i, v in enumerate(value)]
        else:
            pairs = []
            for k, v in value.items():
                knode = _scalar_node(k)
                if knode is _NOT_SCALAR:
                    raise _unsupported(k, link, "a dict key")
                pair = [knode, None]
                pairs.append(pair)
                children.append((v, (link, k), depth + 1, pair, 1))
            node = {"dict": pairs} if cls is dict else {"ordered_dict": pairs}
            meta = getattr(value, "_metadata", None) if cls is not dict else None
            if meta is not None:
                # a state_dict's per-module versions, which _load_from_state_dict reads
                children.append((meta, (link, "_metadata"), depth + 1, node, "metadata"))
        nodes.append(node)
        stack.extend(reversed(children))
    structure = json.dumps({"version": FORMAT_VERSION, "nodes": nodes}, separators=(",", ":"))
    return arrays, {"ember": structure}


def _is_path(f):
    return isinstance(f, (str, bytes, os.PathLike))


def _write_atomically(arrays, metadata, path):
    from safetensors.numpy import save_file

    if os.path.islink(path):
        path = os.path.realpath(path)  # write through a symlink, as an in-place write would
    directory, base = os.path.split(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"ember.save: {path!r} is a directory")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # replacing a file keeps its permissions
    except OSError:
        mode = None
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 so the umask decides the permissions, as for a file opened with open(path, "wb")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        break
    try:
        if mode is None:
            mode = stat.S_IMODE(os.stat(tmp).st_mode)  # what the umask made of 0o666
        # safetensors >= 0.8 writes its own temporary file (mode 0o600) and renames it onto tmp
        save_file(arrays, tmp, metadata=metadata)
        os.chmod(tmp, mode)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)  # the bytes are on disk before the name points at them
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # the rename itself survives a power cut only once the directory is synced (POSIX)
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    r"""Saves an object holding tensors to a file, in a safetensors file that never needs pickle to read.

    ``obj`` may be a tensor, a ``state_dict``, an optimizer ``state_dict``, or any nesting of dicts,
    OrderedDicts, lists and tuples of tensors and plain values (str, int, float, bool, None, ``ember.dtype``,
    ``ember.device``, ``ember.Size``). Dict keys may be str, int, float, bool or None. Types, key types,
    dict order, tensor dtypes, shapes, ``requires_grad`` and ``nn.Parameter``-ness all round-trip exactly.

    Saving to a path is atomic: the file is written under a temporary name in the same directory, flushed
    to disk and renamed over ``f``, so a crash mid-save leaves the previous file intact.

    Args:
        obj: the object to save.
        f: a path (``str`` or ``os.PathLike``) or a binary file-like object with ``write``.
        pickle_module: must be ``None``: ember never pickles.
        pickle_protocol, _use_new_zipfile_serialization, _disable_byteorder_record: accepted for
            compatibility with ``torch.save`` and ignored.

    Raises:
        TypeError: ``obj`` holds something that cannot be saved; the message names its type and where it
            is (``obj['layers'][2]``). Nothing is written.
        ValueError: ``obj`` contains itself, or nests deeper than :data:`MAX_DEPTH`. Nothing is written.

    Example::

        >>> ember.save(model.state_dict(), "model.safetensors")
        >>> model.load_state_dict(ember.load("model.safetensors"))
    """
    if pickle_module is not None:
        raise TypeError("ember.save: pickle_module is not supported; ember files never use pickle")
    arrays, metadata = _encode(obj)  # all checks happen here, before anything touches f
    if _is_path(f):
        _write_atomically(arrays, metadata, os.fsdecode(os.fspath(f)))
    elif hasattr(f, "write"):
        from safetensors.numpy import save as to_bytes
        f.write(to_bytes(arrays, metadata=metadata))
    else:
        raise TypeError(f"ember.save: f must be a path or a binary file-like object, got {_type_name(f)}")


# --- load: reading bytes ---------------------------------------------------------------------------------

class _Source:
    """Random access to the bytes of one record: ``size`` bytes starting at ``base`` in a seekable file."""

    def __init__(self, f, name, exact):
        self.f, self.name, self.exact = f, name, exact
        self.base = f.tell()
        self.size = f.seek(0, io.SEEK_END) - self.base
        f.seek(self.base)
        self.buffer = None  # an mmap (mmap=True) or the whole stream (non-seekable input)

    def read(self, offset, n):
        buf = bytearray(n)
        self.readinto(offset, memoryview(buf))
        return bytes(buf)

    def readinto(self, offset, out):
        if self.buffer is not None:
            out[:] = self.buffer[offset:offset + len(out)]
            return
        self.f.seek(self.base + offset)
        got, n = 0, len(out)
        readinto = getattr(self.f, "readinto", None)
        while got < n:
            if readinto is not None:
                k = readinto(out[got:])
            else:
                chunk = self.f.read(min(n - got, _CHUNK))
                if isinstance(chunk, str):
                    raise TypeError("ember.load: f must be opened in binary mode ('rb')")
                k = len(chunk)
                out[got:got + k] = chunk
            if not k:
                raise LoadError(f"ember.load: {self.name}: file ended early (it shrank while being read?)")
            got += k


class _BufferSource(_Source):
    """A non-seekable stream, read whole: its size is unknown until its end."""

    def __init__(self, f, name):
        data = bytearray()
        while True:
            chunk = f.read(_CHUNK)
            if isinstance(chunk, str):
                raise TypeError("ember.load: f must be opened in binary mode ('rb')")
            if not chunk:
                break
            data += chunk
        self.f, self.name, self.exact = None, name, False
        self.base, self.size, self.buffer = 0, len(data), memoryview(data)


def _fail(name, msg):
    return LoadError(f"ember.load: {name}: {msg}")


_STRING_RE = re.compile(r'"(?:[^"\\]+|\\.|\\\Z)*(?:"|\Z)', re.S)  # always matches: never backtracks
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_EMPTY_PAIR_RE = re.compile(r"\[\]|\{\}")


def _json_depth_ok(text, limit):
    """True when ``text``'s brackets nest at most ``limit`` deep, checked without recursion in linear time.

    ``json.loads`` recurses, so a hostile ``[[[[...`` would hit RecursionError; this keeps it away.
    Unbalanced brackets also return False (the JSON is invalid then anyway).
    """
    s = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", text))
    for _ in range(limit):
        if not s:
            return True
        s = _EMPTY_PAIR_RE.sub("", s)
    return not s


class _BadJSON(ValueError):
    pass


def _pairs_no_duplicates(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _BadJSON(f"duplicate key {k!r}")
            seen.add(k)
    return d


def _reject_constant(c):
    raise _BadJSON(f"{c} is not JSON")


def _parse_json(text, limit, name, what):
    if not _json_depth_ok(text, limit):
        raise _fail(name, f"{what} is not valid JSON or nests deeper than {limit} levels")
    try:
        return json.loads(text, object_pairs_hook=_pairs_no_duplicates, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, digit limits and _BadJSON are ValueErrors
        raise _fail(name, f"{what} is not valid JSON ({e})") from None


class _Entry:
    __slots__ = ("name", "dtype", "shape", "begin", "end")

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype, self.shape, self.begin, self.end = name, dtype, shape, begin, end


def _is_int(x):
    return type(x) is int


def _parse_entry(name, info, size, fname):
    if type(info) is not dict or set(info) != {"dtype", "shape", "data_offsets"}:
        raise _fail(fname, f"tensor {name!r}: expected {{'dtype', 'shape', 'data_offsets'}}, got "
                           f"{str(info)[:200]}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if type(code) is not str:
        raise _fail(fname, f"tensor {name!r}: dtype must be a string, got {code!r:.100}")
    dtype = _ST_TO_DTYPE.get(code)
    if dtype is None:
        if code in _ST_KNOWN_UNSUPPORTED:
            raise _fail(fname, f"tensor {name!r} has dtype {code}, which ember does not support (ember has "
                               f"{', '.join(_ST_TO_DTYPE)}); convert it before saving, e.g. t.float() for "
                               "bfloat16/float8 or t.long() for unsigned ints")
        raise _fail(fname, f"tensor {name!r} has unknown dtype {code!r:.100}")
    if type(shape) is not list or len(shape) > 64 or not all(_is_int(d) and 0 <= d < 2 ** 62 for d in shape):
        raise _fail(fname, f"tensor {name!r}: shape must be a list of at most 64 non-negative ints, "
                           f"got {str(shape)[:200]}")
    if math.prod(d for d in shape if d) >= 2 ** 62:
        raise _fail(fname, f"tensor {name!r}: shape {shape} is too large")
    if type(offsets) is not list or len(offsets) != 2 or not all(_is_int(o) for o in offsets) \
            or not 0 <= offsets[0] <= offsets[1] <= size:
        raise _fail(fname, f"tensor {name!r}: data_offsets {str(offsets)[:200]} are not [begin, end] with "
                           f"0 <= begin <= end <= file size {size}")
    nbytes = math.prod(shape) * dtype.itemsize
    if offsets[1] - offsets[0] != nbytes:
        raise _fail(fname, f"tensor {name!r}: shape {shape} of {code} needs {nbytes} bytes but data_offsets "
                           f"{offsets} span {offsets[1] - offsets[0]}")
    return _Entry(name, dtype, tuple(shape), offsets[0], offsets[1])


def _read_header(src):
    """Validate everything but the tensor bytes; returns (entries in file order, metadata, data start)."""
    name, size = src.name, src.size
    if size < 8:
        raise _fail(name, f"file is too short ({size} bytes) to be an ember/safetensors file")
    first = src.read(0, 8)
    (n,) = struct.unpack("<Q", first)
    if n > min(_MAX_HEADER, size - 8) or n < 2:
        hint = ""
        if first[:4] == b"PK\x03\x04" or first[:1] == b"\x80":
            hint = (" It looks like a PyTorch pickle/zip checkpoint, which ember never unpickles; convert it "
                    "in PyTorch with safetensors.torch.save_file(torch.load(path), 'model.safetensors').")
        raise _fail(name, f"not an ember/safetensors file: its header length field says {n} bytes, but the "
                          f"file holds {size - 8} bytes after it (and headers are at most {_MAX_HEADER}).{hint}")
    try:
        text = src.read(8, n).decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(name, f"header is not UTF-8 ({e})") from None
    header = _parse_json(text, _HEADER_JSON_DEPTH, name, "header")
    if type(header) is not dict:
        raise _fail(name, f"header must be a JSON object, got {type(header).__name__}")
    meta = header.pop("__metadata__", None)
    if meta is not None and (type(meta) is not dict or not all(type(v) is str for v in meta.values())):
        raise _fail(name, "header __metadata__ must map strings to strings")
    data_start = 8 + n
    entries = [_parse_entry(k, v, size, name) for k, v in header.items()]
    # File order is data order; safetensors requires the byte ranges to tile the data section exactly.
    entries.sort(key=lambda e: (e.begin, e.end))
    end, prev = 0, None
    for e in entries:
        if e.begin != end:
            where = f"after tensor {prev.name!r}" if prev is not None else "at the start of the data"
            what = "a gap" if e.begin > end else "overlapping data"
            raise _fail(name, f"tensor {e.name!r} starts at byte {e.begin} but {where} the next byte is {end} "
                              f"({what}); the file is corrupt")
        end, prev = e.end, e
    if data_start + end > size:
        raise _fail(name, f"file is truncated: its tensors need {data_start + end} bytes, it holds {size}")
    if src.exact and data_start + end != size:
        raise _fail(name, f"file has {size - data_start - end} bytes after its last tensor; it is corrupt or "
                          "not a safetensors file")
    return entries, meta, data_start, data_start + end


def _read_array(src, e, data_start):
    npd = e.dtype.np.newbyteorder("<")
    n = e.end - e.begin
    try:
        if n == 0:
            return np.empty(e.shape, dtype=e.dtype.np)
        if isinstance(src.buffer, _mmap_mod.mmap):
            # copy-on-write pages of the file: writable, read lazily (torch's mmap=True default)
            arr = np.frombuffer(src.buffer, dtype=npd, count=n // e.dtype.itemsize,
                                offset=data_start + e.begin).reshape(e.shape)
        else:
            arr = np.empty(e.shape, dtype=npd)
            src.readinto(data_start + e.begin, memoryview(arr.reshape(-1).view(np.uint8)))
    except (ValueError, MemoryError) as ex:
        raise _fail(src.name, f"tensor {e.name!r} of shape {list(e.shape)}: {ex}") from None
    if e.dtype is _dt.bool and (arr.view(np.uint8) > 1).any():
        raise _fail(src.name, f"tensor {e.name!r} is BOOL but holds bytes other than 0 and 1")
    if sys.byteorder == "big":
        arr = arr.byteswap().view(arr.dtype.newbyteorder("="))
    return arr


# --- load: the structure -----------------------------------------------------------------------------------

_HEX_RE = re.compile(r"-?0x[0-9a-f]+\Z")


def _scalar(node, where, name):
    """Decode an inline scalar node (None/bool/str/int/float), or raise LoadError."""
    cls = type(node)
    if node is None or cls is bool or cls is str or cls is int:
        return node
    if cls is dict and len(node) == 1:
        v = node.get("int")
        if type(v) is str and _HEX_RE.match(v):
            return int(v, 16)
        v = node.get("float")
        if type(v) is str and len(v) <= 40:
            try:
                return float(v)
            except ValueError:
                pass
    raise _fail(name, f"structure node {where} is not a valid scalar: {str(node)[:200]}")


def _children(kids, i, n, refs, depth, name):
    """Validate a container's child indices: ints after ``i``, each node used once; note their depth."""
    if depth[i] >= MAX_DEPTH:  # the same limit as save's: at most MAX_DEPTH nested containers
        raise _fail(name, f"structure nests deeper than {MAX_DEPTH} levels")
    for c in kids:
        if type(c) is not int or not i < c < n:
            raise _fail(name, f"structure node {i} refers to node {str(c)[:50]}, which is not a later node")
        if refs[c]:
            raise _fail(name, f"structure node {c} is referenced twice")
        refs[c] = 1
        depth[c] = depth[i] + 1
    return kids


_TENSOR_KEYS = {"tensor", "requires_grad", "parameter", "device"}


def _parse_structure(text, entries, name):
    """Check the structure JSON completely, before any tensor bytes are read.

    Returns a list of decoded nodes: ("v", value) | ("t", name, requires_grad, parameter, device)
    | (kind, children[, metadata index]) for list/tuple/dict/ordered_dict.
    """
    doc = _parse_json(text, _STRUCT_JSON_DEPTH, name, "ember structure")
    if type(doc) is not dict or set(doc) != {"version", "nodes"}:
        raise _fail(name, "ember structure must be an object with 'version' and 'nodes'")
    version = doc["version"]
    if type(version) is not int or version != FORMAT_VERSION:
        if type(version) is int and version > FORMAT_VERSION:
            raise _fail(name, f"written by a newer ember (format version {version}); this ember reads version "
                              f"{FORMAT_VERSION}: upgrade ember")
        raise _fail(name, f"unknown ember format version {str(version)[:50]}")
    nodes = doc["nodes"]
    if type(nodes) is not list or not nodes:
        raise _fail(name, "ember structure has no nodes")
    n = len(nodes)
    refs, depth = bytearray(n), [0] * n
    refs[0] = 1
    out = [None] * n
    tensor_flags = {}
    for i, node in enumerate(nodes):
        if not refs[i]:
            raise _fail(name, f"structure node {i} is not part of the object")
        if type(node) is not dict or len(node) == 1 and ("int" in node or "float" in node):
            out[i] = ("v", _scalar(node, i, name))
            continue
        keys = set(node)
        if "tensor" in node:
            tname = node["tensor"]
            flags = (node.get("requires_grad", False), node.get("parameter", False), node.get("device", "cpu"))
            if not keys <= _TENSOR_KEYS or type(flags[0]) is not bool or type(flags[1]) is not bool \
                    or type(flags[2]) is not str:
                raise _fail(name, f"structure node {i} is not a valid tensor reference: {str(node)[:200]}")
            e = entries.get(tname) if type(tname) is str else None
            if e is None:
                raise _fail(name, f"structure node {i} refers to tensor {str(tname)[:100]!r}, which is not in the "
                                  "file")
            if flags[0] and not e.dtype.is_floating_point:
                raise _fail(name, f"tensor {tname!r} is {e.dtype} but marked requires_grad")
            try:
                dev = _device(flags[2])
            except (RuntimeError, TypeError, ValueError):
                raise _fail(name, f"tensor {tname!r}: bad device {flags[2][:50]!r}") from None
            if tensor_flags.setdefault(tname, flags) != flags:
                raise _fail(name, f"tensor {tname!r} is referenced with different flags")
            out[i] = ("t", tname, flags[0], flags[1], str(dev))
            continue
        if len(keys) == 1:
            (kind,) = keys
            v = node[kind]
            if kind == "dtype" and type(v) is str and v in _dt._BY_NAME:
                out[i] = ("v", _dt._BY_NAME[v])
                continue
            if kind == "device" and type(v) is str:
                try:
                    out[i] = ("v", _device(v))
                    continue
                except (RuntimeError, TypeError, ValueError):
                    pass
            if kind == "size" and type(v) is list and all(type(d) is int for d in v):
                out[i] = ("v", Size(v))
                continue
            if kind in ("list", "tuple") and type(v) is list:
                out[i] = (kind, _children(v, i, n, refs, depth, name))
                continue
        if ("dict" in keys and len(keys) == 1) or ("ordered_dict" in keys and keys <= {"ordered_dict", "metadata"}):
            kind = "dict" if "dict" in keys else "ordered_dict"
            pairs = node[kind]
            if type(pairs) is not list or not all(type(p) is list and len(p) == 2 for p in pairs):
                raise _fail(name, f"structure node {i}: {kind} must be a list of [key, node] pairs")
            decoded, seen = [], set()
            for k, c in pairs:
                k = _scalar(k, f"{i} (a dict key)", name)
                if k in seen:
                    raise _fail(name, f"structure node {i}: duplicate dict key {_key_text(k):.100}")
                seen.add(k)
                decoded.append((k, c))
            _children([c for _, c in decoded], i, n, refs, depth, name)
            meta = node.get("metadata")
            if meta is not None:
                _children([meta], i, n, refs, depth, name)
            out[i] = (kind, decoded, meta)
            continue
        raise _fail(name, f"structure node {i} is not a valid node: {str(node)[:200]}")
    unused = entries.keys() - tensor_flags.keys()
    if unused:
        raise _fail(name, f"the file holds tensors that its structure does not use: {sorted(unused)[:5]}")
    return out


# --- load: placing tensors and building the object ------------------------------------------------------------

def _check_map_location(map_location):
    if map_location is None or isinstance(map_location, (str, _device)) or callable(map_location):
        return map_location
    if isinstance(map_location, dict):
        return {str(k): v for k, v in map_location.items()}
    raise TypeError("ember.load: map_location must be None, a str, an ember.device, a dict or a callable, got "
                    f"{_type_name(map_location)}")


def _place(t, saved, map_location, fname, tname):
    """Move a freshly read CPU tensor to where ``map_location`` (or the file, by default) says."""
    if map_location is None:
        target = saved
    elif isinstance(map_location, (str, _device)):
        target = map_location
    elif isinstance(map_location, dict):
        target = map_location.get(saved, saved)
    else:
        r = map_location(t, saved)
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(f"ember.load: map_location returned {_type_name(r)} for tensor {tname!r}; it "
                                "must return a Tensor or None")
            return r.detach() if r.grad_fn is not None else r
        target = saved
    dev = target if isinstance(target, _device) else _device(target)
    if dev.type == "cpu":
        return t
    from . import cuda
    if not cuda.is_available():
        raise _fail(fname, f"tensor {tname!r} is to be loaded on {dev}, but CUDA is not available; pass "
                           "map_location='cpu' to load it on the CPU")
    return t.to(dev)


def _finish_tensor(t, requires_grad, parameter):
    if parameter:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad = True
    return t


def _build(plan, arrays, map_location, fname):
    """Rebuild the saved object bottom-up (children come after parents), with no recursion."""
    tensors = {}
    built = [None] * len(plan)
    for i in range(len(plan) - 1, -1, -1):
        node = plan[i]
        kind = node[0]
        if kind == "v":
            value = node[1]
        elif kind == "t":
            _, tname, rg, param, saved = node
            value = tensors.get(tname)
            if value is None:
                t = _place(_wrap(arrays.pop(tname)), saved, map_location, fname, tname)
                value = tensors[tname] = _finish_tensor(t, rg, param)
        elif kind == "list":
            value = [built[c] for c in node[1]]
        elif kind == "tuple":
            value = tuple(built[c] for c in node[1])
        else:
            items = [(k, built[c]) for k, c in node[1]]
            if kind == "dict":
                value = dict(items)
            else:
                value = collections.OrderedDict(items)
                if node[2] is not None:
                    value._metadata = built[node[2]]
        built[i] = value
        if kind in ("list", "tuple"):
            for c in node[1]:
                built[c] = None  # let finished children go: peak memory stays one copy of the object
    return built[0]


def _source_name(f):
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"<{_type_name(f)}>"


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    r"""Loads an object saved with :func:`ember.save`, or the tensors of any safetensors file.

    Nothing in the file is executed: ember files hold JSON and raw tensor bytes, and every length, offset,
    shape and dtype is checked against the file before use. A plain safetensors file (one not written by
    ember, e.g. by ``safetensors.torch.save_file``) loads as a dict name -> tensor in file order.

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file-like object. A seekable stream is left just
            after the loaded record, so several objects saved one after another can be loaded in turn.
        map_location: where tensors go. ``None``: where they were saved (``cpu`` or ``cuda:N``);
            a ``str`` or ``ember.device``: there; a dict: maps saved locations to new ones
            (``{'cuda:1': 'cuda:0'}``), others stay; a callable ``fn(cpu_tensor, saved_location)``
            returning a Tensor, or ``None`` for the default.
        pickle_module: must be ``None``: ember never unpickles.
        weights_only: accepted for compatibility with ``torch.load``; ember loads only data either way,
            so ``True`` and ``False`` behave the same.
        mmap: if ``True`` (``f`` must be a path), tensors are copy-on-write memory maps of the file:
            loading is fast and memory is only used for what is touched or changed.

    Returns:
        The saved object.

    Raises:
        LoadError: (a ``RuntimeError``) the file is truncated, corrupt, hostile, uses a dtype ember lacks,
            or needs CUDA where there is none. The message names the file.
        FileNotFoundError: ``f`` is a path that does not exist.

    Example::

        >>> state = ember.load("model.safetensors", map_location="cpu")
        >>> model.load_state_dict(state)
    """
    if pickle_module is not None or pickle_load_args:
        raise TypeError("ember.load: pickle_module and pickle load arguments are not supported; ember files "
                        "never use pickle")
    map_location = _check_map_location(map_location)
    if _is_path(f):
        path = os.fsdecode(os.fspath(f))
        with open(path, "rb") as fh:
            src = _Source(fh, repr(path), exact=True)
            if mmap and src.size:
                src.buffer = _mmap_mod.mmap(fh.fileno(), 0, access=_mmap_mod.ACCESS_COPY)
            return _load(src, map_location)
    if mmap:
        raise ValueError("ember.load: f must be a file path in order to use the mmap argument")
    if not hasattr(f, "read"):
        raise TypeError(f"ember.load: f must be a path or a binary file-like object, got {_type_name(f)}")
    if isinstance(f, io.TextIOBase):
        raise TypeError("ember.load: f must be opened in binary mode ('rb')")
    try:
        seekable = f.seekable() if hasattr(f, "seekable") else hasattr(f, "seek")
    except (OSError, ValueError):
        seekable = False
    src = _Source(f, _source_name(f), exact=False) if seekable else _BufferSource(f, _source_name(f))
    result = _load(src, map_location)
    if src.f is not None:
        src.f.seek(src.base + src.record_end)
    return result


def _load(src, map_location):
    entries, meta, data_start, src.record_end = _read_header(src)
    by_name = {e.name: e for e in entries}
    plan = None
    if meta is not None and "ember" in meta:
        plan = _parse_structure(meta["ember"], by_name, src.name)
    arrays = {e.name: _read_array(src, e, data_start) for e in entries}  # file order: sequential reads
    if plan is None:
        return {name: _place(_wrap(a), "cpu", map_location, src.name, name) for name, a in arrays.items()}
    return _build(plan, arrays, map_location, src.name)
