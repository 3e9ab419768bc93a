// CUDA C++ twin of the bf16 GEMM ladder's step 4 (kernels-gpu/src/gemm_bf16/
// s04_swizzled_warptile.rs and common.rs): the same 128x256x64 block tile, 8 warps of 64x64,
// 3 cp.async stages with the 128-byte XOR swizzle, A fragments double-buffered and B loaded one
// n16 pair at a time, the same per-lane ldmatrix offsets, the same edge handling (a fast loop
// when rows of A and B are 16-byte aligned, an edge loop with guarded 16-bit loads otherwise),
// the same epilogue, the same parameter struct. mma.sync, ldmatrix and cp.async are inline PTX,
// as in the Rust device API. Compiled at run time with NVRTC for the device's architecture,
// launched with the very launch the Rust step gets.

#include <cuda_bf16.h>

struct GemmBf16Params {        // == kernels_gpu::gemm_bf16::GemmBf16Params (#[repr(C)], 48 bytes)
    const __nv_bfloat16* a;
    const __nv_bfloat16* b;
    float* c;
    unsigned m, n, k;
    float alpha, beta;
};

// The block's dynamic shared memory (at file scope: an `extern` array in an unnamed namespace
// would have internal linkage).
extern __shared__ __align__(16) unsigned char klab_twin_bf16_smem[];

