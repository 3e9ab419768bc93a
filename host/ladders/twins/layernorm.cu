// CUDA C++ twins of the normalisation ladders' top steps: layernorm/5 (f32) and /6 (bf16),
// rmsnorm/3 (f32) and /4 (bf16) — kernels-gpu/src/layernorm/mod.rs `norm_strided`, with
// `norm_rows` (no register vectors) as its fallback — and layernorm_backward/2 (f32) and /3
// (bf16), both kernels — kernels-gpu/src/layernorm_backward/mod.rs `fused_rows` and
// `sum_slots`. The same algorithm line by line. Forward: one block per row (the steps'
// Grid::Registers launch, softmax's register_block_threads(cols, 4): 128 threads at 4096
// columns, 1024 at 32000, which the host uses for the twins too); thread t holds CHUNKS = 4
// chunks of 8 elements, the row's 16-byte vectors t + j * B (f32: two float4 per chunk; bf16:
// one uint4 of eight __nv_bfloat16, kept packed and widened in each pass), all loads issued
// before any is used, missing vectors 0; the mean by one block reduction (warp butterfly, one
// value per warp through its own 32 floats of shared memory, one __syncthreads, every warp
// reducing the per-warp values), Σ(x − mean)² over the vectors that exist by a second one (the
// two-pass variance; RMS: Σx², the only reduction), y with γ and β loaded per chunk in the same
// layout; rows that are not whole aligned chunks or longer than 8 * CHUNKS * B take the looped
// three-pass body with no register vectors. Backward: blocks of (tx, ty), tx threads per row,
// ty rows per block (Grid::Fused), up to R 128-bit vectors per thread in registers, row sums
// with two __syncthreads. rsqrt.approx.ftz.f32 and div.full.f32 as inline PTX (what the Rust
// kernels emit); no FMA contraction beyond the Rust kernels' explicit fma (the adds and
// multiplies are __fadd_rn / __fmul_rn). Same launch bounds (forward 1024, backward 512). Same
// parameter structs (#[repr(C)]): LayerNormParams, RmsNormParams, LayerNormBackwardParams. One
// module (it includes cuda_bf16.h).

#include <cuda_bf16.h>

typedef unsigned long long u64;

template <typename T>
struct LayerNormParams {
    const T* __restrict__ x;
    const T* __restrict__ gamma;
    const T* __restrict__ beta;
    T* y;
    float* mean;
    float* rstd;
    unsigned int rows;
    unsigned int cols;
    float eps;
};

template <typename T>
struct RmsNormParams {
    const T* __restrict__ x;
    const T* __restrict__ gamma;
    T* y;
    float* rstd;
    unsigned int rows;
    unsigned int cols;
    float eps;
};

template <typename T>
struct LayerNormBackwardParams {
    const T* __restrict__ dy;
    const T* __restrict__ x;
    const T* __restrict__ gamma;
    const float* __restrict__ mean;
    const float* __restrict__ rstd;
    T* dx;
    T* dgamma;
    T* dbeta;
    float* ws_gamma;
    float* ws_beta;
    unsigned int rows;
    unsigned int cols;
    unsigned int slots;
};

// Element I/O: LANES per 128-bit vector, f32 values.
template <typename T>
struct Io;

template <>
struct Io<float> {
    static constexpr int LANES = 4;
    typedef float4 V;
    __device__ static V zero() { return make_float4(0.f, 0.f, 0.f, 0.f); }
    __device__ static V load(const float* p, u64 i) { return __ldg(reinterpret_cast<const float4*>(p) + i); }
    __device__ static float lane(const V& v, int j) {
        return j == 0 ? v.x : j == 1 ? v.y : j == 2 ? v.z : v.w;
    }
    __device__ static void store(float* p, u64 i, const float* f) {
        reinterpret_cast<float4*>(p)[i] = make_float4(f[0], f[1], f[2], f[3]);
    }
    __device__ static float sload(const float* p, u64 k) { return __ldg(p + k); }
    __device__ static void sstore(float* p, u64 k, float f) { p[k] = f; }
};

template <>
struct Io<__nv_bfloat16> {
    static constexpr int LANES = 8;
    typedef uint4 V;
    __device__ static V zero() { return make_uint4(0, 0, 0, 0); }
    __device__ static V load(const __nv_bfloat16* p, u64 i) {
        return __ldg(reinterpret_cast<const uint4*>(p) + i);
    }
    // A bf16 is the top half of an f32 (the Rust Bf16x2::to_f32_lo_hi).
    __device__ static float lane(const V& v, int j) {
        const unsigned w = (j >> 1) == 0 ? v.x : (j >> 1) == 1 ? v.y : (j >> 1) == 2 ? v.z : v.w;
        return (j & 1) ? __uint_as_float(w & 0xffff0000u) : __uint_as_float(w << 16);
    }
    __device__ static unsigned pack(float lo, float hi) {
        const __nv_bfloat162 r = __floats2bfloat162_rn(lo, hi);
        return *reinterpret_cast<const unsigned*>(&r);
    }
    __device__ static void store(__nv_bfloat16* p, u64 i, const float* f) {
        reinterpret_cast<uint4*>(p)[i] =
            make_uint4(pack(f[0], f[1]), pack(f[2], f[3]), pack(f[4], f[5]), pack(f[6], f[7]));
    }
    __device__ static float sload(const __nv_bfloat16* p, u64 k) { return __bfloat162float(__ldg(p + k)); }
    __device__ static void sstore(__nv_bfloat16* p, u64 k, float f) { p[k] = __float2bfloat16_rn(f); }
};

