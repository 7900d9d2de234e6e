"""ember.random: the Philox4x64-10 generator, its CPU/CUDA equality, reproducibility, distributions
and PyTorch's errors.

There is no GPU in CI, so "the same numbers on both devices" is tested as "the CPU path (numpy's C
Philox and C float conversions) equals the xp path (``ember._philox`` plus the xp conversions) run
on numpy arrays": the CUDA path is that xp code on cupy arrays. The ``device`` fixture variants
compare a real CUDA draw with a CPU draw and skip without a GPU.
"""
import math
import os

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import ember
import ember.nn.functional as F
from ember import _philox
from ember import random as R
from helpers import same_error

FUZZ = settings(deadline=None, max_examples=int(os.environ.get("EMBER_FUZZ_EXAMPLES", "60")))
M64 = (1 << 64) - 1


# --- the Philox4x64-10 core -------------------------------------------------------------------------

def _numpy_raw(key, counter, n):
    return np.random.Philox(key=key, counter=counter).random_raw(n)


@pytest.mark.parametrize("key,counter,n", [
    (0, 0, 1), (0, 0, 4), (1, 0, 7), (M64, 5, 9), ((1 << 128) - 1, 0, 13),
    (12345 | (987 << 64), 10, 40),
    (7, M64 - 1, 12),  # carry from word 0 into word 1 inside the draw
    (7, (1 << 128) - 3, 17),  # carry into word 2
    (7, (1 << 192) - 2, 10),  # carry into word 3
    (7, (1 << 256) - 2, 11),  # wraps at 2**256 like numpy
    (2 ** 63, 2 ** 100 + 12, 3),
])
def test_xp_philox_equals_numpy_philox(key, counter, n):
    np.testing.assert_array_equal(_philox.raw_stream(np, key, counter, n), _numpy_raw(key, counter, n))


@FUZZ
@given(key=st.integers(0, (1 << 128) - 1), counter=st.integers(0, (1 << 256) - 1), n=st.integers(0, 70))
def test_xp_philox_equals_numpy_philox_fuzz(key, counter, n):
    np.testing.assert_array_equal(_philox.raw_stream(np, key, counter, n), _numpy_raw(key, counter, n))


# Random123's published known-answer vectors for philox4x64_10 (kat_vectors): counter, key, output.
KAT = [
    ([0, 0, 0, 0], [0, 0],
     [0x16554d9eca36314c, 0xdb20fe9d672d0fdc, 0xd7e772cee186176b, 0x7e68b68aec7ba23b]),
    ([M64] * 4, [M64, M64],
     [0x87b092c3013fe90b, 0x438c3c67be8d0224, 0x9cc7d7c69cd777b6, 0xa09caebf594f0ba0]),
    ([0x243f6a8885a308d3, 0x13198a2e03707344, 0xa4093822299f31d0, 0x082efa98ec4e6c89],
     [0x452821e638d01377, 0xbe5466cf34e90c6c],
     [0xa528f45403e61d95, 0x38c72dbd566e9788, 0xa5a1610e72fd18b5, 0x57bd43b5e52b7fe6]),
]


def _join(words):
    return sum(w << (64 * i) for i, w in enumerate(words))


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_known_answers(ctr, key, expected):
    block = _philox.blocks(np, _join(key), _join(ctr), 1)
    assert [int(x) for x in block[0]] == expected
    # numpy increments its counter before a block: counter c - 1 yields block c
    raw = _numpy_raw(_join(key), (_join(ctr) - 1) % (1 << 256), 4)  # numpy wraps at 2**256
    assert [int(x) for x in raw] == expected


