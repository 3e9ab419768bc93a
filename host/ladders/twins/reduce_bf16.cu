// CUDA C++ twin of reduce_sum/9 (kernels-gpu/src/reduce/s09_bf16_single_pass.rs: step 8's body
// in s08_single_pass.rs over bf16 input): grid-stride loop of 128-bit __ldg loads of eight
// bf16 (four in flight), scalar head/tail, f32 accumulation, warp-shuffle block reduction,
// last block (fence + atomic counter) reduces the f32 partials. Same launch, same parameter
// struct (ReduceSinglePassParams<Bf16>, #[repr(C)]). A module of its own: reduce.cu, the f32
// twins, includes no header.

#include <cuda_bf16.h>

typedef unsigned long long u64;

struct ReduceSinglePassParams {
    const __nv_bfloat16* __restrict__ input;
    float* partials;
    unsigned int* counter;
    float* output;
    unsigned int n;
};

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// acc + the eight bf16 of a 128-bit load, widened exactly, as a tree (the Rust Bf16x8 combine:
// ((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7))).
__device__ __forceinline__ float add8(float acc, uint4 x) {
    float2 p0 = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&x.x));
    float2 p1 = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&x.y));
    float2 p2 = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&x.z));
    float2 p3 = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&x.w));
    float lo = (p0.x + p0.y) + (p1.x + p1.y);
    float hi = (p2.x + p2.y) + (p3.x + p3.y);
    return acc + (lo + hi);
}

__device__ __forceinline__ float strided_partial(const __nv_bfloat16* __restrict__ in, u64 n,
                                                 u64 start, u64 stride) {
    u64 mis = reinterpret_cast<u64>(in) % 16;
    u64 head = mis == 0 ? 0 : (16 - mis) / 2;
    if (head > n) head = n;
    u64 nvec = (n - head) / 8;
    const uint4* vec = reinterpret_cast<const uint4*>(in + head);
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    u64 i = start;
    for (; i + 3 * stride < nvec; i += 4 * stride) {
        uint4 x0 = __ldg(vec + i), x1 = __ldg(vec + i + stride);
        uint4 x2 = __ldg(vec + i + 2 * stride), x3 = __ldg(vec + i + 3 * stride);
        a0 = add8(a0, x0);
        a1 = add8(a1, x1);
        a2 = add8(a2, x2);
        a3 = add8(a3, x3);
    }
    for (; i < nvec; i += stride) a0 = add8(a0, __ldg(vec + i));
    u64 tail = head + 8 * nvec;
    for (u64 j = start; j < head; j += stride) a1 += __bfloat162float(__ldg(in + j));
    for (u64 j = tail + start; j < n; j += stride) a2 += __bfloat162float(__ldg(in + j));
    return (a0 + a1) + (a2 + a3);
}

// Result valid in warp 0; one __syncthreads.
__device__ __forceinline__ float block_sum(float v, float* warps) {
    v = warp_sum(v);
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = v;
    __syncthreads();
    float r = 0.0f;
    if (warp == 0) {
        if (lane < blockDim.x / 32) r = warps[lane];
        r = warp_sum(r);
    }
    return r;
}

// The Rust step's launch bounds (#[launch_bounds(GS_THREADS, GS_BLOCKS_PER_SM)]: 256, 4).
extern "C" __global__ void __launch_bounds__(256, 4) reduce_sum_twin_bf16(ReduceSinglePassParams p) {
    __shared__ float warps[32];
    __shared__ unsigned int last;
    u64 gid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    u64 stride = (u64)gridDim.x * blockDim.x;
    float r = block_sum(strided_partial(p.input, p.n, gid, stride), warps);
    if (threadIdx.x == 0) {
        p.partials[blockIdx.x] = r;
        __threadfence();
        unsigned int done = atomicAdd(p.counter, 1u);
        last = (done == gridDim.x - 1);
    }
    __syncthreads();
    if (last) {
        __threadfence();
        float v = 0.0f;
        for (unsigned j = threadIdx.x; j < gridDim.x; j += blockDim.x) v += __ldcg(p.partials + j);
        float t = block_sum(v, warps);
        if (threadIdx.x == 0) {
            p.output[0] = t;
            *p.counter = 0;
        }
    }
}
