// CUDA C++ twin of row_sum/4 (kernels-gpu/src/row_sum/s04_bf16_block_per_row.rs, over the
// reduction ladder's `strided_partial` and `block_reduce` in kernels-gpu/src/reduce/mod.rs):
// out[r] = sum of row r of a rows x cols bf16 matrix, in f32. One block per row (the step's
// grid: BlockPerRow { threads: 256 }, no launch bounds, as the Rust step), the block's threads
// striding over the row: the row's 16-byte aligned middle as uint4 __ldg loads of eight
// __nv_bfloat16 (four in flight), its unaligned head and its tail (at most 7 each; a row starts
// at 2·r·cols bytes) as 16-bit scalar __ldg loads; four f32 accumulators, each load's eight
// values added as the Rust Bf16x8 tree; warp-shuffle butterfly, one value per warp through
// shared memory, a last shuffle in warp 0; thread 0 stores the f32 sum. Same parameter struct
// (RowSumParams<Bf16>, #[repr(C)]: two 8-byte pointers, rows, cols). A module of its own (it
// includes cuda_bf16.h).

#include <cuda_bf16.h>

typedef unsigned long long u64;

struct RowSumParams {
    const __nv_bfloat16* __restrict__ input;
    float* output;
    unsigned int rows;
    unsigned int cols;
};

// A bf16 is the top half of an f32: both halves of a pair, exactly (the Rust
// Bf16x2::to_f32_lo_hi: shl.b32 for the low half, and.b32 for the high one).
__device__ __forceinline__ float lo_f32(unsigned w) { return __uint_as_float(w << 16); }
__device__ __forceinline__ float hi_f32(unsigned w) { return __uint_as_float(w & 0xffff0000u); }

// acc + the eight bf16 of a 128-bit load, as the Rust Bf16x8 combine's tree:
// acc + (((x0+x1)+(x2+x3)) + ((x4+x5)+(x6+x7))).
__device__ __forceinline__ float add8(float acc, uint4 x) {
    const float lo = (lo_f32(x.x) + hi_f32(x.x)) + (lo_f32(x.y) + hi_f32(x.y));
    const float hi = (lo_f32(x.z) + hi_f32(x.z)) + (lo_f32(x.w) + hi_f32(x.w));
    return acc + (lo + hi);
}

// One thread's share of the sum of in[0..n] when `stride` threads walk it from `start`
// (the Rust strided_partial, line by line).
__device__ __forceinline__ float strided_partial(const __nv_bfloat16* __restrict__ in, u64 n,
                                                 u64 start, u64 stride) {
    const u64 mis = reinterpret_cast<u64>(in) % 16;
    u64 head = mis == 0 ? 0 : (16 - mis) / 2;  // bf16 data is 2-byte aligned
    if (head > n) head = n;
    const u64 nvec = (n - head) / 8;
    const uint4* vec = reinterpret_cast<const uint4*>(in + head);
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    u64 i = start;
    // Four independent 128-bit loads per iteration: 64 bytes in flight per thread.
    for (; i + 3 * stride < nvec; i += 4 * stride) {
        const uint4 x0 = __ldg(vec + i), x1 = __ldg(vec + i + stride);
        const uint4 x2 = __ldg(vec + i + 2 * stride), x3 = __ldg(vec + i + 3 * stride);
        a0 = add8(a0, x0);
        a1 = add8(a1, x1);
        a2 = add8(a2, x2);
        a3 = add8(a3, x3);
    }
    for (; i < nvec; i += stride) a0 = add8(a0, __ldg(vec + i));
    // Head and tail: fewer than 8 elements each, taken by the first threads.
    const u64 tail = head + 8 * nvec;
    for (u64 j = start; j < head; j += stride) a1 += __bfloat162float(__ldg(in + j));
    for (u64 j = start; j < n - tail; j += stride) a2 += __bfloat162float(__ldg(in + tail + j));
    return (a0 + a1) + (a2 + a3);
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

// Sum over a block whose size is a multiple of 32 (the Rust block_reduce): valid in warp 0;
// one __syncthreads, outside any branch.
__device__ __forceinline__ float block_sum(float v, float* warps) {
    v = warp_sum(v);
    const unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) warps[warp] = v;
    __syncthreads();
    float r = 0.0f;
    if (warp == 0) {
        if (lane < blockDim.x / 32) r = warps[lane];
        r = warp_sum(r);
    }
    return r;
}

extern "C" __global__ void row_sum_twin_bf16(RowSumParams p) {
    __shared__ float warps[32];
    const u64 r = blockIdx.x;
    const u64 cols = p.cols;
    const float acc = strided_partial(p.input + r * cols, cols, threadIdx.x, blockDim.x);
    const float s = block_sum(acc, warps);
    if (threadIdx.x == 0) p.output[r] = s;
}