def test_numpy_counter_conventions():
    """numpy's Philox: counter incremented before the first block, words in order v0..v3, key and
    counter ints split little-endian into 64-bit words."""
    key, c = 5 | (7 << 64), 10
    raw = _numpy_raw(key, c, 8)
    blocks = _philox.blocks(np, key, c + 1, 2)
    np.testing.assert_array_equal(raw, blocks.reshape(-1))
    st_ = np.random.Philox(key=key, counter=c).state["state"]
    assert list(st_["key"]) == [5, 7] and list(st_["counter"]) == [10, 0, 0, 0]


def test_blocks_shape_and_empty():
    assert _philox.blocks(np, 1, 0, 0).shape == (0, 4)
    assert _philox.raw_stream(np, 1, 0, 0).shape == (0,)
    assert _philox.blocks(np, 1, 0, 3).dtype == np.uint64


# --- CPU path == xp path (the CUDA algorithm, run on numpy) -----------------------------------------

def _both_paths(fn, seed=1234, monkeypatch=None):
    """``fn()`` after ``manual_seed(seed)`` on the CPU path and on the forced xp path: values and the
    generator offset afterwards."""
    out = []
    for force in (False, True):
        monkeypatch.setattr(R, "_force_xp_path", force)
        ember.manual_seed(seed)
        r = fn()
        r = r if isinstance(r, (list, tuple)) else [r]
        out.append(([np.array(t.numpy() if isinstance(t, ember.Tensor) else t) for t in r],
                    ember.default_generator.get_offset()))
    monkeypatch.setattr(R, "_force_xp_path", False)
    return out


def _assert_paths_equal(fn, monkeypatch, seed=1234):
    (a, off_a), (b, off_b) = _both_paths(fn, seed, monkeypatch)
    assert off_a == off_b
    for x, y in zip(a, b):
        assert x.dtype == y.dtype and x.shape == y.shape
        bits = np.dtype(f"u{x.dtype.itemsize}")
        np.testing.assert_array_equal(x.reshape(-1).view(bits), y.reshape(-1).view(bits))  # bit for bit
    return a


SHAPES = [(), (0,), (1,), (7,), (3, 5), (2, 3, 4), (1001,)]
FLOATS = [ember.float16, ember.float32, ember.float64]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_paths_equal_rand_randn(shape, dt, monkeypatch):
    _assert_paths_equal(lambda: [ember.rand(shape, dtype=dt), ember.randn(shape, dtype=dt),
                                 ember.rand(shape, dtype=dt)], monkeypatch)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_paths_equal_uniform_normal_methods(dt, monkeypatch):
    _assert_paths_equal(lambda: [ember.empty(5, 3, dtype=dt).uniform_(-2.0, 3.0),
                                 ember.empty(6, dtype=dt).normal_(1.5, 0.25),
                                 ember.normal(2.0, 3.0, (9,), dtype=dt),
                                 ember.empty(4, dtype=dt).exponential_(2.0)], monkeypatch)


@pytest.mark.parametrize("low,high,dt", [
    (0, 10, ember.int64), (-5, 5, ember.int64), (0, 2, ember.bool), (-128, 128, ember.int8),
    (0, 256, ember.uint8), (3, 7, ember.float32), (-2 ** 31, 2 ** 31, ember.int64),
    (0, 2 ** 32, ember.int64), (0, 2 ** 32 + 1, ember.int64), (-2 ** 40, 2 ** 41, ember.int64),
    (-2 ** 63, 2 ** 63 - 1, ember.int64), (-2 ** 62, 2 ** 63 - 1, ember.int64), (-100, -90, ember.int16),
])
def test_paths_equal_randint(low, high, dt, monkeypatch):
    _assert_paths_equal(lambda: [ember.randint(low, high, s, dtype=dt) for s in [(7,), (2, 3), (), (0,)]],
                        monkeypatch)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8, 100, 1000, 4097])
@pytest.mark.parametrize("dt", [ember.int64, ember.int32, ember.float32])
def test_paths_equal_randperm(n, dt, monkeypatch):
    _assert_paths_equal(lambda: ember.randperm(n, dtype=dt), monkeypatch)


