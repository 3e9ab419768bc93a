"""The package without a GPU: fallbacks, explain, the environment overrides, error messages,
the native module's no-driver behaviour, fake tensors, opcheck on CPU. Runs in CI."""

import warnings

import pytest
import torch

import kernel_lab
from kernel_lab import OPS, KernelLabError
from kernel_lab import _runtime as rt
from kernel_lab._ops import as_tuple

KERNEL_OPS = [o for o in OPS if o.kernel]


def grad_if(a, op):
    """`a` asking for its gradient where the op has a backward (a float tensor)."""
    if isinstance(a, torch.Tensor) and op.differentiable and a.dtype.is_floating_point:
        return a.requires_grad_()
    return a


def inputs_of(op, shape=None, dtype=None, device="cpu"):
    shape = shape or op.test_shapes[1]
    dtype = dtype or op.dtypes[0]
    return op.make_inputs(shape, dtype, device, torch.Generator().manual_seed(0))


def test_the_native_module_lists_every_kernel_op():
    native = rt.native_ops()
    assert native, "the native module is not built (pip install ./python)"
    for op in KERNEL_OPS:
        assert op.name in native, f"{op.name}: no Rust op of that name"
        assert native[op.name]["steps"], op.name
    # and every Rust op has its Python op
    assert set(native) <= {o.name for o in OPS}


def test_without_a_driver_the_native_module_imports_and_says_so():
    n = rt._native
    if n.driver_available():
        pytest.skip("a CUDA driver is present on this machine")
    with pytest.raises(KernelLabError, match="no CUDA driver"):
        n.device(0)
    with pytest.raises(KernelLabError, match="no CUDA driver"):
        n.plan("transpose", "f32", [2, 2], [256, 512], 0)
    # the driver-free parts still answer
    assert n.unsupported("transpose", "f32", [4, 4], (9, 0)) is None
    assert "no f16 kernel" in n.unsupported("transpose", "f16", [4, 4], (9, 0))
    assert "u32" in n.unsupported("transpose", "f32", [1 << 20, 1 << 13], (9, 0))


