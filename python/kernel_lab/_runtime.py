"""How a kernel_lab op call reaches the kernel, or the torch reference instead.

One decision per call (`decide`): the kernel, or the reference with the reason why. The rules
(docs/python.md "Fallbacks"):

* `KERNEL_LAB_FALLBACK=always`: the reference, always.
* an invalid call (mismatched shapes, mixed dtypes or devices, wrong rank): `KernelLabError`,
  whatever the mode; the reference would fail too.
* no usable kernel (the native module or the CUDA driver is missing, a tensor not on a CUDA
  device, an element type or a shape the kernels do not take, a device below the step's
  architecture, a data pointer not 16-byte aligned): with `KERNEL_LAB_FALLBACK=auto` (the
  default) the reference, with one warning per op and reason; with `never` a
  `KernelLabError`.

Non-contiguous inputs are made contiguous (a copy) before the kernel; that is not a fallback.
"""

from __future__ import annotations

import os
import warnings

import torch

try:  # the extension; a source checkout without a built wheel still imports (CPU fallback)
    from . import _native  # type: ignore[attr-defined]

    _NATIVE_ERROR = None
except ImportError as e:  # pragma: no cover - exercised only without the wheel
    _native = None
    _NATIVE_ERROR = str(e)

if _native is not None:
    KernelLabError = _native.KernelLabError
else:  # pragma: no cover

    class KernelLabError(RuntimeError):
        """A kernel-lab op failed: no kernel and no fallback allowed, bad input, or CUDA error."""


ENV_FALLBACK = "KERNEL_LAB_FALLBACK"
MODES = ("auto", "never", "always")

DTYPE_NAMES = {torch.float32: "f32", torch.bfloat16: "bf16", torch.float16: "f16"}

# Alignment every kernel's vector loads need from a base address (128-bit loads, TMA).
ALIGN = 16

_warned: set[tuple[str, str]] = set()
_native_ops: dict[str, dict] | None = None
# The TMA tensor maps of gemm_bf16's TMA step (and any op's "bytes" workspace), uploaded once
# per (device, contents): a capture finds them here and uploads nothing.
_bytes_cache: dict[tuple[int, bytes], torch.Tensor] = {}
_BYTES_CACHE_MAX = 256


def fallback_mode() -> str:
    """The mode of KERNEL_LAB_FALLBACK: auto (default), never or always."""
    mode = os.environ.get(ENV_FALLBACK, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise KernelLabError(f"{ENV_FALLBACK}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def native_ops() -> dict[str, dict]:
    """The native module's op table (name -> {ladder, args, dtypes, steps}); empty without it."""
    global _native_ops
    if _native_ops is None:
        _native_ops = {} if _native is None else {o["name"]: o for o in _native.ops_info()}
    return _native_ops


def no_kernel_reason(name: str, tensors: list[torch.Tensor], dims: list[int]) -> str | None:
    """Why op `name` cannot run its kernel on `tensors` (problem dims `dims`), if it cannot."""
    if _native is None:
        return f"the native module is not built ({_NATIVE_ERROR})"
    for t in tensors:
        if t.device.type != "cuda":
            return f"a tensor is on {t.device.type}, the kernels run on CUDA devices"
    if not _native.driver_available():
        return "no CUDA driver"
    dtype = tensors[0].dtype
    if dtype not in DTYPE_NAMES:
        return f"no kernel takes {dtype}"
    if any(d == 0 for d in dims):
        return "an empty tensor"
    cc = torch.cuda.get_device_capability(tensors[0].device)
    why = _native.unsupported(name, DTYPE_NAMES[dtype], list(dims), cc)
    if why is not None:
        return why
    return None


def misaligned(tensors: list[torch.Tensor]) -> str | None:
    for t in tensors:
        if t.data_ptr() % ALIGN:
            return f"a data pointer is not {ALIGN}-byte aligned (a view at an odd offset)"
    return None


def fall_back(name: str, reason: str) -> None:
    """Records a fallback of op `name`: an error under KERNEL_LAB_FALLBACK=never, else one
    warning per (op, reason)."""
    if fallback_mode() == "never":
        raise KernelLabError(
            f"kernel_lab.{name}: no kernel for this call ({reason}) and "
            f"{ENV_FALLBACK}=never forbids the torch fallback"
        )
    key = (name, reason)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(
            f"kernel_lab.{name}: computing the torch reference instead of the kernel: {reason}",
            RuntimeWarning,
            stacklevel=4,
        )


def _bytes_tensor(device: torch.device, data: bytes) -> torch.Tensor | None:
    key = (device.index or 0, data)
    t = _bytes_cache.get(key)
    if t is not None:
        return t
    if torch.cuda.is_current_stream_capturing():
        return None  # no upload inside a capture: the op launches its fallback kernel
    if len(_bytes_cache) >= _BYTES_CACHE_MAX:
        _bytes_cache.pop(next(iter(_bytes_cache)))
    t = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(device)
    _bytes_cache[key] = t
    return t


def plan(name: str, dtype: torch.dtype, dims: list[int], tensors: list[torch.Tensor], scalars=()) -> dict:
    """The native plan of one call (step, symbol, workspaces); `scalars`: the op's scalar
    parameters (layer_norm's eps, attention's scale)."""
    dev = tensors[0].device
    return _native.plan(
        name,
        DTYPE_NAMES[dtype],
        list(dims),
        [t.data_ptr() for t in tensors],
        dev.index or 0,
        [float(v) for v in scalars],
    )


def launch(name: str, dtype: torch.dtype, dims: list[int], tensors: list[torch.Tensor], scalars=()) -> str:
    """Launches op `name`'s kernel on `tensors` (inputs then outputs, contiguous, on one CUDA
    device) on torch's current stream; allocates the workspaces with torch on that stream.
    Returns the step handle launched."""
    dev = tensors[0].device
    p = plan(name, dtype, dims, tensors, scalars)
    args = [t.data_ptr() for t in tensors]
    order = native_ops()[name]["args"][len(tensors) :]
    by_name: dict[str, int] = {}
    keep: list[torch.Tensor] = []
    for wname, nbytes, init, data in p["workspace"]:
        if init == "bytes":
            t = _bytes_tensor(dev, data)
        elif init == "zeroed":
            t = torch.zeros(nbytes, dtype=torch.uint8, device=dev)
        else:
            t = torch.empty(nbytes, dtype=torch.uint8, device=dev)
        if t is not None:
            keep.append(t)
            by_name[wname] = t.data_ptr()
    args += [by_name.get(w, 0) for w in order]
    stream = torch.cuda.current_stream(dev).cuda_stream
    _native.launch(
        name, p["step"], DTYPE_NAMES[dtype], list(dims), args, stream, dev.index or 0, [float(v) for v in scalars]
    )
    return p["step"]
