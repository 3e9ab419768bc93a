// CUDA C++ twin of reduce_sum/8 and reduce_max/8 (kernels-gpu/src/reduce/s08_single_pass.rs):
// grid-stride loop of float4 __ldg loads (four in flight), scalar head/tail, warp-shuffle block
// reduction, last block (fence + atomic counter) reduces the partials. Same launch, same
// parameter struct (ReduceSinglePassParams, #[repr(C)]).

typedef unsigned long long u64;  // no headers under NVRTC

struct ReduceSinglePassParams {
    const float* __restrict__ input;
    float* partials;
    unsigned int* counter;
    float* output;
    unsigned int n;
};

struct Sum {
    static __device__ __forceinline__ float identity() { return 0.0f; }
    static __device__ __forceinline__ float combine(float a, float b) { return a + b; }
};
struct Max {
    static __device__ __forceinline__ float identity() { return -__int_as_float(0x7f800000); }
    // NaN-propagating, as the Rust kernels' max.NaN.f32 (fmaxf would drop a NaN).
    static __device__ __forceinline__ float combine(float a, float b) {
        float r;
        asm("max.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
        return r;
    }
};

template <class O> __device__ __forceinline__ float warp_reduce(float v) {
    for (int o = 16; o > 0; o >>= 1) v = O::combine(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

template <class O> __device__ __forceinline__ float combine4(float acc, float4 x) {
    return O::combine(acc, O::combine(O::combine(x.x, x.y), O::combine(x.z, x.w)));
}

template <class O>
__device__ __forceinline__ float strided_partial(const float* __restrict__ in, u64 n,
                                                 u64 start, u64 stride) {
    u64 mis = reinterpret_cast<u64>(in) % 16;
    u64 head = mis == 0 ? 0 : (16 - mis) / 4;
    if (head > n) head = n;
    u64 nvec = (n - head) / 4;
    const float4* vec = reinterpret_cast<const float4*>(in + head);
    float a0 = O::identity(), a1 = O::identity(), a2 = O::identity(), a3 = O::identity();
    u64 i = start;
    for (; i + 3 * stride < nvec; i += 4 * stride) {
        float4 x0 = __ldg(vec + i), x1 = __ldg(vec + i + stride);
        float4 x2 = __ldg(vec + i + 2 * stride), x3 = __ldg(vec + i + 3 * stride);
        a0 = combine4<O>(a0, x0);
        a1 = combine4<O>(a1, x1);
        a2 = combine4<O>(a2, x2);
        a3 = combine4<O>(a3, x3);
    }
    for (; i < nvec; i += stride) a0 = combine4<O>(a0, __ldg(vec + i));
    u64 tail = head + 4 * nvec;
    for (u64 j = start; j < head; j += stride) a1 = O::combine(a1, __ldg(in + j));
    for (u64 j = tail + start; j < n; j += stride) a2 = O::combine(a2, __ldg(in + j));
    return O::combine(O::combine(a0, a1), O::combine(a2, a3));
}

// Result valid in warp 0; one __syncthreads.
template <class O> __device__ __forceinline__ float block_reduce(float v, float* warps) {
    v = warp_reduce<O>(v);
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = v;
    __syncthreads();
    float r = O::identity();
    if (warp == 0) {
        if (lane < blockDim.x / 32) r = warps[lane];
        r = warp_reduce<O>(r);
    }
    return r;
}

template <class O> __device__ __forceinline__ void single_pass(const ReduceSinglePassParams& p) {
    __shared__ float warps[32];
    __shared__ unsigned int last;
    u64 gid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    u64 stride = (u64)gridDim.x * blockDim.x;
    float r = block_reduce<O>(strided_partial<O>(p.input, p.n, gid, stride), warps);
    if (threadIdx.x == 0) {
        p.partials[blockIdx.x] = r;
        __threadfence();
        unsigned int done = atomicAdd(p.counter, 1u);
        last = (done == gridDim.x - 1);
    }
    __syncthreads();
    if (last) {
        __threadfence();
        float v = O::identity();
        for (unsigned j = threadIdx.x; j < gridDim.x; j += blockDim.x) v = O::combine(v, __ldcg(p.partials + j));
        float t = block_reduce<O>(v, warps);
        if (threadIdx.x == 0) {
            p.output[0] = t;
            *p.counter = 0;
        }
    }
}

extern "C" __global__ void reduce_sum_twin(ReduceSinglePassParams p) { single_pass<Sum>(p); }
extern "C" __global__ void reduce_max_twin(ReduceSinglePassParams p) { single_pass<Max>(p); }
