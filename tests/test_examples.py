"""Run the seed notebook's programs (examples/seed/) end to end.

Each script is run in a fresh interpreter (``sys.executable``) from the repo
root. It prints ``<t> 번째 학습결과 :  <loss>`` at t = 0 and every 100 steps;
the test parses those lines and checks that the loss fell by more than 1000x
over the 500 training steps.
"""
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "examples" / "seed"

SCRIPTS = [
    "numpy_manual.py",
    "tensors_manual_backward.py",
    "tensors_autograd.py",
]

# e.g. "499 번째 학습결과 :  2.99e-05"
LOSS_LINE = re.compile(r"^\s*(\d+)\s+번째 학습결과 :\s+(\S+)\s*$")
EXPECTED_STEPS = [0, 99, 199, 299, 399, 499]


def run_script(name):
    env = dict(os.environ)
    # The scripts do `import ember as torch`; make this checkout's ember
    # importable even when it has not been pip-installed. An existing
    # PYTHONPATH keeps precedence.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (env.get("PYTHONPATH"), str(ROOT)) if p
    )
    env["PYTHONIOENCODING"] = "utf-8"  # the scripts print Korean
    return subprocess.run(
        [sys.executable, str(SEED_DIR / name)],
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
def test_seed_script_trains(script):
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
    assert last < first / 1000, (
        f"{script}: loss fell only from {first:g} to {last:g} "
        f"({first / last if last else float('inf'):.3g}x, need > 1000x)"
    )