def test_paths_equal_bernoulli_dropout(monkeypatch):
    x = ember.ones(64, 33)
    probs = ember.rand(40, generator=ember.Generator().manual_seed(3))
    _assert_paths_equal(lambda: [F.dropout(x, 0.3, training=True), ember.bernoulli(probs),
                                 ember.empty(17).bernoulli_(0.25), ember.nn.Dropout(0.5)(x),
                                 ember.bernoulli(probs, 0.7)], monkeypatch)


def test_paths_equal_nn_init(monkeypatch):
    init = ember.nn.init

    def draw():
        return [init.kaiming_uniform_(ember.empty(16, 8), a=math.sqrt(5)),
                init.kaiming_normal_(ember.empty(8, 4, 3, 3)),
                init.xavier_uniform_(ember.empty(5, 7)), init.xavier_normal_(ember.empty(5, 7)),
                init.uniform_(ember.empty(3, 3), -1, 1), init.normal_(ember.empty(10), 0.0, 0.02),
                init.trunc_normal_(ember.empty(200), std=1.0, a=-0.5, b=0.5),
                init.sparse_(ember.empty(10, 4), 0.3), init.orthogonal_(ember.empty(4, 6)),
                init.kaiming_uniform_(ember.empty(4, 4, dtype=ember.float64))]

    _assert_paths_equal(draw, monkeypatch)
    # and a whole model: the same parameters on both paths
    _assert_paths_equal(lambda: [p.detach() for p in ember.nn.Sequential(
        ember.nn.Linear(20, 30), ember.nn.ReLU(), ember.nn.Bilinear(3, 4, 5), ember.nn.PReLU(),
        ember.nn.Embedding(10, 4), ember.nn.LayerNorm(4)).parameters()], monkeypatch)


@pytest.mark.parametrize("replacement", [True, False])
def test_paths_equal_multinomial(replacement, monkeypatch):
    w = ember.tensor([[1.0, 2.0, 0.0, 4.0, 0.5], [0.0, 0.0, 1.0, 1.0, 3.0], [5.0, 1.0, 1.0, 1.0, 1.0]])
    _assert_paths_equal(lambda: [ember.multinomial(w, 3, replacement), ember.multinomial(w[0], 4, replacement)],
                        monkeypatch)


def test_paths_can_interleave(monkeypatch):
    """A CUDA draw (xp path) moves the offset without numpy's Philox; the next CPU draw must resync."""
    def mixed(force_pattern):
        ember.manual_seed(5)
        out = []
        for force in force_pattern:
            monkeypatch.setattr(R, "_force_xp_path", force)
            out += [ember.rand(9).numpy(), ember.randn(3).numpy(), ember.randint(0, 9, (5,)).numpy()]
        monkeypatch.setattr(R, "_force_xp_path", False)
        return out, ember.default_generator.get_offset()

    ref, off = mixed([False] * 4)
    for pattern in ([True, False, True, False], [False, True, True, False], [True] * 4):
        got, off2 = mixed(pattern)
        assert off2 == off
        for x, y in zip(ref, got):
            np.testing.assert_array_equal(x, y)


def test_normal_chunking_changes_nothing(monkeypatch):
    ember.manual_seed(0)
    a = ember.randn(10001, dtype=ember.float64).numpy()
    monkeypatch.setattr(R, "_NORMAL_CHUNK", 7)
    ember.manual_seed(0)
    np.testing.assert_array_equal(a, ember.randn(10001, dtype=ember.float64).numpy())


def test_words_to_values_formulas():
    """The documented conversions, recomputed from the raw stream in Python ints."""
    g = ember.Generator().manual_seed(99)
    raw = [int(x) for x in _numpy_raw(99, 0, 8)]
    assert R._uniform01(g, np, 3, np.float64).tolist() == [(u >> 11) * 2.0 ** -53 for u in raw[:3]]
    halves = [h for u in raw[4:8] for h in (u & 0xFFFFFFFF, u >> 32)]
    assert R._uniform01(g, np, 8, np.float32).tolist() == [(h >> 8) * 2.0 ** -24 for h in halves]
    assert g.get_offset() == 2


