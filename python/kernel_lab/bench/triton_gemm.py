"""Triton twin of the bf16 GEMM: `c = a @ b`, a and b bf16, f32 accumulation and f32 c,
row-major, autotuned over block shapes, stages and warps (the Triton tutorial's matmul with
grouped tile order for L2 reuse). A baseline only; imported lazily.

FLOPs 2·M·N·K; bytes at least 2·(M·K + K·N) + 4·M·N.
"""

import os

import torch
import triton
import triton.language as tl


def _configs():
    out = []
    for bm, bn, bk, s, w in [
        (128, 256, 64, 3, 8),
        (256, 128, 64, 3, 8),
        (128, 128, 64, 4, 4),
        (128, 128, 64, 3, 8),
        (64, 128, 64, 4, 4),
        (128, 64, 64, 4, 4),
        (64, 64, 64, 4, 4),
    ]:
        out.append(
            triton.Config({"BM": bm, "BN": bn, "BK": bk, "GROUP": 8}, num_stages=s, num_warps=w)
        )
    return out


@triton.jit
def _gemm_kernel(a_ptr, b_ptr, c_ptr, M, N, K, sam, sak, sbk, sbn, scm, scn,
                 BM: tl.constexpr, BN: tl.constexpr, BK: tl.constexpr, GROUP: tl.constexpr):
    pid = tl.program_id(0)
    grid_m = tl.cdiv(M, BM)
    grid_n = tl.cdiv(N, BN)
    per_group = GROUP * grid_n
    group = pid // per_group
    first_m = group * GROUP
    size_m = tl.minimum(grid_m - first_m, GROUP)
    pid_m = first_m + ((pid % per_group) % size_m)
    pid_n = (pid % per_group) // size_m
    rm = pid_m * BM + tl.arange(0, BM)
    rn = pid_n * BN + tl.arange(0, BN)
    rk = tl.arange(0, BK)
    a = a_ptr + rm[:, None] * sam + rk[None, :] * sak
    b = b_ptr + rk[:, None] * sbk + rn[None, :] * sbn
    acc = tl.zeros((BM, BN), dtype=tl.float32)
    for k0 in range(0, K, BK):
        kk = k0 + rk
        av = tl.load(a, mask=(rm[:, None] < M) & (kk[None, :] < K), other=0.0)
        bv = tl.load(b, mask=(kk[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = tl.dot(av, bv, acc)
        a += BK * sak
        b += BK * sbk
    c = c_ptr + rm[:, None] * scm + rn[None, :] * scn
    tl.store(c, acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


_tuned = triton.autotune(configs=_configs(), key=["M", "N", "K"])(_gemm_kernel)


def gemm_bf16(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    m, k = a.shape
    _, n = b.shape
    c = torch.empty((m, n), device=a.device, dtype=torch.float32)
    grid = lambda meta: (triton.cdiv(m, meta["BM"]) * triton.cdiv(n, meta["BN"]),)  # noqa: E731
    args = (a, b, c, m, n, k, a.stride(0), a.stride(1), b.stride(0), b.stride(1),
            c.stride(0), c.stride(1))
    if os.environ.get("TRITON_INTERPRET") == "1":
        # The interpreter (CPU tests) cannot time configs: one fixed tile.
        _gemm_kernel[grid](*args, BM=32, BN=32, BK=32, GROUP=8)
    else:
        _tuned[grid](*args)
    return c


def twin(a, b):
    return gemm_bf16(a, b)
