"""ember.save / ember.load: exact round trips, safetensors interop with PyTorch, atomic writes, hostile files.

Hostile and fuzzed files must either load or raise ``ember.serialization.LoadError`` naming the file:
never another exception type, a crash, a hang, RecursionError, or memory beyond the file's size.
"""
import collections
import io
import json
import math
import os
import signal
import stat
import struct
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ember
from ember.serialization import MAX_DEPTH, LoadError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ST_CODE = {"float16": "F16", "float32": "F32", "float64": "F64", "int8": "I8", "int16": "I16", "int32": "I32",
           "int64": "I64", "uint8": "U8", "bool": "BOOL"}
# EMBER_FUZZ_EXAMPLES=2000 for a longer fuzzing run; the default keeps this file near 10 s
FUZZ_EXAMPLES = int(os.environ.get("EMBER_FUZZ_EXAMPLES", "60"))
FUZZ = settings(deadline=None, max_examples=FUZZ_EXAMPLES, suppress_health_check=[HealthCheck.too_slow])


# --- helpers ---------------------------------------------------------------------------------------------

def roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **load_kw)


def same_scalar(a, b):
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    return a == b


def assert_same(a, b, path="obj"):
    """Exact equality: same types all the way down, tensors bit-identical with the same dtype/shape/flags."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, ember.Tensor):
        assert a.dtype is b.dtype and a.shape == b.shape, f"{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert a.requires_grad == b.requires_grad, path
        assert b.is_leaf, path
        assert np.ascontiguousarray(a.detach().numpy()).tobytes() == b.detach().numpy().tobytes(), path
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert len(a) == len(b), path
        for (ka, va), (kb, vb) in zip(a.items(), b.items()):
            assert same_scalar(ka, kb), f"{path}: key {ka!r} != {kb!r}"
            kr = hex(ka) if type(ka) is int and abs(ka) > 10 ** 100 else repr(ka)  # str() has a digit limit
            assert_same(va, vb, f"{path}[{kr}]")
        if isinstance(a, collections.OrderedDict):
            assert_same(getattr(a, "_metadata", None), getattr(b, "_metadata", None), f"{path}._metadata")
    elif isinstance(a, ember.dtype):
        assert a is b, path
    else:
        assert same_scalar(a, b), f"{path}: {a!r} != {b!r}"


def make_tensor(dtype, shape, seed=0, requires_grad=False):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) < 0.5
    elif dtype.startswith("float"):
        a = rng.standard_normal(shape).astype(dtype)
    else:
        info = np.iinfo(dtype)
        a = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    t = ember.from_numpy(np.asarray(a))
    if requires_grad and dtype.startswith("float"):
        t.requires_grad_()
    return t


def craft(header, data=b"", metadata=None):
    """A safetensors file from an explicit header object (anything JSON) and data bytes."""
    if metadata is not None:
        header = {"__metadata__": metadata, **header}
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def craft_ember(nodes, arrays=None, version=1):
    """An ember file with a hand-written node table over ``arrays`` (name -> numpy array)."""
    header, data = {}, b""
    for name, a in (arrays or {}).items():
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": ST_CODE[a.dtype.name], "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    return craft(header, data, {"ember": json.dumps({"version": version, "nodes": nodes})})


def load_bytes(data, **kw):
    return ember.load(io.BytesIO(data), **kw)


def load_or_error(data):
    """Load hostile bytes: the result, or None after a LoadError that names the file. Anything else fails."""
    try:
        return load_bytes(data)
    except LoadError as e:
        assert "<_io.BytesIO>" in str(e)
        return None


def expect_error(data, *fragments):
    with pytest.raises(LoadError) as info:
        load_bytes(data)
    msg = str(info.value)
    assert msg.startswith("ember.load: <_io.BytesIO>: "), msg
    for frag in fragments:
        assert frag in msg, msg
    return msg


def small_checkpoint():
    lin = ember.nn.Linear(3, 2)
    return {"model": lin.state_dict(), "step": 7, "lr": 0.5, "tags": ("a", None, True),
            "opt": {"state": {0: {"exp_avg": ember.ones(2, 3)}}, "param_groups": [{"params": [0, 1]}]},
            "mask": ember.tensor([True, False]), "scalar": ember.tensor(2.5, requires_grad=True)}


# --- round trips ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3), (1, 1, 1, 1)])
def test_tensor_roundtrip_dtypes_shapes(dtype, shape):
    t = make_tensor(dtype, shape, seed=len(shape))
    out = roundtrip(t)
    assert_same(t, out)
    assert out.device == ember.device("cpu")


def test_float_specials_and_big_ints_roundtrip():
    obj = [float("inf"), float("-inf"), float("nan"), -0.0, 0.0, 5e-324, 1.7976931348623157e308, 0.1,
           0, -1, 2 ** 53, -(2 ** 53), 2 ** 63, -(2 ** 64) - 1, 10 ** 5000, -(7 ** 3000), True, False, None, "",
           "ünï\u00e7ode \x00 \"quoted\" \\", 2 ** 53 - 1]
    out = roundtrip(obj)
    assert_same(obj, out)
    assert math.copysign(1.0, out[3]) == -1.0
    huge = {10 ** 5000: ember.ones(1), -(10 ** 5000): [1]}  # past str()'s digit limit, as keys too
    assert_same(huge, roundtrip(huge))
    with pytest.raises(TypeError, match=r"at obj\[0x"):
        roundtrip({10 ** 5000: object()})
    t = ember.tensor([float("nan"), -0.0, float("inf")])
    assert_same(t, roundtrip(t))


def test_container_and_key_types_roundtrip():
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    obj = {"list": [1, [2, (3,)]], "tuple": (1, [2], ()), "empty": ([], (), {}, collections.OrderedDict()),
           1: "int key", -2 ** 70: "big int key", 2.5: "float key", float("inf"): "inf key", None: "none key",
           "bools": {True: "t", False: "f"}, "od": od, "x": "str key", "single": (ember.zeros(1),)}
    out = roundtrip(obj)
    assert_same(obj, out)
    assert list(out) == list(obj)  # order kept
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["z", "a"]
    assert [type(k) for k in out["bools"]] == [bool, bool] and [type(k) for k in out][:7] == [
        str, str, str, int, int, float, float]


def test_optimizer_state_dict_int_keys():
    sd = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.randn(4, 3), "exp_avg_sq": ember.rand(4, 3)},
                    2: {"step": ember.tensor(3.0), "exp_avg": ember.randn(3), "exp_avg_sq": ember.rand(3)}},
          "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0, "amsgrad": False,
                            "maximize": False, "foreach": None, "params": [0, 1, 2]}]}
    out = roundtrip(sd)
    assert_same(sd, out)
    assert list(out["state"]) == [0, 2] and all(type(k) is int for k in out["state"])


def test_module_state_dict_roundtrip_and_load_state_dict(tmp_path):
    src = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Linear(8, 2))
    sd = src.state_dict()
    path = tmp_path / "model.safetensors"
    ember.save(sd, path)
    out = ember.load(path)
    assert_same(sd, out)
    assert out._metadata == sd._metadata and type(out) is collections.OrderedDict
    dst = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Linear(8, 2))
    dst.load_state_dict(out)
    x = ember.randn(5, 4)
    np.testing.assert_array_equal(dst(x).detach().numpy(), src(x).detach().numpy())


def test_training_checkpoint_resumes_exactly(tmp_path):
    if not hasattr(ember.optim, "Adam"):
        pytest.skip("ember.optim.Adam not available yet")

    def make():
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Linear(4, 1))
        return model, ember.optim.Adam(model.parameters(), lr=0.1)

    def step(model, opt, x):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()

    x = ember.randn(8, 3)
    model, opt = make()
    step(model, opt, x)
    ember.save({"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 1}, tmp_path / "ck")
    step(model, opt, x)  # the uninterrupted run
    model2, opt2 = make()
    ck = ember.load(tmp_path / "ck")
    model2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    step(model2, opt2, x)  # the resumed run
    assert ck["epoch"] == 1
    for a, b in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_requires_grad_parameter_and_non_leaf():
    p = ember.nn.Parameter(ember.randn(3))
    frozen = ember.nn.Parameter(ember.randn(2), requires_grad=False)
    int_param = ember.nn.Parameter(ember.arange(3), requires_grad=False)
    leaf = ember.randn(2, requires_grad=True)
    nonleaf = leaf * 2
    out = roundtrip([p, frozen, int_param, leaf, nonleaf, leaf.detach()])
    assert [type(t).__name__ for t in out] == ["Parameter"] * 3 + ["Tensor"] * 3
    assert [t.requires_grad for t in out] == [True, False, False, True, True, False]
    assert all(t.is_leaf for t in out)  # torch.load gives leaves too
    np.testing.assert_array_equal(out[4].detach().numpy(), nonleaf.detach().numpy())
    out[4].sum().backward()  # a loaded requires_grad tensor is a usable leaf
    np.testing.assert_array_equal(out[4].grad.numpy(), np.ones(2, np.float32))


def test_non_contiguous_saved_as_values_and_shared_tensors():
    base = ember.arange(24, dtype=ember.float32).reshape(4, 6)
    views = [base.t(), base[:, ::2], base[1:3, 1:5:3], base.reshape(24)[1::5], base.expand(2, 4, 6)]
    out = roundtrip({"views": views, "base": base, "again": base})
    for v, o in zip(views, out["views"]):
        np.testing.assert_array_equal(o.numpy(), v.numpy())
        assert o.shape == v.shape and o.numpy().flags.c_contiguous
    assert out["again"] is out["base"]  # the same tensor object loads as one object, as with torch.load
    assert out["views"][0] is not out["base"]
    out["views"][0][0, 0] = 100.0  # views load as independent values
    assert out["base"][0, 0].item() == 0.0


def test_misc_values_dtype_device_size():
    obj = {"dt": [ember.float16, ember.bool, ember.int64], "dev": ember.device("cpu"),
           "cuda": ember.device("cuda", 1), "size": ember.randn(2, 0, 3).shape, "empty_size": ember.Size([])}
    out = roundtrip(obj)
    assert out["dt"][0] is ember.float16 and out["dt"][2] is ember.int64
    assert out["dev"] == ember.device("cpu") and out["cuda"] == ember.device("cuda:1")
    assert type(out["size"]) is ember.Size and out["size"] == (2, 0, 3) and out["empty_size"] == ()


def test_deep_nesting_roundtrip_without_recursion():
    obj = leaf = []
    for _ in range(MAX_DEPTH - 1):  # MAX_DEPTH nested lists in all
        nxt = []
        leaf.append(nxt)
        leaf = nxt
    leaf.append(ember.ones(2))
    out = roundtrip(obj)
    for _ in range(MAX_DEPTH - 1):
        (out,) = out
    np.testing.assert_array_equal(out[0].numpy(), [1, 1])
    leaf.append([])  # one level too deep
    with pytest.raises(ValueError, match=r"nest more than 1000 levels deep at obj\[0\]\[0\].*more"):
        roundtrip(obj)
    leaf.pop()
    leaf.append(())
    with pytest.raises(ValueError, match="nest more than"):
        roundtrip(obj)


@st.composite
def tensors(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    t = make_tensor(dtype, shape, seed=draw(st.integers(0, 1000)))
    if dtype.startswith("float") and draw(st.booleans()):
        t.requires_grad_()
    if t.ndim >= 2 and draw(st.booleans()):
        t = t.detach().transpose(0, 1)  # non-contiguous
    return t


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text()
KEYS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
TREES = st.recursive(
    SCALARS | tensors(),
    lambda ch: (st.lists(ch, max_size=4) | st.lists(ch, max_size=4).map(tuple)
                | st.dictionaries(KEYS, ch, max_size=4)
                | st.dictionaries(st.text(max_size=3), ch, max_size=4).map(collections.OrderedDict)),
    max_leaves=12)


@settings(deadline=None, max_examples=max(80, FUZZ_EXAMPLES), suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_hypothesis_roundtrip(obj):
    assert_same(obj, roundtrip(obj))


# --- files and streams ------------------------------------------------------------------------------------------

def test_paths_pathlike_open_files_and_mmap(tmp_path):
    obj = small_checkpoint()
    p = tmp_path / "ck.safetensors"
    ember.save(obj, str(p))
    assert_same(obj, ember.load(str(p)))
    assert_same(obj, ember.load(p))
    ember.save(obj, p)  # overwrite through os.PathLike
    with open(p, "rb") as fh:
        assert_same(obj, ember.load(fh))
    with open(tmp_path / "b.safetensors", "wb") as fh:
        ember.save(obj, fh)
    assert (tmp_path / "b.safetensors").read_bytes() == p.read_bytes()  # deterministic format
    assert_same(obj, ember.load(p, weights_only=False))  # no code runs either way, so the same result
    assert_same(obj, ember.load(p, "cpu"))  # map_location positionally, as torch.load takes it
    m = ember.load(p, mmap=True)
    assert_same(obj, m)
    m["opt"]["state"][0]["exp_avg"][0, 0] = 5.0  # copy-on-write: writable, the file is untouched
    assert ember.load(p)["opt"]["state"][0]["exp_avg"][0, 0].item() == 1.0
    with pytest.raises(ValueError, match="mmap"):
        ember.load(io.BytesIO(p.read_bytes()), mmap=True)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.safetensors")
    assert sorted(os.listdir(tmp_path)) == ["b.safetensors", "ck.safetensors"]  # no temp files left


def test_stream_holds_several_records_and_non_seekable_streams():
    buf = io.BytesIO()
    objs = [{"a": ember.ones(3)}, [1, 2], ember.zeros(2, dtype=ember.int8)]
    for o in objs:
        ember.save(o, buf)
    buf.seek(0)
    for o in objs:
        assert_same(o, ember.load(buf))
    assert buf.tell() == len(buf.getvalue())

    class Pipe(io.RawIOBase):  # read-only, not seekable, short reads
        def __init__(self, data):
            self.data, self.pos = data, 0

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), 7, len(self.data) - self.pos)
            b[:n] = self.data[self.pos:self.pos + n]
            self.pos += n
            return n

    data = io.BytesIO()
    ember.save(objs[0], data)
    assert_same(objs[0], ember.load(io.BufferedReader(Pipe(data.getvalue()))))
    assert_same(objs[0], ember.load(Pipe(data.getvalue())))
    with pytest.raises(TypeError, match="binary"):
        ember.load(io.StringIO("x"))


def test_file_is_plain_safetensors_readable_elsewhere(tmp_path):
    src = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Linear(8, 2))
    p = tmp_path / "m.safetensors"
    ember.save(src.state_dict(), p)
    named = safetensors.torch.load_file(p)
    assert sorted(named) == ["0.bias", "0.weight", "1.bias", "1.weight"]  # tensors named after their keys
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    tm.load_state_dict(named)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(tm(torch.from_numpy(x)).detach().numpy(), src(ember.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    with safetensors.safe_open(p, "np") as f:
        meta = json.loads(f.metadata()["ember"])
    assert meta["version"] == 1 and meta["nodes"][0]["ordered_dict"][0][0] == "0.weight"


def test_tensor_names_are_unique_and_utf8():
    obj = {"a.b": ember.ones(1), "a": {"b": ember.zeros(1)}, "__metadata__": ember.ones(2), "\ud800": ember.ones(3),
           "": ember.ones(4)}
    buf = io.BytesIO()
    ember.save(obj, buf)
    names = set(safetensors.numpy.load(buf.getvalue()))
    assert {"a.b", "a.b#1", "__metadata__#1", "\\ud800", "tensor"} <= names or len(names) == 5
    assert len(names) == 5
    buf.seek(0)
    assert_same(obj, ember.load(buf))


# --- map_location -------------------------------------------------------------------------------------------------

def test_map_location_forms():
    obj = {"w": ember.randn(2, 2), "p": ember.nn.Parameter(ember.randn(3))}
    for ml in [None, "cpu", ember.device("cpu"), {"cpu": "cpu"}, {ember.device("cpu"): "cpu"}, {"cuda:0": "cpu"}]:
        assert_same(obj, roundtrip(obj, map_location=ml))
    seen = []

    def fn(t, loc):
        seen.append((type(t), loc))
        return t

    assert_same(obj, roundtrip(obj, map_location=fn))
    assert seen == [(ember.Tensor, "cpu")] * 2
    assert_same(obj, roundtrip(obj, map_location=lambda t, loc: None))
    doubled = roundtrip(obj, map_location=lambda t, loc: t * 2)
    np.testing.assert_allclose(doubled["w"].numpy(), obj["w"].numpy() * 2)
    assert type(doubled["p"]) is ember.nn.Parameter
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(obj, map_location=lambda t, loc: t.numpy())
    with pytest.raises(TypeError, match="map_location"):
        roundtrip(obj, map_location=3.5)


def test_saved_cuda_location_needs_map_location_without_cuda():
    data = craft_ember([{"list": [1, 2]}, {"tensor": "w", "device": "cuda:1", "requires_grad": True}, "x"],
                       {"w": np.arange(3, dtype=np.float32)})
    for ml in ["cpu", {"cuda:1": "cpu"}, lambda t, loc: t if loc == "cuda:1" else None]:
        out = load_bytes(data, map_location=ml)
        assert out[0].device == ember.device("cpu") and out[0].requires_grad and out[1] == "x"
    if not ember.cuda.is_available():
        expect_error(data, "'w'", "cuda:1", "map_location='cpu'")
        with pytest.raises(LoadError, match="CUDA is not available"):
            roundtrip(ember.ones(1), map_location="cuda")


def test_map_location_to_device(device):
    t = ember.randn(3, requires_grad=True)
    out = roundtrip({"t": t}, map_location=device)["t"]
    assert out.device.type == device and out.is_leaf and out.requires_grad
    np.testing.assert_array_equal(out.detach().cpu().numpy(), t.detach().numpy())
    back = roundtrip(out)  # saved on that device, loads there by default
    assert back.device == out.device


# --- plain safetensors files from PyTorch --------------------------------------------------------------------------

def test_plain_safetensors_from_torch_all_dtypes(tmp_path):
    g = torch.Generator().manual_seed(0)
    sd = {f"t_{d}": (torch.randn(3, 2, generator=g) * 50).to(getattr(torch, d)) for d in DTYPES}
    sd["scalar"] = torch.tensor(1.5)
    sd["empty"] = torch.zeros(0, 4, dtype=torch.int32)
    p = tmp_path / "plain.safetensors"
    safetensors.torch.save_file(sd, p, metadata={"format": "pt"})
    out = ember.load(p)
    assert type(out) is dict and set(out) == set(sd)
    with open(p, "rb") as fh:
        n = struct.unpack("<Q", fh.read(8))[0]
        header = json.loads(fh.read(n))
    header.pop("__metadata__")
    assert list(out) == sorted(header, key=lambda k: tuple(header[k]["data_offsets"]))  # file order
    for k, v in sd.items():
        assert out[k].dtype is getattr(ember, str(v.dtype).replace("torch.", ""))
        assert tuple(out[k].shape) == tuple(v.shape) and not out[k].requires_grad
        np.testing.assert_array_equal(out[k].numpy(), v.numpy())


@pytest.mark.parametrize("dtype,code", [(torch.bfloat16, "BF16"), (torch.float8_e4m3fn, "F8_E4M3"),
                                        (torch.uint16, "U16"), (torch.uint32, "U32")])
def test_plain_safetensors_unsupported_dtype(dtype, code):
    data = safetensors.torch.save({"ok": torch.ones(2), "layer.w": torch.ones(2).to(dtype)})
    expect_error(data, "'layer.w'", code, "convert")


def test_torch_sequential_weights_into_ember(tmp_path):
    nn = ember.nn
    if not all(hasattr(nn, n) for n in ("Linear", "ReLU", "Sequential")):
        pytest.skip("ember.nn.Linear/ReLU/Sequential not available yet")
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    p = tmp_path / "torch_model.safetensors"
    safetensors.torch.save_file(tm.state_dict(), p)
    em = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    em.load_state_dict(ember.load(p))
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(em(ember.from_numpy(x)).detach().numpy(),
                               tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


# --- what cannot be saved -----------------------------------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")


class MyDict(dict):
    pass


@pytest.mark.parametrize("bad,where,typename", [
    ({"layers": [1, 2, object()]}, "obj['layers'][2]", "object"),
    ({"fn": lambda x: x}, "obj['fn']", "function"),
    ([{1, 2}], "obj[0]", "set"),
    ({"a": np.float64(1.0)}, "obj['a']", "numpy.float64"),
    ({"a": np.zeros(3)}, "obj['a']", "numpy.ndarray"),
    ((Point(1, 2),), "obj[0]", "Point"),
    ({"d": MyDict()}, "obj['d']", "MyDict"),
    ({"d": collections.defaultdict(list)}, "obj['d']", "defaultdict"),
    ({"b": b"bytes"}, "obj['b']", "bytes"),
    ({"k": {(1, 2): 3}}, "obj['k']", "tuple"),
    ({"k": {ember.ones(1): 3}}, "obj['k']", "Tensor"),
    (object(), "obj", "object"),
])
def test_unsupported_types_raise_and_write_nothing(tmp_path, bad, where, typename):
    target = tmp_path / "out.safetensors"
    with pytest.raises(TypeError) as info:
        ember.save(bad, target)
    msg = str(info.value)
    assert where in msg and typename in msg and "ember.save stores" in msg and "dict" in msg, msg
    assert os.listdir(tmp_path) == []
    ember.save({"old": 1}, target)
    before = target.read_bytes()
    with pytest.raises(TypeError):
        ember.save(bad, target)
    assert target.read_bytes() == before and os.listdir(tmp_path) == ["out.safetensors"]
    buf = io.BytesIO()
    with pytest.raises(TypeError):
        ember.save(bad, buf)
    assert buf.getvalue() == b""


def test_cycles_and_pickle_module_rejected(tmp_path):
    a = [1]
    a.append({"x": a})
    with pytest.raises(ValueError, match=r"circular reference: obj\[1\]\['x'\]"):
        ember.save(a, tmp_path / "x")
    shared = [ember.ones(1)]
    assert_same([shared, shared], roundtrip([shared, shared]))  # shared but not circular is fine
    with pytest.raises(TypeError, match="pickle"):
        ember.save([], tmp_path / "x", pickle_module=object())
    with pytest.raises(TypeError, match="pickle"):
        ember.load(tmp_path / "x", pickle_module=object())
    assert os.listdir(tmp_path) == []


def test_saved_file_permissions_follow_umask_or_existing_file(tmp_path):
    p = tmp_path / "perm.safetensors"
    old = os.umask(0o022)
    try:
        ember.save({"a": ember.ones(3)}, p)
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o644  # as open(p, "wb") would give
    os.chmod(p, 0o640)
    ember.save({"a": ember.ones(3)}, p)
    assert stat.S_IMODE(p.stat().st_mode) == 0o640  # overwriting keeps the file's mode


def test_failed_write_leaves_target_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "ck.safetensors"
    ember.save({"v": 1}, target)

    def broken(arrays, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(safetensors.numpy, "save_file", broken)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"v": 2, "t": ember.ones(10)}, target)
    assert os.listdir(tmp_path) == ["ck.safetensors"] and ember.load(target) == {"v": 1}


# --- atomicity under SIGKILL --------------------------------------------------------------------------------------

def _unfinished(path, full, empty_counts=False):
    """True while a file is mid-write: safetensors sizes the file first, then fills it, so the last
    tensor's final bytes are still zero (the victim never stores a zero). An empty temporary
    file has not been started; an empty target (truncated by an in-place write) counts as mid-write."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size == 0:
                return empty_counts
            fh.seek(full - 4)
            return size < full or fh.read(4) == b"\0\0\0\0"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_save_leaves_previous_file(tmp_path):
    target = tmp_path / "ckpt.safetensors"
    n = 1 << 20  # 8 tensors of 4 MiB: a write takes long enough to be caught half-done
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "_save_victim.py"), str(target), str(n)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    caught = None
    try:
        assert proc.stdout.readline().strip() == "saving 0"
        assert proc.stdout.readline().strip() == "saved 0"
        full = target.stat().st_size
        deadline = time.monotonic() + 60
        while caught is None and time.monotonic() < deadline and proc.poll() is None:
            # ember's temporary file, the one safetensors (>= 0.8) writes first and renames onto it, or
            # the target itself if a save ever wrote it in place
            for tmp in tmp_path.iterdir():
                if _unfinished(tmp, full, empty_counts=tmp == target):  # the victim is in the middle of writing a new version
                    os.kill(proc.pid, signal.SIGKILL)
                    caught = tmp
                    break
    finally:
        proc.kill()
        out = proc.communicate()[0]
    assert caught is not None, "never saw a half-written file"
    assert _unfinished(caught, full, empty_counts=True), "the kill should have landed mid-write"
    saved = [int(line.split()[1]) for line in out.splitlines() if line.startswith("saved")]
    obj = ember.load(target)  # complete, not truncated, not the half-written version
    assert obj["version"] == max(saved, default=0)  # the last completed save ("saved 0" was read above)
    for t in obj["tensors"]:
        assert t.shape == (n,) and (t.numpy() == obj["version"] + 1).all()
    for tmp in tmp_path.iterdir():  # what a killed save leaves behind
        if tmp != target:
            tmp.unlink()
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


