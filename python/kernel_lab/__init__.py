"""kernel-lab's Rust GPU kernels in PyTorch.

    import torch, kernel_lab
    x = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(4096, device="cuda", dtype=torch.bfloat16)
    y = kernel_lab.bias_gelu(x, b)          # bias_gelu/4, on torch's current stream
    print(kernel_lab.explain("bias_gelu", x, b))   # "kernel: bias_gelu/4 (bias_gelu_s04_bf16_fused_vectorized)"

Each op is also `torch.ops.kernel_lab.<name>` (a `torch.library` custom op: fake tensors,
autograd, `torch.compile(fullgraph=True)`, CUDA graphs). The functions here also take any
`__dlpack__` array (JAX, CuPy, NumPy) and return the caller's kind. Without a kernel for a call
(CPU tensor, no driver, an element type or shape the kernels do not take, an older GPU) the op
computes the torch reference and warns once; `KERNEL_LAB_FALLBACK=never` makes that an error,
`KERNEL_LAB_FALLBACK=always` forces the reference. docs/python.md has the details.
"""

from __future__ import annotations

import torch

from . import _runtime
from ._ops import OPS, BY_NAME, OpSpec, explain as _explain
from ._runtime import KernelLabError, fallback_mode

__all__ = [
    "OPS",
    "OpSpec",
    "KernelLabError",
    "explain",
    "fallback_mode",
    "native_available",
    "reduce_sum",
    "transpose",
    "bias_gelu",
    "gemm",
    "gemm_bf16",
    "softmax",
    "softmax_backward",
    "layer_norm",
    "layer_norm_backward",
    "rms_norm",
    "attention",
]


def native_available() -> bool:
    """Whether the native module is built and a CUDA driver can be loaded."""
    n = _runtime._native
    return n is not None and n.driver_available()


def _to_torch(x):
    """(tensor, how to give a result back in the caller's kind)."""
    if isinstance(x, torch.Tensor):
        return x, None
    if hasattr(x, "__dlpack__"):
        mod = type(x).__module__.split(".")[0]
        return torch.from_dlpack(x), mod
    raise KernelLabError(f"expected a torch tensor or a __dlpack__ array, got {type(x).__name__}")


def _back(out: torch.Tensor, kind: str | None):
    if kind is None:
        return out
    if kind in ("jax", "jaxlib"):
        import jax.numpy as jnp

        return jnp.from_dlpack(out)
    if kind == "cupy":
        import cupy

        return cupy.from_dlpack(out)
    if kind == "numpy":
        import numpy

        return numpy.from_dlpack(out)
    return out  # another framework: the torch tensor (zero-copy DLPack on its side)


def _arg(a):
    """A tensor argument (torch or __dlpack__) converted; None, numbers, bools and shapes
    (lists of ints) as they are."""
    if a is None or isinstance(a, (bool, int, float)) or (
        isinstance(a, (list, tuple, torch.Size)) and all(isinstance(n, int) for n in a)
    ):
        return a, None
    return _to_torch(a)


def _public(spec: OpSpec):
    def fn(*args, **kwargs):
        converted = [_to_torch(args[0])] + [_arg(a) for a in args[1:]] if args else []
        out = spec.torch_op(*[t for t, _ in converted], **kwargs)
        if spec.public_first:
            out = out[0]
        if isinstance(out, tuple):
            return tuple(_back(o, converted[0][1]) for o in out)
        return _back(out, converted[0][1])

    fn.__name__ = spec.name
    fn.__qualname__ = spec.name
    fn.__doc__ = f"kernel_lab.{spec.name}: torch.ops.kernel_lab.{spec.name} on torch tensors or __dlpack__ arrays."
    return fn


reduce_sum = _public(BY_NAME["reduce_sum"])
transpose = _public(BY_NAME["transpose"])
bias_gelu = _public(BY_NAME["bias_gelu"])
gemm = _public(BY_NAME["gemm"])
gemm_bf16 = _public(BY_NAME["gemm_bf16"])
softmax = _public(BY_NAME["softmax"])  # softmax(x, dim=-1)
softmax_backward = _public(BY_NAME["softmax_backward"])  # (y, dy, dim=-1) -> dx
layer_norm = _public(BY_NAME["layer_norm"])  # (x, normalized_shape, weight, bias, eps=1e-5) -> y
layer_norm_backward = _public(BY_NAME["layer_norm_backward"])  # (dy, x, w, mean, rstd) -> dx, dw, db
rms_norm = _public(BY_NAME["rms_norm"])  # (x, normalized_shape, weight, eps=None) -> y
attention = _public(BY_NAME["attention"])  # (q, k, v, causal=False, scale=None) -> o


def explain(op: str, *args) -> str:
    """What `kernel_lab.<op>(*args)` would run: "kernel: <step> (<symbol>)" or
    "torch reference: <reason>"."""
    return _explain(op, *([_to_torch(args[0])[0]] + [_arg(a)[0] for a in args[1:]] if args else []))
