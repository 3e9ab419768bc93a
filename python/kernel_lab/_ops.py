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


def decide(name: str, inputs: list[Tensor], dims: list[int], dtypes) -> str | None:
    """The reason the call computes the reference (None: the kernel runs)."""
    if rt.fallback_mode() == "always":
        return f"forced by {rt.ENV_FALLBACK}=always"
    if inputs[0].dtype not in dtypes:
        names = ", ".join(str(d).replace("torch.", "") for d in dtypes)
        return f"no {str(inputs[0].dtype).replace('torch.', '')} kernel (kernels take {names})"
    return rt.no_kernel_reason(name, inputs, dims)


def run(name, inputs, dims, dtypes, outputs, reference) -> Tensor:
    """The kernel on contiguous copies of `inputs` into `outputs()`, or `reference(*inputs)`."""
    why = decide(name, inputs, dims, dtypes)
    if why is None:
        inputs = [t.contiguous() for t in inputs]
        why = rt.misaligned(inputs)
    if why is not None:
        if rt.fallback_mode() != "always":
            rt.fall_back(name, why)
        return reference(*inputs)
    outs = outputs()
    rt.launch(name, inputs[0].dtype, dims, inputs + outs)
    return outs[0]


def explain_call(name, inputs, dims, dtypes) -> str:
    """What a call would do: 'kernel: <step> (<symbol>)' or the fallback's reason."""
    why = decide(name, inputs, dims, dtypes)
    if why is None:
        inputs = [t.contiguous() for t in inputs]
        why = rt.misaligned(inputs)
    if why is not None:
        return f"torch reference: {why}"
    p = rt.plan(name, inputs[0].dtype, dims, inputs)
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
        _sum_ref,
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
        _t_ref,
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
    return run("bias_gelu", inputs, dims, GELU_DTYPES, lambda: [torch.empty_like(x, memory_format=torch.contiguous_format)], _gelu_ref)


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
        _gemm_ref,
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
        _gemm_bf16_ref,
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
# Bench-only until their ladders land: softmax over rows, layernorm over rows.


def _softmax_ref(x: Tensor) -> Tensor:
    return torch.softmax(x.float(), dim=-1).to(x.dtype)


def _layernorm_ref(x: Tensor, w: Tensor, b: Tensor) -> Tensor:
    return F.layer_norm(x.float(), (x.shape[-1],), w.float(), b.float(), 1e-5).to(x.dtype)


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
        kernel=False,
        reference=_softmax_ref,
        dtypes=(torch.float32, torch.bfloat16),
        make_inputs=lambda s, d, dev, g: (_rand(s, d, dev, g, -5.0, 5.0),),
        test_shapes=((1, 1), (31, 33), (1023, 1), (257, 4099)),
        bench_shapes=((8192, 8192),),
        tolerance=lambda d, s: (1e-6, 1e-5) if d == torch.float32 else (2e-3, 1.6e-2),
        work=lambda s, d: (5.0 * math.prod(s), 2.0 * math.prod(s) * _esize(d)),
        triton="triton_softmax",
        torch_impl=lambda x: torch.softmax(x, dim=-1),
    ),
    OpSpec(
        name="layernorm",
        kernel=False,
        reference=_layernorm_ref,
        dtypes=(torch.float32, torch.bfloat16),
        make_inputs=lambda s, d, dev, g: (
            _rand(s, d, dev, g, -3.0, 3.0),
            _rand((s[1],), d, dev, g, 0.5, 1.5),
            _rand((s[1],), d, dev, g),
        ),
        test_shapes=((1, 1), (31, 33), (1023, 1), (257, 4099)),
        bench_shapes=((8192, 8192),),
        tolerance=lambda d, s: (2e-5, 1e-5) if d == torch.float32 else (2e-2, 1.6e-2),
        work=lambda s, d: (8.0 * math.prod(s), (2.0 * math.prod(s) + 2 * s[1]) * _esize(d)),
        triton="triton_layernorm",
        torch_impl=lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b, 1e-5),
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
    inputs, dims = s.check(*args)
    return explain_call(name, inputs, dims, s.dtypes)