// Vector i of p: one 128-bit load on the vector path, else its `valid` leading elements.
template <typename T>
__device__ __forceinline__ typename Io<T>::V vload(const T* p, u64 i, u64 valid, bool vec) {
    if (vec) return Io<T>::load(p, i);
    float f[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
#pragma unroll
    for (int j = 0; j < Io<T>::LANES; j++)
        if (j < valid) f[j] = Io<T>::sload(p, Io<T>::LANES * i + j);
    // Scalar loads rebuilt as a vector (exact: every element is representable).
    typename Io<T>::V v = Io<T>::zero();
    T* e = reinterpret_cast<T*>(&v);
#pragma unroll
    for (int j = 0; j < Io<T>::LANES; j++) Io<T>::sstore(e, j, f[j]);
    return v;
}

template <typename T>
__device__ __forceinline__ void vstore(T* p, u64 i, const float* f, u64 valid, bool vec) {
    if (vec) {
        Io<T>::store(p, i, f);
        return;
    }
#pragma unroll
    for (int j = 0; j < Io<T>::LANES; j++)
        if (j < valid) Io<T>::sstore(p, Io<T>::LANES * i + j, f[j]);
}

__device__ __forceinline__ float rsqrt_approx(float x) {
    float r;
    asm("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}

// Rust's gpu::norm_reduce::div_full: a / b within 2 ulp, inline.
__device__ __forceinline__ float div_full(float a, float b) {
    float r;
    asm("div.full.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}

// Rust's gpu::norm_reduce::opaque_u32: a mov the optimiser keeps.
__device__ __forceinline__ unsigned opaque(unsigned x) {
    unsigned r;
    asm volatile("mov.b32 %0, %1;" : "=r"(r) : "r"(x));
    return r;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v = __fadd_rn(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// The Rust layernorm::row_sum.
__device__ __forceinline__ float row_sum(float v, float* warps) {
    v = warp_sum(v);
    const unsigned per_row = blockDim.x / 32, first = threadIdx.y * per_row;
    const unsigned lane = threadIdx.x & 31;
    if (lane == 0) warps[first + threadIdx.x / 32] = v;
    __syncthreads();
    float r = 0.0f;
    if (lane < per_row) r = warps[first + lane];
    r = warp_sum(r);
    __syncthreads();
    return r;
}

__device__ __forceinline__ bool aligned16(u64 a) { return a % 16 == 0; }

// Σ over the valid lanes of (v − shift)² (SQ) or v.
template <typename T, bool SQ>
__device__ __forceinline__ float lanes_sum(const typename Io<T>::V& v, float shift, u64 valid, bool full) {
    float s = 0.0f;
#pragma unroll
    for (int j = 0; j < Io<T>::LANES; j++)
        if (full || j < valid) {
            const float d = __fsub_rn(Io<T>::lane(v, j), shift);
            s = __fadd_rn(s, SQ ? __fmul_rn(d, d) : d);
        }
    return s;
}

// The Rust norm_rows.
template <typename T, int R, bool RMS>
__device__ __forceinline__ void norm_rows(const T* x, const T* gamma, const T* beta, T* y,
                                          float* mean_out, float* rstd_out, unsigned rows,
                                          unsigned cols_, float eps, float* warps) {
    constexpr int L = Io<T>::LANES;
    const u64 tx = blockDim.x, t = threadIdx.x;
    const u64 row = (u64)blockIdx.x * blockDim.y + threadIdx.y;
    const bool live = row < rows;
    const u64 cols = cols_, n = live ? cols : 0, r = live ? row : 0;
    const u64 nvec = (n + L - 1) / L;
    const bool vec = cols % L == 0 &&
                     aligned16((u64)x | (u64)gamma | (u64)beta | (u64)y);
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const u64 nreg = vec ? nvec : 0, rest = vec ? t + R * tx : t;

    typename Io<T>::V v[R > 0 ? R : 1];
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < R; k++) {
        v[k] = Io<T>::zero();
        const u64 i = t + k * tx;
        if (i < nreg) {
            v[k] = Io<T>::load(xr, i);
            if (!RMS) s = __fadd_rn(s, lanes_sum<T, false>(v[k], 0.0f, L, true));
        }
    }
    u64 i = rest;
    if (!RMS)
        for (; i < nvec; i += tx) {
            const u64 valid = n - L * i;
            s = __fadd_rn(s, lanes_sum<T, false>(vload(xr, i, valid, vec), 0.0f, valid, vec));
        }
    const float mean = RMS ? 0.0f : div_full(row_sum(s, warps), (float)cols);

    float q = 0.0f;
#pragma unroll
    for (int k = 0; k < R; k++)
        if (t + k * tx < nreg) q = __fadd_rn(q, lanes_sum<T, true>(v[k], mean, L, true));
    for (i = rest; i < nvec; i += tx) {
        const u64 valid = n - L * i;
        q = __fadd_rn(q, lanes_sum<T, true>(vload(xr, i, valid, vec), mean, valid, vec));
    }
    const float var = div_full(row_sum(q, warps), (float)cols);
    const float rstd = rsqrt_approx(__fadd_rn(var, eps));

    auto write = [&](u64 i, const typename Io<T>::V& xv, bool vec) {
        const u64 valid = n - L * i;
        const typename Io<T>::V g = vload(gamma, i, valid, vec);
        const typename Io<T>::V b = RMS ? Io<T>::zero() : vload(beta, i, valid, vec);
        float f[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
#pragma unroll
        for (int j = 0; j < L; j++) {
            const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv, j), mean), rstd);
            f[j] = RMS ? __fmul_rn(xhat, Io<T>::lane(g, j))
                       : __fmaf_rn(xhat, Io<T>::lane(g, j), Io<T>::lane(b, j));
        }
        vstore(yr, i, f, valid, vec);
    };
    const u64 t3 = opaque((unsigned)t);
#pragma unroll
    for (int k = 0; k < R; k++)
        if (t3 + k * tx < nreg) write(t3 + k * tx, v[k], true);
    for (i = rest; i < nvec; i += tx) write(i, vload(xr, i, n - L * i, vec), vec);
    if (live && t == 0) {
        if (!RMS) mean_out[row] = mean;
        rstd_out[row] = rstd;
    }
}

// Chunks of 8 elements a thread of the strided kernels holds (softmax::CHUNKS).
#define CHUNKS 4

// A chunk of 8 elements (softmax's RowElem): f32 two float4 at vectors first and first + stride,
// bf16 one uint4 at vector first; loaded (__ldg) when below nvec, else zeros.
template <typename T>
struct Chunk;

template <>
struct Chunk<float> {
    static constexpr int VL = 4, VPC = 2;
    struct Raw { float4 a, b; };
    __device__ static Raw load(const float* p, u64 first, u64 stride, u64 nvec) {
        const float4* v = reinterpret_cast<const float4*>(p);
        Raw r;
        r.a = make_float4(0.f, 0.f, 0.f, 0.f);
        r.b = r.a;
        if (first < nvec) r.a = __ldg(v + first);
        if (first + stride < nvec) r.b = __ldg(v + first + stride);
        return r;
    }
    __device__ static void unpack(const Raw& r, float* o) {
        o[0] = r.a.x; o[1] = r.a.y; o[2] = r.a.z; o[3] = r.a.w;
        o[4] = r.b.x; o[5] = r.b.y; o[6] = r.b.z; o[7] = r.b.w;
    }
    __device__ static void store(float* p, u64 first, u64 stride, u64 nvec, const float* f) {
        float4* o = reinterpret_cast<float4*>(p);
        if (first < nvec) o[first] = make_float4(f[0], f[1], f[2], f[3]);
        if (first + stride < nvec) o[first + stride] = make_float4(f[4], f[5], f[6], f[7]);
    }
};

template <>
struct Chunk<__nv_bfloat16> {
    static constexpr int VL = 8, VPC = 1;
    typedef uint4 Raw;
    __device__ static Raw load(const __nv_bfloat16* p, u64 first, u64, u64 nvec) {
        Raw r = make_uint4(0, 0, 0, 0);
        if (first < nvec) r = __ldg(reinterpret_cast<const uint4*>(p) + first);
        return r;
    }
    __device__ static void unpack(const Raw& r, float* o) {
#pragma unroll
        for (int j = 0; j < 8; j++) o[j] = Io<__nv_bfloat16>::lane(r, j);
    }
    __device__ static void store(__nv_bfloat16* p, u64 first, u64, u64 nvec, const float* f) {
        if (first < nvec) Io<__nv_bfloat16>::store(p, first, f);
    }
};

// softmax's Team::all_reduce::<Sum> over the block: butterfly per warp, one value per warp in
// `scratch` (a reduction's own 32 floats), one barrier, every warp adds the per-warp values.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    v = warp_sum(v);
    const unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) scratch[w] = v;
    __syncthreads();
    float r = 0.0f;
    if (lane < blockDim.x / 32) r = scratch[lane];
    return warp_sum(r);
}

// The Rust norm_strided: one row per block, the row's chunks in registers.
template <typename T, int C, bool RMS>
__device__ __forceinline__ void norm_strided(const T* x, const T* gamma, const T* beta, T* y,
                                             float* mean_out, float* rstd_out, unsigned rows,
                                             unsigned cols, float eps, float* s0, float* s1) {
    typedef Chunk<T> K;
    const u64 row = blockIdx.x;
    if (row >= rows) return;  // uniform over the block
    const u64 n = cols, size = blockDim.x, tid = threadIdx.x;
    const bool fits = n % 8 == 0 && aligned16((u64)x | (u64)y | (u64)gamma | (u64)beta) &&
                      n / 8 <= C * size;
    if (!fits) {
        norm_rows<T, 0, RMS>(x, gamma, beta, y, mean_out, rstd_out, rows, cols, eps, s0);
        return;
    }
    const T* xr = x + row * n;
    T* yr = y + row * n;
    const u64 nvec = n / K::VL;
    typename K::Raw raw[C];
#pragma unroll
    for (int k = 0; k < C; k++) raw[k] = K::load(xr, tid + k * K::VPC * size, size, nvec);

    float mean = 0.0f;
    if (!RMS) {
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < C; k++) {
            float v[8];
            K::unpack(raw[k], v);
            float part = 0.0f;
#pragma unroll
            for (int e = 0; e < 8; e++) part = __fadd_rn(part, v[e]);
            s = __fadd_rn(s, part);
        }
        mean = div_full(block_sum(s, s0), (float)cols);
    }

    float q = 0.0f;
#pragma unroll
    for (int k = 0; k < C; k++) {
        float v[8];
        K::unpack(raw[k], v);
        const u64 first = tid + k * K::VPC * size;
        float part = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; e++) {
            const bool exists = first + (e / K::VL) * size < nvec;
            const float d = exists ? __fsub_rn(v[e], mean) : 0.0f;
            part = __fmaf_rn(d, d, part);
        }
        q = __fadd_rn(q, part);
    }
    const float var = div_full(block_sum(q, s1), (float)cols);
    const float rstd = rsqrt_approx(__fadd_rn(var, eps));

    // 32-bit indices here (u64 ones leave nvcc 13.5 one 64-bit address to spill, 8 B, at 64
    // registers in the f32 kernel).
    const unsigned t3 = opaque((unsigned)tid);
#pragma unroll
    for (int k = 0; k < C; k++) {
        const u64 first = t3 + k * K::VPC * (unsigned)size;
        float v[8], g[8], b[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}, out[8];
        K::unpack(raw[k], v);
        K::unpack(K::load(gamma, first, size, nvec), g);
        if (!RMS) K::unpack(K::load(beta, first, size, nvec), b);
#pragma unroll
        for (int e = 0; e < 8; e++) {
            const float xhat = __fmul_rn(__fsub_rn(v[e], mean), rstd);
            out[e] = RMS ? __fmul_rn(xhat, g[e]) : __fmaf_rn(xhat, g[e], b[e]);
        }
        K::store(yr, first, size, nvec, out);
    }
    if (tid == 0) {
        if (!RMS) mean_out[row] = mean;
        rstd_out[row] = rstd;
    }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_twin(LayerNormParams<float> p) {
    __shared__ float s0[32], s1[32];
    norm_strided<float, CHUNKS, false>(p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, s0, s1);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_twin_bf16(LayerNormParams<__nv_bfloat16> p) {
    __shared__ float s0[32], s1[32];
    norm_strided<__nv_bfloat16, CHUNKS, false>(p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps,
                                               s0, s1);
}

extern "C" __global__ void __launch_bounds__(1024) rmsnorm_twin(RmsNormParams<float> p) {
    __shared__ float s0[32], s1[32];
    norm_strided<float, CHUNKS, true>(p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps, s0, s1);
}

extern "C" __global__ void __launch_bounds__(1024) rmsnorm_twin_bf16(RmsNormParams<__nv_bfloat16> p) {
    __shared__ float s0[32], s1[32];
    norm_strided<__nv_bfloat16, CHUNKS, true>(p.x, p.gamma, p.gamma, p.y, p.rstd, p.rstd, p.rows, p.cols, p.eps,
                                              s0, s1);
}

// layernorm/10 (f32) and /11 (bf16): the Rust norm_one_pass. norm_strided's layout, the mean
// and variance from one reduction of sums shifted by the row's first element (S = Σ(x − k),
// Q = Σ(x − k)², one __syncthreads: block_sum2), var = max(Q/n − (S/n)², 0), y = ((x − k) − S/n)
// · rstd · γ + β; γ and β of the first P chunks loaded right after x, chunk 0's right after the
// reduction when P = 0, chunk j ≥ max(P, 1)'s after chunk max(j − L, 0)'s store.
__device__ __forceinline__ float first_f32(const float* p) { return __ldg(p); }
__device__ __forceinline__ float first_f32(const __nv_bfloat16* p) { return __bfloat162float(p[0]); }

__device__ __forceinline__ void block_sum2(float& a, float& b, float* s0, float* s1) {
    a = warp_sum(a);
    b = warp_sum(b);
    const unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
    if (lane == 0) s0[w] = a, s1[w] = b;
    __syncthreads();
    float ra = 0.0f, rb = 0.0f;
    if (lane < blockDim.x / 32) ra = s0[lane], rb = s1[lane];
    a = warp_sum(ra);
    b = warp_sum(rb);
}

template <typename T, int C, int P, int L>
__device__ __forceinline__ void norm_one_pass(const T* x, const T* gamma, const T* beta, T* y,
                                              float* mean_out, float* rstd_out, unsigned rows,
                                              unsigned cols, float eps, float* s0, float* s1) {
    typedef Chunk<T> K;
    static_assert(P <= C && L >= 1, "P <= C, L >= 1");
    const u64 row = blockIdx.x;
    if (row >= rows) return;  // uniform over the block
    const u64 n = cols, size = blockDim.x, tid = threadIdx.x;
    const bool fits = n % 8 == 0 && aligned16((u64)x | (u64)y | (u64)gamma | (u64)beta) &&
                      n / 8 <= C * size;
    if (!fits) {
        norm_rows<T, 0, false>(x, gamma, beta, y, mean_out, rstd_out, rows, cols, eps, s0);
        return;
    }
    const T* xr = x + row * n;
    T* yr = y + row * n;
    const u64 nvec = n / K::VL;
    typename K::Raw raw[C], g[C], b[C];
#pragma unroll
    for (int k = 0; k < C; k++) raw[k] = K::load(xr, tid + k * K::VPC * size, size, nvec);
    const float shift = first_f32(xr);
#pragma unroll
    for (int k = 0; k < P; k++) {
        g[k] = K::load(gamma, tid + k * K::VPC * size, size, nvec);
        b[k] = K::load(beta, tid + k * K::VPC * size, size, nvec);
    }
    float s = 0.0f, q = 0.0f;
#pragma unroll
    for (int k = 0; k < C; k++) {
        float v[8];
        K::unpack(raw[k], v);
        const u64 first = tid + k * K::VPC * size;
        float ps = 0.0f, pq = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; e++) {
            const bool exists = first + (e / K::VL) * size < nvec;
            const float d = exists ? __fsub_rn(v[e], shift) : 0.0f;
            ps = __fadd_rn(ps, d);
            pq = __fmaf_rn(d, d, pq);
        }
        s = __fadd_rn(s, ps);
        q = __fadd_rn(q, pq);
    }
    block_sum2(s, q, s0, s1);
    const float dm = div_full(s, (float)cols);
    const float m2 = __fsub_rn(div_full(q, (float)cols), __fmul_rn(dm, dm));
    const float rstd = rsqrt_approx(__fadd_rn(m2 < 0.0f ? 0.0f : m2, eps));

    const unsigned t3 = opaque((unsigned)tid);
    if (P == 0) {
        g[0] = K::load(gamma, t3, size, nvec);
        b[0] = K::load(beta, t3, size, nvec);
    }
#pragma unroll
    for (int k = 0; k < C; k++) {
        const u64 first = t3 + k * K::VPC * (unsigned)size;
        float v[8], gk[8], bk[8], out[8];
        K::unpack(raw[k], v);
        K::unpack(g[k], gk);
        K::unpack(b[k], bk);
#pragma unroll
        for (int e = 0; e < 8; e++) {
            const float xhat = __fmul_rn(__fsub_rn(__fsub_rn(v[e], shift), dm), rstd);
            out[e] = __fmaf_rn(xhat, gk[e], bk[e]);
        }
        K::store(yr, first, size, nvec, out);
#pragma unroll
        for (int j = 0; j < C; j++) {
            if (j >= P && j > k && (j - L > 0 ? j - L : 0) == k) {
                g[j] = K::load(gamma, t3 + j * K::VPC * (unsigned)size, size, nvec);
                b[j] = K::load(beta, t3 + j * K::VPC * (unsigned)size, size, nvec);
            }
        }
    }
    if (tid == 0) {
        mean_out[row] = __fadd_rn(shift, dm);
        rstd_out[row] = rstd;
    }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_twin_one_pass(LayerNormParams<float> p) {
    __shared__ float s0[32], s1[32];
    norm_one_pass<float, CHUNKS, 0, 1>(p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols, p.eps, s0, s1);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_twin_bf16_one_pass(LayerNormParams<__nv_bfloat16> p) {
    __shared__ float s0[32], s1[32];
    norm_one_pass<__nv_bfloat16, CHUNKS, 2, 2>(p.x, p.gamma, p.beta, p.y, p.mean, p.rstd, p.rows, p.cols,
                                               p.eps, s0, s1);
}

// The Rust fused_rows (backward kernel 1).
template <typename T, int R>
__device__ __forceinline__ void fused_rows(const LayerNormBackwardParams<T>& p, float* warps) {
    constexpr int L = Io<T>::LANES;
    const u64 tx = blockDim.x, ty = blockDim.y, t = threadIdx.x;
    const u64 slot = (u64)blockIdx.x * ty + threadIdx.y, stride = (u64)gridDim.x * ty;
    const u64 rows = p.rows, cols = p.cols, nvec = (cols + L - 1) / L;
    const bool vec = cols % L == 0 && aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx);
    const u64 nreg = vec ? nvec : 0, rest = vec ? t + R * tx : t;
    float* wg = p.ws_gamma + slot * cols;
    float* wb = p.ws_beta + slot * cols;
    for (u64 i = rest; i < nvec; i += tx)
        for (int j = 0; j < L; j++)
            if (j < cols - L * i) wg[L * i + j] = 0.0f, wb[L * i + j] = 0.0f;
    float acc_g[R][8], acc_b[R][8];
#pragma unroll
    for (int k = 0; k < R; k++)
#pragma unroll
        for (int j = 0; j < 8; j++) acc_g[k][j] = 0.0f, acc_b[k][j] = 0.0f;

    for (u64 base = (u64)blockIdx.x * ty; base < rows; base += stride) {
        const u64 row = base + threadIdx.y;
        const bool live = row < rows;
        const u64 r = live ? row : 0, n = live ? cols : 0, nv = (n + L - 1) / L;
        const u64 nr = live ? nreg : 0;
        const float m = __ldg(p.mean + r), s = __ldg(p.rstd + r);
        const T* dyr = p.dy + r * cols;
        const T* xr = p.x + r * cols;
        T* dxr = p.dx + r * cols;
        typename Io<T>::V dyv[R], xv[R];
        float a = 0.0f, b = 0.0f;
        auto sums = [&](const typename Io<T>::V& d, const typename Io<T>::V& xx,
                        const typename Io<T>::V& gg, u64 valid) {
#pragma unroll
            for (int j = 0; j < L; j++)
                if (j < valid) {
                    const float g = __fmul_rn(Io<T>::lane(d, j), Io<T>::lane(gg, j));
                    a = __fadd_rn(a, g);
                    b = __fadd_rn(b, __fmul_rn(g, __fmul_rn(__fsub_rn(Io<T>::lane(xx, j), m), s)));
                }
        };
#pragma unroll
        for (int k = 0; k < R; k++) {
            dyv[k] = Io<T>::zero();
            xv[k] = Io<T>::zero();
            const u64 i = t + k * tx;
            if (i < nr) {
                dyv[k] = Io<T>::load(dyr, i);
                xv[k] = Io<T>::load(xr, i);
                sums(dyv[k], xv[k], Io<T>::load(p.gamma, i), L);
            }
        }
        for (u64 i = rest; i < nv; i += tx) {
            const u64 valid = n - L * i;
            sums(vload(dyr, i, valid, vec), vload(xr, i, valid, vec), vload(p.gamma, i, valid, vec), valid);
        }
        const float ma = div_full(row_sum(a, warps), (float)cols);
        const float mb = div_full(row_sum(b, warps), (float)cols);
        const u64 t3 = opaque((unsigned)t);
        auto grad = [&](u64 i, const typename Io<T>::V& d, const typename Io<T>::V& xx, u64 valid,
                        bool vv, float* ag, float* ab) {
            const typename Io<T>::V gg = vload(p.gamma, i, valid, vv);
            float f[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
#pragma unroll
            for (int j = 0; j < L; j++)
                if (j < valid) {
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xx, j), m), s);
                    const float dyj = Io<T>::lane(d, j);
                    f[j] = __fmul_rn(s, __fsub_rn(__fmul_rn(dyj, Io<T>::lane(gg, j)), __fmaf_rn(xhat, mb, ma)));
                    ag[j] = __fmaf_rn(dyj, xhat, ag[j]);
                    ab[j] = __fadd_rn(ab[j], dyj);
                }
            vstore(dxr, i, f, valid, vv);
        };
#pragma unroll
        for (int k = 0; k < R; k++)
            if (t3 + k * tx < nr) grad(t3 + k * tx, dyv[k], xv[k], L, true, acc_g[k], acc_b[k]);
        for (u64 i = rest; i < nv; i += tx) {
            const u64 valid = n - L * i;
            float ag[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}, ab[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
            for (int j = 0; j < L; j++)
                if (j < valid) ag[j] = wg[L * i + j], ab[j] = wb[L * i + j];
            grad(i, vload(dyr, i, valid, vec), vload(xr, i, valid, vec), valid, vec, ag, ab);
            for (int j = 0; j < L; j++)
                if (j < valid) wg[L * i + j] = ag[j], wb[L * i + j] = ab[j];
        }
    }
#pragma unroll
    for (int k = 0; k < R; k++) {
        const u64 i = t + k * tx;
        if (i < nreg)
#pragma unroll
            for (int j = 0; j < L; j++) wg[L * i + j] = acc_g[k][j], wb[L * i + j] = acc_b[k][j];
    }
}

// The Rust sum_slots (backward kernel 2).
template <typename T>
__device__ __forceinline__ void sum_slots(const LayerNormBackwardParams<T>& p) {
    const u64 c = (u64)blockIdx.x * blockDim.x + threadIdx.x, cols = p.cols;
    if (c < cols) {
        float g = 0.0f, b = 0.0f;
        for (u64 s = 0; s < p.slots; s++) {
            g = __fadd_rn(g, p.ws_gamma[s * cols + c]);
            b = __fadd_rn(b, p.ws_beta[s * cols + c]);
        }
        Io<T>::sstore(p.dgamma, c, g);
        Io<T>::sstore(p.dbeta, c, b);
    }
}

extern "C" __global__ void __launch_bounds__(512) layernorm_backward_twin(LayerNormBackwardParams<float> p) {
    __shared__ float warps[32];
    fused_rows<float, 3>(p, warps);
}

extern "C" __global__ void layernorm_backward_twin_columns(LayerNormBackwardParams<float> p) {
    sum_slots<float>(p);
}

extern "C" __global__ void __launch_bounds__(512) layernorm_backward_twin_bf16(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float warps[32];
    fused_rows<__nv_bfloat16, 2>(p, warps);
}

extern "C" __global__ void layernorm_backward_twin_bf16_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    sum_slots<__nv_bfloat16>(p);
}

