"""The ops on a CUDA device: every kernel op vs torch on awkward shapes and dtypes, explain,
opcheck, torch.compile(fullgraph=True), CUDA-graph capture and replay, autograd, JAX and CuPy
through DLPack, error paths, and the Triton twins. Each test skips with one line without a
GPU, and fails instead under KLAB_REQUIRE_GPU=1."""

import importlib

import pytest
import torch

import kernel_lab
from kernel_lab import OPS, KernelLabError
from kernel_lab import _runtime as _rt
from kernel_lab._ops import as_tuple

KERNEL_OPS = [o for o in OPS if o.kernel]
CASES = [(o, s, d) for o in KERNEL_OPS for s in o.test_shapes for d in o.dtypes]


def inputs_of(op, shape, dtype, device, seed=0):
    return op.make_inputs(shape, dtype, device, torch.Generator().manual_seed(seed))


def assert_matches(op, out, args, shape, dtype):
    """Every output (the public function's one, or all of the op's) vs the checked reference."""
    atol, rtol = op.tolerance(dtype, shape)
    for o, ref in zip(as_tuple(out), as_tuple(op.checked_reference(*args))):
        assert o.shape == ref.shape and o.dtype == ref.dtype
        assert not torch.isnan(o).any(), "NaN in the kernel's output"
        torch.testing.assert_close(o, ref, atol=atol, rtol=rtol)


def ladder_of(op):
    return _rt.native_ops()[op.name]["ladder"]


def grad_if(a, op):
    if isinstance(a, torch.Tensor) and op.differentiable and a.dtype.is_floating_point:
        return a.requires_grad_()
    return a


@pytest.mark.parametrize(
    "op, shape, dtype", CASES, ids=[f"{o.name}-{'x'.join(map(str, s))}-{str(d)[6:]}" for o, s, d in CASES]
)
def test_kernel_matches_torch(op, shape, dtype, cuda, fallback):
    fallback("never")  # kernel or error
    args = inputs_of(op, shape, dtype, cuda)
    why = kernel_lab.explain(op.name, *args)
    assert why.startswith(f"kernel: {ladder_of(op)}/"), why
    out = getattr(kernel_lab, op.name)(*args)
    torch.cuda.synchronize()
    assert_matches(op, out, args, shape, dtype)


def test_the_top_steps_are_the_registered_ones(cuda):
    cc = torch.cuda.get_device_capability(cuda)
    x = torch.ones(64, 64, device=cuda)
    xb = x.bfloat16()
    assert kernel_lab.explain("reduce_sum", x).startswith("kernel: reduce_sum/8 ")
    assert kernel_lab.explain("reduce_sum", xb).startswith("kernel: reduce_sum/9 ")
    assert kernel_lab.explain("transpose", x).startswith("kernel: transpose/5 ")
    assert kernel_lab.explain("transpose", xb).startswith("kernel: transpose/6 ")
    assert kernel_lab.explain("gemm", x, x).startswith("kernel: gemm/9 ")
    top = "gemm_bf16/6" if cc == (9, 0) else "gemm_bf16/4"
    assert kernel_lab.explain("gemm_bf16", xb, xb).startswith(f"kernel: {top} ")


def test_non_contiguous_inputs_are_copied_and_misaligned_ones_fall_back(cuda, fallback):
    from kernel_lab import _runtime as rt

    fallback("auto")
    rt._warned.clear()
    x = torch.randn(64, 96, device=cuda)
    v = x.t()  # non-contiguous: made contiguous, still the kernel
    assert kernel_lab.explain("transpose", v).startswith("kernel: transpose/5")
    torch.testing.assert_close(kernel_lab.transpose(v), x)
    odd = torch.randn(1001, device=cuda)[1:]  # 4-byte offset: not 16-byte aligned
    assert "aligned" in kernel_lab.explain("reduce_sum", odd)
    with pytest.warns(RuntimeWarning, match="aligned"):
        torch.testing.assert_close(kernel_lab.reduce_sum(odd), odd.sum(), rtol=1e-5, atol=1e-4)


