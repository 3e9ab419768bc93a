// CUDA C++ twins of saxpy/4 (bf16) and saxpy/5 (f16) (kernels-gpu/src/saxpy/s04_bf16_vectorized.rs,
// one body for both): grid-stride loop over 16-byte vectors of 8 halves (x through __ldg),
// each pair widened to float2, two fmaf, one packed round to nearest even
// (__floats2bfloat162_rn / __floats2half2_rn); scalar head/tail when x and y share a
// misalignment, scalar loop when they do not. Same grid, same parameter struct
// (SaxpyParams<T>, #[repr(C)]: two pointers, a, n).

#include <cuda_bf16.h>
#include <cuda_fp16.h>

typedef unsigned long long u64;

template <class H>
struct SaxpyParams {
    const H* __restrict__ x;
    H* y;
    float a;
    unsigned int n;
};

// What the body needs of each element type (the Rust steps' HalfElement): exact widening,
// rounding to nearest even, one element or a pair (element 0 in the low half).
template <class H>
struct HalfOps;
template <>
struct HalfOps<__nv_bfloat16> {
    typedef __nv_bfloat162 H2;
    static __device__ __forceinline__ float widen(__nv_bfloat16 h) { return __bfloat162float(h); }
    static __device__ __forceinline__ __nv_bfloat16 round(float v) { return __float2bfloat16_rn(v); }
    static __device__ __forceinline__ float2 widen2(H2 h) { return __bfloat1622float2(h); }
    static __device__ __forceinline__ H2 round2(float lo, float hi) { return __floats2bfloat162_rn(lo, hi); }
};
template <>
struct HalfOps<__half> {
    typedef __half2 H2;
    static __device__ __forceinline__ float widen(__half h) { return __half2float(h); }
    static __device__ __forceinline__ __half round(float v) { return __float2half_rn(v); }
    static __device__ __forceinline__ float2 widen2(H2 h) { return __half22float2(h); }
    static __device__ __forceinline__ H2 round2(float lo, float hi) { return __floats2half2_rn(lo, hi); }
};

// One 32-bit word of a vector (two halves): both widened, two fmaf, one packed rounding.
template <class H>
__device__ __forceinline__ unsigned pair(float a, unsigned xw, unsigned yw) {
    typedef HalfOps<H> Ops;
    typedef typename Ops::H2 H2;
    const float2 x = Ops::widen2(*reinterpret_cast<const H2*>(&xw));
    const float2 y = Ops::widen2(*reinterpret_cast<const H2*>(&yw));
    const H2 r = Ops::round2(fmaf(a, x.x, y.x), fmaf(a, x.y, y.y));
    return *reinterpret_cast<const unsigned*>(&r);
}

template <class H>
__device__ __forceinline__ void one(const SaxpyParams<H>& p, u64 i) {
    typedef HalfOps<H> Ops;
    p.y[i] = Ops::round(fmaf(p.a, Ops::widen(__ldg(p.x + i)), Ops::widen(p.y[i])));
}

template <class H>
__device__ __forceinline__ void saxpy_half(const SaxpyParams<H>& p) {
    const u64 n = p.n;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    const u64 gid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 mis = reinterpret_cast<u64>(p.x) % 16;
    if (mis != reinterpret_cast<u64>(p.y) % 16) {
        for (u64 i = gid; i < n; i += stride) one(p, i);
        return;
    }
    u64 head = mis == 0 ? 0 : (16 - mis) / 2;
    if (head > n) head = n;
    const u64 nvec = (n - head) / 8;
    const uint4* xv = reinterpret_cast<const uint4*>(p.x + head);
    uint4* yv = reinterpret_cast<uint4*>(p.y + head);
    for (u64 i = gid; i < nvec; i += stride) {
        const uint4 x = __ldg(xv + i), y = yv[i];
        uint4 r;
        r.x = pair<H>(p.a, x.x, y.x);
        r.y = pair<H>(p.a, x.y, y.y);
        r.z = pair<H>(p.a, x.z, y.z);
        r.w = pair<H>(p.a, x.w, y.w);
        yv[i] = r;
    }
    const u64 tail = head + 8 * nvec;
    for (u64 j = gid; j < head; j += stride) one(p, j);
    for (u64 j = tail + gid; j < n; j += stride) one(p, j);
}

extern "C" __global__ void saxpy_twin_bf16(SaxpyParams<__nv_bfloat16> p) { saxpy_half(p); }
extern "C" __global__ void saxpy_twin_f16(SaxpyParams<__half> p) { saxpy_half(p); }