// layernorm_backward/4 (f32) and /5 (bf16) — kernels-gpu/src/layernorm_backward/mod.rs
// `team_of`, `team_sums`, `strided_rows`, `sum_columns`: a team of S threads per row (G rows a
// block of 512), thread tid holding the row's 128-bit vectors tid + j*S (j < 2 chunks of 8:
// four float4, or two uint4 of bf16 kept packed) of dy and x, every load before any use; the
// team's dgamma/dbeta partials in dynamic shared memory (G*cols*8 bytes, two planes of 4
// floats per bf16 vector), owned per thread; persistent blocks walking row groups
// b, b + grid, ...; one workspace row per block; rows the teams do not take run looped_rows
// (the whole block per row, the row read twice). The host launches these with the steps'
// own grids.

constexpr unsigned BW_CHUNKS = 2, BW_BLOCK = 512, BW_MAX_TEAM = 1024;

// The Rust team_of: S threads per row, G rows per block; false for the looped fallback.
__device__ __forceinline__ bool team_of(unsigned cols, unsigned chunks, unsigned block, unsigned& s, unsigned& g) {
    if (cols == 0 || cols % 8 != 0) return false;
    const unsigned need = (cols / 8 + chunks - 1) / chunks;
    if (need <= 32) {
        s = 1;
        while (s < need) s <<= 1;
    } else {
        s = (need + 31) / 32 * 32;
    }
    if (s > BW_MAX_TEAM) return false;
    g = s >= block ? 1 : block / s;
    return true;
}