# --- devices ----------------------------------------------------------------------------------------

def test_cuda_draw_equals_cpu_draw(device):
    """On a GPU: the same seed gives the same numbers on CUDA as on the CPU (normals up to the
    documented libm rounding)."""
    def draws(dev):
        ember.manual_seed(77)
        return [ember.rand(5, 7, device=dev), ember.rand(9, dtype=ember.float64, device=dev),
                ember.rand(9, dtype=ember.float16, device=dev), ember.randint(-3, 1000, (11,), device=dev),
                ember.randint(0, 2 ** 40, (5,), device=dev), ember.randperm(300, device=dev),
                ember.bernoulli(ember.full((20,), 0.3, device=dev)),
                F.dropout(ember.ones(8, 8, device=dev), 0.5),
                ember.nn.init.kaiming_uniform_(ember.empty(6, 4, device=dev))]

    for x, y in zip(draws("cpu"), draws(device)):
        np.testing.assert_array_equal(x.numpy(), y.cpu().numpy())
    ember.manual_seed(77)
    z_cpu = ember.randn(1000, dtype=ember.float64)
    ember.manual_seed(77)
    z_dev = ember.randn(1000, dtype=ember.float64, device=device)
    np.testing.assert_allclose(z_cpu.numpy(), z_dev.cpu().numpy(), rtol=1e-14, atol=1e-15)
    assert ember.default_generator.get_offset() == 250


def test_cuda_manual_seed_seeds_the_shared_generator(device):
    ember.cuda.manual_seed(3) if device == "cuda" else ember.manual_seed(3)
    a = ember.rand(4, device=device).cpu().numpy()
    ember.manual_seed(3)
    np.testing.assert_array_equal(a, ember.rand(4).numpy())


def test_cuda_seeding_functions_use_default_generator():
    """ember.cuda.manual_seed(_all) must not need a GPU to seed the shared generator."""
    try:
        ember.cuda.manual_seed_all(11)
    except RuntimeError:
        pytest.skip("ember.cuda.manual_seed_all needs CUDA here")
    assert ember.initial_seed() == 11 and ember.default_generator.get_offset() == 0


# --- state, reproducibility, offsets ----------------------------------------------------------------

def test_same_seed_same_values_and_offsets_advance():
    g = ember.Generator().manual_seed(2024)
    assert g.get_offset() == 0
    a = ember.rand(10, generator=g)  # 10 float32 -> 5 words -> 2 blocks
    assert g.get_offset() == 2
    ember.randn(3, generator=g, dtype=ember.float64)  # 2 pairs -> 4 words -> 1 block
    assert g.get_offset() == 3
    ember.randint(0, 5, (3,), generator=g)  # 3 halves -> 2 words -> 1 block
    ember.randint(0, 2 ** 40, (3,), generator=g)  # 3 words -> 1 block
    ember.randperm(9, generator=g)  # 9 words -> 3 blocks
    ember.rand(3, dtype=ember.float64, generator=g)  # 3 words -> 1 block
    assert g.get_offset() == 9
    ember.rand(0, generator=g)
    assert g.get_offset() == 9
    g.manual_seed(2024)
    assert g.get_offset() == 0
    np.testing.assert_array_equal(a.numpy(), ember.rand(10, generator=g).numpy())


def test_offset_selects_the_stream():
    g = ember.Generator().manual_seed(8)
    full = ember.rand(16, dtype=ember.float64, generator=g).numpy()  # blocks 0..3
    g.set_offset(2)
    np.testing.assert_array_equal(ember.rand(8, dtype=ember.float64, generator=g).numpy(), full[8:])
    g.set_offset(1)  # backwards: numpy's Philox is rebuilt
    np.testing.assert_array_equal(ember.rand(4, dtype=ember.float64, generator=g).numpy(), full[4:8])
    with pytest.raises(RuntimeError, match="offset"):
        g.set_offset(-1)


