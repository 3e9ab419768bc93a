// CUDA C++ twin of the GEMM ladder's steps 8/9 (kernels-gpu/src/gemm/s08_double_buffered.rs
// and s07_warptile.rs): the same warp tiling, the same double buffering with a register
// prefetch, the same edge handling, the same parameter struct. Compiled at run time with NVRTC
// for the device's architecture; one extern "C" kernel per step-9 variant
// (gemm_s09_autotuned* -> gemm_twin_s09*), launched with the very launch the Rust variant gets.

struct GemmParams {            // == kernels_gpu::gemm::GemmParams (#[repr(C)], 48 bytes)
    const float* a;
    const float* b;
    float* c;
    unsigned m, n, k;
    float alpha, beta;
};

extern __shared__ __align__(16) float klab_twin_smem[];

// Elements (row, col .. col+4) of a rows x cols row-major matrix, 0 outside it.
__device__ __forceinline__ float4 load4(const float* __restrict__ x, unsigned rows, unsigned cols,
                                        bool vec, unsigned row, unsigned col) {
    if (vec && row < rows && col + 4 <= cols) {
        return __ldg(reinterpret_cast<const float4*>(x + ((unsigned long long)row * cols + col)));
    }
    float v[4] = {0.f, 0.f, 0.f, 0.f};
    if (row < rows) {
        unsigned long long base = (unsigned long long)row * cols + col;
#pragma unroll
        for (int j = 0; j < 4; ++j)
            if (col + j < cols) v[j] = __ldg(x + base + j);
    }
    return make_float4(v[0], v[1], v[2], v[3]);
}

__device__ __forceinline__ void store1(const GemmParams& p, unsigned row, unsigned col, float acc) {
    if (row < p.m && col < p.n) {
        unsigned long long i = (unsigned long long)row * p.n + col;
        float v = p.alpha * acc;
        if (p.beta != 0.f) v = fmaf(p.beta, p.c[i], v);
        p.c[i] = v;
    }
}

__device__ __forceinline__ void store4(const GemmParams& p, bool vec, unsigned row, unsigned col,
                                       float a0, float a1, float a2, float a3) {
    if (row >= p.m) return;
    if (vec && col + 4 <= p.n) {
        float4* dst = reinterpret_cast<float4*>(p.c + ((unsigned long long)row * p.n + col));
        float4 v = make_float4(p.alpha * a0, p.alpha * a1, p.alpha * a2, p.alpha * a3);
        if (p.beta != 0.f) {
            float4 o = *dst;
            v.x = fmaf(p.beta, o.x, v.x);
            v.y = fmaf(p.beta, o.y, v.y);
            v.z = fmaf(p.beta, o.z, v.z);
            v.w = fmaf(p.beta, o.w, v.w);
        }
        *dst = v;
    } else {
        store1(p, row, col + 0, a0);
        store1(p, row, col + 1, a1);
        store1(p, row, col + 2, a2);
        store1(p, row, col + 3, a3);
    }
}