// The Rust team_sums: both sums over a team of s threads (uniform over the block).
__device__ __forceinline__ void team_sums(float& a, float& b, unsigned s, float* sa, float* sb) {
    const unsigned w = s < 32 ? s : 32;
    for (unsigned o = w / 2; o > 0; o >>= 1) {
        a = __fadd_rn(a, __shfl_xor_sync(0xffffffffu, a, o));
        b = __fadd_rn(b, __shfl_xor_sync(0xffffffffu, b, o));
    }
    if (s <= 32) return;
    const unsigned lane = threadIdx.x % 32, wid = threadIdx.x / 32;
    if (lane == 0) sa[wid] = a, sb[wid] = b;
    __syncthreads();
    const unsigned per = s / 32, first = wid / per * per;
    float ra = 0.0f, rb = 0.0f;
    if (lane < per) ra = sa[first + lane], rb = sb[first + lane];
    a = warp_sum(ra);
    b = warp_sum(rb);
}

// CTAs per cluster of layernorm_backward/12-13 (the Rust CLUSTER) and of 14-15 (SUM_CLUSTER).
constexpr unsigned BW_CLUSTER = 4, BW_SUM_CLUSTER = 2;

// The Rust looped_rows (the fallback): the whole block per row, vectors of LANES (128-bit
// when cols is a multiple of LANES and the pointers are aligned, else scalars), the partials
// of the thread's columns read-modify-written in the block's workspace row.
// CLUSTER_OF > 1 (layernorm_backward/12-15's fallback, the Rust looped_rows_of): only the rank-0
// CTA of cluster k (of CLUSTER_OF CTAs) works, on the cluster's rows k, k + clusters, ... and
// workspace row k.
template <typename T, unsigned CLUSTER_OF = 1>
__device__ __forceinline__ void looped_rows(const LayerNormBackwardParams<T>& p, float (*sc)[2][32]) {
    if (CLUSTER_OF > 1 && blockIdx.x % CLUSTER_OF != 0) return;
    const unsigned slot = CLUSTER_OF > 1 ? blockIdx.x / CLUSTER_OF : blockIdx.x;
    const unsigned stride = CLUSTER_OF > 1 ? gridDim.x / CLUSTER_OF : gridDim.x;
    constexpr int L = Io<T>::LANES;
    const u64 rows = p.rows, cols = p.cols, t = threadIdx.x, bt = blockDim.x, nvec = (cols + L - 1) / L;
    const bool vec = cols % L == 0 && aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx);
    float* wg = p.ws_gamma + (u64)slot * cols;
    float* wb = p.ws_beta + (u64)slot * cols;
    for (u64 c = t; c < cols; c += bt) wg[c] = 0.0f, wb[c] = 0.0f;
    unsigned parity = 0;
    for (u64 row = slot; row < rows; row += stride) {
        const float m = __ldg(p.mean + row), rs = __ldg(p.rstd + row);
        const T* dyr = p.dy + row * cols;
        const T* xr = p.x + row * cols;
        T* dxr = p.dx + row * cols;
        float a = 0.0f, b = 0.0f;
        for (u64 i = t; i < nvec; i += bt) {
            const u64 valid = cols - L * i;
            const typename Io<T>::V d = vload(dyr, i, valid, vec), x = vload(xr, i, valid, vec),
                                    g = vload(p.gamma, i, valid, vec);
#pragma unroll
            for (int j = 0; j < L; j++)
                if (j < valid) {
                    const float gv = __fmul_rn(Io<T>::lane(d, j), Io<T>::lane(g, j));
                    a = __fadd_rn(a, gv);
                    b = __fmaf_rn(gv, __fmul_rn(__fsub_rn(Io<T>::lane(x, j), m), rs), b);
                }
        }
        team_sums(a, b, (unsigned)bt, sc[parity][0], sc[parity][1]);
        a = div_full(a, (float)cols);
        b = div_full(b, (float)cols);
        for (u64 i = t; i < nvec; i += bt) {
            const u64 valid = cols - L * i;
            const typename Io<T>::V d = vload(dyr, i, valid, vec), x = vload(xr, i, valid, vec),
                                    g = vload(p.gamma, i, valid, vec);
            float f[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
#pragma unroll
            for (int j = 0; j < L; j++)
                if (j < valid) {
                    const float dj = Io<T>::lane(d, j);
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(x, j), m), rs);
                    f[j] = __fmul_rn(rs, __fsub_rn(__fmul_rn(dj, Io<T>::lane(g, j)), __fmaf_rn(xhat, b, a)));
                    wg[L * i + j] = __fmaf_rn(dj, xhat, wg[L * i + j]);
                    wb[L * i + j] = __fadd_rn(wb[L * i + j], dj);
                }
            vstore(dxr, i, f, valid, vec);
        }
        parity ^= 1;
    }
}

// prefetch.global.L2: the line of `q` asked of L2 (no register, nothing returned).
__device__ __forceinline__ void prefetch_l2(const void* q) {
    asm volatile("prefetch.global.L2 [%0];" ::"l"(q));
}

// PF: layernorm_backward/8–9's prefetch of the block's next row group into L2 (prefetched_rows).
template <typename T, int C, bool PF = false>
__device__ __forceinline__ void strided_rows(const LayerNormBackwardParams<T>& p, unsigned block, float (*sc)[2][32]) {
    constexpr int VL = Io<T>::LANES, VPC = 8 / VL, NV = C * VPC, HALVES = VL / 4;
    typedef typename Io<T>::V V;
    const unsigned cols = p.cols, rows = p.rows;
    unsigned s, g;
    if (!team_of(cols, C, block, s, g) || !aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx)) {
        looped_rows<T>(p, sc);
        return;
    }
    extern __shared__ float4 bw_smem4[];
    float* smem = reinterpret_cast<float*>(bw_smem4);
    const unsigned nvec = cols / VL, t = threadIdx.x, team = t / s, tid = t % s;
    float* acc_g = smem + team * 2 * cols;
    float* acc_b = acc_g + cols;
    const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int j = 0; j < NV; j++) {
        const unsigned v = tid + j * s;
        if (v < nvec)
#pragma unroll
            for (int h = 0; h < HALVES; h++) {
                reinterpret_cast<float4*>(acc_g)[h * nvec + v] = zero;
                reinterpret_cast<float4*>(acc_b)[h * nvec + v] = zero;
            }
    }
    for (unsigned it = 0;; it++) {
        const unsigned base = (blockIdx.x + it * gridDim.x) * g;
        if (base >= rows) break;
        if (PF) {
            const unsigned ahead = base + gridDim.x * g + team;
            if (ahead < rows) {
                const T* dyn = p.dy + (u64)(ahead * cols);
                const T* xn = p.x + (u64)(ahead * cols);
#pragma unroll
                for (int j = 0; j < NV; j++) {
                    const unsigned v = tid + j * s;
                    if (v < nvec) {
                        prefetch_l2(dyn + (u64)v * VL);
                        prefetch_l2(xn + (u64)v * VL);
                    }
                }
            }
        }
        const unsigned row = base + team;
        const bool live = row < rows;
        const unsigned r = live ? row : 0, nv = live ? nvec : 0;
        const float m = __ldg(p.mean + r), rs = __ldg(p.rstd + r);
        const u64 at = (u64)(r * cols);
        const T* dyr = p.dy + at;
        const T* xr = p.x + at;
        T* dxr = p.dx + at;
        V dyv[NV], xv[NV];
#pragma unroll
        for (int j = 0; j < NV; j++) {
            const unsigned v = tid + j * s;
            dyv[j] = v < nv ? Io<T>::load(dyr, v) : Io<T>::zero();
            xv[j] = v < nv ? Io<T>::load(xr, v) : Io<T>::zero();
        }
        float a = 0.0f, b = 0.0f;
#pragma unroll
        for (int j = 0; j < NV; j++) {
            const unsigned v = tid + j * s;
            const V gg = v < nv ? Io<T>::load(p.gamma, v) : Io<T>::zero();
#pragma unroll
            for (int e = 0; e < VL; e++) {
                const float gv = __fmul_rn(Io<T>::lane(dyv[j], e), Io<T>::lane(gg, e));
                a = __fadd_rn(a, gv);
                b = __fmaf_rn(gv, __fmul_rn(__fsub_rn(Io<T>::lane(xv[j], e), m), rs), b);
            }
        }
        team_sums(a, b, s, sc[it & 1][0], sc[it & 1][1]);
        a = div_full(a, (float)cols);
        b = div_full(b, (float)cols);
        const unsigned tid3 = opaque(tid);
#pragma unroll
        for (int j = 0; j < NV; j++) {
            const unsigned v = tid3 + j * s;
            if (v < nv) {
                const V gg = Io<T>::load(p.gamma, v);
                float out[8];
#pragma unroll
                for (int e = 0; e < VL; e++) {
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv[j], e), m), rs);
                    out[e] = __fmul_rn(rs, __fsub_rn(__fmul_rn(Io<T>::lane(dyv[j], e), Io<T>::lane(gg, e)),
                                                     __fmaf_rn(xhat, b, a)));
                }
                Io<T>::store(dxr, v, out);
