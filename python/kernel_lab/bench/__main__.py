"""`python -m kernel_lab.bench [--json out.json] [--ops a,b] [--quick]`

For each op of `kernel_lab.OPS` and each of its bench shapes and element types: kernel_lab's
op, PyTorch's own implementation (cuBLAS where torch calls it) and the Triton twin, in one
process, each verified against the torch reference first, then timed by one method:

* `graph` (every candidate): CUDA events around the replay of a CUDA graph of one call, the
  L2 flushed before each repetition (a write of a buffer of 2 x L2 between repetitions,
  outside the timed region), median and quantiles of the repetitions: GPU time, whatever the
  host's Python costs;
* `events`: CUDA events around one eager call, only where a candidate cannot be captured.

Each row also has `eager_median_ms`: one eager call, host included (what a Python caller
waits for when the GPU is idle). The method is recorded per row. The JSON (schema "kernel_lab.python_bench/1") is what
`klab report` reads ("python" section: ratios vs torch per op).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys

import torch

import kernel_lab
from kernel_lab import OPS

SCHEMA = "kernel_lab.python_bench/1"


def verify(out, ref, atol: float, rtol: float):
    """(ok, max abs error): |out - ref| <= atol + rtol |ref| elementwise, NaN never passes;
    for ops of several outputs every one the candidate returns (torch's layer_norm: y only)."""
    if isinstance(out, tuple) or isinstance(ref, tuple):
        outs = out if isinstance(out, tuple) else (out,)
        refs = ref if isinstance(ref, tuple) else (ref,)
        checks = [verify(o, r, atol, rtol) for o, r in zip(outs, refs)]
        return all(c[0] for c in checks), max(c[1] for c in checks)
    if out.shape != ref.shape:
        return False, float("inf")
    o, r = out.double(), ref.double()
    err = (o - r).abs()
    ok = bool(torch.all(err <= atol + rtol * r.abs()).item()) and not bool(torch.isnan(o).any())
    return ok, float(err.max().item()) if err.numel() else 0.0


class Timer:
    def __init__(self, device):
        l2 = torch.cuda.get_device_properties(device).L2_cache_size
        self.flush = torch.empty(max(2 * l2, 64 << 20) // 4, dtype=torch.float32, device=device)

    def measure(self, fn, reps: int) -> list[float]:
        """Milliseconds of each of `reps` calls of `fn`, the L2 flushed before each."""
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
        for i in range(reps):
            self.flush.zero_()
            starts[i].record()
            fn()
            ends[i].record()
        torch.cuda.synchronize()
        return [s.elapsed_time(e) for s, e in zip(starts, ends)]


def graph_of(fn):
    """A CUDA graph of one call of `fn` (warmed up on a side stream first) and its replay."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(2):
            fn()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return g.replay


def quantile(xs, q):
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))
    return xs[i]


def candidates(op, inputs):
    """(name, callable) of every candidate of `op` on `inputs`."""
    out = []
    if op.kernel:
        out.append(("kernel_lab", lambda: op.torch_op(*inputs)))
    out.append(("torch", lambda: op.torch_fn(*inputs)))
    for name, fn in op.baselines:
        out.append((name, lambda fn=fn: fn(*inputs)))
    if op.triton:
        try:
            twin = importlib.import_module(f"kernel_lab.bench.{op.triton}")
            tensors = [a for a in inputs if isinstance(a, torch.Tensor)]
            out.append(("triton", lambda: twin.twin(*tensors)))
        except ImportError as e:
            print(f"  {op.name}: no Triton twin ({e})")
    return out


def bench_one(op, shape, dtype, timer, reps, device):
    gen = torch.Generator().manual_seed(1234)
    inputs = op.make_inputs(shape, dtype, device, gen)
    ref = op.checked_reference(*inputs)
    atol, rtol = op.tolerance(dtype, shape)
    flops, nbytes = op.work(shape, dtype)
    rows = []
    for name, fn in candidates(op, inputs):
        row = {
            "op": op.name,
            "shape": list(shape),
            "dtype": str(dtype).replace("torch.", ""),
            "candidate": name,
        }
        if name == "kernel_lab":
            row["kernel"] = kernel_lab.explain(op.name, *inputs)
        try:
            out = fn()
            torch.cuda.synchronize()
            ok, err = verify(out, ref, atol, rtol)
        except Exception as e:  # a failed candidate is a row that says so
            row.update(verified=False, error=f"{type(e).__name__}: {e}")
            rows.append(row)
            print(f"  {op.name} {shape} {row['dtype']} {name}: FAILED: {row['error']}")
            continue
        row.update(verified=ok, max_abs_err=err, atol=atol, rtol=rtol)
        del out
        if not ok:
            rows.append(row)
            print(f"  {op.name} {shape} {row['dtype']} {name}: NOT VERIFIED (max err {err:.3g})")
            continue
        # One method for every candidate: events around the replay of a CUDA graph of one
        # call (GPU time only; the L2 flushed before each); an eager call is timed too, host
        # included, as `eager_median_ms` (the Python path's per-call cost shows there).
        eager = timer.measure(fn, max(5, reps // 5))
        method, timed = "graph", fn
        try:
            timed = graph_of(fn)
        except Exception as e:
            method = "events"
            print(f"  {op.name} {name}: no CUDA graph ({type(e).__name__}: {e}); eager events")
        ms = timer.measure(timed, reps)
        med = statistics.median(ms)
        row.update(
            method=method,
            reps=reps,
            median_ms=med,
            p10_ms=quantile(ms, 0.1),
            p90_ms=quantile(ms, 0.9),
            eager_median_ms=statistics.median(eager),
            gbps=nbytes / (med * 1e-3) / 1e9,
            tflops=flops / (med * 1e-3) / 1e12,
        )
        rows.append(row)
        print(
            f"  {op.name:<19} {'x'.join(map(str, shape)):<20} {row['dtype']:<9} {name:<10} "
            f"{method:<6} {med * 1e3:9.1f} us  {row['gbps']:8.1f} GB/s  {row['tflops']:7.2f} TFLOP/s"
        )
    by = {r["candidate"]: r for r in rows if r.get("median_ms")}
    if "torch" in by:
        for r in rows:
            if r.get("median_ms"):
                r["vs_torch"] = by["torch"]["median_ms"] / r["median_ms"]
    return rows


def git_commit():
    if os.environ.get("KERNEL_LAB_COMMIT"):
        return os.environ["KERNEL_LAB_COMMIT"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        ).stdout.strip() or None
    except Exception:
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kernel_lab.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="write the rows here (schema kernel_lab.python_bench/1)")
    ap.add_argument("--ops", help="comma-separated op names (default: every op)")
    ap.add_argument("--quick", action="store_true", help="first bench shape only, fewer repetitions")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("kernel_lab.bench: no CUDA device: nothing to time", file=sys.stderr)
        return 1
    os.environ["KERNEL_LAB_FALLBACK"] = "never"  # kernel or error: no silent fallback timed
    wanted = set(args.ops.split(",")) if args.ops else None
    known = {o.name for o in OPS}
    if wanted and wanted - known:
        print(f"unknown ops {sorted(wanted - known)}; ops: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    device = torch.device("cuda", torch.cuda.current_device())
    timer = Timer(device)
    reps = args.reps or (20 if args.quick else 50)
    rows = []
    props = torch.cuda.get_device_properties(device)
    report = {
        "schema": SCHEMA,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git_commit(),
        "device": {
            "name": props.name,
            "compute_capability": list(torch.cuda.get_device_capability(device)),
            "sm_count": props.multi_processor_count,
            "l2_bytes": props.L2_cache_size,
        },
        "software": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "triton": _version("triton"),
        },
        "method": {
            "graph": "CUDA events around the replay of a CUDA graph of one call; L2 flushed (2 x L2 write) before each repetition",
            "events": "CUDA events around one eager call (a candidate that cannot be captured); L2 flushed likewise",
            "eager_median_ms": "one eager call, host included, same flush",
            "statistic": "median, p10 and p90 of the repetitions",
        },
        "rows": rows,
    }
    for op in OPS:
        if wanted and op.name not in wanted:
            continue
        shapes = op.bench_shapes[:1] if args.quick else op.bench_shapes
        for shape in shapes:
            for dtype in op.dtypes:
                rows += bench_one(op, shape, dtype, timer, reps, device)
                torch.cuda.empty_cache()
        if args.json:  # after each op: an interrupted run keeps what it measured
            with open(args.json, "w") as f:
                json.dump(report, f, indent=1)
    bad = [r for r in rows if not r.get("verified")]
    if args.json:
        print(f"wrote {args.json} ({len(rows)} rows, {len(rows) - len(bad)} verified)")
    print_table(rows)
    return 1 if bad else 0


def _version(mod):
    try:
        return importlib.import_module(mod).__version__
    except Exception:
        return None


def print_table(rows):
    print("\nop                  shape                dtype     kernel_lab/torch  triton/torch  sdpa_cudnn/torch   (time ratio: >1 is faster than torch)")
    keys = []
    for r in rows:
        k = (r["op"], tuple(r["shape"]), r["dtype"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = {r["candidate"]: r for r in rows if (r["op"], tuple(r["shape"]), r["dtype"]) == k}

        def cell(c):
            r = rs.get(c)
            if r is None:
                return "-"
            if not r.get("verified"):
                return "FAILED"
            return f"{r['vs_torch']:.3f}" if "vs_torch" in r else "?"

        print(
            f"{k[0]:<19} {'x'.join(map(str, k[1])):<20} {k[2]:<9} {cell('kernel_lab'):>16}  {cell('triton'):>12}"
            f"  {cell('sdpa_cudnn'):>16}"
        )


if __name__ == "__main__":
    sys.exit(main())