# --- hostile files ------------------------------------------------------------------------------------------------

def test_hostile_header_lengths_and_non_json():
    good = io.BytesIO()
    ember.save({"a": ember.ones(2)}, good)
    body = good.getvalue()[8:]
    for n in [0, 1, 10 ** 15, 2 ** 63, 2 ** 64 - 1, len(body) + 1, 100_000_001]:
        expect_error(struct.pack("<Q", n) + body)
    expect_error(b"", "too short")
    expect_error(b"\x01\x02\x03", "too short")
    expect_error(craft(b"not json at all"), "not valid JSON")
    expect_error(craft(b"\xff\xfe{}"), "not UTF-8")
    expect_error(craft(b"[1, 2]"), "JSON object")
    expect_error(craft(b'{"a": NaN}'), "not valid JSON")
    expect_error(craft(b'{"a": {}, "a": {}}'), "duplicate key")
    expect_error(craft(b'{"a": 1' + b"9" * 5000 + b"}"), "not valid JSON")  # int digit limit
    expect_error(b"PK\x03\x04" + b"\x00" * 200, "PyTorch")


def test_hostile_deep_nesting_never_recurses():
    for raw in [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000, b"[" * 100_000]:
        expect_error(craft(raw), "nests deeper")
    deep_meta = "[" * 100_000 + "]" * 100_000
    expect_error(craft({}, b"", {"ember": deep_meta}), "nests deeper")
    # a legal-looking flat table describing a 5000-level tree
    nodes = [{"list": [i + 1]} for i in range(5 * MAX_DEPTH)] + [None]
    expect_error(craft_ember(nodes), f"deeper than {MAX_DEPTH}")
    # brackets inside strings do not count, escaped quotes included
    ok = craft({"__metadata__": {"k": '[[[[[[\\"{{{{' * 10}})
    assert load_or_error(ok) == {}


