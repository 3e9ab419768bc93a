// The element and team helpers of the softmax twins, shared by softmax.cu and
// softmax_backward.cu: the host prepends this text to each (`softmax::TWIN_SRC`,
// `softmax::BACKWARD_TWIN_SRC`, one NVRTC module each). The inline PTX is the Rust
// gpu::math functions' (max.NaN.f32, ex2.approx.ftz.f32, rcp.approx.ftz.f32); element access
// f32 or bf16 in memory, a chunk 8 elements; the team reductions of kernels-gpu/src/softmax
// (`Team`: a warp butterfly, or a block team's one value per warp through shared memory and
// one barrier).

#include <cuda_bf16.h>

typedef unsigned long long u64;

#define LOG2E 1.4426950408889634f
// -inf without math.h (NVRTC has none).
#define NEG_INF __int_as_float(0xff800000u)

__device__ __forceinline__ float max_nan(float a, float b) {
    float r;
    asm("max.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
    return r;
}
__device__ __forceinline__ float exp2_fast(float x) {
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
// rcp.approx.ftz.f32, as the Rust gpu::math::rcp_fast.
__device__ __forceinline__ float rcp_fast(float x) {
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
__device__ __forceinline__ float exp_shifted(float x, float m) { return exp2_fast((x - m) * LOG2E); }
__device__ __forceinline__ float rescale(float a, float m) { return a == m ? 1.0f : exp_shifted(a, m); }

__device__ __forceinline__ void online_push(float& m, float& s, float x) {
    const float m_new = max_nan(m, x);
    const float e = m_new == NEG_INF ? 0.0f : exp_shifted(x, m_new);
    s = fmaf(s, rescale(m, m_new), e);
    m = m_new;
}
__device__ __forceinline__ void online_merge(float& m, float& s, float m2, float s2) {
    const float mm = max_nan(m, m2);
    s = s * rescale(m, mm) + s2 * rescale(m2, mm);
    m = mm;
}

// Element access: f32 or bf16 in memory, f32 values; a chunk is 8 elements.
struct F32Elem {
    typedef float T;
    struct Raw { float4 a, b; };
    static __device__ __forceinline__ float load(const float* p, u64 j) { return __ldg(p + j); }
    static __device__ __forceinline__ void store(float* p, u64 j, float v) { p[j] = v; }
    // Vectors first and first + stride (a warp's loads are 32 consecutive float4), each
    // loaded when below nvec, else fill.
    static __device__ __forceinline__ Raw load_chunk(const float* p, u64 first, u64 stride, u64 nvec, float fill) {
        const float4* v = reinterpret_cast<const float4*>(p);
        Raw r;
        r.a = make_float4(fill, fill, fill, fill);
        r.b = r.a;
        if (first < nvec) r.a = __ldg(v + first);
        if (first + stride < nvec) r.b = __ldg(v + first + stride);
        return r;
    }
    static __device__ __forceinline__ void unpack(Raw r, float* o) {
        o[0] = r.a.x; o[1] = r.a.y; o[2] = r.a.z; o[3] = r.a.w;
        o[4] = r.b.x; o[5] = r.b.y; o[6] = r.b.z; o[7] = r.b.w;
    }
    static __device__ __forceinline__ void store_chunk(float* p, u64 first, u64 stride, u64 nvec, const float* v) {
        float4* o = reinterpret_cast<float4*>(p);
        if (first < nvec) o[first] = make_float4(v[0], v[1], v[2], v[3]);
        if (first + stride < nvec) o[first + stride] = make_float4(v[4], v[5], v[6], v[7]);
    }
    static const int VL = 4, VPC = 2;
};

// A bf16 is the top half of an f32: both halves of a pair, exactly.
__device__ __forceinline__ float lo_f32(unsigned w) { return __uint_as_float(w << 16); }
__device__ __forceinline__ float hi_f32(unsigned w) { return __uint_as_float(w & 0xffff0000u); }
// cvt.rn.bf16x2.f32 d, a, b puts a in the high half: (hi, lo) operand order.
__device__ __forceinline__ unsigned pack_lo_hi(float lo, float hi) {
    unsigned r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

struct Bf16Elem {
    typedef __nv_bfloat16 T;
    typedef uint4 Raw;
    static __device__ __forceinline__ float load(const __nv_bfloat16* p, u64 j) { return __bfloat162float(__ldg(p + j)); }
    static __device__ __forceinline__ void store(__nv_bfloat16* p, u64 j, float v) { p[j] = __float2bfloat16_rn(v); }
    static __device__ __forceinline__ Raw load_chunk(const __nv_bfloat16* p, u64 first, u64, u64 nvec, float fill) {
        const unsigned h = __float_as_uint(fill) >> 16;  // 0 and +-inf: exact in bf16
        const unsigned w = h | h << 16;
        Raw r = make_uint4(w, w, w, w);
        if (first < nvec) r = __ldg(reinterpret_cast<const uint4*>(p) + first);
        return r;
    }
    static __device__ __forceinline__ void unpack(Raw r, float* o) {
        o[0] = lo_f32(r.x); o[1] = hi_f32(r.x); o[2] = lo_f32(r.y); o[3] = hi_f32(r.y);
        o[4] = lo_f32(r.z); o[5] = hi_f32(r.z); o[6] = lo_f32(r.w); o[7] = hi_f32(r.w);
    }
    static __device__ __forceinline__ void store_chunk(__nv_bfloat16* p, u64 first, u64, u64 nvec, const float* v) {
        if (first >= nvec) return;
        uint4 o;
        o.x = pack_lo_hi(v[0], v[1]); o.y = pack_lo_hi(v[2], v[3]);
        o.z = pack_lo_hi(v[4], v[5]); o.w = pack_lo_hi(v[6], v[7]);
        reinterpret_cast<uint4*>(p)[first] = o;
    }
    static const int VL = 8, VPC = 1;
};

// Butterflies over each aligned group of `width` lanes (32: the whole warp).
__device__ __forceinline__ float warp_max(float v, unsigned width = 32) {
    for (unsigned o = width / 2; o > 0; o >>= 1) v = max_nan(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_sum(float v, unsigned width = 32) {
    for (unsigned o = width / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ void warp_merge(float& m, float& s, unsigned width = 32) {
    for (unsigned o = width / 2; o > 0; o >>= 1) {
        const float m2 = __shfl_xor_sync(0xffffffffu, m, o), s2 = __shfl_xor_sync(0xffffffffu, s, o);
        online_merge(m, s, m2, s2);
    }
}

// The threads that share one row: an aligned group of `size` lanes (a power of two <= 32), or
// the whole block (BLOCK).
template <bool BLOCK>
struct Team {
    unsigned tid, size;
    float* scratch0;
    float* scratch1;
    __device__ __forceinline__ float all_max(float v) const {
        if (!BLOCK) return warp_max(v, size);
        v = warp_max(v);
        const unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
        if (lane == 0) scratch0[w] = v;
        __syncthreads();
        float r = NEG_INF;
        if (lane < size / 32) r = scratch0[lane];
        return warp_max(r);
    }
    __device__ __forceinline__ float all_sum(float v) const {
        if (!BLOCK) return warp_sum(v, size);
        v = warp_sum(v);
        const unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
        if (lane == 0) scratch1[w] = v;
        __syncthreads();
        float r = 0.0f;
        if (lane < size / 32) r = scratch1[lane];
        return warp_sum(r);
    }
    __device__ __forceinline__ void all_merge(float& m, float& s) const {
        if (!BLOCK) { warp_merge(m, s, size); return; }
        warp_merge(m, s);
        const unsigned lane = threadIdx.x & 31, w = threadIdx.x >> 5;
        if (lane == 0) { scratch0[w] = m; scratch1[w] = s; }
        __syncthreads();
        m = NEG_INF; s = 0.0f;
        if (lane < size / 32) { m = scratch0[lane]; s = scratch1[lane]; }
        warp_merge(m, s);
    }
};
