"""``ember.backends.cpu``: what the CPU backend can do."""


def get_cpu_capability():
    """The SIMD level numpy was built to use at best, e.g. ``'AVX512F'``, ``'AVX2'``, ``'NEON'``, or ``'DEFAULT'``."""
    try:
        import numpy as np
        found = np._core._multiarray_umath.__cpu_features__ if hasattr(np, "_core") else \
            np.core._multiarray_umath.__cpu_features__
        for name in ("AVX512F", "AVX2", "ASIMD", "NEON"):
            if found.get(name):
                return name
    except Exception:
        pass
    return "DEFAULT"