template <int BM, int BN, int BK, int WM, int WN, int WNITER, int TM, int TN>
__device__ __forceinline__ void double_buffered(const GemmParams p) {
    constexpr int NT = (BM / WM) * (BN / WN) * 32;
    constexpr int WMITER = (WM * WN) / (32 * TM * TN * WNITER);
    constexpr int WSUBM = WM / WMITER, WSUBN = WN / WNITER;
    constexpr int NLA = BM * BK / 4 / NT, NLB = BK * BN / 4 / NT;
    constexpr int AS = BM + 4;
    constexpr int STAGE = BK * AS + BK * BN;
    constexpr int NRM = WMITER * TM, NRN = WNITER * TN;
    static_assert(((WSUBM / TM) * (WSUBN / TN)) == 32, "lanes must tile the warp sub-tile");

    const unsigned tid = threadIdx.x;
    const unsigned bm = blockIdx.y * BM, bn = blockIdx.x * BN;
    const unsigned warp = tid / 32, lane = tid % 32;
    constexpr unsigned LANES_N = WSUBN / TN;
    const unsigned lrow = (warp / (BN / WN)) * WM + (lane / LANES_N) * TM;
    const unsigned lcol = (warp % (BN / WN)) * WN + (lane % LANES_N) * TN;
    const bool a_vec = p.k % 4 == 0 && ((unsigned long long)p.a & 15) == 0;
    const bool b_vec = p.n % 4 == 0 && ((unsigned long long)p.b & 15) == 0;
    const bool c_vec = p.n % 4 == 0 && ((unsigned long long)p.c & 15) == 0;

    float acc[NRM * NRN];
#pragma unroll
    for (int i = 0; i < NRM * NRN; ++i) acc[i] = 0.f;
    float4 ra[NLA], rb[NLB];

    // Whole tile inside and 128-bit path allowed (block-uniform): one LDG.128 per chunk, no
    // per-chunk test; edge tiles take load4's per-chunk tests.
    auto load_tiles = [&](unsigned k0) {
        const bool k_full = k0 + BK <= p.k;
        if (a_vec && k_full && bm + BM <= p.m) {
#pragma unroll
            for (int i = 0; i < NLA; ++i) {
                unsigned c = tid + i * NT;
                unsigned long long e = (unsigned long long)(bm + c / (BK / 4)) * p.k + (k0 + (c % (BK / 4)) * 4);
                ra[i] = __ldg(reinterpret_cast<const float4*>(p.a + e));
            }
        } else {
#pragma unroll
            for (int i = 0; i < NLA; ++i) {
                unsigned c = tid + i * NT;
                ra[i] = load4(p.a, p.m, p.k, a_vec, bm + c / (BK / 4), k0 + (c % (BK / 4)) * 4);
            }
        }
        if (b_vec && k_full && bn + BN <= p.n) {
#pragma unroll
            for (int i = 0; i < NLB; ++i) {
                unsigned c = tid + i * NT;
                unsigned long long e = (unsigned long long)(k0 + c / (BN / 4)) * p.n + (bn + (c % (BN / 4)) * 4);
                rb[i] = __ldg(reinterpret_cast<const float4*>(p.b + e));
            }
        } else {
#pragma unroll
            for (int i = 0; i < NLB; ++i) {
                unsigned c = tid + i * NT;
                rb[i] = load4(p.b, p.k, p.n, b_vec, k0 + c / (BN / 4), bn + (c % (BN / 4)) * 4);
            }
        }
    };
    auto store_tiles = [&](float* as, float* bs) {
#pragma unroll
        for (int i = 0; i < NLA; ++i) {
            unsigned c = tid + i * NT;
            unsigned r = c / (BK / 4), kk = (c % (BK / 4)) * 4;
            as[(kk + 0) * AS + r] = ra[i].x;
            as[(kk + 1) * AS + r] = ra[i].y;
            as[(kk + 2) * AS + r] = ra[i].z;
            as[(kk + 3) * AS + r] = ra[i].w;
        }
#pragma unroll
        for (int i = 0; i < NLB; ++i) {
            unsigned c = tid + i * NT;
            *reinterpret_cast<float4*>(bs + (c / (BN / 4)) * BN + (c % (BN / 4)) * 4) = rb[i];
        }
    };

    const unsigned tiles = (p.k + BK - 1) / BK;
    load_tiles(0);
    store_tiles(klab_twin_smem, klab_twin_smem + BK * AS);
    __syncthreads();
    for (unsigned t = 0; t < tiles; ++t) {
        load_tiles((t + 1) * BK);
        const float* as = klab_twin_smem + (t & 1) * STAGE;
        const float* bs = as + BK * AS;
#pragma unroll
        for (int d = 0; d < BK; ++d) {
            float rm[NRM], rn[NRN];
#pragma unroll
            for (int w = 0; w < WMITER; ++w)
#pragma unroll
                for (int q = 0; q < TM / 4; ++q) {
                    float4 v = *reinterpret_cast<const float4*>(as + d * AS + lrow + w * WSUBM + 4 * q);
                    rm[w * TM + 4 * q + 0] = v.x;
                    rm[w * TM + 4 * q + 1] = v.y;
                    rm[w * TM + 4 * q + 2] = v.z;
                    rm[w * TM + 4 * q + 3] = v.w;
                }
#pragma unroll
            for (int w = 0; w < WNITER; ++w)
#pragma unroll
                for (int q = 0; q < TN / 4; ++q) {
                    float4 v = *reinterpret_cast<const float4*>(bs + d * BN + lcol + w * WSUBN + 4 * q);
                    rn[w * TN + 4 * q + 0] = v.x;
                    rn[w * TN + 4 * q + 1] = v.y;
                    rn[w * TN + 4 * q + 2] = v.z;
                    rn[w * TN + 4 * q + 3] = v.w;
                }
#pragma unroll
            for (int i = 0; i < NRM; ++i)
#pragma unroll
                for (int j = 0; j < NRN; ++j) acc[i * NRN + j] = fmaf(rm[i], rn[j], acc[i * NRN + j]);
        }
        float* an = klab_twin_smem + ((t + 1) & 1) * STAGE;
        store_tiles(an, an + BK * AS);
        __syncthreads();
    }

#pragma unroll
    for (int w = 0; w < WMITER; ++w)
#pragma unroll
        for (int ti = 0; ti < TM; ++ti) {
            const int i = w * TM + ti;
            const unsigned row = bm + lrow + w * WSUBM + ti;
#pragma unroll
            for (int wn = 0; wn < WNITER; ++wn)
#pragma unroll
                for (int q = 0; q < TN / 4; ++q) {
                    const int j = wn * TN + 4 * q;
                    const unsigned col = bn + lcol + wn * WSUBN + 4 * q;
                    store4(p, c_vec, row, col, acc[i * NRN + j], acc[i * NRN + j + 1],
                           acc[i * NRN + j + 2], acc[i * NRN + j + 3]);
                }
        }
}