namespace {

constexpr unsigned BM = 128, BN = 256, BK = 64, WM = 64, WN = 64, STAGES = 3;
constexpr unsigned WARPS_N = BN / WN, THREADS = 32 * (BM / WM) * WARPS_N;
constexpr unsigned MI = WM / 16, NI = WN / 8, KSTEPS = BK / 16;
constexpr unsigned A_ROW = 2 * BK, B_ROW = 2 * BN;  // bytes per tile row
constexpr unsigned A_BYTES = 2 * BM * BK, STAGE_BYTES = A_BYTES + 2 * BK * BN;
constexpr unsigned A_CHUNKS = BM * BK / 8 / THREADS, B_CHUNKS = BK * BN / 8 / THREADS;
static_assert(THREADS == 256 && A_CHUNKS == 4 && B_CHUNKS == 8, "step 4's tile");

// klab:ptx-primitives begin (tests/emu/gemm_bf16_twin_harness.cpp emulates these on the CPU)
__device__ __forceinline__ unsigned smem_base() {
    return static_cast<unsigned>(__cvta_generic_to_shared(klab_twin_bf16_smem));
}

__device__ __forceinline__ void cp_async_16_zfill(unsigned dst, const void* src, unsigned bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldsm_x4(unsigned addr, unsigned (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_trans(unsigned addr, unsigned (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                          unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void st_shared_v4(unsigned addr, uint4 v) {
    asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"r"(addr), "r"(v.x), "r"(v.y), "r"(v.z),
                 "r"(v.w));
}
// klab:ptx-primitives end

// Byte offset of 16-byte chunk `chunk` of row `row`: chunk ^ (row % 8) (kernels_gpu::swizzle).
__device__ __forceinline__ unsigned swz(unsigned row, unsigned chunk, unsigned row_bytes) {
    return row * row_bytes + ((chunk ^ (row & 7)) << 4);
}

__device__ __forceinline__ bool a_vec_ok(const GemmBf16Params& p) {
    return p.k % 8 == 0 && reinterpret_cast<unsigned long long>(p.a) % 16 == 0;
}
__device__ __forceinline__ bool b_vec_ok(const GemmBf16Params& p) {
    return p.n % 8 == 0 && reinterpret_cast<unsigned long long>(p.b) % 16 == 0;
}

// Bits of element (r, c) of a rows x cols row-major bf16 matrix, 0 outside.
__device__ __forceinline__ unsigned bits(const __nv_bfloat16* x, unsigned rows, unsigned cols,
                                         unsigned r, unsigned c) {
    if (r < rows && c < cols)
        return __ldg(reinterpret_cast<const unsigned short*>(x) + (unsigned long long)r * cols + c);
    return 0;
}

// This thread's N chunks of the tile COLS wide at (row0, col0) of x into the shared tile at
// `base` (swizzled rows of ROW_BYTES): cp.async 16 B zero-filled outside when `vec`, else eight
// guarded 16-bit loads and one 128-bit shared store per chunk (common.rs, copy_tile_async).
template <unsigned COLS, unsigned ROW_BYTES, unsigned N>
__device__ __forceinline__ void copy_tile(const __nv_bfloat16* x, unsigned rows, unsigned cols,
                                          bool vec, unsigned row0, unsigned col0, unsigned base,
                                          unsigned tid) {
    constexpr unsigned PER_ROW = COLS / 8;
    if (vec) {
#pragma unroll
        for (unsigned j = 0; j < N; ++j) {
            const unsigned q = tid + THREADS * j, r = q / PER_ROW, c = 8 * (q % PER_ROW);
            const unsigned gr = row0 + r, gc = col0 + c;
            const bool inside = gr < rows && gc < cols;
            const void* src = inside ? static_cast<const void*>(x + (unsigned long long)gr * cols + gc)
                                     : static_cast<const void*>(x);
            cp_async_16_zfill(base + swz(r, c / 8, ROW_BYTES), src, inside ? 16u : 0u);
        }
    } else {
#pragma unroll
        for (unsigned j = 0; j < N; ++j) {
            const unsigned q = tid + THREADS * j, r = q / PER_ROW, c = 8 * (q % PER_ROW);
            const unsigned gr = row0 + r, gc = col0 + c;
            uint4 v;
            v.x = bits(x, rows, cols, gr, gc + 0) | bits(x, rows, cols, gr, gc + 1) << 16;
            v.y = bits(x, rows, cols, gr, gc + 2) | bits(x, rows, cols, gr, gc + 3) << 16;
            v.z = bits(x, rows, cols, gr, gc + 4) | bits(x, rows, cols, gr, gc + 5) << 16;
            v.w = bits(x, rows, cols, gr, gc + 6) | bits(x, rows, cols, gr, gc + 7) << 16;
            st_shared_v4(base + swz(r, c / 8, ROW_BYTES), v);
        }
    }
}

// The copies of k-tile kt into stage s (the caller commits).
__device__ __forceinline__ void issue(const GemmBf16Params& p, bool va, bool vb, unsigned bm0,
                                      unsigned bn0, unsigned kt, unsigned s, unsigned tid) {
    const unsigned base = smem_base() + s * STAGE_BYTES, k0 = kt * BK;
    copy_tile<BK, A_ROW, A_CHUNKS>(p.a, p.m, p.k, va, bm0, k0, base, tid);
    copy_tile<BN, B_ROW, B_CHUNKS>(p.b, p.k, p.n, vb, k0, bn0, base + A_BYTES, tid);
}

// Per-lane ldmatrix offsets (s04_swizzled_warptile.rs, LaneOffsets).
struct LaneOffsets {
    unsigned a[KSTEPS], b[NI / 2];
    __device__ __forceinline__ LaneOffsets(unsigned lane, unsigned wm, unsigned wn) {
        const unsigned r = lane % 16, h = lane / 16, c0 = h ^ (lane % 8);
#pragma unroll
        for (unsigned ks = 0; ks < KSTEPS; ++ks) a[ks] = (wm + r) * A_ROW + 16 * ((2 * ks) ^ c0);
#pragma unroll
        for (unsigned jj = 0; jj < NI / 2; ++jj) b[jj] = r * B_ROW + 2 * wn + 16 * ((2 * jj) ^ c0);
    }
};

__device__ __forceinline__ void load_a(unsigned s, unsigned ks, const LaneOffsets& o,
                                       unsigned (&fa)[MI][4]) {
    const unsigned a = smem_base() + s * STAGE_BYTES;
#pragma unroll
    for (unsigned i = 0; i < MI; ++i) ldsm_x4(a + o.a[ks] + (16 * A_ROW) * i, fa[i]);
}

__device__ __forceinline__ void load_b_pair(unsigned s, unsigned ks, unsigned jj,
                                            const LaneOffsets& o, unsigned (&b)[4]) {
    const unsigned base = smem_base() + s * STAGE_BYTES + A_BYTES;
    ldsm_x4_trans(base + o.b[jj] + (16 * B_ROW) * ks, b);
}

// C[row, col .. col+2] = alpha*v + beta*C, the part inside C (common.rs, store_pair).
__device__ __forceinline__ void store_pair(const GemmBf16Params& p, bool vec2, unsigned row,
                                           unsigned col, float v0, float v1) {
    if (row >= p.m || col >= p.n) return;
    const unsigned long long i = (unsigned long long)row * p.n + col;
    float o0 = p.alpha * v0, o1 = p.alpha * v1;
    if (vec2 && col + 2 <= p.n) {
        float2* dst = reinterpret_cast<float2*>(p.c + i);
        if (p.beta != 0.f) {
            const float2 old = *dst;
            o0 = fmaf(p.beta, old.x, o0);
            o1 = fmaf(p.beta, old.y, o1);
        }
        *dst = make_float2(o0, o1);
    } else {
        if (p.beta != 0.f) o0 = fmaf(p.beta, p.c[i], o0);
        p.c[i] = o0;
        if (col + 1 < p.n) {
            if (p.beta != 0.f) o1 = fmaf(p.beta, p.c[i + 1], o1);
            p.c[i + 1] = o1;
        }
    }
}

__device__ __forceinline__ void epilogue(const GemmBf16Params& p, const float (&acc)[MI][NI][4],
                                         unsigned row0, unsigned col0, unsigned lane) {
    const bool vec2 = p.n % 2 == 0 && reinterpret_cast<unsigned long long>(p.c) % 8 == 0;
    const unsigned r = lane / 4, c = 2 * (lane % 4);
#pragma unroll
    for (unsigned i = 0; i < MI; ++i)
#pragma unroll
        for (unsigned j = 0; j < NI; ++j) {
            const unsigned row = row0 + 16 * i + r, col = col0 + 8 * j + c;
            store_pair(p, vec2, row, col, acc[i][j][0], acc[i][j][1]);
            store_pair(p, vec2, row + 8, col, acc[i][j][2], acc[i][j][3]);
        }
}

__device__ __forceinline__ void mainloop_fast(const GemmBf16Params& p) {
    const unsigned tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const unsigned wm = WM * (warp / WARPS_N), wn = WN * (warp % WARPS_N);
    const unsigned bm0 = blockIdx.y * BM, bn0 = blockIdx.x * BN;
    float acc[MI][NI][4] = {};
    const unsigned ktiles = (p.k + BK - 1) / BK;
#pragma unroll
    for (unsigned s = 0; s < STAGES - 1; ++s) {
        if (s < ktiles) issue(p, true, true, bm0, bn0, s, s, tid);
        cp_async_commit();
    }
    cp_async_wait<STAGES - 2>();
    __syncthreads();
    const LaneOffsets offsets(lane, wm, wn);
    unsigned fa[2][MI][4];
    load_a(0, 0, offsets, fa[0]);
    unsigned read = 0, write = STAGES - 1;
    for (unsigned kt = 0; kt < ktiles; ++kt) {
#pragma unroll
        for (unsigned ks = 0; ks < KSTEPS; ++ks) {
            if (ks + 1 < KSTEPS) load_a(read, ks + 1, offsets, fa[(ks + 1) % 2]);
            if (ks == 0) {
                const unsigned nt = kt + STAGES - 1;
                if (nt < ktiles) issue(p, true, true, bm0, bn0, nt, write, tid);
                cp_async_commit();
                write = write == STAGES - 1 ? 0 : write + 1;
            }
#pragma unroll
            for (unsigned jj = 0; jj < NI / 2; ++jj) {
                unsigned b[4];
                load_b_pair(read, ks, jj, offsets, b);
#pragma unroll
                for (unsigned i = 0; i < MI; ++i) {
                    mma_16816(acc[i][2 * jj], fa[ks % 2][i], b[0], b[1]);
                    mma_16816(acc[i][2 * jj + 1], fa[ks % 2][i], b[2], b[3]);
                }
            }
        }
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        read = read == STAGES - 1 ? 0 : read + 1;
        load_a(read, 0, offsets, fa[0]);
    }
    cp_async_wait<0>();
    epilogue(p, acc, bm0 + wm, bn0 + wn, lane);
}

__device__ __forceinline__ void mainloop_edge(const GemmBf16Params& p) {
    const unsigned tid = threadIdx.x, lane = tid % 32, warp = tid / 32;
    const unsigned wm = WM * (warp / WARPS_N), wn = WN * (warp % WARPS_N);
    const unsigned bm0 = blockIdx.y * BM, bn0 = blockIdx.x * BN;
    const bool va = a_vec_ok(p), vb = b_vec_ok(p);
    float acc[MI][NI][4] = {};
    const unsigned ktiles = (p.k + BK - 1) / BK;
#pragma unroll
    for (unsigned s = 0; s < STAGES - 1; ++s) {
        if (s < ktiles) issue(p, va, vb, bm0, bn0, s, s, tid);
        cp_async_commit();
    }
    const LaneOffsets offsets(lane, wm, wn);
    for (unsigned kt = 0; kt < ktiles; ++kt) {
        cp_async_wait<STAGES - 2>();
        __syncthreads();
        const unsigned next = kt + STAGES - 1;
        if (next < ktiles) issue(p, va, vb, bm0, bn0, next, next % STAGES, tid);
        cp_async_commit();
        const unsigned s = kt % STAGES;
#pragma unroll
        for (unsigned ks = 0; ks < KSTEPS; ++ks) {
            unsigned fa[MI][4], fb[NI / 2][4];
            load_a(s, ks, offsets, fa);
#pragma unroll
            for (unsigned jj = 0; jj < NI / 2; ++jj) load_b_pair(s, ks, jj, offsets, fb[jj]);
#pragma unroll
            for (unsigned i = 0; i < MI; ++i)
#pragma unroll
                for (unsigned jj = 0; jj < NI / 2; ++jj) {
                    mma_16816(acc[i][2 * jj], fa[i], fb[jj][0], fb[jj][1]);
                    mma_16816(acc[i][2 * jj + 1], fa[i], fb[jj][2], fb[jj][3]);
                }
        }
    }
    cp_async_wait<0>();
    epilogue(p, acc, bm0 + wm, bn0 + wn, lane);
}

}  // namespace

extern "C" __global__ void __launch_bounds__(256, 1) gemm_bf16_twin_s04(const GemmBf16Params p) {
    if (a_vec_ok(p) && b_vec_ok(p))
        mainloop_fast(p);
    else
        mainloop_edge(p);
}