def test_native_errors_are_exceptions_not_panics():
    n = rt._native
    with pytest.raises(KernelLabError, match="no op"):
        n.unsupported("nope", "f32", [1], (9, 0))
    with pytest.raises(KernelLabError, match="unknown element type"):
        n.unsupported("transpose", "f64", [1, 1], (9, 0))
    assert issubclass(KernelLabError, RuntimeError)


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_cpu_tensors_fall_back_to_the_reference_with_one_warning(op, fallback):
    fallback("auto")
    rt._warned.clear()
    args = inputs_of(op)
    with pytest.warns(RuntimeWarning, match=f"kernel_lab.{op.name}: computing the torch reference"):
        out = getattr(kernel_lab, op.name)(*args)
    for o, r in zip(as_tuple(out), as_tuple(op.reference(*args))):
        torch.testing.assert_close(o, r, rtol=0, atol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same reason warns once
        getattr(kernel_lab, op.name)(*args)
    assert kernel_lab.explain(op.name, *args).startswith("torch reference: a tensor is on cpu")


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_never_turns_a_fallback_into_an_error_naming_op_and_reason(op, fallback):
    fallback("never")
    with pytest.raises(KernelLabError, match=rf"kernel_lab\.{op.name}: no kernel .*cpu.*KERNEL_LAB_FALLBACK=never"):
        getattr(kernel_lab, op.name)(*inputs_of(op))


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_always_forces_the_reference(op, fallback):
    fallback("always")
    args = inputs_of(op)
    assert "KERNEL_LAB_FALLBACK=always" in kernel_lab.explain(op.name, *args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # forced: no warning
        out = getattr(kernel_lab, op.name)(*args)
    for o, r in zip(as_tuple(out), as_tuple(op.reference(*args))):
        torch.testing.assert_close(o, r, rtol=0, atol=0)


def test_a_bad_mode_is_an_error(fallback):
    fallback("sometimes")
    with pytest.raises(KernelLabError, match="KERNEL_LAB_FALLBACK='sometimes'"):
        kernel_lab.transpose(torch.ones(2, 3))


def test_dtypes_without_a_kernel_are_explained():
    x = torch.ones(4, 4, dtype=torch.float16)
    assert "no float16 kernel" in kernel_lab.explain("transpose", x)
    a = torch.ones(4, 4)
    assert "no float32 kernel" in kernel_lab.explain("gemm_bf16", a, a)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: kernel_lab.bias_gelu(torch.ones(4, 5), torch.ones(4)), r"bias \(cols,\)"),
        (lambda: kernel_lab.gemm(torch.ones(4, 5), torch.ones(4, 5)), r"a \(m, k\) and b \(k, n\)"),
        (lambda: kernel_lab.transpose(torch.ones(2, 3, 4)), "2-D tensor"),
        (lambda: kernel_lab.bias_gelu(torch.ones(4, 5), torch.ones(5, dtype=torch.bfloat16)), "mixed dtypes"),
        (lambda: kernel_lab.reduce_sum(torch.ones(4, dtype=torch.int32)), "float32, bfloat16 or float16"),
        (lambda: kernel_lab.reduce_sum([1.0, 2.0]), "__dlpack__"),
    ],
)
def test_invalid_calls_raise_clear_errors_whatever_the_mode(call, match, fallback):
    for mode in ("auto", "never", "always"):
        fallback(mode)
        with pytest.raises(KernelLabError, match=match):
            call()


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_fake_and_meta_tensors_get_the_shapes_of_the_reference(op):
    args = inputs_of(op)
    want = as_tuple(op.reference(*args))
    meta = [a.to("meta") if isinstance(a, torch.Tensor) else a for a in args]
    out = as_tuple(op.torch_op(*meta))
    assert len(out) == len(want)
    for o, w in zip(out, want):
        assert o.device.type == "meta" and o.shape == w.shape and o.dtype == w.dtype
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode() as mode:
        fake = [mode.from_tensor(a) if isinstance(a, torch.Tensor) else a for a in args]
        for o, w in zip(as_tuple(op.torch_op(*fake)), want):
            assert o.shape == w.shape and o.dtype == w.dtype


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_opcheck_on_cpu(op, fallback):
    fallback("always")
    args = [grad_if(a, op) for a in inputs_of(op)]
    torch.library.opcheck(op.torch_op.default, tuple(args))


def test_autograd_matches_torch_on_cpu(fallback):
    fallback("always")
    g = torch.Generator().manual_seed(3)
    x = torch.randn(5, 7, generator=g, dtype=torch.float64).float().requires_grad_()
    b = torch.randn(7, generator=g).requires_grad_()
    kernel_lab.bias_gelu(x, b).square().sum().backward()
    gx, gb = x.grad, b.grad
    x2, b2 = x.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    torch.nn.functional.gelu(x2 + b2, approximate="tanh").square().sum().backward()
    torch.testing.assert_close(gx, x2.grad, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gb, b2.grad, rtol=1e-5, atol=1e-6)
    a = torch.randn(3, 4, generator=g).requires_grad_()
    m = torch.randn(4, 2, generator=g).requires_grad_()
    kernel_lab.gemm(a, m).sum().backward()
    torch.testing.assert_close(a.grad, torch.ones(3, 2) @ m.detach().t())
    torch.testing.assert_close(m.grad, a.detach().t() @ torch.ones(3, 2))


def test_compile_fullgraph_on_cpu(fallback):
    fallback("always")

    @torch.compile(fullgraph=True, backend="eager")
    def f(x, b):
        return kernel_lab.bias_gelu(x, b) * 2

    x, b = torch.randn(8, 16), torch.randn(16)
    torch.testing.assert_close(f(x, b), 2 * torch.nn.functional.gelu(x + b, approximate="tanh"))


def test_numpy_arrays_go_through_dlpack_and_come_back_as_numpy(fallback):
    np = pytest.importorskip("numpy")
    fallback("always")
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    out = kernel_lab.transpose(x)
    assert isinstance(out, np.ndarray) and (out == x.T).all()


