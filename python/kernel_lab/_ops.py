"""The ops: each a `torch.library.custom_op` (`torch.ops.kernel_lab.<name>`) around one Rust op
(host/ops.rs), with its fake (shape) function, its autograd formula and its torch reference;
and `OPS`, the one list of them that the package, the tests and the benchmark iterate.

Adding an op (docs/python.md "Adding an op"): implement `Op` in the ladder's host file on the
Rust side, then add one `OpSpec` here (the custom op, its checks, reference, fake, backward,
test shapes and bench shapes). An entry with `kernel=False` is benchmarked (torch vs its Triton
twin) before its ladder lands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from . import _runtime as rt
from ._runtime import KernelLabError

FLOATS = (torch.float32, torch.bfloat16, torch.float16)


@dataclass(frozen=True)
class OpSpec:
    """One op: what the package, the tests and the benchmark know about it."""

    name: str
    # Whether a kernel-lab kernel exists (a Rust op of that name); False: bench-only (torch vs
    # the Triton twin) until its ladder lands.
    kernel: bool
    # The torch reference: what the fallback computes and what every candidate is checked against.
    reference: Callable[..., Tensor]
    # The element types the kernels take (others fall back).
    dtypes: tuple[torch.dtype, ...]
    # Inputs of one problem: (shape, dtype, device, generator) -> tuple of tensors.
    make_inputs: Callable[..., tuple]
    # Awkward shapes every kernel is checked on (GPU tests), and the benchmark's shapes.
    test_shapes: tuple[tuple[int, ...], ...]
    bench_shapes: tuple[tuple[int, ...], ...]
    # (atol, rtol) against the reference for data of a dtype and a shape.
    tolerance: Callable[[torch.dtype, tuple], tuple[float, float]]
    # (flops, bytes) of one problem: the benchmark's throughput.
    work: Callable[[tuple, torch.dtype], tuple[float, float]]
    # The Triton twin's module in kernel_lab.bench (None: no twin).
    triton: str | None = None
    # The torch.ops entry (None for bench-only entries).
    torch_op: object | None = field(default=None, compare=False)
    # The argument check: (*inputs) -> (inputs, dims), KernelLabError for an invalid call.
    check: Callable | None = field(default=None, compare=False)
    # What a torch user writes for it (the benchmark's "torch" candidate); None: `reference`.
    torch_impl: Callable | None = field(default=None, compare=False)
    # The accurate reference the tests and the benchmark check against, where it is not
    # `reference` (attention: SDPA's math backend in f32; the fallback is SDPA itself).
    check_reference: Callable | None = field(default=None, compare=False)
    # More benchmark candidates: (name, callable on the inputs) (attention: SDPA's backends).
    baselines: tuple = field(default=(), compare=False)
    # Whether the op has a backward (register_autograd): the tests ask for gradients.
    differentiable: bool = True
    # The public function returns the op's first output only (the others are saved for the
    # backward: layer_norm's mean and rstd).
    public_first: bool = False

    @property
    def checked_reference(self) -> Callable:
        return self.check_reference or self.reference

    @property
    def torch_fn(self) -> Callable[..., Tensor]:
        return self.torch_impl or self.reference


def _invalid(name: str, why: str) -> KernelLabError:
    return KernelLabError(f"kernel_lab.{name}: {why}")


def _same(name: str, tensors: list[Tensor]) -> None:
    """Every tensor a floating tensor of one dtype on one device, or KernelLabError."""
    for t in tensors:
        if not isinstance(t, Tensor):
            raise _invalid(name, f"expected tensors, got {type(t).__name__}")
        if t.dtype not in FLOATS:
            raise _invalid(name, f"takes float32, bfloat16 or float16 tensors, got {t.dtype}")
    if len({t.dtype for t in tensors}) > 1:
        raise _invalid(name, f"mixed dtypes {[str(t.dtype) for t in tensors]}")
    if len({t.device for t in tensors}) > 1:
        raise _invalid(name, f"tensors on different devices {[str(t.device) for t in tensors]}")


def as_tuple(out) -> tuple:
    """An op's outputs as a tuple (one tensor, or the tuple a multi-output op returns)."""
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def decide(name: str, inputs: list[Tensor], dims: list[int], dtypes, why: str | None = None) -> str | None:
    """The reason the call computes the reference (None: the kernel runs); `why`: a reason
    the op's own check found (a dim, a missing weight), given after the forced mode."""
    if rt.fallback_mode() == "always":
        return f"forced by {rt.ENV_FALLBACK}=always"
    if why is not None:
        return why
    if inputs[0].dtype not in dtypes:
        names = ", ".join(str(d).replace("torch.", "") for d in dtypes)
        return f"no {str(inputs[0].dtype).replace('torch.', '')} kernel (kernels take {names})"
    return rt.no_kernel_reason(name, inputs, dims)


def run(name, inputs, dims, dtypes, outputs, reference, scalars=(), why=None, n_out=1):
    """The kernel on contiguous copies of `inputs` into `outputs()`, or `reference()` (which
    closes over the call's own arguments). Returns the first `n_out` outputs (one tensor for
    1); outputs past them are the kernel's internal ones (attention's lse)."""
    why = decide(name, inputs, dims, dtypes, why)
    if why is None:
        inputs = [t.contiguous() for t in inputs]
        why = rt.misaligned(inputs)
    if why is not None:
        if rt.fallback_mode() != "always":
            rt.fall_back(name, why)
        return reference()
    outs = outputs()
    rt.launch(name, inputs[0].dtype, dims, inputs + outs, scalars)
    return outs[0] if n_out == 1 else tuple(outs[:n_out])


def explain_call(name, inputs, dims, dtypes, scalars=(), why=None) -> str:
    """What a call would do: 'kernel: <step> (<symbol>)' or the fallback's reason."""
    why = decide(name, inputs, dims, dtypes, why)
    if why is None:
        inputs = [t.contiguous() for t in inputs]
        why = rt.misaligned(inputs)
    if why is not None:
        return f"torch reference: {why}"
    p = rt.plan(name, inputs[0].dtype, dims, inputs, scalars)
    return f"kernel: {p['step']} ({p['symbol']})"