def test_bad_calls_on_the_gpu_raise_clear_errors(cuda, fallback):
    fallback("never")
    with pytest.raises(KernelLabError, match="cpu"):
        kernel_lab.transpose(torch.ones(3, 3))
    with pytest.raises(KernelLabError, match="no float16 kernel"):
        kernel_lab.transpose(torch.ones(3, 3, device=cuda, dtype=torch.float16))
    with pytest.raises(KernelLabError, match=r"a \(m, k\) and b \(k, n\)"):
        kernel_lab.gemm(torch.ones(3, 4, device=cuda), torch.ones(3, 4, device=cuda))
    with pytest.raises(KernelLabError, match="different devices"):
        kernel_lab.bias_gelu(torch.ones(3, 4, device=cuda), torch.ones(4))
    with pytest.raises(KernelLabError, match="empty tensor"):
        kernel_lab.transpose(torch.ones(0, 4, device=cuda))
    # the interpreter and the device are still fine
    torch.cuda.synchronize()
    assert kernel_lab.reduce_sum(torch.ones(10, device=cuda)).item() == 10.0


def test_native_launch_errors_name_op_step_and_shape(cuda):
    from kernel_lab import _runtime as rt

    with pytest.raises(KernelLabError, match=r"kernel_lab.transpose: transpose/5 .*\[4, 4\].*takes 2 device addresses"):
        rt._native.launch("transpose", "transpose/5", "f32", [4, 4], [1], 0, cuda.index or 0)
    with pytest.raises(KernelLabError, match="null device address"):
        rt._native.launch("transpose", "transpose/5", "f32", [4, 4], [0, 0], 0, cuda.index or 0)


def test_kernels_run_on_torchs_current_stream(cuda, fallback):
    fallback("never")
    s = torch.cuda.Stream()
    x = torch.randn(2048, 2048, device=cuda)
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        torch.cuda._sleep(1_000_000)  # the side stream is busy: a kernel on it waits
        y = kernel_lab.transpose(x)
    s.synchronize()
    torch.testing.assert_close(y, x.t())


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_opcheck_on_cuda(op, cuda, fallback):
    fallback("never")
    shape = op.test_shapes[2]
    args = tuple(grad_if(a, op) for a in inputs_of(op, shape, op.dtypes[0], cuda))
    torch.library.opcheck(op.torch_op.default, args)


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_compile_fullgraph(op, cuda, fallback):
    fallback("never")
    shape = op.test_shapes[2]
    args = inputs_of(op, shape, op.dtypes[-1], cuda)
    # One lambda's code object for every op: without a reset, the ops after the eighth hit
    # Dynamo's recompile limit (8), which fullgraph=True turns into a failure.
    torch._dynamo.reset()
    f = torch.compile(lambda *a: getattr(kernel_lab, op.name)(*a), fullgraph=True)
    assert_matches(op, f(*args), args, shape, op.dtypes[-1])


@pytest.mark.parametrize("op", KERNEL_OPS, ids=lambda o: o.name)
def test_cuda_graph_capture_and_replay(op, cuda, fallback):
    fallback("never")
    shape = op.test_shapes[-1]
    dtype = op.dtypes[-1]
    static = inputs_of(op, shape, dtype, cuda)
    fn = getattr(kernel_lab, op.name)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        fn(*static)  # warm-up: modules loaded, tensor maps uploaded
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = fn(*static)
    for seed in (1, 2):
        fresh = inputs_of(op, shape, dtype, cuda, seed)
        for st, f in zip(static, fresh):
            if isinstance(st, torch.Tensor):
                st.copy_(f)
        g.replay()
        torch.cuda.synchronize()
        assert_matches(op, out, static, shape, dtype)


