// CUDA C++ twin of bias_gelu/4 (kernels-gpu/src/bias_gelu/s04_bf16_fused_vectorized.rs):
// y[r][c] = gelu_tanh(x[r][c] + bias[c]) with x, bias, y in bf16 and the math in f32. A
// grid-stride loop over 8-element groups of the flat matrix (one uint4 = 8 halves of x through
// __ldg, one uint4 store of y), two groups per iteration; the column of a group is
// (head + 8i) % cols (32-bit), then advanced with a wrap, bias read per element (__ldg of one
// bf16). Scalar head and tail when x and y share a misalignment, scalar loop when they do not.
// The GELU is kernels-gpu's `gelu`: u = v·fma(k1, v², k0), h = v/2, fma(h, tanh.approx(u), h),
// with tanh.approx.f32 as inline PTX (what the Rust kernel emits), rounded once to bf16 (RNE).
// Same grid (256 threads, 8 blocks per SM) and launch bounds (256, 8: at most 32 registers, so
// all 8 blocks are resident), same parameter struct (BiasGeluParams<Bf16>, #[repr(C)]: four
// 8-byte pointers, then rows and cols).

#include <cuda_bf16.h>

typedef unsigned long long u64;

struct BiasGeluParams {
    const __nv_bfloat16* __restrict__ x;
    const __nv_bfloat16* __restrict__ bias;
    __nv_bfloat16* tmp;  // step 1's temporary: unused here
    __nv_bfloat16* y;
    unsigned int rows;
    unsigned int cols;
};

__device__ __forceinline__ float tanh_approx(float x) {
    float r;
    asm("tanh.approx.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}

__device__ __forceinline__ float gelu(float v) {
    // sqrt(2/pi) and sqrt(2/pi) times the cubic coefficient: kernels-gpu's SQRT_2_OVER_PI and
    // SQRT_2_OVER_PI * GELU_CUBIC (the product rounded to f32 once, as Rust's const product).
    constexpr float K0 = 0.7978846f;
    constexpr float K1 = 0.7978846f * 0.044715f;
    const float u = v * fmaf(K1, v * v, K0);
    const float h = 0.5f * v;
    return fmaf(h, tanh_approx(u), h);
}

__device__ __forceinline__ void scalar(const BiasGeluParams& p, u64 i) {
    const float b = __bfloat162float(__ldg(p.bias + (unsigned)i % p.cols));
    p.y[i] = __float2bfloat16_rn(gelu(__bfloat162float(__ldg(p.x + i)) + b));
}

// One packed pair of the group: both halves of `xv` plus the next two columns' bias.
__device__ __forceinline__ unsigned pair(const BiasGeluParams& p, unsigned xv, unsigned& c) {
    const __nv_bfloat162 x2 = *reinterpret_cast<const __nv_bfloat162*>(&xv);
    const float b0 = __bfloat162float(__ldg(p.bias + c));
    if (++c == p.cols) c = 0;
    const float b1 = __bfloat162float(__ldg(p.bias + c));
    if (++c == p.cols) c = 0;
    const __nv_bfloat162 r = __floats2bfloat162_rn(gelu(__low2float(x2) + b0),
                                                   gelu(__high2float(x2) + b1));
    return *reinterpret_cast<const unsigned*>(&r);
}

// bias_gelu of group i (elements head + 8i .. head + 8i + 8), x values v.
__device__ __forceinline__ uint4 group(const BiasGeluParams& p, u64 head, u64 i, uint4 v) {
    unsigned c = (unsigned)(head + 8 * i) % p.cols;  // 32-bit: n < 2^32
    uint4 r;
    r.x = pair(p, v.x, c);
    r.y = pair(p, v.y, c);
    r.z = pair(p, v.z, c);
    r.w = pair(p, v.w, c);
    return r;
}

extern "C" __global__ void __launch_bounds__(256, 8) bias_gelu_twin_bf16(BiasGeluParams p) {
    const u64 n = (u64)p.rows * p.cols;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    const u64 gid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 mis = reinterpret_cast<u64>(p.x) % 16;
    if (mis != reinterpret_cast<u64>(p.y) % 16) {
        for (u64 i = gid; i < n; i += stride) scalar(p, i);
        return;
    }
    u64 head = mis == 0 ? 0 : (16 - mis) / 2;  // bf16 arrays are 2-byte aligned
    if (head > n) head = n;
    const u64 nvec = (n - head) / 8;
    const uint4* xv = reinterpret_cast<const uint4*>(p.x + head);
    uint4* yv = reinterpret_cast<uint4*>(p.y + head);
    // Two groups per iteration: both 16-byte loads issued before either is used.
    u64 i = gid;
    for (; i + stride < nvec; i += 2 * stride) {
        const uint4 v0 = __ldg(xv + i), v1 = __ldg(xv + i + stride);
        yv[i] = group(p, head, i, v0);
        yv[i + stride] = group(p, head, i + stride, v1);
    }
    if (i < nvec) yv[i] = group(p, head, i, __ldg(xv + i));
    // Head and tail (at most 7 elements each): the first threads.
    for (u64 j = gid; j < head; j += stride) scalar(p, j);
    for (u64 j = head + 8 * nvec + gid; j < n; j += stride) scalar(p, j);
}
