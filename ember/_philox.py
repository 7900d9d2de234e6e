"""Philox4x64-10 (Salmon et al., *Parallel Random Numbers: As Easy as 1, 2, 3*, SC 2011) over ``xp``.

This is the counter-based generator behind ``ember.random``. It is written once in plain ``xp``
uint64 arithmetic, so the same code runs on numpy arrays (CPU) and cupy arrays (CUDA) and gives the
same bits on both: every step is an exact integer operation (wrapping multiply, shift, and, xor, add).

A 64x64 -> 128-bit product has no array type, so :func:`_mulhilo` builds the high word from four
32x32 -> 64-bit partial products, each of which fits in a uint64.

numpy ships the same algorithm as ``np.random.Philox``; on the CPU ember takes the raw stream from
there (C speed) and the tests hold :func:`raw_stream` bit-for-bit equal to it. numpy's conventions,
found by testing (``tests/test_random.py`` pins them):

* ``counter`` and ``key`` integers are split into little-endian 64-bit words: word 0 is the least
  significant; the counter is 256 bits (4 words) and wraps at 2**256, carrying word to word.
* numpy increments the counter *before* computing a block, so ``Philox(key=k, counter=c)`` first
  returns block ``c + 1``, then ``c + 2``, ...
* ``random_raw`` returns each block's four output words in order ``v[0], v[1], v[2], v[3]``.

So ``raw_stream(xp, key, c, n)`` equals ``np.random.Philox(key=key, counter=c).random_raw(n)``.
"""

import numpy as np

_MASK64 = (1 << 64) - 1
_MASK32 = (1 << 32) - 1

# Random123's multipliers and Weyl key increments for Philox4x64.
PHILOX_M0 = 0xD2E7470EE14C6C93
PHILOX_M1 = 0xCA5A826395121157
PHILOX_W0 = 0x9E3779B97F4A7C15  # golden ratio
PHILOX_W1 = 0xBB67AE8584CAA73B  # sqrt(3) - 1
ROUNDS = 10


def _mulhilo(xp, a, m):
    """``(hi, lo)`` of the 128-bit product of the uint64 array ``a`` and the constant ``m``."""
    u64 = xp.uint64
    s32, mask = u64(32), u64(_MASK32)
    m_lo, m_hi = u64(m & _MASK32), u64(m >> 32)
    a_lo = a & mask
    a_hi = a >> s32
    ll = a_lo * m_lo
    lh = a_lo * m_hi
    hl = a_hi * m_lo
    hh = a_hi * m_hi
    # the middle column: three terms below 2**32 each, so the sum cannot overflow 64 bits
    mid = (ll >> s32) + (lh & mask) + (hl & mask)
    hi = hh + (lh >> s32) + (hl >> s32) + (mid >> s32)
    lo = a * u64(m)  # the low word is the wrapping product
    return hi, lo


def blocks(xp, key, counter, n_blocks):
    """Philox4x64-10 of counters ``counter, counter + 1, ..., counter + n_blocks - 1``.

    Args:
        xp: numpy or cupy; the result lives there.
        key: the 128-bit key, an int in ``[0, 2**128)`` (word 0 = low 64 bits).
        counter: the first 256-bit counter, an int (taken mod 2**256).
        n_blocks: how many consecutive counters.

    Returns:
        A ``(n_blocks, 4)`` uint64 array: row ``i`` is the block for ``counter + i``.
    """
    u64 = xp.uint64
    counter %= 1 << 256
    start = [(counter >> (64 * i)) & _MASK64 for i in range(4)]
    # counter + i as four words, carrying across words exactly like numpy's increment does
    c0 = xp.arange(n_blocks, dtype=xp.uint64) + u64(start[0])
    carry = (c0 < u64(start[0])).astype(xp.uint64)
    words = [c0]
    for s in start[1:]:
        w = carry + u64(s)
        carry = (w < u64(s)).astype(xp.uint64)
        words.append(w)
    c0, c1, c2, c3 = words
    k0, k1 = key & _MASK64, (key >> 64) & _MASK64
    for r in range(ROUNDS):
        if r:  # the key schedule is scalar: bump it in Python ints, wrapping at 2**64
            k0 = (k0 + PHILOX_W0) & _MASK64
            k1 = (k1 + PHILOX_W1) & _MASK64
        hi0, lo0 = _mulhilo(xp, c0, PHILOX_M0)
        hi1, lo1 = _mulhilo(xp, c2, PHILOX_M1)
        c0, c1, c2, c3 = hi1 ^ c1 ^ u64(k0), lo1, hi0 ^ c3 ^ u64(k1), lo0
    return xp.stack([c0, c1, c2, c3], axis=1)


def raw_stream(xp, key, counter, n):
    """The first ``n`` uint64 words numpy's ``Philox(key=key, counter=counter).random_raw(n)`` gives.

    That is blocks ``counter + 1, counter + 2, ...`` (numpy increments first), flattened in word
    order, cut to ``n``.
    """
    n_blocks = -(-n // 4)
    return blocks(xp, key, counter + 1, n_blocks).reshape(-1)[:n]


def numpy_philox(key, counter):
    """numpy's C implementation positioned so that its next block is ``counter + 1``."""
    return np.random.Philox(key=key, counter=counter)