def test_hostile_header_entries():
    f32 = np.arange(4, dtype=np.float32).tobytes()

    def entry(dtype="F32", shape=(4,), off=(0, 16)):
        return {"dtype": dtype, "shape": list(shape), "data_offsets": list(off)}

    assert load_or_error(craft({"w": entry()}, f32))["w"].tolist() == [0, 1, 2, 3]
    cases = [
        ({"w": entry(shape=(8,), off=(0, 32))}, f32, "truncated"),
        ({"w": entry(off=(0, 10 ** 15))}, f32, "data_offsets"),
        ({"w": entry(off=(8, 4))}, f32, "data_offsets"),
        ({"w": entry(off=(-4, 12))}, f32, "data_offsets"),
        ({"w": entry(off=(4, 20))}, f32 + b"1234", "gap"),
        ({"w": entry(), "v": entry(shape=(2,), off=(8, 16))}, f32, "overlapping"),
        ({"w": entry(shape=(2,), off=(0, 8)), "v": entry(shape=(2,), off=(12, 20))}, f32 + b"1234", "gap"),
        ({"w": entry(shape=(5,))}, f32, "needs 20 bytes"),
        ({"w": entry(dtype="F64")}, f32, "needs 32 bytes"),
        ({"w": entry(shape=(-4,))}, f32, "non-negative"),
        ({"w": entry(shape=(2 ** 64, 0), off=(0, 0))}, b"", "non-negative"),
        ({"w": entry(shape=[2 ** 40] * 3 + [0], off=(0, 0))}, b"", "too large"),
        ({"w": entry(shape=[1] * 65)}, f32, "at most 64"),
        ({"w": entry(shape=(4.0,))}, f32, "shape"),
        ({"w": entry(shape=(True, 4))}, f32, "shape"),
        ({"w": entry(dtype="Q9")}, f32, "unknown dtype"),
        ({"w": entry(dtype=7)}, f32, "dtype must be a string"),
        ({"w": {"dtype": "F32", "shape": [4]}}, f32, "expected"),
        ({"w": entry() | {"extra": 1}}, f32, "expected"),
        ({"w": [1, 2]}, f32, "expected"),
        ({"w": entry(off=(0,))}, f32, "data_offsets"),
        ({"w": entry(off=(0.0, 16))}, f32, "data_offsets"),
        ({"w": entry(dtype="BOOL", shape=(4, 4))}, b"\x00\x01" * 8, None),
        ({"w": entry(dtype="BOOL", shape=(16,))}, b"\x00\x02" * 8, "BOOL"),
        ({"__metadata__": {"a": 1}}, b"", "__metadata__"),
        ({"__metadata__": [1]}, b"", "__metadata__"),
    ]
    for header, data, frag in cases:
        if frag is None:
            assert load_or_error(craft(header, data)) is not None
        else:
            expect_error(craft(header, data), frag)


