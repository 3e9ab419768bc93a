// CUDA C++ twin of transpose/5 (kernels-gpu/src/transpose/s05_smem_vectorized.rs): block 8x32,
// a 64x64 tile padded to 65 columns in shared memory; float4 loads (__ldg) of input rows,
// scalar stores to the tile, __syncthreads, scalar tile-column reads, float4 output stores.
// Guarded scalar path through the same tile when rows/cols are not multiples of 4 or a base
// is misaligned. Same 1-D grid of 64x64 tiles, same parameter struct (TransposeParams).

typedef unsigned long long u64;  // no headers under NVRTC

struct TransposeParams {
    const float* __restrict__ input;
    float* output;
    unsigned int rows;
    unsigned int cols;
};

__device__ __forceinline__ float4 f4(float x, float y, float z, float w) {
    float4 v;
    v.x = x; v.y = y; v.z = z; v.w = w;
    return v;
}

extern "C" __global__ void transpose_twin(TransposeParams p) {
    __shared__ float tile[64][65];
    const unsigned tiles_x = (p.cols + 63) / 64;
    const unsigned bx = blockIdx.x % tiles_x, by = blockIdx.x / tiles_x;
    const u64 rows = p.rows, cols = p.cols, rt = by * 64ull, ct = bx * 64ull;
    const unsigned tx = threadIdx.x, ty = threadIdx.y, t = ty * 8 + tx, y0 = t / 64, xs = t % 64;
    const bool vector_ok = rows % 4 == 0 && cols % 4 == 0 &&
                           reinterpret_cast<u64>(p.input) % 16 == 0 &&
                           reinterpret_cast<u64>(p.output) % 16 == 0;
    if (vector_ok) {
        const float4* in = reinterpret_cast<const float4*>(p.input);
        float4 a[4];
#pragma unroll
        for (int k = 0; k < 4; ++k) {  // tile row y, float4 column x
            const unsigned y = ty + 32 * (k / 2), x = tx + 8 * (k % 2);
            const u64 r = rt + y, c = ct + 4 * x;
            a[k] = r < rows && c < cols ? __ldg(in + (r * cols + c) / 4) : f4(0, 0, 0, 0);
        }
#pragma unroll
        for (int k = 0; k < 4; ++k) {
            const unsigned y = ty + 32 * (k / 2), x = tx + 8 * (k % 2);
            tile[y][4 * x] = a[k].x; tile[y][4 * x + 1] = a[k].y;
            tile[y][4 * x + 2] = a[k].z; tile[y][4 * x + 3] = a[k].w;
        }
    } else {
        for (unsigned y = y0; y < 64; y += 4)
            if (rt + y < rows && ct + xs < cols) tile[y][xs] = __ldg(p.input + (rt + y) * cols + ct + xs);
    }
    __syncthreads();
    if (vector_ok) {
        float4* out = reinterpret_cast<float4*>(p.output);
#pragma unroll
        for (int k = 0; k < 4; ++k) {  // output row y = input column, float4 column x = 4 input rows
            const unsigned y = ty + 32 * (k / 2), x = tx + 8 * (k % 2);
            const u64 c = ct + y, r = rt + 4 * x;
            float4 v = f4(tile[4 * x][y], tile[4 * x + 1][y], tile[4 * x + 2][y], tile[4 * x + 3][y]);
            if (c < cols && r < rows) out[(c * rows + r) / 4] = v;
        }
    } else {
        for (unsigned y = y0; y < 64; y += 4)
            if (ct + y < cols && rt + xs < rows) p.output[(ct + y) * rows + rt + xs] = tile[xs][y];
    }
}
