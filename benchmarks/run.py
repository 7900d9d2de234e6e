#!/usr/bin/env python
"""Benchmark ember against hand-written numpy and PyTorch, in one run.

    python benchmarks/run.py                 # all workloads, 1 and 2 threads, 7 reps
    python benchmarks/run.py --threads 1     # one thread setting
    python benchmarks/run.py --only seed_manual,op_overhead --reps 11
    python benchmarks/run.py --quick         # smoke run: few iterations, 3 reps
    python benchmarks/run.py --device cuda --threads 1   # ember and PyTorch on the GPU

With ``--device cuda`` every workload whose builder takes ``device`` is built
on the GPU (the others, and the numpy column, which is CPU-only, are left
out), and each timed block and warm-up ends with ``ember.cuda.synchronize()`` /
``torch.cuda.synchronize()`` so the time covers the GPU work, not just its
queueing. Workloads meant for the GPU only (``mlp_4096``) run on the CPU only
when named with ``--only``.

Each thread setting runs in a fresh subprocess of this script with
OMP_NUM_THREADS / OPENBLAS_NUM_THREADS / MKL_NUM_THREADS set before numpy or
torch is imported; torch.set_num_threads(n) and ember.set_num_threads(n) (when
ember has it) are called as well. Inside a worker the frameworks are timed
round-robin: every repetition runs each framework once (in a rotating order),
so machine noise hits all of them alike. Reported numbers are medians over the
repetitions of the time per step(). See benchmarks/README.md.
"""
import argparse
import gc
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # workloads.py (imports no framework)

from workloads import UNIT_SCALE, WORKLOADS  # noqa: E402

THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                   "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
FRAMEWORKS = ("numpy", "ember", "torch")
DEFAULT_REPS, QUICK_REPS = 7, 3
NOISY_SPREAD = 0.3  # flag a cell whose (max - min) / median exceeds this
GPU_ONLY = ("mlp_4096",)  # listed by default only with --device cuda (too slow to be a CPU default)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Compare ember, hand-written numpy and PyTorch (ms or us per step, medians).")
    p.add_argument("--threads", nargs="+", default=["1,2"], metavar="N",
                   help="thread counts to benchmark, each in its own subprocess: "
                        "--threads 1, --threads 1 2 or --threads 1,2 (default: 1 and 2)")
    p.add_argument("--reps", type=int, default=None,
                   help=f"repetitions per framework; the median is reported "
                        f"(default {DEFAULT_REPS}, {QUICK_REPS} with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: few iterations per repetition, fewer repetitions")
    p.add_argument("--only", type=str, default=None, metavar="NAME[,NAME...]",
                   help="run only these workloads: " + ", ".join(WORKLOADS))
    p.add_argument("--json", type=str, default=None, metavar="PATH",
                   help="also write all samples as JSON (e.g. benchmarks/results/run.json)")
    p.add_argument("--settle", type=float, default=None, metavar="SECONDS",
                   help="idle pause before each timed block so the previous framework's "
                        "spinning worker threads go to sleep (default: 0.25 when threads > 1, else 0)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch column")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where ember and PyTorch run (default cpu); with cuda the numpy column is skipped "
                        "and every timed block ends with a device synchronize")
    # Module timed in the "ember" column. `--ember-module torch` checks the
    # harness itself (the ember/torch ratio should then be ~1.0).
    p.add_argument("--ember-module", default="ember", help=argparse.SUPPRESS)
    # internal: run as a worker for one thread count, writing JSON to --_out
    p.add_argument("--_worker", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--_out", type=str, default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    try:
        args.threads = [int(t) for arg in args.threads for t in arg.split(",") if t.strip()]
    except ValueError:
        p.error("--threads takes integers, e.g. --threads 1 or --threads 1,2")
    if not args.threads or any(t < 1 for t in args.threads):
        p.error("--threads must be positive integers")
    if args.reps is None:
        args.reps = QUICK_REPS if args.quick else DEFAULT_REPS
    if args.reps < 1:
        p.error("--reps must be >= 1")
    if args.only:
        args.only = [w for w in args.only.split(",") if w]
        unknown = [w for w in args.only if w not in WORKLOADS]
        if unknown:
            p.error(f"unknown workload(s) {unknown}; known: {', '.join(WORKLOADS)}")
    else:
        args.only = [w for w in WORKLOADS if args.device == "cuda" or w not in GPU_ONLY]
    if args.device == "cuda":
        args.only = [w for w in args.only if _takes_device(WORKLOADS[w].build)]
        if not args.only:
            p.error("none of the chosen workloads takes a device argument")
    return args


def _takes_device(build):
    try:
        return "device" in inspect.signature(build).parameters
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------
# worker: one thread setting, one process
# ---------------------------------------------------------------------------
def _short_error(exc):
    msg = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _blas_info(np):
    try:  # optional: shows every loaded BLAS/OpenMP pool and its thread count
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
        return "; ".join(
            f"{d.get('internal_api')} {d.get('version') or ''} "
            f"({Path(d.get('filepath', '')).name}, {d.get('num_threads')} threads)".replace("  ", " ")
            for d in pools) or "unknown"
    except Exception:
        pass
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:
        return "unknown"


def _import_frameworks(args, n):
    import importlib

    import numpy as np
    mods, info, notes = {"numpy": np}, {}, []
    info["numpy"] = f"numpy {np.__version__}, BLAS: {_blas_info(np)}"

    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(n)
            mods["torch"] = torch
            info["torch"] = f"torch {torch.__version__}, get_num_threads()={torch.get_num_threads()}"
        except Exception as e:  # ImportError, or a broken install
            info["torch"] = f"not available ({_short_error(e)})"

    try:
        ember = importlib.import_module(args.ember_module)
        set_threads = getattr(ember, "set_num_threads", None)
        if callable(set_threads):
            set_threads(n)
            how = f"{args.ember_module}.set_num_threads({n})"
        else:
            how = "no set_num_threads(); numpy BLAS limited by the env vars"
        mods["ember"] = ember
        version = getattr(ember, "__version__", "?")
        stand_in = "" if args.ember_module == "ember" else f" [module {args.ember_module!r} standing in]"
        info["ember"] = f"{args.ember_module} {version}{stand_in}, {how}"
    except Exception as e:
        info["ember"] = f"import {args.ember_module} failed ({_short_error(e)})"
        notes.append(info["ember"])
    return mods, info, notes


def _rewarm(step, min_calls=2, min_seconds=0.02):
    """Untimed calls right before a timed block: wakes this framework's thread
    pool and the CPU (after a settle pause) and refills the caches."""
    t0, calls = time.perf_counter(), 0
    while calls < min_calls or time.perf_counter() - t0 < min_seconds:
        step()
        calls += 1


def _sync_for(fw, mod, device):
    """What ends a timed block: nothing on the CPU, the framework's cuda.synchronize() on the GPU."""
    if device != "cuda" or fw == "numpy":
        return lambda: None
    return mod.cuda.synchronize


def _time_workload(wl, mods, args, log):
    """Round-robin timing of one workload; returns {framework: {...}}."""
    iters = wl.quick_iters if args.quick else wl.iters
    warmup = max(2, iters // 10)
    scale = UNIT_SCALE[wl.unit]
    settle = args.settle if args.settle is not None else (0.25 if args._worker > 1 else 0.0)
    device = getattr(args, "device", "cpu")

    builders = {}
    if wl.numpy is not None and device == "cpu":  # the numpy column is a CPU reference
        builders["numpy"] = (wl.numpy, mods["numpy"])
    for fw in ("ember", "torch"):
        if fw in mods:
            if device == "cpu":
                builders[fw] = (wl.build, mods[fw])
            else:
                builders[fw] = ((lambda mod, _b=wl.build: _b(mod, device=device)), mods[fw])

    results = {}
    active = []
    for fw, (build, mod) in builders.items():  # set up and warm up, untimed
        try:
            step = build(mod)
            for _ in range(warmup):
                step()
            _sync_for(fw, mod, device)()
            active.append(fw)
            results[fw] = {"samples": []}
        except Exception as e:
            results[fw] = {"error": _short_error(e)}
            log(f"    {fw}: {results[fw]['error']}")

    for r in range(args.reps):
        order = active[r % len(active):] + active[:r % len(active)] if active else []
        for fw in order:
            if "error" in results[fw]:
                continue
            build, mod = builders[fw]
            try:
                if settle:
                    # let the previous framework's BLAS/OpenMP worker threads stop
                    # spin-waiting, or they steal cores from this one
                    time.sleep(settle)
                step = build(mod)  # fresh state each repetition, untimed
                sync = _sync_for(fw, mod, device)
                _rewarm(step)
                gc.collect()
                sync()  # the GPU idle before the clock starts
                t0 = time.perf_counter()
                for _ in range(iters):
                    step()
                sync()  # ... and done with this block's work before it stops
                dt = time.perf_counter() - t0
            except Exception as e:
                results[fw] = {"error": _short_error(e)}
                log(f"    {fw}: {results[fw]['error']}")
                continue
            results[fw]["samples"].append(dt / iters * scale)

    for fw, res in results.items():
        if "samples" in res:
            s = sorted(res["samples"])
            res["median"] = s[len(s) // 2] if len(s) % 2 else 0.5 * (s[len(s) // 2 - 1] + s[len(s) // 2])
            res["min"], res["max"] = s[0], s[-1]
    return {"unit": wl.unit, "iters": iters, "reps": args.reps,
            "numpy_note": wl.numpy_note, "frameworks": results}


def worker(args):
    n = args._worker
    for var in THREAD_ENV_VARS:  # normally already set by the parent
        os.environ.setdefault(var, str(n))

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    mods, info, notes = _import_frameworks(args, n)
    if args.device == "cuda":
        for fw in ("ember", "torch"):
            mod = mods.get(fw)
            if mod is None:
                continue
            try:
                if not mod.cuda.is_available():
                    raise RuntimeError(f"{fw}.cuda.is_available() is False")
                info[fw] += f", device cuda: {mod.cuda.get_device_name(0)}"
            except Exception as e:
                notes.append(f"{fw} left out: no CUDA ({_short_error(e)})")
                del mods[fw]
    out = {"threads": n, "device": args.device, "info": info, "notes": notes,
           "env": {v: os.environ.get(v) for v in THREAD_ENV_VARS[:3]}, "results": {}}
    for name in args.only:
        wl = WORKLOADS[name]
        log(f"[threads={n}] {name} ...")
        t0 = time.perf_counter()
        out["results"][name] = _time_workload(wl, mods, args, log)
        log(f"[threads={n}] {name} done in {time.perf_counter() - t0:.1f}s")
    Path(args._out).write_text(json.dumps(out, indent=1))


# ---------------------------------------------------------------------------
# parent: one subprocess per thread setting, then the table
# ---------------------------------------------------------------------------
def run_worker(args, n):
    env = dict(os.environ)
    for var in THREAD_ENV_VARS:
        env[var] = str(n)
    # make this checkout's ember importable even if it is not pip-installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(ROOT)) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_worker", str(n), "--_out", str(out),
               "--reps", str(args.reps), "--only", ",".join(args.only),
               "--ember-module", args.ember_module, "--device", args.device]
        if args.quick:
            cmd.append("--quick")
        if args.no_torch:
            cmd.append("--no-torch")
        if args.settle is not None:
            cmd += ["--settle", str(args.settle)]
        proc = subprocess.run(cmd, env=env, cwd=ROOT)
        if proc.returncode != 0 or not out.exists():
            sys.exit(f"benchmark worker for threads={n} failed (exit code {proc.returncode})")
        return json.loads(out.read_text())


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.3f}" if v < 10 else f"{v:.2f}" if v < 100 else f"{v:.1f}"


def print_report(runs, args):
    first = runs[0]
    print()
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs ({platform.processor() or platform.platform()})")
    print(f"  numpy  {first['info']['numpy']}")
    for run in runs:
        env = ", ".join(f"{k}={v}" for k, v in run["env"].items())
        print(f"  threads={run['threads']}: {env}")
        for fw in ("ember", "torch"):
            if fw in run["info"]:
                print(f"    {fw:6s} {run['info'][fw]}")
    print(f"  reps={args.reps} (median reported), round-robin per repetition"
          + (", QUICK run" if args.quick else "")
          + (", device=cuda (synchronized; numpy column is CPU-only and left out)" if args.device == "cuda"
             else ""))
    print()

    header = ["workload", "unit", "threads", "numpy", "ember", "torch", "ember/torch"]
    rows, notes = [], []
    for name in args.only:
        for run in runs:
            res = run["results"][name]
            cells = {}
            for fw in FRAMEWORKS:
                r = res["frameworks"].get(fw)
                if r is None:
                    cells[fw] = None
                elif "error" in r:
                    cells[fw] = "err"
                    note = f"{name} / {fw}: {r['error']}"
                    if note not in notes:
                        notes.append(note)
                else:
                    cells[fw] = r["median"]
                    if r["median"] > 0 and (r["max"] - r["min"]) / r["median"] > NOISY_SPREAD:
                        notes.append(f"{name} / {fw} / threads={run['threads']}: noisy, samples range "
                                     f"{_fmt(r['min'])}..{_fmt(r['max'])} {res['unit']}")
            e, t = cells["ember"], cells["torch"]
            ratio = f"{e / t:.2f}x" if isinstance(e, float) and isinstance(t, float) and t > 0 else "-"
            unit = "ms/step" if res["unit"] == "ms" else "us/iter"
            rows.append([name, unit, str(run["threads"]), _fmt(cells["numpy"]), _fmt(cells["ember"]),
                         _fmt(cells["torch"]), ratio])
            if res["numpy_note"] and f"{name}: {res['numpy_note']}" not in notes:
                notes.append(f"{name}: {res['numpy_note']}")

    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    right = {2, 3, 4, 5, 6}

    def line(cells):
        return " | ".join(c.rjust(w) if i in right else c.ljust(w)
                          for i, (c, w) in enumerate(zip(cells, widths)))

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    for run in runs:
        for note in run["notes"]:
            if note not in notes:
                notes.append(note)
    if notes:
        print()
        for note in notes:
            print(f"  * {note}")
    print()


def main(argv=None):
    args = parse_args(argv)
    if args._worker is not None:
        worker(args)
        return
    runs = [run_worker(args, n) for n in args.threads]
    print_report(runs, args)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"argv": sys.argv[1:], "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "python": platform.python_version(), "cpus": os.cpu_count()}
        path.write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