def test_trailing_bytes_rejected_for_paths(tmp_path):
    p = tmp_path / "x.safetensors"
    ember.save({"a": ember.ones(2)}, p)
    p.write_bytes(p.read_bytes() + b"junk")
    with pytest.raises(LoadError, match=r"x\.safetensors.*4 bytes after its last tensor"):
        ember.load(p)


def test_hostile_structures():
    w = {"w": np.arange(3, dtype=np.float32)}
    i8 = {"i": np.arange(3, dtype=np.int8)}
    assert load_or_error(craft_ember([{"tensor": "w"}], w)).tolist() == [0, 1, 2]
    cases = [
        ([{"tensor": "missing"}], w, "not in the file"),
        ([{"list": []}], w, "does not use"),
        ([{"tensor": "w"}], {}, "not in the file"),
        ([{"list": [1, 1]}, 3], {}, "referenced twice"),
        ([{"list": [0]}], {}, "not a later node"),
        ([{"list": [1]}, {"list": [0]}], {}, "not a later node"),
        ([{"list": [5]}], {}, "not a later node"),
        ([{"list": ["1"]}, 3], {}, "not a later node"),
        ([{"list": [True]}, 3], {}, "not a later node"),
        ([{"list": [1]}, 1, 2], {}, "not part of the object"),
        ([{"dict": [[{"no": 1}, 1]]}, 3], {}, "dict key"),
        ([{"dict": [[[1], 1]]}, 3], {}, "dict key"),
        ([{"dict": [["a", 1], ["a", 2]]}, 3, 4], {}, "duplicate dict key"),
        ([{"dict": [["a"]]}], {}, "pairs"),
        ([{"dict": {"a": 1}}], {}, "pairs"),
        ([{"int": "12"}], {}, "scalar"),
        ([{"int": 12}], {}, "scalar"),
        ([{"float": "pi"}], {}, "scalar"),
        ([{"float": "1" * 100}], {}, "scalar"),
        ([1.5], {}, "scalar"),
        ([[1, 2]], {}, "scalar"),
        ([{"tuple": [1], "list": [1]}, 2], {}, "not a valid node"),
        ([{"set": [1]}, 2], {}, "not a valid node"),
        ([{"dtype": "complex128"}], {}, "not a valid node"),
        ([{"device": "tpu:0"}], {}, "not a valid node"),
        ([{"size": [1, "2"]}], {}, "not a valid node"),
        ([{"tensor": "i", "requires_grad": True}], i8, "requires_grad"),
        ([{"tensor": "w", "requires_grad": 1}], w, "tensor reference"),
        ([{"tensor": "w", "color": "red"}], w, "tensor reference"),
        ([{"tensor": "w", "device": "gpu"}], w, "bad device"),
        ([{"tensor": 3}], w, "not in the file"),
        ([{"list": [1, 2]}, {"tensor": "w"}, {"tensor": "w", "parameter": True}], w, "different flags"),
        ([{"ordered_dict": [], "metadata": 0}], {}, "not a later node"),
        ([{"ordered_dict": [], "other": 1}, 2], {}, "not a valid node"),
    ]
    for nodes, arrays, frag in cases:
        expect_error(craft_ember(nodes, arrays), frag)
    expect_error(craft_ember([1], version=2), "newer ember")
    expect_error(craft_ember([1], version="1"), "version")
    expect_error(craft({}, b"", {"ember": json.dumps({"version": 1, "nodes": []})}), "no nodes")
    expect_error(craft({}, b"", {"ember": json.dumps({"version": 1})}), "'version' and 'nodes'")
    expect_error(craft({}, b"", {"ember": "{"}), "not valid JSON")
    # the same tensor twice with the same flags is fine and loads as one object
    a, b = load_or_error(craft_ember([{"list": [1, 2]}, {"tensor": "w"}, {"tensor": "w"}], w))
    assert a is b


