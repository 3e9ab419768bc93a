// CUDA C++ twin of transpose/6 (kernels-gpu/src/transpose/s06_bf16_smem_vectorized.rs), bf16:
// block 16x16, a 128x128 tile of 8x8 patches. Vector path: each thread loads its patch as 8
// 16-byte rows (__ldg of uint4), transposes it in registers with __lows2bfloat162 /
// __highs2bfloat162 (PRMT), stores the 8 transposed rows to shared memory (16-byte chunks,
// one pad chunk after every 8 rows), __syncthreads, then copies 8 16-byte chunks of
// transposed rows to the output. Guarded scalar path through the same array (128 x 130
// halves) when rows/cols are not multiples of 8 or a base is misaligned. Same 1-D grid of
// 128x128 tiles, same parameter struct (TransposeParams<Bf16>).

#include <cuda_bf16.h>

typedef unsigned long long u64;

struct TransposeParams {
    const __nv_bfloat16* __restrict__ input;
    __nv_bfloat16* output;
    unsigned int rows;
    unsigned int cols;
};

#define TILE 128
#define SCALAR_STRIDE 130                        // halves: 65 words, 1 mod 32 banks
#define CHUNKS (TILE * (TILE / 8) + TILE / 8)    // 16-byte chunks of the vector layout
#define SMEM_BYTES (2 * TILE * SCALAR_STRIDE)    // 33280 > 16 * CHUNKS = 33024

// Chunk of transposed row `row`, 16-byte column `q`: one pad chunk after every 8 rows.
__device__ __forceinline__ unsigned chunk(unsigned row, unsigned q) { return 16 * row + row / 8 + q; }

__device__ __forceinline__ __nv_bfloat162 as_pair(unsigned u) { return *reinterpret_cast<__nv_bfloat162*>(&u); }
__device__ __forceinline__ unsigned bits(__nv_bfloat162 h) { return *reinterpret_cast<unsigned*>(&h); }

// Word `k` of patch column `c`: the low (c even) or high (c odd) halves of word c/2 of rows 2k, 2k+1.
__device__ __forceinline__ unsigned pick(unsigned c, unsigned a, unsigned b) {
    return bits(c % 2 == 0 ? __lows2bfloat162(as_pair(a), as_pair(b)) : __highs2bfloat162(as_pair(a), as_pair(b)));
}

__device__ __forceinline__ unsigned word(const uint4& v, unsigned w) {
    return w == 0 ? v.x : w == 1 ? v.y : w == 2 ? v.z : v.w;
}

extern "C" __global__ void transpose_twin_bf16(TransposeParams p) {
    __shared__ uint4 tile[SMEM_BYTES / 16];
    __nv_bfloat16* stile = reinterpret_cast<__nv_bfloat16*>(tile);
    const unsigned tiles_x = (p.cols + TILE - 1) / TILE;
    const unsigned bx = blockIdx.x % tiles_x, by = blockIdx.x / tiles_x;
    const u64 rows = p.rows, cols = p.cols, rt = by * (u64)TILE, ct = bx * (u64)TILE;
    const unsigned tx = threadIdx.x, ty = threadIdx.y, t = ty * 16 + tx, y0 = t / TILE, xs = t % TILE;
    const bool vector_ok = rows % 8 == 0 && cols % 8 == 0 &&
                           reinterpret_cast<u64>(p.input) % 16 == 0 &&
                           reinterpret_cast<u64>(p.output) % 16 == 0;
    if (vector_ok) {
        const u64 r0 = rt + 8 * ty, c0 = ct + 8 * tx;  // the patch: rows r0..+8, columns c0..+8
        uint4 a[8];
#pragma unroll
        for (int j = 0; j < 8; ++j) a[j] = make_uint4(0, 0, 0, 0);
        if (r0 < rows && c0 < cols) {
            const uint4* src = reinterpret_cast<const uint4*>(p.input + r0 * cols + c0);
#pragma unroll
            for (int j = 0; j < 8; ++j) a[j] = __ldg(src + j * (cols / 8));
        }
#pragma unroll
        for (unsigned c = 0; c < 8; ++c) {  // patch column c -> transposed row 8tx + c, chunk ty
            const unsigned w = c / 2;
            uint4 v;
            v.x = pick(c, word(a[0], w), word(a[1], w));
            v.y = pick(c, word(a[2], w), word(a[3], w));
            v.z = pick(c, word(a[4], w), word(a[5], w));
            v.w = pick(c, word(a[6], w), word(a[7], w));
            tile[chunk(8 * tx + c, ty)] = v;
        }
    } else {
        for (unsigned m = 0; m < TILE / 2; ++m) {
            const unsigned y = y0 + 2 * m;
            if (rt + y < rows && ct + xs < cols)
                stile[xs * SCALAR_STRIDE + y] = __ldg(p.input + (rt + y) * cols + ct + xs);
        }
    }
    __syncthreads();
    if (vector_ok) {
        uint4* out = reinterpret_cast<uint4*>(p.output);
        uint4 v[8];
#pragma unroll
        for (unsigned m = 0; m < 8; ++m) v[m] = tile[chunk(ty + 16 * m, tx)];
        const u64 r = rt + 8 * tx;  // output columns r..+8 (input rows)
#pragma unroll
        for (unsigned m = 0; m < 8; ++m) {  // output row c (input column)
            const u64 c = ct + ty + 16 * m;
            if (c < cols && r < rows) out[(c * rows + r) / 8] = v[m];
        }
    } else {
        for (unsigned m = 0; m < TILE / 2; ++m) {
            const unsigned y = y0 + 2 * m;
            if (ct + y < cols && rt + xs < rows) p.output[(ct + y) * rows + rt + xs] = stile[y * SCALAR_STRIDE + xs];
        }
    }
}