# ---------------------------------------------------------------------------------------------
# reduce_sum: the sum of every element, f32 (a 0-dim tensor), f32 accumulation.

SUM_DTYPES = (torch.float32, torch.bfloat16)


def _sum_ref(x: Tensor) -> Tensor:
    return x.sum(dtype=torch.float32)


def _sum_check(x: Tensor):
    _same("reduce_sum", [x])
    return [x], [x.numel()]


@torch.library.custom_op("kernel_lab::reduce_sum", mutates_args=())
def reduce_sum(x: Tensor) -> Tensor:
    inputs, dims = _sum_check(x)
    return run(
        "reduce_sum",
        inputs,
        dims,
        SUM_DTYPES,
        lambda: [torch.empty((), dtype=torch.float32, device=x.device)],
        lambda: _sum_ref(*inputs),
    )


@reduce_sum.register_fake
def _(x):
    _sum_check(x)
    return x.new_empty((), dtype=torch.float32)


def _sum_setup(ctx, inputs, output):
    (x,) = inputs
    ctx.shape, ctx.dtype = x.shape, x.dtype


def _sum_backward(ctx, grad):
    return grad.to(ctx.dtype).expand(ctx.shape).contiguous()


reduce_sum.register_autograd(_sum_backward, setup_context=_sum_setup)

# ---------------------------------------------------------------------------------------------
# transpose: out = x^T, contiguous (rows x cols -> cols x rows).

T_DTYPES = (torch.float32, torch.bfloat16)


def _t_ref(x: Tensor) -> Tensor:
    out = x.new_empty((x.shape[1], x.shape[0]))
    out.copy_(x.t())
    return out


def _t_check(x: Tensor):
    _same("transpose", [x])
    if x.dim() != 2:
        raise _invalid("transpose", f"takes a 2-D tensor, got shape {tuple(x.shape)}")
    return [x], [x.shape[0], x.shape[1]]


@torch.library.custom_op("kernel_lab::transpose", mutates_args=())
def transpose(x: Tensor) -> Tensor:
    inputs, dims = _t_check(x)
    return run(
        "transpose",
        inputs,
        dims,
        T_DTYPES,
        lambda: [x.new_empty((x.shape[1], x.shape[0]))],
        lambda: _t_ref(*inputs),
    )


@transpose.register_fake
def _(x):
    _t_check(x)
    return x.new_empty((x.shape[1], x.shape[0]))


def _t_backward(ctx, grad):
    return transpose(grad)


transpose.register_autograd(_t_backward, setup_context=lambda ctx, inputs, output: None)

# ---------------------------------------------------------------------------------------------
# bias_gelu: y = gelu_tanh(x + bias[col]), f32 math, x rows x cols, bias cols.

GELU_DTYPES = (torch.float32, torch.bfloat16)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _gelu_ref(x: Tensor, bias: Tensor) -> Tensor:
    v = x.float() + bias.float()
    return F.gelu(v, approximate="tanh").to(x.dtype)


def _gelu_check(x: Tensor, bias: Tensor):
    _same("bias_gelu", [x, bias])
    if x.dim() != 2 or bias.dim() != 1 or bias.shape[0] != x.shape[1]:
        raise _invalid(
            "bias_gelu",
            f"takes x (rows, cols) and bias (cols,), got {tuple(x.shape)} and {tuple(bias.shape)}",
        )
    return [x, bias], [x.shape[0], x.shape[1]]


@torch.library.custom_op("kernel_lab::bias_gelu", mutates_args=())
def bias_gelu(x: Tensor, bias: Tensor) -> Tensor:
    inputs, dims = _gelu_check(x, bias)
    return run("bias_gelu", inputs, dims, GELU_DTYPES, lambda: [torch.empty_like(x, memory_format=torch.contiguous_format)], lambda: _gelu_ref(*inputs))


@bias_gelu.register_fake
def _(x, bias):
    _gelu_check(x, bias)
    return torch.empty_like(x, memory_format=torch.contiguous_format)


def _gelu_setup(ctx, inputs, output):
    x, bias = inputs
    ctx.save_for_backward(x, bias)


def _gelu_backward(ctx, grad):
    """d/dv gelu_tanh(v) = 0.5(1 + t) + 0.5 v (1 - t^2) sqrt(2/pi) (1 + 3 c v^2), t = tanh(u),
    u = sqrt(2/pi)(v + c v^3), c = 0.044715; computed in f32 by torch."""
    x, bias = ctx.saved_tensors
    v = x.float() + bias.float()
    t = torch.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))
    d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v)
    dv = grad.float() * d
    return dv.to(x.dtype), dv.sum(0).to(bias.dtype)


bias_gelu.register_autograd(_gelu_backward, setup_context=_gelu_setup)

# ---------------------------------------------------------------------------------------------
# gemm: c = a @ b, f32, row-major (a m x k, b k x n).