def test_the_op_list_is_the_single_source():
    names = [o.name for o in OPS]
    assert len(names) == len(set(names))
    for o in OPS:
        assert o.test_shapes and o.bench_shapes and o.dtypes
        if o.kernel:
            assert getattr(torch.ops.kernel_lab, o.name) is not None
            assert o.check is not None and o.torch_op is not None


INTERPRETED_TWINS = r"""
import importlib, torch
from kernel_lab import OPS
n = 0
for o in OPS:
    if o.triton in ("triton_softmax", "triton_layernorm"):
        twin = importlib.import_module(f"kernel_lab.bench.{o.triton}")
        for shape in o.test_shapes[:3]:
            args = o.make_inputs(shape, torch.float32, "cpu", torch.Generator().manual_seed(1))
            atol, rtol = o.tolerance(torch.float32, shape)
            ref = o.reference(*args)
            ref = ref[0] if isinstance(ref, tuple) else ref
            out = twin.twin(*[a for a in args if isinstance(a, torch.Tensor)])
            torch.testing.assert_close(out, ref, atol=atol, rtol=rtol)
            n += 1
print("checked", n)
"""


def test_triton_twins_match_torch_in_the_interpreter():
    """The row twins in Triton's CPU interpreter (a fresh process: TRITON_INTERPRET must be
    set before triton is imported). The bf16 GEMM twin needs a GPU (its autotuner times
    configs); the GPU tests check it."""
    pytest.importorskip("triton")
    import os
    import subprocess
    import sys

    env = dict(os.environ, TRITON_INTERPRET="1")
    r = subprocess.run([sys.executable, "-c", INTERPRETED_TWINS], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "checked 6" in r.stdout


# The new ops' own rules on CPU (KERNEL_LAB_FALLBACK=always: the torch path).


def test_softmax_other_dims_fall_back_with_the_reason(fallback):
    fallback("auto")
    x = torch.randn(4, 5)
    assert "dim=0: the kernels normalise the last dimension only" in kernel_lab.explain("softmax", x, 0)
    torch.testing.assert_close(kernel_lab.softmax(x, 0), torch.softmax(x, 0))
    with pytest.raises(KernelLabError, match="out of range"):
        kernel_lab.softmax(x, 2)


def test_softmax_of_a_row_of_minus_inf_is_nan_as_torch(fallback):
    fallback("always")
    x = torch.full((2, 7), float("-inf"))
    x[1] = torch.arange(7.0)
    out = kernel_lab.softmax(x)
    assert torch.isnan(out[0]).all() and torch.isnan(torch.softmax(x, -1)[0]).all()
    torch.testing.assert_close(out[1], torch.softmax(x[1], -1))


def test_norms_without_weight_or_over_two_dims_fall_back(fallback):
    fallback("auto")
    x = torch.randn(3, 4, 6)
    assert "both weight and bias" in kernel_lab.explain("layer_norm", x, [6], None, None)
    assert "last dimension only" in kernel_lab.explain("layer_norm", x, [4, 6], torch.ones(4, 6), torch.zeros(4, 6))
    assert "need a weight" in kernel_lab.explain("rms_norm", x, [6])
    torch.testing.assert_close(kernel_lab.layer_norm(x, [4, 6]), torch.nn.functional.layer_norm(x, [4, 6]))
    torch.testing.assert_close(kernel_lab.rms_norm(x, [6]), torch.nn.functional.rms_norm(x, [6]))
    with pytest.raises(KernelLabError, match="normalized_shape"):
        kernel_lab.layer_norm(x, [5])


def test_rms_norm_eps_none_is_torchs_finfo_eps(fallback):
    fallback("always")
    x = (torch.randn(4, 8) * 1e-2).bfloat16()
    w = torch.ones(8, dtype=torch.bfloat16)
    want = torch.nn.functional.rms_norm(x.float(), [8], w.float(), torch.finfo(torch.bfloat16).eps).bfloat16()
    torch.testing.assert_close(kernel_lab.rms_norm(x, [8], w), want)


def test_attention_shapes_the_kernels_do_not_take_fall_back_to_sdpa(fallback):
    fallback("auto")
    q = torch.randn(1, 2, 5, 64, dtype=torch.bfloat16)
    k = torch.randn(1, 2, 7, 64, dtype=torch.bfloat16)
    assert "seq_q = seq_k" in kernel_lab.explain("attention", q, k, k)
    assert "(batch, heads, seq, head_dim)" in kernel_lab.explain("attention", q[0], k[0], k[0])
    sdpa = torch.nn.functional.scaled_dot_product_attention
    torch.testing.assert_close(kernel_lab.attention(q, k, k), sdpa(q, k, k))
    q32 = q.float()
    assert "no float32 kernel" in kernel_lab.explain("attention", q32, q32, q32)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_new_ops_gradients_match_torch_autograd_on_cpu(dtype, fallback):
    """softmax and layer_norm backward (their kernels' torch references on CPU), rms_norm's
    formula and attention's SDPA recompute vs torch's autograd: f32 rtol 1e-5 atol 1e-5,
    bf16 rtol 2e-2 atol 2e-2 (bf16 gradients, f32 math in both)."""
    fallback("always")
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == torch.float32 else dict(rtol=2e-2, atol=2e-2)
    g = torch.Generator().manual_seed(5)
    x = torch.randn(6, 37, generator=g).to(dtype)
    w = (torch.rand(37, generator=g) + 0.5).to(dtype)
    b = torch.randn(37, generator=g).to(dtype)
    dy = torch.randn(6, 37, generator=g).to(dtype)

    def grads(f, *ts):
        ts = [t.detach().clone().requires_grad_() for t in ts]
        f(*ts).float().backward(dy.float())
        return [t.grad for t in ts]

    f32 = lambda t: t.float()
    for got, want in [
        (grads(kernel_lab.softmax, x), grads(lambda a: torch.softmax(f32(a), -1).to(dtype), x)),
        (
            grads(lambda a, c, d: kernel_lab.layer_norm(a, [37], c, d), x, w, b),
            grads(lambda a, c, d: torch.nn.functional.layer_norm(f32(a), [37], f32(c), f32(d)).to(dtype), x, w, b),
        ),
        (
            grads(lambda a, c: kernel_lab.rms_norm(a, [37], c, 1e-6), x, w),
            grads(lambda a, c: torch.nn.functional.rms_norm(f32(a), [37], f32(c), 1e-6).to(dtype), x, w),
        ),
    ]:
        for a, e in zip(got, want):
            torch.testing.assert_close(a, e, **tol)
    if dtype == torch.bfloat16:
        q, k, v = (torch.randn(1, 2, 9, 64, generator=g).bfloat16() for _ in range(3))
        sdpa = torch.nn.functional.scaled_dot_product_attention
        got = [t.detach().clone().requires_grad_() for t in (q, k, v)]
        kernel_lab.attention(*got, True).sum().backward()
        ref = [t.detach().clone().requires_grad_() for t in (q, k, v)]
        sdpa(*ref, is_causal=True).sum().backward()
        for a, e in zip(got, ref):
            torch.testing.assert_close(a.grad, e.grad, rtol=0, atol=0)


def test_new_ops_compile_fullgraph_on_cpu(fallback):
    fallback("always")

    @torch.compile(fullgraph=True, backend="eager")
    def f(x, w, b):
        return kernel_lab.layer_norm(kernel_lab.softmax(x), [16], w, b) + kernel_lab.rms_norm(x, [16], w)

    x, w, b = torch.randn(8, 16), torch.rand(16) + 0.5, torch.randn(16)
    F = torch.nn.functional
    want = F.layer_norm(torch.softmax(x, -1), [16], w, b) + F.rms_norm(x, [16], w, torch.finfo(torch.float32).eps)
    torch.testing.assert_close(f(x, w, b), want)