def test_key_is_the_seed():
    g = ember.Generator().manual_seed(2 ** 64 - 5)
    raw = _numpy_raw(2 ** 64 - 5, 0, 4)
    np.testing.assert_array_equal(ember.rand(4, dtype=ember.float64, generator=g).numpy(),
                                  (raw >> np.uint64(11)) * 2.0 ** -53)
    assert ember.manual_seed(-5).initial_seed() == 2 ** 64 - 5


def test_state_round_trip():
    g = ember.Generator().manual_seed(42)
    ember.rand(13, generator=g)
    st_ = g.get_state()
    assert st_.dtype is ember.uint8 and tuple(st_.shape) == (16,)
    assert int.from_bytes(bytes(st_.numpy()), "little") == 42 + (g.get_offset() << 64)
    a = ember.randn(7, generator=g).numpy()
    h = ember.Generator().set_state(st_)
    assert h.initial_seed() == 42 and h.get_offset() == g.get_offset() - 2
    np.testing.assert_array_equal(a, ember.randn(7, generator=h).numpy())
    # the default generator, through get_rng_state / set_rng_state
    ember.manual_seed(1)
    ember.rand(3)
    s = ember.get_rng_state()
    b = ember.rand(5).numpy()
    ember.set_rng_state(s)
    np.testing.assert_array_equal(b, ember.rand(5).numpy())


def test_set_state_errors():
    g = ember.Generator()
    for L, good in ((torch, 5056), (ember, 16)):
        gen = L.Generator()
        with pytest.raises(TypeError):
            gen.set_state([1, 2])
        with pytest.raises(TypeError, match="ByteTensor"):
            gen.set_state(L.zeros(good, dtype=L.float32))
        with pytest.raises(RuntimeError, match="size"):
            gen.set_state(L.zeros(3, dtype=L.uint8))
    with pytest.raises(RuntimeError, match="16"):
        g.set_state(ember.zeros(17, dtype=ember.uint8))


def test_generators_are_independent():
    g1, g2 = ember.Generator().manual_seed(5), ember.Generator().manual_seed(5)
    ember.manual_seed(5)
    x = ember.rand(6, generator=g1).numpy()
    ember.rand(100)  # the default generator moves, g2 does not
    np.testing.assert_array_equal(x, ember.rand(6, generator=g2).numpy())
    assert not np.array_equal(ember.rand(6, generator=g1).numpy(), x)


def test_different_seeds_differ():
    a = ember.rand(8, generator=ember.Generator().manual_seed(0)).numpy()
    b = ember.rand(8, generator=ember.Generator().manual_seed(1)).numpy()
    assert not np.array_equal(a, b)


# --- distributions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_uniform_distribution(dt):
    g = ember.Generator().manual_seed(0)
    u = ember.rand(200000, dtype=dt, generator=g).numpy().astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    hist = np.histogram(u, bins=10, range=(0, 1))[0]
    assert np.all(np.abs(hist - 20000) < 800)
    v = ember.empty(10000, dtype=dt).uniform_(-3.0, 5.0, generator=g).numpy()
    assert v.min() >= -3.0 and v.max() <= 5.0 and abs(v.astype(np.float64).mean() - 1.0) < 0.1


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_normal_distribution(dt):
    g = ember.Generator().manual_seed(0)
    z = ember.randn(200001, dtype=dt, generator=g).numpy().astype(np.float64)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1.0) < 0.01
    assert abs((z ** 3).mean()) < 0.03 and abs((z ** 4).mean() - 3.0) < 0.06
    # the two halves (cos and sin values) are uncorrelated, also in magnitude
    x, y = z[:100000], z[100001:200001]
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.015 and abs(np.corrcoef(x * x, y * y)[0, 1]) < 0.015
    assert abs(np.mean(np.abs(x) > np.abs(y)) - 0.5) < 0.01
    # the angle is uniform over the 16 sectors
    hist = np.histogram(np.arctan2(y[:len(x)], x), bins=16, range=(-np.pi, np.pi))[0]
    assert np.all(np.abs(hist - len(x) / 16) < 400)
    w = ember.normal(3.0, 0.5, (50000,), generator=g).numpy()
    assert abs(w.mean() - 3.0) < 0.01 and abs(w.std() - 0.5) < 0.01


