// CUDA C++ twin of saxpy/3 (kernels-gpu/src/saxpy/s03_vectorized.rs): grid-stride loop over
// float4 (x through __ldg), scalar head/tail when x and y share a misalignment, scalar loop when
// they do not. Same grid, same parameter struct (SaxpyParams, #[repr(C)]).

typedef unsigned long long u64;  // no headers under NVRTC

struct SaxpyParams {
    const float* __restrict__ x;
    float* y;
    float a;
    unsigned int n;
};

extern "C" __global__ void saxpy_twin(SaxpyParams p) {
    const u64 n = p.n;
    const u64 stride = (u64)gridDim.x * blockDim.x;
    const u64 gid = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    const u64 mis = reinterpret_cast<u64>(p.x) % 16;
    if (mis != reinterpret_cast<u64>(p.y) % 16) {
        for (u64 i = gid; i < n; i += stride) p.y[i] = fmaf(p.a, __ldg(p.x + i), p.y[i]);
        return;
    }
    u64 head = mis == 0 ? 0 : (16 - mis) / 4;
    if (head > n) head = n;
    const u64 nvec = (n - head) / 4;
    const float4* xv = reinterpret_cast<const float4*>(p.x + head);
    float4* yv = reinterpret_cast<float4*>(p.y + head);
    for (u64 i = gid; i < nvec; i += stride) {
        float4 x = __ldg(xv + i), y = yv[i];
        float4 r;
        r.x = fmaf(p.a, x.x, y.x);
        r.y = fmaf(p.a, x.y, y.y);
        r.z = fmaf(p.a, x.z, y.z);
        r.w = fmaf(p.a, x.w, y.w);
        yv[i] = r;
    }
    const u64 tail = head + 4 * nvec;
    for (u64 j = gid; j < head; j += stride) p.y[j] = fmaf(p.a, __ldg(p.x + j), p.y[j]);
    for (u64 j = tail + gid; j < n; j += stride) p.y[j] = fmaf(p.a, __ldg(p.x + j), p.y[j]);
}