def test_hostile_files_stay_within_file_size_memory():
    huge_claims = [
        struct.pack("<Q", 2 ** 62) + b"{}",
        craft({"w": {"dtype": "F64", "shape": [2 ** 40], "data_offsets": [0, 2 ** 43]}}, b"\x00" * 64),
        craft({"w": {"dtype": "F32", "shape": [2 ** 30, 2 ** 30, 0], "data_offsets": [0, 0]}}),
        craft({}, b"", {"ember": json.dumps({"version": 1, "nodes": [{"list": [1]}, {"int": "0x" + "f" * 20000}]})}),
    ]
    for data in huge_claims:
        tracemalloc.start()
        try:
            load_or_error(data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20 * len(data) + (1 << 20), (peak, len(data))


# --- fuzzing --------------------------------------------------------------------------------------------------------

def _fuzz_seed_files():
    obj = small_checkpoint()
    a, b = io.BytesIO(), io.BytesIO()
    ember.save(obj, a)
    b.write(safetensors.torch.save({"x": torch.ones(2, 3), "y": torch.arange(4)}))
    return a.getvalue(), b.getvalue()


SEED_EMBER, SEED_PLAIN = _fuzz_seed_files()


@pytest.mark.parametrize("data", [SEED_EMBER, SEED_PLAIN], ids=["ember", "plain"])
def test_every_truncation_fails_cleanly(data, tmp_path):
    assert load_or_error(data) is not None
    for cut in range(len(data)):
        assert load_or_error(data[:cut]) is None, cut
    p = tmp_path / "cut.safetensors"
    for cut in list(range(0, len(data), 37)) + [len(data) - 1]:
        p.write_bytes(data[:cut])
        with pytest.raises(LoadError, match="cut.safetensors"):
            ember.load(p)


@pytest.mark.parametrize("data", [SEED_EMBER, SEED_PLAIN], ids=["ember", "plain"])
def test_every_byte_flipped_loads_or_fails_cleanly(data):
    n = struct.unpack("<Q", data[:8])[0]
    failures = 0
    for i in range(8 + n):  # every header byte; data bytes only change values
        bad = bytearray(data)
        bad[i] ^= 1 << (i % 8)
        failures += load_or_error(bytes(bad)) is None
    assert failures > n // 2  # most header damage is detected, none of it escapes as another error


@FUZZ
@given(st.data())
def test_fuzz_bit_flips_and_truncations(data):
    raw = bytearray(data.draw(st.sampled_from([SEED_EMBER, SEED_PLAIN])))
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] ^= 1 << data.draw(st.integers(0, 7))
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    load_or_error(bytes(raw))


