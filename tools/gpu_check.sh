#!/usr/bin/env bash
# GPU check for ember: versions, the whole test suite with CUDA available, GPU benchmarks.
# Run from the repository root on the GPU machine; installs nothing. Logs go to $OUT
# (the device tool brings back what is written there), or to ./gpu_check_out without it.
# Each part has its own time limit so the whole script ends within about 9 minutes.
set -u
cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu_check_out}"
mkdir -p "$OUT"
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python3}"
T_CUDA_TESTS="${T_CUDA_TESTS:-60}"  # seconds for tests/test_cuda.py + tests/test_device.py
T_TESTS="${T_TESTS:-300}"   # seconds for the whole suite
T_BENCH="${T_BENCH:-150}"   # seconds for the benchmarks
status=0

echo "== versions" | tee "$OUT/versions.log"
{
  nvidia-smi || echo "nvidia-smi failed"
  "$PY" - <<'PY'
import platform, sys
print("python", platform.python_version(), sys.executable)
for name in ("numpy", "cupy", "torch", "pytest", "hypothesis", "xdist"):
    try:
        m = __import__(name)
        print(name, getattr(m, "__version__", "?"))
    except Exception as e:
        print(name, "MISSING", type(e).__name__, e)
try:
    import cupy
    print("cupy CUDA runtime", cupy.cuda.runtime.runtimeGetVersion(), "driver", cupy.cuda.runtime.driverGetVersion())
except Exception as e:
    print("cupy runtime query failed:", e)
try:
    import torch
    print("torch.cuda", torch.version.cuda, torch.cuda.is_available(),
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")
except Exception as e:
    print("torch cuda query failed:", e)
import ember
print("ember.cuda.is_available()", ember.cuda.is_available())
if ember.cuda.is_available():
    print(ember.cuda.get_device_properties(0))
PY
} 2>&1 | tee -a "$OUT/versions.log"

echo "== tests (limits ${T_CUDA_TESTS}s + ${T_TESTS}s)"
XDIST=""
if "$PY" -c "import xdist" 2>/dev/null; then XDIST="-n 8"; fi
# CUDA-specific tests first (fast, most informative), then the whole suite.
timeout "$T_CUDA_TESTS" "$PY" -m pytest -q --maxfail=30 -rf -p no:cacheprovider tests/test_cuda.py tests/test_device.py \
  > "$OUT/tests_cuda.log" 2>&1
echo "cuda tests exit $?" | tee -a "$OUT/summary.log"
tail -5 "$OUT/tests_cuda.log"
timeout "$T_TESTS" "$PY" -m pytest -q --maxfail=30 -rf $XDIST -p no:cacheprovider tests > "$OUT/tests_all.log" 2>&1
rc=$?; [ $rc -ne 0 ] && status=1
echo "all tests exit $rc (124 = time limit)" | tee -a "$OUT/summary.log"
tail -15 "$OUT/tests_all.log"

echo "== benchmarks (limit ${T_BENCH}s)"
timeout "$T_BENCH" "$PY" benchmarks/run.py --device cuda --threads 1 --reps 5 \
  --only seed_manual,seed_autograd,seed_nn,mlp,mlp_4096 --json "$OUT/bench_cuda.json" > "$OUT/bench_cuda.log" 2>&1
rc=$?; [ $rc -ne 0 ] && status=1
echo "benchmarks exit $rc (124 = time limit)" | tee -a "$OUT/summary.log"
cat "$OUT/bench_cuda.log" | tail -25
exit $status