def test_autograd_through_the_kernels(cuda, fallback):
    fallback("never")
    a = torch.randn(65, 33, device=cuda, requires_grad=True)
    b = torch.randn(33, 17, device=cuda, requires_grad=True)
    kernel_lab.gemm(a, b).square().sum().backward()
    a2, b2 = a.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    (a2 @ b2).square().sum().backward()
    torch.testing.assert_close(a.grad, a2.grad, rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(b.grad, b2.grad, rtol=1e-4, atol=1e-3)
    x = torch.randn(31, 33, device=cuda, requires_grad=True)
    kernel_lab.transpose(x).mul(torch.arange(31, device=cuda)).sum().backward()
    torch.testing.assert_close(x.grad, torch.arange(31, device=cuda, dtype=torch.float32)[:, None].expand(31, 33))
    s = torch.randn(1000, device=cuda, dtype=torch.bfloat16, requires_grad=True)
    kernel_lab.reduce_sum(s).backward()
    assert s.grad.dtype == torch.bfloat16 and bool((s.grad == 1).all())


def test_jax_arrays_through_dlpack(cuda, fallback):
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    if not any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("jax has no GPU device")
    fallback("never")
    x = jnp.arange(64 * 96, dtype=jnp.float32).reshape(64, 96)
    y = kernel_lab.transpose(x)
    assert isinstance(y, jax.Array)
    assert bool((y == x.T).all())
    b = jnp.ones((96,), dtype=jnp.bfloat16)
    g = kernel_lab.bias_gelu(x.astype(jnp.bfloat16) / 1000, b)
    assert isinstance(g, jax.Array) and g.dtype == jnp.bfloat16


def test_cupy_arrays_through_dlpack(cuda, fallback):
    cupy = pytest.importorskip("cupy")
    fallback("never")
    x = cupy.random.rand(257, 129, dtype=cupy.float32)
    y = kernel_lab.transpose(x)
    assert isinstance(y, cupy.ndarray)
    assert bool((y == x.T).all())
    s = kernel_lab.reduce_sum(x)
    assert isinstance(s, cupy.ndarray)
    assert abs(float(s) - float(x.sum())) <= 1e-3 * abs(float(x.sum()))
    # zero-copy in: the torch view of the same memory
    t = torch.from_dlpack(x)
    assert t.data_ptr() == x.data.ptr


@pytest.mark.parametrize("op", [o for o in OPS if o.triton], ids=lambda o: o.name)
def test_triton_twins_match_torch(op, cuda):
    pytest.importorskip("triton")
    twin = importlib.import_module(f"kernel_lab.bench.{op.triton}")
    for shape in op.test_shapes:
        for dtype in op.dtypes:
            args = inputs_of(op, shape, dtype, cuda)
            out = twin.twin(*[a for a in args if isinstance(a, torch.Tensor)])
            torch.cuda.synchronize()
            assert_matches(op, out, args, shape, dtype)


def test_the_new_top_steps_are_the_registered_ones(cuda):
    x = torch.randn(64, 256, device=cuda)
    w, b = torch.ones(256, device=cuda), torch.zeros(256, device=cuda)
    for name, args in [
        ("softmax", (x,)),
        ("softmax_backward", (x, x)),
        ("layer_norm", (x, [256], w, b)),
        ("rms_norm", (x, [256], w)),
    ]:
        for t in (torch.float32, torch.bfloat16):
            conv = tuple(a.to(t) if isinstance(a, torch.Tensor) else a for a in args)
            assert kernel_lab.explain(name, *conv).startswith("kernel: "), (name, t)
    q = torch.randn(1, 2, 64, 128, device=cuda, dtype=torch.bfloat16)
    assert kernel_lab.explain("attention", q, q, q, True).startswith("kernel: attention/")


def test_softmax_special_values_as_torch(cuda, fallback):
    """A row of -inf is NaN (0/0), as torch; +inf in a row makes it NaN; -inf elements are 0."""
    fallback("never")
    for dtype in (torch.float32, torch.bfloat16):
        x = torch.randn(4, 100, device=cuda).to(dtype)
        x[0] = float("-inf")
        x[1, 3] = float("inf")
        x[2, ::2] = float("-inf")
        x[3] += 1e4
        out, want = kernel_lab.softmax(x), torch.softmax(x.float(), -1).to(dtype)
        assert torch.isnan(out[0]).all() and torch.isnan(want[0]).all()
        assert torch.isnan(out[1]).sum() == torch.isnan(want[1]).sum()
        torch.testing.assert_close(out[2:], want[2:], atol=2e-3, rtol=1.6e-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 1023), (1023, 1), (31, 33), (3, 100003)], ids=str)