#pragma unroll
                for (int h = 0; h < HALVES; h++) {
                    float4* pg = reinterpret_cast<float4*>(acc_g) + h * nvec + v;
                    float4* pb = reinterpret_cast<float4*>(acc_b) + h * nvec + v;
                    float4 cg = *pg, cb = *pb;
                    float* fg = reinterpret_cast<float*>(&cg);
                    float* fb = reinterpret_cast<float*>(&cb);
#pragma unroll
                    for (int q = 0; q < 4; q++) {
                        const int e = 4 * h + q;
                        const float d = Io<T>::lane(dyv[j], e);
                        const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv[j], e), m), rs);
                        fg[q] = __fmaf_rn(d, xhat, fg[q]);
                        fb[q] = __fadd_rn(fb[q], d);
                    }
                    *pg = cg;
                    *pb = cb;
                }
            }
        }
    }
    // The teams' partials in team order, as the block's workspace row.
    __syncthreads();
    float* wg = p.ws_gamma + (u64)blockIdx.x * cols;
    float* wb = p.ws_beta + (u64)blockIdx.x * cols;
    for (unsigned i = t; i < cols / 4; i += blockDim.x) {
        const unsigned h = i / nvec, v = i % nvec, c = v * VL + 4 * h;
        float sg[4] = {0.f, 0.f, 0.f, 0.f}, sb[4] = {0.f, 0.f, 0.f, 0.f};
        for (unsigned k = 0; k < g; k++) {
            const float4 x = reinterpret_cast<const float4*>(smem + k * 2 * cols)[i];
            const float4 y = reinterpret_cast<const float4*>(smem + k * 2 * cols + cols)[i];
            sg[0] = __fadd_rn(sg[0], x.x), sg[1] = __fadd_rn(sg[1], x.y);
            sg[2] = __fadd_rn(sg[2], x.z), sg[3] = __fadd_rn(sg[3], x.w);
            sb[0] = __fadd_rn(sb[0], y.x), sb[1] = __fadd_rn(sb[1], y.y);
            sb[2] = __fadd_rn(sb[2], y.z), sb[3] = __fadd_rn(sb[3], y.w);
        }
        for (int q = 0; q < 4; q++) wg[c + q] = sg[q], wb[c + q] = sb[q];
    }
}

// The Rust sum_columns: blocks of 32 columns x 32 slot lanes, four loads in flight, the lanes'
// sums added in lane order.
template <typename T>
__device__ __forceinline__ void sum_columns(const LayerNormBackwardParams<T>& p, float* red_g, float* red_b) {
    const unsigned cx = threadIdx.x, y = threadIdx.y, nx = blockDim.x, ny = blockDim.y;
    const u64 cols = p.cols, c = (u64)blockIdx.x * nx + cx, slots = p.slots;
    float g = 0.0f, b = 0.0f;
    if (c < cols) {
        u64 s = y;
        for (; s + 3 * ny < slots; s += 4 * ny) {
            float gs[4], bs[4];
#pragma unroll
            for (int k = 0; k < 4; k++) gs[k] = p.ws_gamma[(s + k * ny) * cols + c];
#pragma unroll
            for (int k = 0; k < 4; k++) bs[k] = p.ws_beta[(s + k * ny) * cols + c];
            g = __fadd_rn(__fadd_rn(__fadd_rn(__fadd_rn(g, gs[0]), gs[1]), gs[2]), gs[3]);
            b = __fadd_rn(__fadd_rn(__fadd_rn(__fadd_rn(b, bs[0]), bs[1]), bs[2]), bs[3]);
        }
        for (; s < slots; s += ny) {
            g = __fadd_rn(g, p.ws_gamma[s * cols + c]);
            b = __fadd_rn(b, p.ws_beta[s * cols + c]);
        }
    }
    red_g[y * nx + cx] = g;
    red_b[y * nx + cx] = b;
    __syncthreads();
    if (y == 0 && c < cols) {
        float sg = 0.0f, sb = 0.0f;
        for (unsigned k = 0; k < ny; k++) sg = __fadd_rn(sg, red_g[k * nx + cx]), sb = __fadd_rn(sb, red_b[k * nx + cx]);
        Io<T>::sstore(p.dgamma, c, sg);
        Io<T>::sstore(p.dbeta, c, sb);
    }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_strided(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    strided_rows<float, BW_CHUNKS>(p, BW_BLOCK, sc);
}

extern "C" __global__ void layernorm_backward_twin_strided_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_strided(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    strided_rows<__nv_bfloat16, BW_CHUNKS>(p, BW_BLOCK, sc);
}

extern "C" __global__ void layernorm_backward_twin_bf16_strided_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}

// ---- layernorm_backward/6-7's twins (long rows) ----
// The Rust long_rows: a block of BW_LONG_THREADS per row, one block per SM, block b rows
// b, b + grid, ...; thread t owns the row's 128-bit vectors t + 1024*k (k < K, K*LANES =
// BW_LONG_COLS); pass 1 sums g = dy*gamma and g*xhat (team_sums over the block), pass 2
// re-reads dy, x, gamma, writes dx, adds dy*xhat into the thread's dgamma partials in
// registers and dy into its dbeta partials in dynamic shared memory (plane k*LANES/4 + h, word
// t); at the end the thread's columns of the block's workspace row. Rows it does not hold
// (long_fits) and misaligned pointers take looped_rows.

constexpr unsigned BW_LONG_THREADS = 1024, BW_LONG_COLS = 32;

__device__ __forceinline__ bool long_fits(unsigned cols, unsigned lanes) {
    return cols != 0 && cols % lanes == 0 && cols <= BW_LONG_COLS * BW_LONG_THREADS;
}

template <typename T>
__device__ __forceinline__ void long_rows(const LayerNormBackwardParams<T>& p, float (*sc)[2][32]) {
    constexpr int L = Io<T>::LANES, K = BW_LONG_COLS / L, HALVES = L / 4;
    typedef typename Io<T>::V V;
    if (!long_fits(p.cols, L) || !aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx)) {
        looped_rows<T>(p, sc);
        return;
    }
    extern __shared__ float4 bw_smem4[];
    const unsigned nvec = p.cols / L, t = threadIdx.x;
    const float4 zero = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll
    for (int k = 0; k < K; k++)
        if (t + k * BW_LONG_THREADS < nvec)
#pragma unroll
            for (int h = 0; h < HALVES; h++) bw_smem4[(k * HALVES + h) * BW_LONG_THREADS + t] = zero;
    float acc[K][L];
#pragma unroll
    for (int k = 0; k < K; k++)
#pragma unroll
        for (int j = 0; j < L; j++) acc[k][j] = 0.0f;
    for (unsigned it = 0;; it++) {
        const unsigned row = blockIdx.x + it * gridDim.x;
        if (row >= p.rows) break;
        const float m = __ldg(p.mean + row), rs = __ldg(p.rstd + row);
        const unsigned at = row * nvec;
        // dy and x's vector e (of the whole matrix) and gamma's vector v: 128-bit loads.
        const auto vectors = [&](unsigned e, unsigned v, V& d, V& x, V& g) {
            d = Io<T>::load(p.dy, e), x = Io<T>::load(p.x, e), g = Io<T>::load(p.gamma, v);
        };
        float a = 0.0f, b = 0.0f;
#pragma unroll
        for (int k = 0; k < K; k++) {
            const unsigned v = t + k * BW_LONG_THREADS;
            if (v < nvec) {
                V d, x, g;
                vectors(at + v, v, d, x, g);
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float gv = __fmul_rn(Io<T>::lane(d, j), Io<T>::lane(g, j));
                    a = __fadd_rn(a, gv);
                    b = __fmaf_rn(gv, __fmul_rn(__fsub_rn(Io<T>::lane(x, j), m), rs), b);
                }
            }
        }
        team_sums(a, b, BW_LONG_THREADS, sc[it & 1][0], sc[it & 1][1]);
        a = div_full(a, (float)p.cols);
        b = div_full(b, (float)p.cols);
#pragma unroll
        for (int k = 0; k < K; k++) {
            const unsigned v = t + k * BW_LONG_THREADS;
            if (v < nvec) {
                V d, x, g;
                vectors(at + v, v, d, x, g);
                float f[8];
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float dj = Io<T>::lane(d, j);
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(x, j), m), rs);
                    f[j] = __fmul_rn(rs, __fsub_rn(__fmul_rn(dj, Io<T>::lane(g, j)), __fmaf_rn(xhat, b, a)));
                    acc[k][j] = __fmaf_rn(dj, xhat, acc[k][j]);
                }
                Io<T>::store(p.dx, at + v, f);
#pragma unroll
                for (int h = 0; h < HALVES; h++) {
                    float4& w = bw_smem4[(k * HALVES + h) * BW_LONG_THREADS + t];
                    float4 cb = w;
                    cb.x = __fadd_rn(cb.x, Io<T>::lane(d, 4 * h));
                    cb.y = __fadd_rn(cb.y, Io<T>::lane(d, 4 * h + 1));
                    cb.z = __fadd_rn(cb.z, Io<T>::lane(d, 4 * h + 2));
                    cb.w = __fadd_rn(cb.w, Io<T>::lane(d, 4 * h + 3));
                    w = cb;
                }
            }
        }
    }
    float* wg = p.ws_gamma + (u64)blockIdx.x * p.cols;
    float* wb = p.ws_beta + (u64)blockIdx.x * p.cols;
