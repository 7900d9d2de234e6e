"""Setting the thread count of numpy's BLAS at run time, without extra dependencies.

numpy wheels bundle OpenBLAS (as scipy-openblas); its ``*_set_num_threads`` entry
point is found through ctypes. Where it isn't found this is a no-op.
"""
import ctypes
import glob
import os

import numpy as np

_setter = None
_looked = False


def _find_setter():
    global _setter, _looked
    _looked = True
    base = os.path.dirname(np.__file__)
    libs = glob.glob(os.path.join(base, "..", "numpy.libs", "*openblas*")) + \
        glob.glob(os.path.join(base, ".libs", "*openblas*"))
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_",
                     "openblas_set_num_threads", "scipy_openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                _setter = fn
                return


def set_threads(n):
    if not _looked:
        _find_setter()
    if _setter is not None:
        _setter(int(n))