@pytest.mark.parametrize("low,high,dt", [
    (0, 10, ember.int64), (-7, -2, ember.int64), (-128, 128, ember.int8), (0, 256, ember.uint8),
    (0, 2, ember.bool), (-3, 4, ember.int16), (-1000, 1000, ember.int32), (2, 9, ember.float32),
])
def test_randint_bounds(low, high, dt):
    r = ember.randint(low, high, (20000,), dtype=dt, generator=ember.Generator().manual_seed(4))
    assert r.dtype is dt
    v = r.numpy().astype(np.int64)
    assert v.min() == low and v.max() == high - 1
    counts = np.bincount(v - low)
    k = high - low
    assert len(counts) == k and np.all(np.abs(counts - 20000 / k) < 6 * math.sqrt(20000 / k) + 1)


def test_randint_large_ranges():
    g = ember.Generator().manual_seed(4)
    v = ember.randint(-2 ** 63, 2 ** 63 - 1, (10000,), generator=g).numpy()
    assert (v < 0).mean() == pytest.approx(0.5, abs=0.03)
    v = ember.randint(2 ** 40, 2 ** 41, (10000,), generator=g).numpy()
    assert v.min() >= 2 ** 40 and v.max() < 2 ** 41
    assert (v - 2 ** 40).mean() / 2 ** 40 == pytest.approx(0.5, abs=0.02)
    v = ember.randint(0, 2 ** 32, (10000,), generator=g).numpy()
    assert v.max() < 2 ** 32 and v.mean() / 2 ** 32 == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1000, 65537])
def test_randperm_is_a_permutation(n):
    p = ember.randperm(n, generator=ember.Generator().manual_seed(n)).numpy()
    assert sorted(p.tolist()) == list(range(n))


def test_randperm_positions_uniform():
    g = ember.Generator().manual_seed(0)
    first = np.array([ember.randperm(5, generator=g)[0].item() for _ in range(5000)])
    assert np.all(np.abs(np.bincount(first, minlength=5) - 1000) < 130)


def test_multinomial_frequencies():
    g = ember.Generator().manual_seed(0)
    w = ember.tensor([[1.0, 2.0, 0.0, 5.0], [0.0, 0.0, 3.0, 1.0]])
    s = ember.multinomial(w, 40000, replacement=True, generator=g).numpy()
    assert s.shape == (2, 40000) and s.dtype == np.int64
    for row, weights in zip(s, w.numpy()):
        freq = np.bincount(row, minlength=4) / 40000
        np.testing.assert_allclose(freq, weights / weights.sum(), atol=0.01)
    # without replacement: distinct, zero weights only once the positive ones are used up
    big = ember.tensor([1.0, 0.0, 3.0, 0.0, 6.0])
    firsts = []
    for _ in range(3000):
        d = ember.multinomial(big, 3, generator=g).tolist()
        assert len(set(d)) == 3 and set(d) == {0, 2, 4}
        firsts.append(d[0])
    np.testing.assert_allclose(np.bincount(firsts, minlength=5)[[0, 2, 4]] / 3000, [0.1, 0.3, 0.6], atol=0.03)
    assert ember.multinomial(big, 5, generator=g).tolist()[3:] == [1, 3]  # like torch: zeros, in order
    assert ember.multinomial(ember.tensor([0.0, 1.0]), 1).tolist() == [1]
    assert tuple(ember.multinomial(ember.ones(3, 4), 2).shape) == (3, 2)


