// CUDA C++ twin of transpose/4 (kernels-gpu/src/transpose/s04_vectorized_4x4.rs): block 16x16,
// each thread a 4x4 patch, float4 loads (__ldg), register transpose, float4 stores; scalar
// path with bounds checks when rows/cols are not multiples of 4 or a base is misaligned.
// Same 1-D grid of 64x64 tiles, same parameter struct (TransposeParams, #[repr(C)]).

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
    const unsigned tiles_x = (p.cols + 63) / 64;
    const unsigned bx = blockIdx.x % tiles_x, by = blockIdx.x / tiles_x;
    const u64 rows = p.rows, cols = p.cols;
    const u64 r0 = by * 64 + 4 * threadIdx.y, c0 = bx * 64 + 4 * threadIdx.x;
    const bool vector_ok = rows % 4 == 0 && cols % 4 == 0 &&
                           reinterpret_cast<u64>(p.input) % 16 == 0 &&
                           reinterpret_cast<u64>(p.output) % 16 == 0;
    if (vector_ok) {
        if (r0 < rows && c0 < cols) {
            const float4* in = reinterpret_cast<const float4*>(p.input);
            float4 a0 = __ldg(in + (r0 * cols + c0) / 4);
            float4 a1 = __ldg(in + ((r0 + 1) * cols + c0) / 4);
            float4 a2 = __ldg(in + ((r0 + 2) * cols + c0) / 4);
            float4 a3 = __ldg(in + ((r0 + 3) * cols + c0) / 4);
            float4* out = reinterpret_cast<float4*>(p.output);
            out[((c0 + 0) * rows + r0) / 4] = f4(a0.x, a1.x, a2.x, a3.x);
            out[((c0 + 1) * rows + r0) / 4] = f4(a0.y, a1.y, a2.y, a3.y);
            out[((c0 + 2) * rows + r0) / 4] = f4(a0.z, a1.z, a2.z, a3.z);
            out[((c0 + 3) * rows + r0) / 4] = f4(a0.w, a1.w, a2.w, a3.w);
        }
    } else {
        for (int k = 0; k < 4; ++k)
            for (int j = 0; j < 4; ++j) {
                u64 r = r0 + k, c = c0 + j;
                if (r < rows && c < cols) p.output[c * rows + r] = __ldg(p.input + r * cols + c);
            }
    }
}