@FUZZ
@given(st.integers(0, 2 ** 64 - 1) | st.sampled_from([0, 1, 2, 2 ** 63, 2 ** 64 - 1]), st.binary(max_size=64))
def test_fuzz_header_length_field(n, tail):
    load_or_error(struct.pack("<Q", n) + SEED_EMBER[8:])
    load_or_error(struct.pack("<Q", n) + tail)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=6), ch, max_size=4),
                    max_leaves=20)
ENTRY = st.fixed_dictionaries({
    "dtype": st.sampled_from(list(ST_CODE.values()) + ["BF16", "F8_E5M2", "U64", "X"]) | JSON,
    "shape": st.lists(st.integers(-2, 5) | st.sampled_from([2 ** 62, 2 ** 63, 2 ** 64]), max_size=3) | JSON,
    "data_offsets": st.lists(st.integers(-2, 40), min_size=2, max_size=2) | JSON})


@FUZZ
@given(st.dictionaries(st.text(max_size=4), ENTRY | JSON, max_size=4) | JSON, st.binary(max_size=48))
def test_fuzz_random_header_json(header, data):
    result = load_or_error(craft(header, data))
    if result is not None:
        assert type(result) is dict
        for name, t in result.items():
            assert isinstance(t, ember.Tensor) and t.numel() * t.element_size() <= len(data)