def test_bernoulli_and_dropout_frequencies():
    g = ember.Generator().manual_seed(0)
    b = ember.bernoulli(ember.full((100000,), 0.3), generator=g).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    ember.manual_seed(0)
    d = F.dropout(ember.ones(100000), 0.25).numpy()
    assert set(np.unique(d)).issubset({0.0, np.float32(1 / 0.75)}) and abs((d == 0).mean() - 0.25) < 0.01


def test_dropout_and_init_follow_the_seed():
    def run():
        ember.manual_seed(123)
        lin = ember.nn.Linear(6, 4)
        return [lin.weight.detach().numpy().copy(), F.dropout(ember.ones(50), 0.5).numpy()]

    for x, y in zip(run(), run()):
        np.testing.assert_array_equal(x, y)


# --- errors, compared with PyTorch ------------------------------------------------------------------

ERRORS = [
    ("randint_empty", lambda L: L.randint(5, 3, (2,)), "from"),
    ("randint_uint8_high", lambda L: L.randint(0, 300, (2,), dtype=L.uint8), "out of bounds"),
    ("randint_uint8_low", lambda L: L.randint(-3, 3, (2,), dtype=L.uint8), "out of bounds"),
    ("randint_int8_high", lambda L: L.randint(0, 129, (2,), dtype=L.int8), "out of bounds"),
    ("randint_neg_size", lambda L: L.randint(0, 3, (-2,)), "negative dimension"),
    ("randperm_neg", lambda L: L.randperm(-1), "negative dimension"),
    ("randperm_bool", lambda L: L.randperm(3, dtype=L.bool), "Bool"),
    ("rand_int", lambda L: L.rand(3, dtype=L.int64), "check_uniform_bounds"),
    ("randn_int", lambda L: L.randn(3, dtype=L.int64), "normal_kernel_cpu"),
    ("normal_neg_std", lambda L: L.normal(0.0, -1.0, (3,)), "std >= 0.0"),
    ("uniform_reversed", lambda L: L.empty(3).uniform_(2, 1), r"\[from, to\)"),
    ("multinomial_int", lambda L: L.multinomial(L.tensor([1, 2]), 1), "floating-point"),
    ("multinomial_3d", lambda L: L.multinomial(L.ones(2, 2, 2), 1), "1 or 2 dim"),
    ("multinomial_zero", lambda L: L.multinomial(L.tensor([1.0, 1.0]), 0), "n_sample <= 0"),
    ("multinomial_negative_n", lambda L: L.multinomial(L.tensor([1.0, 1.0]), -1), "n_sample <= 0"),
    ("multinomial_negative_p", lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1), "element < 0"),
    ("multinomial_inf", lambda L: L.multinomial(L.tensor([1.0, float("inf")]), 1), "inf"),
    ("multinomial_nan", lambda L: L.multinomial(L.tensor([1.0, float("nan")]), 1), "nan"),
    ("multinomial_sum0", lambda L: L.multinomial(L.tensor([0.0, 0.0]), 1), "sum of probabilities"),
    ("multinomial_row_sum0", lambda L: L.multinomial(L.tensor([[1.0, 1.0], [0, 0]]), 3, True),
     "sum of probabilities"),
    ("multinomial_too_many", lambda L: L.multinomial(L.tensor([1.0, 1.0]), 3), "without replacement"),
    ("manual_seed_big", lambda L: L.manual_seed(2 ** 64), None),
    ("manual_seed_str", lambda L: L.manual_seed("a"), None),
]


@pytest.mark.parametrize("fn,match", [pytest.param(f, m, id=i) for i, f, m in ERRORS])
def test_errors_like_torch(fn, match):
    same_error(fn, match)
