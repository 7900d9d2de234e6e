"""Crash-test helper for tests/test_serialization.py: save ever newer versions of a large object to one path.

Usage: ``python _save_victim.py PATH N``. Version ``v`` is ``{"version": v, "tensors": [8 tensors of N
float32 elements, all equal to v + 1]}``: any complete file is self-consistent and ends in non-zero bytes. Prints ``saving v`` before
and ``saved v`` after each save; the test kills this process with SIGKILL in the middle of a write.
"""
import sys

import ember


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    version = 0
    while True:
        obj = {"version": version, "tensors": [ember.full((n,), float(version + 1)) for _ in range(8)]}
        print(f"saving {version}", flush=True)
        ember.save(obj, path)
        print(f"saved {version}", flush=True)
        version += 1


if __name__ == "__main__":
    main()