#pragma unroll
    for (int k = 0; k < K; k++) {
        const unsigned v = t + k * BW_LONG_THREADS;
        if (v < nvec)
#pragma unroll
            for (int h = 0; h < HALVES; h++) {
                const u64 c = (u64)v * L + 4 * h;
                const float4 cb = bw_smem4[(k * HALVES + h) * BW_LONG_THREADS + t];
                wg[c] = acc[k][4 * h], wg[c + 1] = acc[k][4 * h + 1], wg[c + 2] = acc[k][4 * h + 2], wg[c + 3] = acc[k][4 * h + 3];
                wb[c] = cb.x, wb[c + 1] = cb.y, wb[c + 2] = cb.z, wb[c + 3] = cb.w;
            }
    }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_long_rows(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    long_rows<float>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_long_rows_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_long_rows(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    long_rows<__nv_bfloat16>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_bf16_long_rows_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}

// layernorm_backward/8–9: strided_rows with the next row group prefetched into L2, the same
// column sum.
extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_prefetched(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    strided_rows<float, BW_CHUNKS, true>(p, BW_BLOCK, sc);
}

extern "C" __global__ void layernorm_backward_twin_prefetched_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_prefetched(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    strided_rows<__nv_bfloat16, BW_CHUNKS, true>(p, BW_BLOCK, sc);
}

extern "C" __global__ void layernorm_backward_twin_bf16_prefetched_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}

// Cluster PTX needs sm_90: on older devices (the module is compiled for the device) these trap,
// and the host never launches steps 12-15's twins there.
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 900
#define BW_HAS_CLUSTERS 1
#endif
__device__ __forceinline__ unsigned cluster_rank() {
    unsigned r = 0;
#ifdef BW_HAS_CLUSTERS
    asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));
#else
    __trap();
#endif
    return r;
}
__device__ __forceinline__ void dsmem_store(float* local, unsigned rank, float v) {
#ifdef BW_HAS_CLUSTERS
    asm volatile("{ .reg .b32 a; mapa.shared::cluster.u32 a, %0, %1; st.shared::cluster.f32 [a], %2; }" ::"r"((unsigned)__cvta_generic_to_shared(local)), "r"(rank), "f"(v) : "memory");
#else
    __trap();
#endif
}
__device__ __forceinline__ void cluster_arrive() {
#ifdef BW_HAS_CLUSTERS
    asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");
#endif
}
__device__ __forceinline__ void cluster_arrive_relaxed() {
#ifdef BW_HAS_CLUSTERS
    asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");
#endif
}
__device__ __forceinline__ void cluster_wait() {
#ifdef BW_HAS_CLUSTERS
    asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");
#endif
}
// Programmatic dependent launch (layernorm_backward/14-15, the Rust grid_dep): kernel 1 lets
// kernel 2 launch at once; kernel 2 waits for kernel 1's grid and memory before the workspace.
__device__ __forceinline__ void launch_dependents() {
#ifdef BW_HAS_CLUSTERS
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
#endif
}
__device__ __forceinline__ void wait_prerequisites() {
#ifdef BW_HAS_CLUSTERS
    asm volatile("griddepcontrol.wait;" ::: "memory");
#endif
}

// ---- layernorm_backward/10-11's twins (dy and x streamed into shared memory) ----
// The Rust streamed_rows: persistent blocks of G teams of S threads (streamed_team: S the power
// of two >= ceil(cols / 8), G = max(1, 512 / S)), team g rows (b + k*grid)*G + g; thread tid of a
// team owns the row's 128-bit vectors tid + q*S (8 columns: f32 q < 2, bf16 q < 1), gamma of them
// in registers. Each thread cp.async-copies its own vectors of dy and x (the first lane of each
// warp's share of the row also the row's mean and rstd, shuffled to the others) of the row group
// AHEAD groups ahead into a stage of dynamic shared memory, waits for the
// oldest group (cp.async.wait_group AHEAD) and reads them back; team_sums is the one barrier per
// row group; dx is stored, the 16 partials kept in registers; at the end the partials go into the
// teams' planes and are added in team order into the block's workspace row.

constexpr unsigned BW_STREAMED_BLOCK = 512, BW_STREAMED_MAX_TEAM = 1024;

__device__ __forceinline__ bool streamed_team(unsigned cols, unsigned lanes, unsigned& s, unsigned& g, unsigned& lg) {
    if (cols == 0 || cols > 8 * BW_STREAMED_MAX_TEAM || cols % lanes != 0) return false;
    const unsigned need = (cols + 7) / 8;
    lg = 32 - __clz(need - 1);
    s = 1u << lg;
    g = s >= BW_STREAMED_BLOCK ? 1 : BW_STREAMED_BLOCK >> lg;
    return true;
}

// cp.async of 16 bytes (.cg) and of 4 (.ca) from global `src` to shared `dst`; commit, wait.
__device__ __forceinline__ void cp_async16(void* dst, const void* src) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"((unsigned)__cvta_generic_to_shared(dst)), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async4(void* dst, const void* src) {
    asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"((unsigned)__cvta_generic_to_shared(dst)), "l"(src) : "memory");
}
__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;" ::: "memory");
}
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");
}

// layernorm/13 (bf16): the Rust norm_staged — norm_strided's block per row and arithmetic, the
// row staged in dynamic shared memory instead of registers: each thread cp.async-copies its own
// vectors (tid + k·size), waits for its own copies (no barrier), and reads them back in each of
// the three passes (the two reductions' barriers keep them out of registers); 32 registers under
// launch bounds (1024, 2). Rows that do not fit take three looped scalar passes (no staging).
extern "C" __global__ void __launch_bounds__(1024, 2) layernorm_twin_bf16_staged(LayerNormParams<__nv_bfloat16> p) {
    typedef Chunk<__nv_bfloat16> K;
    __shared__ float s0[32], s1[32];
    extern __shared__ uint4 ln_stage[];
    const u64 row = blockIdx.x;
    if (row >= p.rows) return;  // uniform over the block
    const u64 n = p.cols, size = blockDim.x, tid = threadIdx.x;
    const bool fits = n % 8 == 0 && aligned16((u64)p.x | (u64)p.y | (u64)p.gamma | (u64)p.beta) &&
                      n / 8 <= CHUNKS * size;
    __nv_bfloat16* yr = p.y + row * n;
    if (!fits) {  // the Rust norm_row_scalar: three looped scalar passes by the block
        const __nv_bfloat16* xs = p.x + row * n;
        float s = 0.0f, q = 0.0f;
        for (u64 c = tid; c < n; c += size) s = __fadd_rn(s, __bfloat162float(xs[c]));
        const float mean = div_full(block_sum(s, s0), (float)p.cols);
        for (u64 c = tid; c < n; c += size) {
            const float d = __fsub_rn(__bfloat162float(xs[c]), mean);
            q = __fmaf_rn(d, d, q);
        }
        const float rstd = rsqrt_approx(__fadd_rn(div_full(block_sum(q, s1), (float)p.cols), p.eps));
        for (u64 c = tid; c < n; c += size)
            yr[c] = __float2bfloat16_rn(__fmaf_rn(__fmul_rn(__fsub_rn(__bfloat162float(xs[c]), mean), rstd),
                                                  __bfloat162float(p.gamma[c]), __bfloat162float(p.beta[c])));
        if (tid == 0) {
            p.mean[row] = mean;
            p.rstd[row] = rstd;
        }
        return;
    }
    const uint4* xr = reinterpret_cast<const uint4*>(p.x + row * n);
    const u64 nvec = n / 8;
#pragma unroll
    for (int k = 0; k < CHUNKS; k++)
        if (tid + k * size < nvec) cp_async16(ln_stage + tid + k * size, xr + tid + k * size);
    asm volatile("cp.async.wait_all;" ::: "memory");
    auto chunk = [&](int k) {
        const u64 i = tid + k * size;
        return i < nvec ? ln_stage[i] : make_uint4(0, 0, 0, 0);
    };

    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < CHUNKS; k++) {
        float v[8];
        K::unpack(chunk(k), v);
        float part = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; e++) part = __fadd_rn(part, v[e]);
        s = __fadd_rn(s, part);
    }
    const float mean = div_full(block_sum(s, s0), (float)p.cols);
    float q = 0.0f;
#pragma unroll
    for (int k = 0; k < CHUNKS; k++) {
        float v[8];
        K::unpack(chunk(k), v);
        const bool exists = tid + k * size < nvec;
        float part = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; e++) {
            const float d = exists ? __fsub_rn(v[e], mean) : 0.0f;
            part = __fmaf_rn(d, d, part);
        }
        q = __fadd_rn(q, part);
    }
    const float rstd = rsqrt_approx(__fadd_rn(div_full(block_sum(q, s1), (float)p.cols), p.eps));
#pragma unroll
    for (int k = 0; k < CHUNKS; k++) {
        const u64 first = tid + k * size;
        float v[8], g[8], b[8], out[8];
        K::unpack(chunk(k), v);
        K::unpack(K::load(p.gamma, first, size, nvec), g);
        K::unpack(K::load(p.beta, first, size, nvec), b);
#pragma unroll
        for (int e = 0; e < 8; e++) out[e] = __fmaf_rn(__fmul_rn(__fsub_rn(v[e], mean), rstd), g[e], b[e]);
        K::store(yr, first, size, nvec, out);
    }
    if (tid == 0) {
        p.mean[row] = mean;
        p.rstd[row] = rstd;
    }
}

// The Rust teams_to_workspace_by_columns: g teams' partials (2*cols floats each, dgamma then
// dbeta, plane order) added in team order, thread t columns 4t.. (then + 4*blockDim), stored as
// float4 into the block's workspace row.
template <int VL>
__device__ __forceinline__ void teams_to_workspace_by_columns(const float* smem, float* wg, float* wb, unsigned cols, unsigned g) {
    const unsigned nvec = cols / VL;
    for (unsigned q = threadIdx.x; q < cols / 4; q += blockDim.x) {
        const unsigned v = 4 * q / VL, h = 4 * q % VL / 4, i = h * nvec + v;
        float sg[4] = {0.f, 0.f, 0.f, 0.f}, sb[4] = {0.f, 0.f, 0.f, 0.f};
        for (unsigned k = 0; k < g; k++) {
            const float4 x = reinterpret_cast<const float4*>(smem + k * 2 * cols)[i];
            const float4 y = reinterpret_cast<const float4*>(smem + k * 2 * cols + cols)[i];
            sg[0] = __fadd_rn(sg[0], x.x), sg[1] = __fadd_rn(sg[1], x.y);
            sg[2] = __fadd_rn(sg[2], x.z), sg[3] = __fadd_rn(sg[3], x.w);
            sb[0] = __fadd_rn(sb[0], y.x), sb[1] = __fadd_rn(sb[1], y.y);
            sb[2] = __fadd_rn(sb[2], y.z), sb[3] = __fadd_rn(sb[3], y.w);
        }
        reinterpret_cast<float4*>(wg)[q] = make_float4(sg[0], sg[1], sg[2], sg[3]);
        reinterpret_cast<float4*>(wb)[q] = make_float4(sb[0], sb[1], sb[2], sb[3]);
    }
}

