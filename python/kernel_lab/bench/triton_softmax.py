"""Triton twin of a row softmax: one row per program, the whole row in registers (the Triton
tutorial's fused softmax). A baseline only; imported lazily (Triton is not installed in CI).

Bytes: one read and one write of the matrix; FLOPs ~5 per element (max, sub, exp, sum, div).
"""

import torch
import triton
import triton.language as tl


@triton.jit
def _softmax_kernel(x_ptr, y_ptr, cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * stride + offs, mask=mask, other=-float("inf")).to(tl.float32)
    x = x - tl.max(x, axis=0)
    e = tl.exp(x)
    y = e / tl.sum(e, axis=0)
    tl.store(y_ptr + row * stride + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


def softmax(x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension of a contiguous tensor (f32 math)."""
    # Any leading dimensions are rows (the test shapes include 1-D and 3-D tensors).
    shape = x.shape
    x = x.contiguous().reshape(-1, shape[-1])
    rows, cols = x.shape
    y = torch.empty_like(x)
    block = triton.next_power_of_2(cols)
    warps = 4 if block <= 2048 else (8 if block <= 8192 else 16)
    _softmax_kernel[(rows,)](x, y, cols, x.stride(0), BLOCK=block, num_warps=warps)
    return y.reshape(shape)


def twin(x: torch.Tensor) -> torch.Tensor:
    return softmax(x)