def one_key(k, v):
    return {k: v}


NODE = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.text(max_size=3)
    | st.fixed_dictionaries({"int": st.sampled_from(["0x10", "-0x1", "12", "0xg"])})
    | st.fixed_dictionaries({"float": st.sampled_from(["1.5", "nan", "-0.0", "x"])})
    | st.fixed_dictionaries({"tensor": st.sampled_from(["w", "i", "zz"])},
                            optional={"requires_grad": st.booleans(), "parameter": st.booleans() | st.just(1),
                                      "device": st.sampled_from(["cpu", "cuda:0", "bogus"])})
    | st.builds(one_key, st.sampled_from(["list", "tuple", "size"]), st.lists(st.integers(-1, 12), max_size=4))
    | st.builds(one_key, st.sampled_from(["dict", "ordered_dict"]), st.lists(
        st.tuples(st.none() | st.integers() | st.text(max_size=2) | st.lists(st.integers(), max_size=1),
                  st.integers(-1, 12)).map(list), max_size=3))
    | st.builds(one_key, st.sampled_from(["dtype", "device"]), st.sampled_from(["float32", "cpu", "cuda:2", "x"])),
    lambda ch: st.lists(ch, max_size=2), max_leaves=3)


@FUZZ
@given(st.lists(NODE, min_size=1, max_size=12), st.sampled_from([{}, {"w"}, {"w", "i"}]))
def test_fuzz_random_structure(nodes, names):
    arrays = {k: v for k, v in {"w": np.ones(2, np.float32), "i": np.arange(3, dtype=np.int8)}.items() if k in names}
    load_or_error(craft_ember(nodes, arrays))


@FUZZ
@given(TREES, st.data())
def test_fuzz_mutated_structure_of_real_files(obj, data):
    """Edit the node table of a real file (swap, drop, duplicate nodes): loads or fails cleanly."""
    buf = io.BytesIO()
    ember.save(obj, buf)
    raw = buf.getvalue()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    doc = json.loads(header["__metadata__"]["ember"])
    nodes = doc["nodes"]
    op = data.draw(st.sampled_from(["swap", "drop", "dup", "retarget"]))
    i = data.draw(st.integers(0, len(nodes) - 1))
    j = data.draw(st.integers(0, len(nodes) - 1))
    if op == "swap":
        nodes[i], nodes[j] = nodes[j], nodes[i]
    elif op == "drop":
        del nodes[i]
    elif op == "dup":
        nodes.insert(j, nodes[i])
    else:
        nodes[i] = {"list": [j, data.draw(st.integers(-1, len(nodes)))]}
    assume(nodes)
    header["__metadata__"]["ember"] = json.dumps(doc)
    load_or_error(craft(header, raw[8 + n:]))