__device__ __forceinline__ float4 dsmem_load4(const float* local, unsigned rank) {
    float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
#ifdef BW_HAS_CLUSTERS
    asm volatile("{ .reg .b32 a; mapa.shared::cluster.u32 a, %4, %5; ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [a]; }"
                 : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
                 : "r"((unsigned)__cvta_generic_to_shared(local)), "r"(rank)
                 : "memory");
#else
    __trap();
#endif
    return v;
}

// layernorm_backward/14-15's epilogue (the Rust cluster_teams_to_workspace): with several teams a
// block, thread t first adds quads t, t + blockDim, ... of the g teams into team 0's planes; a
// cluster barrier; CTA r of the cluster adds quads r*per .. (per = ceil(cols / 4 / CL)) of the
// CL CTAs' sums (rank order) read through ld.shared::cluster, stores them as float4 into the
// cluster's workspace row, and meets its peers at a second barrier before it exits.
template <int VL, unsigned CL>
__device__ __forceinline__ void cluster_teams_to_workspace(float* smem, float* wg, float* wb, unsigned cols, unsigned g) {
    const unsigned nvec = cols / VL, quads = cols / 4;
    float4* s4 = reinterpret_cast<float4*>(smem);
    if (g > 1)
        for (unsigned q = threadIdx.x; q < quads; q += blockDim.x) {
            const unsigned i = (4 * q % VL / 4) * nvec + 4 * q / VL;
            float4 sg = s4[i], sb = s4[cols / 4 + i];
            for (unsigned k = 1; k < g; k++) {
                const float4 x = s4[k * 2 * cols / 4 + i], y = s4[k * 2 * cols / 4 + cols / 4 + i];
                sg.x = __fadd_rn(sg.x, x.x), sg.y = __fadd_rn(sg.y, x.y), sg.z = __fadd_rn(sg.z, x.z), sg.w = __fadd_rn(sg.w, x.w);
                sb.x = __fadd_rn(sb.x, y.x), sb.y = __fadd_rn(sb.y, y.y), sb.z = __fadd_rn(sb.z, y.z), sb.w = __fadd_rn(sb.w, y.w);
            }
            s4[i] = sg, s4[cols / 4 + i] = sb;
        }
    cluster_arrive();
    cluster_wait();
    const unsigned per = (quads + CL - 1) / CL, rank = cluster_rank();
    const unsigned end = (rank + 1) * per < quads ? (rank + 1) * per : quads;
    for (unsigned q = rank * per + threadIdx.x; q < end; q += blockDim.x) {
        const unsigned i = (4 * q % VL / 4) * nvec + 4 * q / VL;
        float sg[4] = {0.f, 0.f, 0.f, 0.f}, sb[4] = {0.f, 0.f, 0.f, 0.f};
#pragma unroll
        for (unsigned r = 0; r < CL; r++) {
            const float4 x = dsmem_load4(smem + 4 * i, r);
            const float4 y = dsmem_load4(smem + cols + 4 * i, r);
            sg[0] = __fadd_rn(sg[0], x.x), sg[1] = __fadd_rn(sg[1], x.y);
            sg[2] = __fadd_rn(sg[2], x.z), sg[3] = __fadd_rn(sg[3], x.w);
            sb[0] = __fadd_rn(sb[0], y.x), sb[1] = __fadd_rn(sb[1], y.y);
            sb[2] = __fadd_rn(sb[2], y.z), sb[3] = __fadd_rn(sb[3], y.w);
        }
        reinterpret_cast<float4*>(wg)[q] = make_float4(sg[0], sg[1], sg[2], sg[3]);
        reinterpret_cast<float4*>(wb)[q] = make_float4(sb[0], sb[1], sb[2], sb[3]);
    }
    cluster_arrive();
    cluster_wait();
}

template <typename T> struct SharedVec;
template <> struct SharedVec<float> {
    __device__ static float4 load(const float* w) { return *reinterpret_cast<const float4*>(w); }
};
template <> struct SharedVec<__nv_bfloat16> {
    __device__ static typename Io<__nv_bfloat16>::V load(const float* w) {
        return *reinterpret_cast<const typename Io<__nv_bfloat16>::V*>(w);
    }
};

// CLUSTER_OF > 1 (layernorm_backward/14-15): the blocks in clusters of CLUSTER_OF, one workspace
// row per cluster (cluster_teams_to_workspace); the fallback on rank 0 of each cluster.
template <typename T, int AHEAD, unsigned CLUSTER_OF = 1>
__device__ __forceinline__ void streamed_rows(const LayerNormBackwardParams<T>& p, float (*sc)[2][32]) {
    constexpr int L = Io<T>::LANES, VPC = 8 / L, HALVES = L / 4;
    constexpr unsigned STAGES = AHEAD + 1;
    typedef typename Io<T>::V V;
    const unsigned cols = p.cols, rows = p.rows;
    unsigned s, g, lg;
    if (!streamed_team(cols, L, s, g, lg) || !aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx)) {
        looped_rows<T, CLUSTER_OF>(p, sc);
        return;
    }
    extern __shared__ float4 bw_smem4[];
    float* smem = reinterpret_cast<float*>(bw_smem4);
    const unsigned t = threadIdx.x, team = t >> lg, tid = t & (s - 1), nvec = cols / L;
    const unsigned words = g * 2 * s * 8 * (16 / L) / 4 + 2 * s * g;
    const unsigned dyo = team * 2 * s * VPC * 4 + 4 * tid, xo = s * VPC * 4, so = words - 2 * s * g + 2 * t;
    const unsigned row0 = blockIdx.x * g + team, stride = gridDim.x * g;
    const unsigned w = s < 32 ? s : 32;
    const bool lead = (t & (w - 1)) == 0;
    V gam[VPC];
#pragma unroll
    for (int q = 0; q < VPC; q++)
        if (tid + q * s < nvec) gam[q] = Io<T>::load(p.gamma, tid + q * s);
    const auto copy = [&](unsigned it) {
        const unsigned row = row0 + it * stride;
        if (row < rows) {
            const unsigned st = it % STAGES * words;
#pragma unroll
            for (int q = 0; q < VPC; q++) {
                const unsigned v = tid + q * s;
                if (v < nvec) {
                    const u64 e = (u64)(row * nvec + v) * L;
                    const unsigned w = st + dyo + q * 4 * s;
                    cp_async16(smem + w, p.dy + e);
                    cp_async16(smem + w + xo, p.x + e);
                }
            }
            if (lead) {
                cp_async4(smem + st + so, p.mean + row);
                cp_async4(smem + st + so + 1, p.rstd + row);
            }
        }
        cp_async_commit();
    };
    for (unsigned k = 0; k < AHEAD; k++) copy(k);
    float acc[2][8];
#pragma unroll
    for (int c = 0; c < 8; c++) acc[0][c] = 0.0f, acc[1][c] = 0.0f;
    for (unsigned it = 0; (blockIdx.x + it * gridDim.x) * g < rows; it++) {
        copy(it + AHEAD);
        cp_async_wait<AHEAD>();
        const unsigned row = row0 + it * stride;
        const bool live = row < rows;
        const float* st = smem + it % STAGES * words;
        float m = 0.0f, rs = 0.0f;
        if (live && lead) m = st[so], rs = st[so + 1];
        const unsigned first = (threadIdx.x % 32) & ~(w - 1);
        m = __shfl_sync(0xffffffffu, m, first);
        rs = __shfl_sync(0xffffffffu, rs, first);
        V dyv[VPC], xv[VPC];
        float a = 0.0f, b = 0.0f;
#pragma unroll
        for (int q = 0; q < VPC; q++)
            if (live && tid + q * s < nvec) {
                const unsigned w = dyo + q * 4 * s;
                dyv[q] = SharedVec<T>::load(st + w);
                xv[q] = SharedVec<T>::load(st + w + xo);
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float gv = __fmul_rn(Io<T>::lane(dyv[q], j), Io<T>::lane(gam[q], j));
                    a = __fadd_rn(a, gv);
                    b = __fmaf_rn(gv, __fmul_rn(__fsub_rn(Io<T>::lane(xv[q], j), m), rs), b);
                }
            }
        team_sums(a, b, s, sc[it & 1][0], sc[it & 1][1]);
        a = div_full(a, (float)cols);
        b = div_full(b, (float)cols);
#pragma unroll
        for (int q = 0; q < VPC; q++)
            if (live && tid + q * s < nvec) {
                float f[8];
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float d = Io<T>::lane(dyv[q], j);
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv[q], j), m), rs);
                    f[j] = __fmul_rn(rs, __fsub_rn(__fmul_rn(d, Io<T>::lane(gam[q], j)), __fmaf_rn(xhat, b, a)));
                    acc[0][q * L + j] = __fmaf_rn(d, xhat, acc[0][q * L + j]);
                    acc[1][q * L + j] = __fadd_rn(acc[1][q * L + j], d);
                }
                Io<T>::store(p.dx, (u64)row * nvec + tid + q * s, f);
            }
    }
    cp_async_wait<0>();
    __syncthreads();
    float* acc_g = smem + team * 2 * cols;
    float* acc_b = acc_g + cols;