// One entry per step-9 variant of kernels_gpu::gemm::S09_VARIANTS
// (BM, BN, BK, WM, WN, WNITER, TM, TN). The host test checks that each is here.
#define KLAB_TWIN(name, BM, BN, BK, WM, WN, WNITER, TM, TN)                        \
    extern "C" __global__ void                                                       \
        name(const GemmParams p) { double_buffered<BM, BN, BK, WM, WN, WNITER, TM, TN>(p); }
// Variants whose Rust kernel has #[launch_bounds(T, B)] (`_lb<B>`): __launch_bounds__(T, B),
// T = the tile's threads.
#define KLAB_TWIN_LB(name, MINB, BM, BN, BK, WM, WN, WNITER, TM, TN)                \
    extern "C" __global__ void __launch_bounds__((BM / WM) * (BN / WN) * 32, MINB)   \
        name(const GemmParams p) { double_buffered<BM, BN, BK, WM, WN, WNITER, TM, TN>(p); }

KLAB_TWIN(gemm_twin_s09, 128, 128, 8, 64, 64, 4, 8, 4)
KLAB_TWIN(gemm_twin_s09_128x128x16_w64x64, 128, 128, 16, 64, 64, 4, 8, 4)
KLAB_TWIN(gemm_twin_s09_256x128x8_w64x64, 256, 128, 8, 64, 64, 4, 8, 4)
KLAB_TWIN(gemm_twin_s09_128x256x8_w64x64, 128, 256, 8, 64, 64, 4, 8, 4)
KLAB_TWIN(gemm_twin_s09_128x128x8_w64x32, 128, 128, 8, 64, 32, 2, 8, 4)
KLAB_TWIN(gemm_twin_s09_128x64x16_w64x32, 128, 64, 16, 64, 32, 2, 8, 4)
KLAB_TWIN(gemm_twin_s09_64x128x16_w32x64, 64, 128, 16, 32, 64, 2, 8, 4)
KLAB_TWIN(gemm_twin_s09_64x64x16_w32x32, 64, 64, 16, 32, 32, 2, 4, 4)
KLAB_TWIN(gemm_twin_s09_128x256x16_w64x64, 128, 256, 16, 64, 64, 4, 8, 4)
KLAB_TWIN(gemm_twin_s09_256x128x16_w64x64, 256, 128, 16, 64, 64, 4, 8, 4)
KLAB_TWIN_LB(gemm_twin_s09_128x128x8_w64x32_lb2, 2, 128, 128, 8, 64, 32, 2, 8, 4)
KLAB_TWIN_LB(gemm_twin_s09_128x128x16_w64x32_lb2, 2, 128, 128, 16, 64, 32, 2, 8, 4)
KLAB_TWIN_LB(gemm_twin_s09_128x128x8_w32x64_lb2, 2, 128, 128, 8, 32, 64, 2, 8, 4)
KLAB_TWIN_LB(gemm_twin_s09_128x128x16_w32x64_lb2, 2, 128, 128, 16, 32, 64, 2, 8, 4)