def test_row_op_gradients_through_the_kernels_match_torch(shape, dtype, cuda, fallback):
    """softmax (softmax_backward kernel), layer_norm (layernorm_backward kernel) and rms_norm
    (torch formula) vs torch's autograd of the f32 formulas. Tolerances: f32 atol 1e-4 rtol
    1e-4 (dw, db are column sums over the rows: 1e-4 sqrt(rows) more); bf16 atol 5e-2 rtol
    2e-2 (bf16 gradients)."""
    fallback("never")
    g = torch.Generator().manual_seed(11)
    rows, cols = shape
    x = (torch.rand(shape, generator=g) * 6 - 3).to(device=cuda, dtype=dtype)
    w = (torch.rand(cols, generator=g) + 0.5).to(device=cuda, dtype=dtype)
    b = (torch.rand(cols, generator=g) - 0.5).to(device=cuda, dtype=dtype)
    dy = (torch.rand(shape, generator=g) * 2 - 1).to(device=cuda, dtype=dtype)
    extra = 1e-4 * rows**0.5
    tol = dict(atol=1e-4 + extra, rtol=1e-4) if dtype == torch.float32 else dict(atol=5e-2 + extra, rtol=2e-2)
    F = torch.nn.functional
    f32 = lambda t: t.float()

    def grads(f, *ts):
        ts = [t.detach().clone().requires_grad_() for t in ts]
        f(*ts).float().backward(dy.float())
        return [t.grad for t in ts]

    cases = [
        (lambda a: kernel_lab.softmax(a), lambda a: torch.softmax(f32(a), -1), (x,)),
        (
            lambda a, c, d: kernel_lab.layer_norm(a, [cols], c, d),
            lambda a, c, d: F.layer_norm(f32(a), [cols], f32(c), f32(d)),
            (x, w, b),
        ),
        (lambda a, c: kernel_lab.rms_norm(a, [cols], c, 1e-6), lambda a, c: F.rms_norm(f32(a), [cols], f32(c), 1e-6), (x, w)),
    ]
    for mine, theirs, ts in cases:
        for got, want in zip(grads(mine, *ts), grads(theirs, *ts)):
            torch.testing.assert_close(got.float(), want.float(), **tol)


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("seq, d", [(1, 64), (17, 128), (129, 64), (1000, 128)], ids=str)
def test_attention_forward_and_backward_vs_torch(seq, d, causal, cuda, fallback):
    """O vs SDPA's math backend in f32 (atol = rtol = 1/128: bf16 P and O roundings, twice the
    Rust ladder's o_tolerance for |v| <= 1); dq, dk, dv are SDPA's own (the backward recomputes
    with it): equal to SDPA's autograd within bf16 rounding of O's difference (atol 2e-2)."""
    fallback("never")
    g = torch.Generator().manual_seed(seq + d)
    q, k, v = ((torch.rand(2, 3, seq, d, generator=g) * 2 - 1).to(cuda, torch.bfloat16) for _ in range(3))
    assert kernel_lab.explain("attention", q, k, v, causal).startswith("kernel: attention/")
    spec = [o for o in OPS if o.name == "attention"][0]
    out = kernel_lab.attention(q, k, v, causal)
    assert_matches(spec, out, (q, k, v, causal), (2, 3, seq, d, int(causal)), torch.bfloat16)
    mine = [t.clone().requires_grad_() for t in (q, k, v)]
    kernel_lab.attention(*mine, causal).float().square().sum().backward()
    ref = [t.clone().requires_grad_() for t in (q, k, v)]
    torch.nn.functional.scaled_dot_product_attention(*ref, is_causal=causal).float().square().sum().backward()
    for a, e in zip(mine, ref):
        torch.testing.assert_close(a.grad.float(), e.grad.float(), atol=2e-2, rtol=2e-2)