#pragma unroll
    for (int q = 0; q < VPC; q++) {
        const unsigned v = tid + q * s;
        if (v < nvec)
#pragma unroll
            for (int h = 0; h < HALVES; h++) {
                const int c = q * L + 4 * h;
                reinterpret_cast<float4*>(acc_g)[h * nvec + v] = make_float4(acc[0][c], acc[0][c + 1], acc[0][c + 2], acc[0][c + 3]);
                reinterpret_cast<float4*>(acc_b)[h * nvec + v] = make_float4(acc[1][c], acc[1][c + 1], acc[1][c + 2], acc[1][c + 3]);
            }
    }
    __syncthreads();
    if (CLUSTER_OF > 1) {
        const u64 row = (u64)(blockIdx.x / CLUSTER_OF) * cols;
        cluster_teams_to_workspace<L, CLUSTER_OF>(smem, p.ws_gamma + row, p.ws_beta + row, cols, g);
    } else {
        teams_to_workspace_by_columns<L>(smem, p.ws_gamma + (u64)blockIdx.x * cols, p.ws_beta + (u64)blockIdx.x * cols, cols, g);
    }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_streamed(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    streamed_rows<float, 2>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_streamed_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_streamed(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    streamed_rows<__nv_bfloat16, 3>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_bf16_streamed_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}

// ---- layernorm_backward/12-13's twins (a row split over a cluster of 4 CTAs, sm_90) ----
// The Rust cluster_rows: cluster k rows k, k + clusters, ...; its CTA of rank r owns columns
// r*w .. min(cols, (r + 1)*w) (w = ceil(cols / 4) rounded up to 8), one team of S threads (the
// power of two >= w / 8, at least 32), streamed as streamed_rows; per row the CTA's sums go
// through team_sums, thread j < 4 stores them into slot r of CTA j's exchange buffer of the row's
// parity (st.shared::cluster), the cluster arrives, the partials are added, the cluster waits, and
// every thread adds the 4 pairs in rank order. Rows it does not hold take looped_rows on rank 0 of
// each cluster (the cluster's rows, workspace row k).

__device__ __forceinline__ unsigned slice_cols(unsigned cols) { return ((cols + BW_CLUSTER - 1) / BW_CLUSTER + 7) / 8 * 8; }

template <typename T, int AHEAD>
__device__ __forceinline__ void cluster_rows(const LayerNormBackwardParams<T>& p, float (*sc)[2][32], float* xchg) {
    constexpr int L = Io<T>::LANES, VPC = 8 / L;
    constexpr unsigned STAGES = AHEAD + 1;
    typedef typename Io<T>::V V;
    const unsigned cols = p.cols, rows = p.rows;
    if (cols == 0 || cols % L != 0 || slice_cols(cols) > 8 * BW_STREAMED_MAX_TEAM ||
        !aligned16((u64)p.dy | (u64)p.x | (u64)p.gamma | (u64)p.dx)) {
        looped_rows<T, BW_CLUSTER>(p, sc);
        return;
    }
    extern __shared__ float4 bw_smem4[];
    float* smem = reinterpret_cast<float*>(bw_smem4);
    const unsigned w = slice_cols(cols), need = (w + 7) / 8;
    unsigned lg = 32 - __clz(need - 1);
    if (lg < 5) lg = 5;
    const unsigned s = 1u << lg, rank = cluster_rank(), first = rank * w;
    const unsigned mine = first < cols ? ((cols - first < w ? cols - first : w) / L) : 0, at = first / L;
    const unsigned t = threadIdx.x, tid = t, nvec = cols / L;
    const unsigned words = 2 * s * 8 * (16 / L) / 4 + 2 * s;
    const unsigned dyo = 4 * tid, xo = s * VPC * 4, so = words - 2 * s + 2 * t;
    const unsigned cl = blockIdx.x / BW_CLUSTER, stride = gridDim.x / BW_CLUSTER;
    const unsigned lw = s < 32 ? s : 32;
    const bool lead = (t & (lw - 1)) == 0;
    V gam[VPC];
#pragma unroll
    for (int q = 0; q < VPC; q++)
        if (tid + q * s < mine) gam[q] = Io<T>::load(p.gamma, at + tid + q * s);
    const auto copy = [&](unsigned it) {
        const unsigned row = cl + it * stride;
        if (row < rows) {
            const unsigned st = it % STAGES * words;
#pragma unroll
            for (int q = 0; q < VPC; q++) {
                const unsigned v = tid + q * s;
                if (v < mine) {
                    const u64 e = (u64)(row * nvec + at + v) * L;
                    const unsigned wd = st + dyo + q * 4 * s;
                    cp_async16(smem + wd, p.dy + e);
                    cp_async16(smem + wd + xo, p.x + e);
                }
            }
            if (lead) {
                cp_async4(smem + st + so, p.mean + row);
                cp_async4(smem + st + so + 1, p.rstd + row);
            }
        }
        cp_async_commit();
    };
    for (unsigned k = 0; k < AHEAD; k++) copy(k);
    // Every CTA of the cluster has started before any writes a peer's exchange buffer.
    cluster_arrive_relaxed();
    cluster_wait();
    float acc[2][8];
#pragma unroll
    for (int c = 0; c < 8; c++) acc[0][c] = 0.0f, acc[1][c] = 0.0f;
    for (unsigned it = 0; cl + it * stride < rows; it++) {
        copy(it + AHEAD);
        cp_async_wait<AHEAD>();
        const unsigned row = cl + it * stride;
        const float* st = smem + it % STAGES * words;
        float m = 0.0f, rs = 0.0f;
        if (lead) m = st[so], rs = st[so + 1];
        const unsigned src = (threadIdx.x % 32) & ~(lw - 1);
        m = __shfl_sync(0xffffffffu, m, src);
        rs = __shfl_sync(0xffffffffu, rs, src);
        V dyv[VPC], xv[VPC];
        float a = 0.0f, b = 0.0f;
#pragma unroll
        for (int q = 0; q < VPC; q++)
            if (tid + q * s < mine) {
                const unsigned wd = dyo + q * 4 * s;
                dyv[q] = SharedVec<T>::load(st + wd);
                xv[q] = SharedVec<T>::load(st + wd + xo);
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float gv = __fmul_rn(Io<T>::lane(dyv[q], j), Io<T>::lane(gam[q], j));
                    a = __fadd_rn(a, gv);
                    b = __fmaf_rn(gv, __fmul_rn(__fsub_rn(Io<T>::lane(xv[q], j), m), rs), b);
                }
            }
        team_sums(a, b, s, sc[it & 1][0], sc[it & 1][1]);
        const unsigned buf = (it & 1) * 2 * BW_CLUSTER;
        if (t < BW_CLUSTER) {
            dsmem_store(xchg + buf + 2 * rank, t, a);
            dsmem_store(xchg + buf + 2 * rank + 1, t, b);
        }
        cluster_arrive();
#pragma unroll
        for (int q = 0; q < VPC; q++)
            if (tid + q * s < mine)
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float d = Io<T>::lane(dyv[q], j);
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv[q], j), m), rs);
                    acc[0][q * L + j] = __fmaf_rn(d, xhat, acc[0][q * L + j]);
                    acc[1][q * L + j] = __fadd_rn(acc[1][q * L + j], d);
                }
        cluster_wait();
        a = 0.0f, b = 0.0f;
#pragma unroll
        for (unsigned j = 0; j < BW_CLUSTER; j++) a = __fadd_rn(a, xchg[buf + 2 * j]), b = __fadd_rn(b, xchg[buf + 2 * j + 1]);
        a = div_full(a, (float)cols);
        b = div_full(b, (float)cols);
#pragma unroll
        for (int q = 0; q < VPC; q++)
            if (tid + q * s < mine) {
                float f[8];
#pragma unroll
                for (int j = 0; j < L; j++) {
                    const float d = Io<T>::lane(dyv[q], j);
                    const float xhat = __fmul_rn(__fsub_rn(Io<T>::lane(xv[q], j), m), rs);
                    f[j] = __fmul_rn(rs, __fsub_rn(__fmul_rn(d, Io<T>::lane(gam[q], j)), __fmaf_rn(xhat, b, a)));
                }
                Io<T>::store(p.dx, (u64)row * nvec + at + tid + q * s, f);
            }
    }
    float* wg = p.ws_gamma + (u64)cl * cols;
    float* wb = p.ws_beta + (u64)cl * cols;
#pragma unroll
    for (int q = 0; q < VPC; q++)
        if (tid + q * s < mine) {
            const u64 c0 = (u64)(at + tid + q * s) * L;
#pragma unroll
            for (int h = 0; h < L / 4; h++) {
                const int c = q * L + 4 * h;
                reinterpret_cast<float4*>(wg + c0)[h] = make_float4(acc[0][c], acc[0][c + 1], acc[0][c + 2], acc[0][c + 3]);
                reinterpret_cast<float4*>(wb + c0)[h] = make_float4(acc[1][c], acc[1][c + 1], acc[1][c + 2], acc[1][c + 3]);
            }
        }
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_clustered(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    __shared__ float xchg[4 * BW_CLUSTER];
    cluster_rows<float, 2>(p, sc, xchg);
}

extern "C" __global__ void layernorm_backward_twin_clustered_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_clustered(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    __shared__ float xchg[4 * BW_CLUSTER];
    cluster_rows<__nv_bfloat16, 3>(p, sc, xchg);
}

extern "C" __global__ void layernorm_backward_twin_bf16_clustered_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}

// ---- layernorm_backward/14-15's twins (steps 10-11 in clusters of 2, the partials added across
// the cluster through DSMEM, kernel 2 a programmatic dependent launch, sm_90) ----

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_cluster_summed(LayerNormBackwardParams<float> p) {
    __shared__ float sc[2][2][32];
    launch_dependents();
    streamed_rows<float, 2, BW_SUM_CLUSTER>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_cluster_summed_columns(LayerNormBackwardParams<float> p) {
    __shared__ float red_g[1024], red_b[1024];
    wait_prerequisites();
    sum_columns<float>(p, red_g, red_b);
}

extern "C" __global__ void __launch_bounds__(1024) layernorm_backward_twin_bf16_cluster_summed(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float sc[2][2][32];
    launch_dependents();
    streamed_rows<__nv_bfloat16, 3, BW_SUM_CLUSTER>(p, sc);
}

extern "C" __global__ void layernorm_backward_twin_bf16_cluster_summed_columns(LayerNormBackwardParams<__nv_bfloat16> p) {
    __shared__ float red_g[1024], red_b[1024];
    wait_prerequisites();
    sum_columns<__nv_bfloat16>(p, red_g, red_b);
}
