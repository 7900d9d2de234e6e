"""Run the example programs end to end: the seed notebook's (examples/seed/), the rest of
'Learning PyTorch with Examples' (examples/tutorial/) and the digits MLP.

Each script is run in a fresh interpreter (``sys.executable``) from the repo
root. The two-layer-network scripts print ``<t> 번째 학습결과 :  <loss>`` at
t = 0 and every 100 steps; the test parses those lines and checks how far the
loss fell over the 500 training steps. The digits example must reach 97% test
accuracy and write a PNG.
"""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

SCRIPTS = [
    "seed/numpy_manual.py",
    "seed/tensors_manual_backward.py",
    "seed/tensors_autograd.py",
    "tutorial/custom_function.py",
    "tutorial/nn_manual_update.py",
    "tutorial/nn_optim.py",
    "tutorial/custom_module.py",
    "tutorial/dynamic_net.py",
]
# how many times smaller the last loss must be than the first; the dynamic network
# redraws its depth every step, so its loss is noisy (PyTorch: 620 -> 0.19)
MIN_DROP = {"tutorial/dynamic_net.py": 100}

# e.g. "499 번째 학습결과 :  2.99e-05"
LOSS_LINE = re.compile(r"^\s*(\d+)\s+번째 학습결과 :\s+(\S+)\s*$")
EXPECTED_STEPS = [0, 99, 199, 299, 399, 499]


def run_script(name, *args):
    env = dict(os.environ)
    # The scripts do `import ember as torch`; make this checkout's ember
    # importable even when it has not been pip-installed. An existing
    # PYTHONPATH keeps precedence.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (env.get("PYTHONPATH"), str(ROOT)) if p
    )
    env["PYTHONIOENCODING"] = "utf-8"  # the scripts print Korean
    # the suite already runs one process per core: one BLAS thread per script (see conftest)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


def parse_losses(stdout):
    losses = {}
    for line in stdout.splitlines():
        m = LOSS_LINE.match(line)
        if m:
            losses[int(m.group(1))] = float(m.group(2))
    return losses


def test_parse_losses():
    out = "tensor([[1.]])\n0 번째 학습결과 :  29428666.0\n499 번째 학습결과 :  2.99e-05\n"
    assert parse_losses(out) == {0: 29428666.0, 499: 2.99e-05}


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_script_trains(script):
    proc = run_script(script)
    rc = proc.returncode
    assert rc == 0, (
        f"{script} exited with {rc}\n"
        f"--- stdout (tail) ---\n{proc.stdout[-3000:]}\n"
        f"--- stderr (tail) ---\n{proc.stderr[-3000:]}"
    )
    losses = parse_losses(proc.stdout)
    assert sorted(losses) == EXPECTED_STEPS, (
        f"{script}: expected loss lines for t={EXPECTED_STEPS}, got {sorted(losses)}\n"
        f"--- stdout (tail) ---\n{proc.stdout[-3000:]}"
    )
    assert all(math.isfinite(v) for v in losses.values()), losses
    first, last = losses[0], losses[499]
    assert first > 0, losses
    need = MIN_DROP.get(script, 1000)
    assert last < first / need, (
        f"{script}: loss fell only from {first:g} to {last:g} "
        f"({first / last if last else float('inf'):.3g}x, need > {need}x)"
    )


def test_digits_mlp_reaches_97_percent(tmp_path):
    png = tmp_path / "curves.png"
    weights = tmp_path / "digits.safetensors"
    proc = run_script("digits_mlp.py", "--out", str(png), "--save", str(weights))
    assert proc.returncode == 0, f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-3000:]}"
    m = re.search(r"test accuracy: ([0-9.]+)", proc.stdout)
    assert m, proc.stdout[-3000:]
    assert float(m.group(1)) >= 0.97, proc.stdout[-3000:]
    assert "epoch" in proc.stdout, "the tqdm progress bar was not shown"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "the curves file is not a PNG"
    import ember
    state = ember.load(str(weights))
    assert sorted(state) == ["0.bias", "0.weight", "3.bias", "3.weight", "6.bias", "6.weight"]
