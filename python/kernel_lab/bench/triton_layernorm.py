"""Triton twin of a layernorm forward over rows: one row per program, the row in registers,
mean and variance in f32, then `(x - mean) * rstd * w + b` (the Triton tutorial's layernorm,
single-pass variant). A baseline only; imported lazily.

Bytes: one read and one write of the matrix plus w and b; FLOPs ~8 per element.
"""

import torch
import triton
import triton.language as tl


@triton.jit
def _layernorm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, cols, stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK)
    mask = offs < cols
    x = tl.load(x_ptr + row * stride + offs, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / cols
    d = tl.where(mask, x - mean, 0.0)
    var = tl.sum(d * d, axis=0) / cols
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(w_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    y = d * rstd * w + b
    tl.store(y_ptr + row * stride + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


def layernorm(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    # Any leading dimensions are rows (the test shapes include 1-D and 3-D tensors).
    shape = x.shape
    x = x.contiguous().reshape(-1, shape[-1])
    rows, cols = x.shape
    y = torch.empty_like(x)
    block = triton.next_power_of_2(cols)
    warps = 4 if block <= 2048 else (8 if block <= 8192 else 16)
    _layernorm_kernel[(rows,)](x, w, b, y, cols, x.stride(0), eps, BLOCK=block, num_warps=warps)
    return y.reshape(shape)


def twin(x, w, b):
    return layernorm(x, w, b)
