"""The package without a GPU: fallbacks, explain, the environment overrides, error messages,
the native module's no-driver behaviour, fake tensors, opcheck on CPU. Runs in CI."""

import warnings

import pytest
import torch

import kernel_lab
from kernel_lab import OPS, KernelLabError
from kernel_lab import _runtime as rt

KERNEL_OPS = [o for o in OPS if o.kernel]


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
    torch.testing.assert_close(out, op.reference(*args), rtol=0, atol=0)
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
    torch.testing.assert_close(out, op.reference(*args), rtol=0, atol=0)


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
    want = op.reference(*args)
    meta = [a.to("meta") for a in args]
    out = op.torch_op(*meta)
    assert out.device.type == "meta" and out.shape == want.shape and out.dtype == want.dtype
    from torch._subclasses.fake_tensor import FakeTensorMode

    with FakeTensorMode() as mode:
        fake = [mode.from_tensor(a) for a in args]
        out = op.torch_op(*fake)
        assert out.shape == want.shape and out.dtype == want.dtype


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_opcheck_on_cpu(op, fallback):
    fallback("always")
    args = [a.requires_grad_(a.dtype.is_floating_point) for a in inputs_of(op)]
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
            torch.testing.assert_close(twin.twin(*args), o.reference(*args), atol=atol, rtol=rtol)
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