def _mm_check(name: str, a: Tensor, b: Tensor):
    _same(name, [a, b])
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[0]:
        raise _invalid(
            name, f"takes a (m, k) and b (k, n), got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    return [a, b], [a.shape[0], b.shape[1], a.shape[1]]


def _gemm_ref(a: Tensor, b: Tensor) -> Tensor:
    return a @ b


@torch.library.custom_op("kernel_lab::gemm", mutates_args=())
def gemm(a: Tensor, b: Tensor) -> Tensor:
    inputs, dims = _mm_check("gemm", a, b)
    return run(
        "gemm",
        inputs,
        dims,
        (torch.float32,),
        lambda: [a.new_empty((a.shape[0], b.shape[1]))],
        lambda: _gemm_ref(*inputs),
    )


@gemm.register_fake
def _(a, b):
    _mm_check("gemm", a, b)
    return a.new_empty((a.shape[0], b.shape[1]))


def _gemm_setup(ctx, inputs, output):
    ctx.save_for_backward(*inputs)


def _gemm_backward(ctx, grad):
    """da = grad @ b^T, db = a^T @ grad, through kernel_lab's gemm and transpose."""
    a, b = ctx.saved_tensors
    grad = grad.contiguous()
    return gemm(grad, transpose(b)), gemm(transpose(a), grad)


gemm.register_autograd(_gemm_backward, setup_context=_gemm_setup)

# ---------------------------------------------------------------------------------------------
# gemm_bf16: c = a @ b, a and b bf16, f32 accumulation and f32 c (tensor cores).


def _gemm_bf16_ref(a: Tensor, b: Tensor) -> Tensor:
    """The f32 product of the bf16 values (every product is exact in f32)."""
    return a.float() @ b.float()


def _torch_gemm_bf16(a: Tensor, b: Tensor) -> Tensor:
    """What torch offers for bf16 inputs and an f32 result: cuBLAS through mm's out_dtype."""
    return torch.mm(a, b, out_dtype=torch.float32)


@torch.library.custom_op("kernel_lab::gemm_bf16", mutates_args=())
def gemm_bf16(a: Tensor, b: Tensor) -> Tensor:
    inputs, dims = _mm_check("gemm_bf16", a, b)
    return run(
        "gemm_bf16",
        inputs,
        dims,
        (torch.bfloat16,),
        lambda: [a.new_empty((a.shape[0], b.shape[1]), dtype=torch.float32)],
        lambda: _gemm_bf16_ref(*inputs),
    )


@gemm_bf16.register_fake
def _(a, b):
    _mm_check("gemm_bf16", a, b)
    return a.new_empty((a.shape[0], b.shape[1]), dtype=torch.float32)


def _gemm_bf16_backward(ctx, grad):
    """da = grad @ b^T, db = a^T @ grad in f32 by torch, rounded to the inputs' dtype (the
    kernel takes bf16 inputs only, and rounding grad to bf16 first would lose its precision)."""
    a, b = ctx.saved_tensors
    g = grad.float()
    return (g @ b.float().t()).to(a.dtype), (a.float().t() @ g).to(b.dtype)


gemm_bf16.register_autograd(_gemm_bf16_backward, setup_context=_gemm_setup)

# ---------------------------------------------------------------------------------------------
# softmax along the last dim (f32 math), and its backward dx = y (dy - sum(dy y)) (the
# softmax_backward kernel, from the saved output y).

ROW_DTYPES = (torch.float32, torch.bfloat16)


def _last_dim(name: str, x: Tensor, dim: int) -> str | None:
    """Why `dim` is not the last dimension of `x` (the kernels normalise rows), if it is not."""
    if x.dim() == 0:
        return "a 0-dim tensor (the kernels take rows)"
    if dim not in (-1, x.dim() - 1):
        return f"dim={dim}: the kernels normalise the last dimension only"
    return None


def _rows(x: Tensor) -> list[int]:
    cols = x.shape[-1] if x.dim() else 1
    return [x.numel() // cols if cols else 0, cols]


def _softmax_ref(x: Tensor, dim: int = -1) -> Tensor:
    return torch.softmax(x.float(), dim=dim).to(x.dtype)


def _softmax_check(x: Tensor, dim: int = -1):
    _same("softmax", [x])
    if x.dim() and not -x.dim() <= dim < x.dim():
        raise _invalid("softmax", f"dim {dim} out of range for shape {tuple(x.shape)}")
    return [x], _rows(x), _last_dim("softmax", x, dim)


def _contig_like(x: Tensor) -> Tensor:
    return torch.empty_like(x, memory_format=torch.contiguous_format)


@torch.library.custom_op("kernel_lab::softmax", mutates_args=())
def softmax(x: Tensor, dim: int = -1) -> Tensor:
    inputs, dims, why = _softmax_check(x, dim)
    return run("softmax", inputs, dims, ROW_DTYPES, lambda: [_contig_like(x)], lambda: _softmax_ref(x, dim), why=why)


@softmax.register_fake
def _(x, dim=-1):
    _softmax_check(x, dim)
    return _contig_like(x)


def _softmax_setup(ctx, inputs, output):
    ctx.dim = inputs[1]
    ctx.save_for_backward(output)


def _softmax_backward(ctx, grad):
    """dx = y (dy - sum(dy y)) along the dim: the softmax_backward kernel on the saved y."""
    (y,) = ctx.saved_tensors
    return softmax_backward(y, grad.to(y.dtype), ctx.dim), None


softmax.register_autograd(_softmax_backward, setup_context=_softmax_setup)


def _softmax_bwd_ref(y: Tensor, dy: Tensor, dim: int = -1) -> Tensor:
    yf, gf = y.float(), dy.float()
    return (yf * (gf - (gf * yf).sum(dim, keepdim=True))).to(y.dtype)


def _softmax_bwd_check(y: Tensor, dy: Tensor, dim: int = -1):
    _same("softmax_backward", [y, dy])
    if y.shape != dy.shape:
        raise _invalid("softmax_backward", f"y and dy of one shape, got {tuple(y.shape)} and {tuple(dy.shape)}")
    return [y, dy], _rows(y), _last_dim("softmax_backward", y, dim)


@torch.library.custom_op("kernel_lab::softmax_backward", mutates_args=())
def softmax_backward(y: Tensor, dy: Tensor, dim: int = -1) -> Tensor:
    inputs, dims, why = _softmax_bwd_check(y, dy, dim)
    return run(
        "softmax_backward",
        inputs,
        dims,
        ROW_DTYPES,
        lambda: [_contig_like(y)],
        lambda: _softmax_bwd_ref(y, dy, dim),
        why=why,
    )


@softmax_backward.register_fake
def _(y, dy, dim=-1):
    _softmax_bwd_check(y, dy, dim)
    return _contig_like(y)


# ---------------------------------------------------------------------------------------------
# layer_norm over the last dim: (y, mean, rstd) as aten's native_layer_norm (mean, rstd f32,
# shape x.shape[:-1]); backward through the layernorm_backward kernel (dx, dweight, dbias).


def _ln_stats(x: Tensor, k: int, eps: float):
    dims = tuple(range(x.dim() - k, x.dim()))
    var, mean = torch.var_mean(x.float(), dim=dims, unbiased=False)
    return mean, torch.rsqrt(var + eps)


def _layernorm_ref(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """torch's layer_norm in f32, y rounded to x's dtype; mean and rstd f32."""
    ns = tuple(normalized_shape)
    w = None if weight is None else weight.float()
    b = None if bias is None else bias.float()
    y = F.layer_norm(x.float(), ns, w, b, eps).to(x.dtype)
    mean, rstd = _ln_stats(x, len(ns), eps)
    return y, mean, rstd


def _ln_check(x, normalized_shape, weight, bias):
    ns = tuple(int(n) for n in normalized_shape)
    _same("layer_norm", [t for t in (x, weight, bias) if t is not None])
    if not ns or x.dim() < len(ns) or tuple(x.shape[x.dim() - len(ns) :]) != ns:
        raise _invalid("layer_norm", f"normalized_shape {list(ns)} is not the end of the shape {tuple(x.shape)}")
    for t in (weight, bias):
        if t is not None and tuple(t.shape) != ns:
            raise _invalid("layer_norm", f"weight and bias of shape {list(ns)}, got {tuple(t.shape)}")
    why = None
    if len(ns) != 1:
        why = f"normalized_shape {list(ns)}: the kernels normalise the last dimension only"
    elif weight is None or bias is None:
        why = "the kernels need both weight and bias"
    inputs = [x] if why else [x, weight, bias]
    return inputs, _rows(x), why, ns


def _ln_outputs(x, ns):
    stats = x.shape[: x.dim() - len(ns)]
    return [_contig_like(x), x.new_empty(stats, dtype=torch.float32), x.new_empty(stats, dtype=torch.float32)]


@torch.library.custom_op("kernel_lab::layer_norm", mutates_args=())
def layer_norm(
    x: Tensor, normalized_shape: list[int], weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> tuple[Tensor, Tensor, Tensor]:
    inputs, dims, why, ns = _ln_check(x, normalized_shape, weight, bias)
    return run(
        "layer_norm",
        inputs,
        dims,
        ROW_DTYPES,
        lambda: _ln_outputs(x, ns),
        lambda: _layernorm_ref(x, ns, weight, bias, eps),
        scalars=(eps,),
        why=why,
        n_out=3,
    )


@layer_norm.register_fake
def _(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    _, _, _, ns = _ln_check(x, normalized_shape, weight, bias)
    return tuple(_ln_outputs(x, ns))


def _ln_setup(ctx, inputs, output):
    x, ns, w, b, eps = inputs
    _, mean, rstd = output
    ctx.ns, ctx.eps, ctx.has_w, ctx.has_b = tuple(ns), eps, w is not None, b is not None
    ctx.save_for_backward(x, w, b, mean, rstd)


def _ln_backward(ctx, gy, gmean, grstd):
    """The layernorm_backward kernel on the saved x, weight, mean and rstd (one normalised dim,
    weight and bias given); else torch's autograd of the f32 formula. The gradients of the
    mean and rstd outputs are not propagated (they are statistics, as in aten)."""
    x, w, b, mean, rstd = ctx.saved_tensors
    if len(ctx.ns) == 1 and ctx.has_w and ctx.has_b:
        dx, dw, db = layer_norm_backward(gy.to(x.dtype).contiguous(), x, w, mean, rstd)
        return dx, None, dw, db, None
    with torch.enable_grad():
        xs = x.detach().requires_grad_()
        ws = None if w is None else w.detach().requires_grad_()
        bs = None if b is None else b.detach().requires_grad_()
        y = F.layer_norm(xs.float(), ctx.ns, None if ws is None else ws.float(), None if bs is None else bs.float(), ctx.eps)
        want = [t for t in (xs, ws, bs) if t is not None]
        grads = list(torch.autograd.grad(y, want, gy.float()))
    dx = grads.pop(0)
    dw = grads.pop(0) if ws is not None else None
    db = grads.pop(0) if bs is not None else None
    return dx, None, dw, db, None


layer_norm.register_autograd(_ln_backward, setup_context=_ln_setup)


def _ln_bwd_ref(dy, x, weight, mean, rstd):
    """dx = rstd (g - mean(g) - x^ mean(g x^)), g = dy w, x^ = (x - mean) rstd; dw = sum dy x^,
    db = sum dy over rows; f32, rounded to the inputs' dtype."""
    xf, gf, w = x.float(), dy.float(), weight.float()
    xhat = (xf - mean[..., None]) * rstd[..., None]
    g = gf * w
    dx = rstd[..., None] * (g - g.mean(-1, keepdim=True) - xhat * (g * xhat).mean(-1, keepdim=True))
    rows = tuple(range(x.dim() - 1))
    return dx.to(x.dtype), (gf * xhat).sum(rows).to(weight.dtype), gf.sum(rows).to(weight.dtype)


def _ln_bwd_check(dy, x, weight, mean, rstd):
    name = "layer_norm_backward"
    _same(name, [dy, x, weight])
    if dy.shape != x.shape or x.dim() < 1 or tuple(weight.shape) != (x.shape[-1],):
        raise _invalid(name, f"dy, x (..., cols) and weight (cols,), got {tuple(dy.shape)}, {tuple(x.shape)}, {tuple(weight.shape)}")
    for t in (mean, rstd):
        if t.dtype != torch.float32 or t.shape != x.shape[:-1] or t.device != x.device:
            raise _invalid(name, f"mean and rstd f32 of shape {tuple(x.shape[:-1])}, got {t.dtype} {tuple(t.shape)}")
    return [dy, x, weight, mean, rstd], _rows(x)


@torch.library.custom_op("kernel_lab::layer_norm_backward", mutates_args=())
def layer_norm_backward(dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    inputs, dims = _ln_bwd_check(dy, x, weight, mean, rstd)
    return run(
        "layer_norm_backward",
        inputs,
        dims,
        ROW_DTYPES,
        lambda: [_contig_like(x), _contig_like(weight), _contig_like(weight)],
        lambda: _ln_bwd_ref(dy, x, weight, mean, rstd),
        n_out=3,
    )


@layer_norm_backward.register_fake
def _(dy, x, weight, mean, rstd):
    _ln_bwd_check(dy, x, weight, mean, rstd)
    return _contig_like(x), _contig_like(weight), _contig_like(weight)


def _torch_ln_backward(dy, x, w, mean, rstd):
    """What torch's autograd runs for layer_norm's backward: aten.native_layer_norm_backward."""
    return torch.ops.aten.native_layer_norm_backward(
        dy, x, [x.shape[-1]], mean[..., None], rstd[..., None], w, w, [True, True, True]
    )


# ---------------------------------------------------------------------------------------------
# rms_norm over the last dim: the rmsnorm kernel forward; backward a torch formula (there is
# no rmsnorm backward kernel). eps None is torch's: torch.finfo(x.dtype).eps.


def _rms_eps(x: Tensor, eps):
    return torch.finfo(x.dtype).eps if eps is None else float(eps)


def _rmsnorm_ref(x, normalized_shape, weight=None, eps: float | None = None):
    ns = tuple(normalized_shape)
    w = None if weight is None else weight.float()
    return F.rms_norm(x.float(), ns, w, _rms_eps(x, eps)).to(x.dtype)


def _rms_check(x, normalized_shape, weight):
    ns = tuple(int(n) for n in normalized_shape)
    _same("rms_norm", [t for t in (x, weight) if t is not None])
    if not ns or x.dim() < len(ns) or tuple(x.shape[x.dim() - len(ns) :]) != ns:
        raise _invalid("rms_norm", f"normalized_shape {list(ns)} is not the end of the shape {tuple(x.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise _invalid("rms_norm", f"weight of shape {list(ns)}, got {tuple(weight.shape)}")
    why = None
    if len(ns) != 1:
        why = f"normalized_shape {list(ns)}: the kernels normalise the last dimension only"
    elif weight is None:
        why = "the kernels need a weight"
    return ([x] if why else [x, weight]), _rows(x), why, ns


@torch.library.custom_op("kernel_lab::rms_norm", mutates_args=())
def rms_norm(x: Tensor, normalized_shape: list[int], weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    inputs, dims, why, ns = _rms_check(x, normalized_shape, weight)
    e = _rms_eps(x, eps)
    return run(
        "rms_norm",
        inputs,
        dims,
        ROW_DTYPES,
        lambda: [_contig_like(x), x.new_empty(x.shape[:-1], dtype=torch.float32)],
        lambda: _rmsnorm_ref(x, ns, weight, e),
        scalars=(e,),
        why=why,
    )


@rms_norm.register_fake
def _(x, normalized_shape, weight=None, eps=None):
    _rms_check(x, normalized_shape, weight)
    return _contig_like(x)


def _rms_setup(ctx, inputs, output):
    x, ns, w, eps = inputs
    ctx.ns, ctx.eps, ctx.has_w = tuple(ns), _rms_eps(x, eps), w is not None
    ctx.save_for_backward(x, w)


def _rms_backward(ctx, gy):
    """In f32 by torch, rstd recomputed over the normalised dims D (n elements):
    r = 1/sqrt(mean(x^2) + eps), x^ = x r, g = dy w; dx = r (g - x^ mean(g x^)),
    dw = sum of dy x^ over the other dims."""
    x, w = ctx.saved_tensors
    dims = tuple(range(x.dim() - len(ctx.ns), x.dim()))
    xf, gf = x.float(), gy.float()
    r = torch.rsqrt(xf.square().mean(dims, keepdim=True) + ctx.eps)
    xhat = xf * r
    g = gf * w.float() if ctx.has_w else gf
    dx = r * (g - xhat * (g * xhat).mean(dims, keepdim=True))
    dw = None
    if ctx.has_w:
        dw = (gf * xhat).sum(tuple(range(x.dim() - len(ctx.ns)))).to(w.dtype)
    return dx.to(x.dtype), None, dw, None


rms_norm.register_autograd(_rms_backward, setup_context=_rms_setup)

# ---------------------------------------------------------------------------------------------
# attention: O = softmax(Q K^T scale [causal]) V, bf16 (batch, heads, seq, head_dim); the
# kernel's lse is internal (not kept: the backward recomputes through SDPA under autograd).


def _sdpa(q, k, v, causal=False, scale=None):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=scale)


def _attention_ref(q, k, v, causal: bool = False, scale: float | None = None):
    """The fallback: torch's scaled_dot_product_attention (its own backend choice)."""
    return _sdpa(q, k, v, causal, scale)


def _attention_math_f32(q, k, v, causal: bool = False, scale: float | None = None):
    """What the tests and the benchmark check against: SDPA's math backend in f32."""
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.MATH]):
        return _sdpa(q.float(), k.float(), v.float(), causal, scale).to(q.dtype)


def _attention_check(q, k, v, causal, scale):
    _same("attention", [q, k, v])
    why = None
    if q.dim() != 4:
        why = f"q of shape {tuple(q.shape)}: the kernels take (batch, heads, seq, head_dim)"
    elif q.shape != k.shape or q.shape != v.shape:
        why = f"q, k, v of shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}: the kernels take one shape (seq_q = seq_k, no GQA)"
    if why:
        return [q, k, v], [0, 0, 0], why, (0.0, 0.0)
    b, h, s, d = q.shape
    sc = 1.0 / math.sqrt(d) if scale is None else float(scale)
    return [q, k, v], [b * h, s, d], None, (sc, float(bool(causal)))


@torch.library.custom_op("kernel_lab::attention", mutates_args=())
def attention(q: Tensor, k: Tensor, v: Tensor, causal: bool = False, scale: float | None = None) -> Tensor:
    inputs, dims, why, sc = _attention_check(q, k, v, causal, scale)
    return run(
        "attention",
        inputs,
        dims,
        (torch.bfloat16,),
        lambda: [_contig_like(q), q.new_empty(q.shape[:-1], dtype=torch.float32)],
        lambda: _attention_ref(q, k, v, causal, scale),
        scalars=sc,
        why=why,
    )


@attention.register_fake
def _(q, k, v, causal=False, scale=None):
    _attention_check(q, k, v, causal, scale)
    return torch.empty_like(q, memory_format=torch.contiguous_format)


def _attention_setup(ctx, inputs, output):
    q, k, v, causal, scale = inputs
    ctx.causal, ctx.scale = causal, scale
    ctx.save_for_backward(q, k, v)


def _attention_backward(ctx, grad):
    """Recomputes the forward with torch's scaled_dot_product_attention under autograd (its
    own backend: flash or memory-efficient on CUDA for bf16) and returns its dq, dk, dv."""
    q, k, v = ctx.saved_tensors
    with torch.enable_grad():
        qs, ks, vs = (t.detach().requires_grad_() for t in (q, k, v))
        o = _sdpa(qs, ks, vs, ctx.causal, ctx.scale)
        dq, dk, dv = torch.autograd.grad(o, (qs, ks, vs), grad)
    return dq, dk, dv, None, None


attention.register_autograd(_attention_backward, setup_context=_attention_setup)


def _sdpa_backend(backend_name):
    def fn(q, k, v, causal=False, scale=None):
        from torch.nn.attention import SDPBackend, sdpa_kernel

        with sdpa_kernel([getattr(SDPBackend, backend_name)]):
            return _sdpa(q, k, v, causal, scale)

    return fn


# ---------------------------------------------------------------------------------------------
# Inputs, tolerances and work of each op (tests and bench).


def _rand(shape, dtype, device, gen, lo=-1.0, hi=1.0):
    t = torch.rand(shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo
    return t.to(dtype=dtype, device=device)


def _elem_tol(dtype):
    return {torch.float32: (1e-5, 1e-5), torch.bfloat16: (1e-2, 1.6e-2), torch.float16: (1e-3, 2e-3)}[dtype]


def _esize(dtype):
    return torch.tensor([], dtype=dtype).element_size()


def _sum_tol(dtype, shape):
    """f32 sums of n values in [-1, 1] in two different orders (the kernel's chains of at
    most n / 2^17 + 1 additions per thread and a tree; torch's): each is within
    8 eps (log2 n + 1 + sqrt(chain)) |x|_2 of the exact sum (the Rust ladder's bound), and
    |x|_2 <= sqrt(n)."""
    n = math.prod(shape)
    depth = math.log2(max(n, 2)) + 1 + math.sqrt(n / (1 << 17) + 1)
    return (2 * 8 * 1.1920929e-07 * depth * math.sqrt(n), 0.0)


def _mm_tol(dtype, shape):
    k = shape[2]
    return (2e-6 * k + 1e-5, 1e-4) if dtype == torch.float32 else (4e-6 * k + 1e-4, 1e-3)


# The row ops' shapes: 1x1, 1xN, Nx1, primes, warp +- 1, a row longer than any block holds.
ROW_TEST_SHAPES = ((1, 1), (1, 1023), (1023, 1), (31, 33), (65, 63), (7, 13, 257), (3, 100003))
ROW_BENCH_SHAPES = ((4096, 1024), (4096, 4096), (8192, 32000), (32768, 128))


def _softmax_tol(dtype, shape):
    """The Rust ladder's: ex2.approx and the row sum's chains, rtol 1e-5 + 4 eps sqrt(cols);
    bf16 adds its rounding. atol 1e-6 (f32) covers the flush of tiny values."""
    r = 1e-5 + 4 * 1.1920929e-07 * math.sqrt(shape[-1])
    return (1e-6, r) if dtype == torch.float32 else (2e-3, r + 1.6e-2)


def _softmax_bwd_tol(dtype, shape):
    """|dot| <= 1 off by ~4 eps sqrt(cols), reaching dx as y * that (y <= 1)."""
    a = 4 * 1.1920929e-07 * math.sqrt(shape[-1]) + 1e-6
    return (a, 1e-5) if dtype == torch.float32 else (a + 2e-3, 1.6e-2)


def _norm_tol(dtype, shape):
    """f32: the mean and variance sums of a row (log2 n + sqrt n) eps, times rstd |w| (~1 here);
    bf16: y's rounding (two ulps) on |y| up to ~6."""
    n = shape[-1]
    a = 64 * 1.1920929e-07 * (math.log2(max(n, 2)) + math.sqrt(n)) + 1e-5
    return (a, 1e-5) if dtype == torch.float32 else (a + 3e-2, 1.6e-2)


def _ln_bwd_inputs(s, d, dev, g):
    x = _rand(s, d, dev, g, -3.0, 3.0)
    dy = _rand(s, d, dev, g)
    w = _rand((s[-1],), d, dev, g, 0.5, 1.5)
    mean, rstd = _ln_stats(x, 1, 1e-5)
    return dy, x, w, mean, rstd


def _ln_bwd_tol(dtype, shape):
    """dx: f32 row sums (log2 n + sqrt n) eps relative to rstd |g| (1 + |x^|); dw, db: column
    sums over `rows` terms of |dy x^| <= ~2, in another order: sqrt(rows) 8 eps per term.
    bf16: the outputs' rounding (two ulps) and that of dy, x (the reference uses the same)."""
    n, rows = shape[-1], math.prod(shape[:-1])
    a = 64 * 1.1920929e-07 * (math.log2(max(n, 2)) + math.sqrt(n)) + 16 * 1.1920929e-07 * math.sqrt(rows) * 2 + 1e-5
    return (a, 1e-4) if dtype == torch.float32 else (a + 3e-2, 1.6e-2)


OPS: tuple[OpSpec, ...] = (
    OpSpec(
        name="reduce_sum",
        kernel=True,
        reference=_sum_ref,
        dtypes=SUM_DTYPES,
        make_inputs=lambda s, d, dev, g: (_rand(s, d, dev, g),),
        test_shapes=((1,), (31,), (33,), (257,), (4099,), (1_000_003,)),
        bench_shapes=((64 << 20,),),
        tolerance=_sum_tol,
        work=lambda s, d: (float(math.prod(s)), float(math.prod(s) * _esize(d))),
        torch_op=torch.ops.kernel_lab.reduce_sum,
        check=_sum_check,
    ),
    OpSpec(
        name="transpose",
        kernel=True,
        reference=_t_ref,
        dtypes=T_DTYPES,
        make_inputs=lambda s, d, dev, g: (_rand(s, d, dev, g),),
        test_shapes=((1, 1), (31, 33), (65, 63), (136, 264), (1023, 1), (1, 1023), (4097, 129)),
        bench_shapes=((8192, 8192),),
        tolerance=lambda d, s: (0.0, 0.0),
        work=lambda s, d: (0.0, 2.0 * math.prod(s) * _esize(d)),
        torch_op=torch.ops.kernel_lab.transpose,
        check=_t_check,
    ),
    OpSpec(
        name="bias_gelu",
        kernel=True,
        reference=_gelu_ref,
        dtypes=GELU_DTYPES,
        make_inputs=lambda s, d, dev, g: (
            _rand(s, d, dev, g, -3.0, 3.0),
            _rand((s[1],), d, dev, g),
        ),
        test_shapes=((1, 1), (31, 33), (65, 63), (1023, 1), (1, 1023), (257, 4099)),
        bench_shapes=((8192, 8192),),
        tolerance=lambda d, s: (2e-3, 1e-3 + _elem_tol(d)[1]),
        work=lambda s, d: (8.0 * math.prod(s), (2.0 * math.prod(s) + s[1]) * _esize(d)),
        torch_op=torch.ops.kernel_lab.bias_gelu,
        torch_impl=lambda x, b: F.gelu(x + b, approximate="tanh"),
        check=_gelu_check,
    ),
    OpSpec(
        name="gemm",
        kernel=True,
        reference=_gemm_ref,
        dtypes=(torch.float32,),
        make_inputs=lambda s, d, dev, g: (
            _rand((s[0], s[2]), d, dev, g),
            _rand((s[2], s[1]), d, dev, g),
        ),
        test_shapes=((1, 1, 1), (31, 33, 17), (127, 129, 65), (1023, 1, 7), (1, 1023, 64), (257, 263, 511)),
        bench_shapes=((4096, 4096, 4096), (1024, 1024, 1024)),
        tolerance=_mm_tol,
        work=lambda s, d: (2.0 * s[0] * s[1] * s[2], 4.0 * (s[0] * s[2] + s[2] * s[1] + s[0] * s[1])),
        torch_op=torch.ops.kernel_lab.gemm,
        check=lambda a, b: _mm_check("gemm", a, b),
    ),
    OpSpec(
        name="gemm_bf16",
        kernel=True,
        reference=_gemm_bf16_ref,
        dtypes=(torch.bfloat16,),
        make_inputs=lambda s, d, dev, g: (
            _rand((s[0], s[2]), d, dev, g),
            _rand((s[2], s[1]), d, dev, g),
        ),
        test_shapes=((1, 1, 1), (31, 33, 17), (127, 129, 65), (1023, 1, 7), (128, 256, 64), (264, 136, 520)),
        bench_shapes=((4096, 4096, 4096), (2048, 2048, 2048)),
        tolerance=_mm_tol,
        work=lambda s, d: (2.0 * s[0] * s[1] * s[2], 2.0 * (s[0] * s[2] + s[2] * s[1]) + 4.0 * s[0] * s[1]),
        triton="triton_gemm",
        torch_impl=_torch_gemm_bf16,
        torch_op=torch.ops.kernel_lab.gemm_bf16,
        check=lambda a, b: _mm_check("gemm_bf16", a, b),
    ),
    OpSpec(
        name="softmax",
        kernel=True,
        reference=_softmax_ref,
        dtypes=ROW_DTYPES,
        make_inputs=lambda s, d, dev, g: (_rand(s, d, dev, g, -5.0, 5.0),),
        test_shapes=ROW_TEST_SHAPES,
        bench_shapes=ROW_BENCH_SHAPES,
        tolerance=_softmax_tol,
        work=lambda s, d: (6.0 * math.prod(s), 2.0 * math.prod(s) * _esize(d)),
        triton="triton_softmax",
        torch_op=torch.ops.kernel_lab.softmax,
        torch_impl=lambda x: torch.softmax(x, dim=-1),
        check=lambda x, dim=-1: _softmax_check(x, dim)[:2],
    ),
    OpSpec(
        name="softmax_backward",
        kernel=True,
        reference=_softmax_bwd_ref,
        dtypes=ROW_DTYPES,
        make_inputs=lambda s, d, dev, g: (
            torch.softmax(_rand(s, torch.float32, dev, g, -5.0, 5.0), -1).to(d),
            _rand(s, d, dev, g),
        ),
        test_shapes=ROW_TEST_SHAPES,
        bench_shapes=ROW_BENCH_SHAPES,
        tolerance=_softmax_bwd_tol,
        work=lambda s, d: (4.0 * math.prod(s), 3.0 * math.prod(s) * _esize(d)),
        torch_op=torch.ops.kernel_lab.softmax_backward,
        torch_impl=lambda y, dy: torch._softmax_backward_data(dy, y, -1, y.dtype),
        check=lambda y, dy, dim=-1: _softmax_bwd_check(y, dy, dim)[:2],
        differentiable=False,
    ),
    OpSpec(
        name="layer_norm",
        kernel=True,
        reference=_layernorm_ref,
        dtypes=ROW_DTYPES,
        make_inputs=lambda s, d, dev, g: (
            _rand(s, d, dev, g, -3.0, 3.0),
            [s[-1]],
            _rand((s[-1],), d, dev, g, 0.5, 1.5),
            _rand((s[-1],), d, dev, g),
        ),
        test_shapes=ROW_TEST_SHAPES,
        bench_shapes=ROW_BENCH_SHAPES,
        tolerance=_norm_tol,
        work=lambda s, d: (8.0 * math.prod(s), (2.0 * math.prod(s) + 2 * s[-1]) * _esize(d) + 8.0 * math.prod(s[:-1])),
        triton="triton_layernorm",
        torch_op=torch.ops.kernel_lab.layer_norm,
        torch_impl=lambda x, ns, w, b: F.layer_norm(x, ns, w, b, 1e-5),
        check=lambda x, ns, w=None, b=None, eps=1e-5: _ln_check(x, ns, w, b)[:2],
        public_first=True,
    ),
    OpSpec(
        name="layer_norm_backward",
        kernel=True,
        reference=_ln_bwd_ref,
        dtypes=ROW_DTYPES,
        make_inputs=_ln_bwd_inputs,
        test_shapes=ROW_TEST_SHAPES,
        bench_shapes=ROW_BENCH_SHAPES,
        tolerance=_ln_bwd_tol,
        work=lambda s, d: (11.0 * math.prod(s), (3.0 * math.prod(s) + 3 * s[-1]) * _esize(d) + 8.0 * math.prod(s[:-1])),
        torch_op=torch.ops.kernel_lab.layer_norm_backward,
        torch_impl=_torch_ln_backward,
        check=lambda dy, x, w, m, r: _ln_bwd_check(dy, x, w, m, r),
        differentiable=False,
    ),
    OpSpec(
        name="rms_norm",
        kernel=True,
        reference=_rmsnorm_ref,
        dtypes=ROW_DTYPES,
        make_inputs=lambda s, d, dev, g: (
            _rand(s, d, dev, g, -3.0, 3.0),
            [s[-1]],
            _rand((s[-1],), d, dev, g, 0.5, 1.5),
        ),
        test_shapes=ROW_TEST_SHAPES,
        bench_shapes=ROW_BENCH_SHAPES,
        tolerance=_norm_tol,
        work=lambda s, d: (4.0 * math.prod(s), (2.0 * math.prod(s) + s[-1]) * _esize(d) + 4.0 * math.prod(s[:-1])),
        torch_op=torch.ops.kernel_lab.rms_norm,
        torch_impl=lambda x, ns, w: F.rms_norm(x, ns, w),
        check=lambda x, ns, w=None, eps=None: _rms_check(x, ns, w)[:2],
    ),
    OpSpec(
        name="attention",
        kernel=True,
        reference=_attention_ref,
        check_reference=_attention_math_f32,
        dtypes=(torch.bfloat16,),
        # shape (batch, heads, seq, head_dim, causal); inputs (q, k, v, causal)
        make_inputs=lambda s, d, dev, g: (
            *(_rand(s[:4], d, dev, g) for _ in range(3)),
            bool(s[4]),
        ),
        test_shapes=(
            (1, 1, 1, 64, 0),
            (1, 2, 17, 64, 1),
            (2, 2, 129, 128, 0),
            (1, 2, 129, 64, 1),
            (1, 1, 1000, 128, 1),
            (1, 2, 1000, 64, 0),
        ),
        bench_shapes=((4, 32, 4096, 128, 1), (4, 32, 4096, 128, 0), (8, 16, 2048, 64, 1), (8, 16, 2048, 64, 0)),
        tolerance=lambda d, s: (1.0 / 128, 1.0 / 128),
        work=lambda s, d: (
            4.0 * s[0] * s[1] * s[2] * s[2] * s[3] / (2.0 if s[4] else 1.0),
            4.0 * math.prod(s[:4]) * _esize(d) + 4.0 * math.prod(s[:3]),
        ),
        torch_op=torch.ops.kernel_lab.attention,
        torch_impl=_sdpa_backend("FLASH_ATTENTION"),
        baselines=(("sdpa_cudnn", _sdpa_backend("CUDNN_ATTENTION")),),
        check=lambda q, k, v, causal=False, scale=None: _attention_check(q, k, v, causal, scale)[:2],
    ),
)

BY_NAME = {o.name: o for o in OPS}


def spec(name: str) -> OpSpec:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KernelLabError(f"no op {name!r} (ops: {', '.join(BY_NAME)})") from None


def explain(name: str, *args: Tensor) -> str:
    """What `kernel_lab.<name>(*args)` would run: "kernel: <step> (<symbol>)", or
    "torch reference: <why>". Raises KernelLabError for an invalid call, as the op does."""
    s = spec(name)
    if not s.kernel:
        return f"torch reference: {name} has no kernel-lab kernel yet"
    return _EXPLAIN.get(name, _explain_plain)(s, *args)


def _explain_plain(s: OpSpec, *args) -> str:
    inputs, dims = s.check(*args)
    return explain_call(s.name, inputs, dims, s.dtypes)


def _explain_softmax(s, x, dim=-1):
    inputs, dims, why = _softmax_check(x, dim)
    return explain_call(s.name, inputs, dims, s.dtypes, why=why)


def _explain_softmax_bwd(s, y, dy, dim=-1):
    inputs, dims, why = _softmax_bwd_check(y, dy, dim)
    return explain_call(s.name, inputs, dims, s.dtypes, why=why)


def _explain_ln(s, x, ns, w=None, b=None, eps=1e-5):
    inputs, dims, why, _ = _ln_check(x, ns, w, b)
    return explain_call(s.name, inputs, dims, s.dtypes, (eps,), why)


def _explain_rms(s, x, ns, w=None, eps=None):
    inputs, dims, why, _ = _rms_check(x, ns, w)
    return explain_call(s.name, inputs, dims, s.dtypes, (_rms_eps(x, eps),), why)


def _explain_attention(s, q, k, v, causal=False, scale=None):
    inputs, dims, why, sc = _attention_check(q, k, v, causal, scale)
    return explain_call(s.name, inputs, dims, s.dtypes, sc, why)


# The ops whose call has scalars or its own fallback reasons (the others: check -> explain).
_EXPLAIN = {
    "softmax": _explain_softmax,
    "softmax_backward": _explain_softmax_bwd,
    "layer_norm": _explain_ln,
    "rms_norm": _explain_rms,
    "attention": _explain_attention,
}
