// CPU emulation harness for the bf16 bias-GELU CUDA C++ twin (host/ladders/twins/bias_gelu.cu):
// every thread of the grid runs in turn (the kernel has no barrier and no shared memory), with
// the launch the host computes for bias_gelu/4 (256 threads, min(ceil(ceil(n/8)/256), 8·132)
// blocks). tests/twin_emulation.rs includes the twin source with `#include <cuda_bf16.h>` removed
// and its tanh.approx.f32 asm replaced by std::tanh, compiles this with g++ and runs it.
// It checks the index algebra that the Rust step 4 implements line by line: the 8-element groups,
// two per iteration, the column of each group and its wrap across rows (cols = 1, 31, 33, ...),
// the scalar head up to the first 16-byte boundary and the scalar tail when x and y share a
// misalignment, the scalar loop when they do not; and that every element is written once with
// exactly bf16_rn(gelu(x + bias[col])) computed in f32 the same way.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

struct klab_dim { unsigned x, y, z; };
static klab_dim threadIdx, blockIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct __nv_bfloat16 { uint16_t bits; };
struct __nv_bfloat162 { __nv_bfloat16 lo, hi; };  // element 0 (lower address) first
static int klab_misaligned = 0, klab_out_of_bounds = 0;
static const char *klab_x_begin, *klab_x_end;  // the x elements of the launch

inline float __bfloat162float(__nv_bfloat16 h) {
    const uint32_t u = (uint32_t)h.bits << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
// Round to nearest even (cvt.rn.bf16.f32); NaN stays a quiet NaN.
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return {(uint16_t)((u >> 16) | 0x40)};
    u += 0x7fffu + ((u >> 16) & 1);
    return {(uint16_t)(u >> 16)};
}
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) {
    return {__float2bfloat16_rn(lo), __float2bfloat16_rn(hi)};
}
inline float __low2float(__nv_bfloat162 v) { return __bfloat162float(v.lo); }
inline float __high2float(__nv_bfloat162 v) { return __bfloat162float(v.hi); }
template <class T> inline T __ldg(const T* p) { return *p; }
// A 128-bit load must be 16-byte aligned on the GPU, and inside x.
inline uint4 __ldg(const uint4* p) {
    if (reinterpret_cast<uintptr_t>(p) % 16) ++klab_misaligned;
    const char* c = reinterpret_cast<const char*>(p);
    if (c < klab_x_begin || c + 16 > klab_x_end) ++klab_out_of_bounds;
    return *p;
}

#include "twin.inc"

static float gelu_ref32(float v) {  // the twin's GELU, tanh exact
    const float u = v * fmaf(0.7978846f * 0.044715f, v * v, 0.7978846f);
    const float h = 0.5f * v;
    return fmaf(h, std::tanh(u), h);
}

int main() {
    const unsigned shapes[][2] = {{1, 1},   {31, 33},     {33, 31},      {65, 63},      {68, 132},
                                  {1, 7},   {3, 5},       {2, 8},        {9, 8},        {4097, 4099},
                                  {1, 1000003}, {1000003, 1}};
    // Offsets of x and y (in elements) from a 16-byte boundary: shared misalignments take the
    // head/vector/tail path, different ones the scalar loop.
    const unsigned offsets[][2] = {{0, 0}, {1, 1}, {3, 3}, {7, 7}, {1, 0}, {0, 5}};
    const unsigned sms = 132, threads = 256, blocks_per_sm = 8;
    int fails = 0, runs = 0;
    for (const auto& s : shapes) {
        const unsigned rows = s[0], cols = s[1];
        const size_t n = (size_t)rows * cols;
        std::mt19937 rng(rows * 131 + cols);
        std::uniform_real_distribution<float> ux(-3, 3), ub(-1, 1);
        std::vector<__nv_bfloat16> x0(n), bias(cols);
        for (auto& v : x0) v = __float2bfloat16_rn(ux(rng));
        for (auto& v : bias) v = __float2bfloat16_rn(ub(rng));
        const bool big = n > 100000;
        for (const auto& o : offsets) {
            if (big && !(o[0] == o[1] && (o[0] == 0 || o[0] == 3))) continue;  // keep it quick
            // 16-byte aligned storage with the offset in front; the output and 16 bytes or more
            // around it NaN-poisoned, so a store outside y shows.
            std::vector<uint4> xs(n / 8 + 2), ys(n / 8 + 4);
            __nv_bfloat16* x = reinterpret_cast<__nv_bfloat16*>(xs.data()) + o[0];
            __nv_bfloat16* ys0 = reinterpret_cast<__nv_bfloat16*>(ys.data());
            __nv_bfloat16* y = ys0 + 8 + o[1];
            const size_t ylen = 8 * ys.size();
            std::memcpy(x, x0.data(), n * 2);
            for (size_t i = 0; i < ylen; ++i) ys0[i] = {0x7fff};
            klab_x_begin = reinterpret_cast<const char*>(x);
            klab_x_end = reinterpret_cast<const char*>(x + n);
            const BiasGeluParams p{x, bias.data(), nullptr, y, rows, cols};
            const size_t units = (n + 7) / 8;
            size_t grid = (units + threads - 1) / threads;
            if (grid > (size_t)sms * blocks_per_sm) grid = (size_t)sms * blocks_per_sm;
            if (grid == 0) grid = 1;
            gridDim = {(unsigned)grid, 1, 1};
            blockDim = {threads, 1, 1};
            klab_misaligned = klab_out_of_bounds = 0;
            for (unsigned b = 0; b < grid; ++b)
                for (unsigned t = 0; t < threads; ++t) {
                    blockIdx = {b, 0, 0};
                    threadIdx = {t, 0, 0};
                    bias_gelu_twin_bf16(p);
                }
            size_t bad = 0, far = 0;
            for (size_t i = 0; i < n; ++i) {
                const float v = __bfloat162float(x0[i]) + __bfloat162float(bias[i % cols]);
                const __nv_bfloat16 want = __float2bfloat16_rn(gelu_ref32(v));
                if (y[i].bits != want.bits) {
                    if (bad++ < 3)
                        printf("  %ux%u offsets (%u, %u): y[%zu] = %#06x, want %#06x\n", rows, cols,
                               o[0], o[1], i, y[i].bits, want.bits);
                }
                // And the ladder's tolerance against the float64 GELU of the rounded inputs.
                const double vd = (double)__bfloat162float(x0[i]) + (double)__bfloat162float(bias[i % cols]);
                const double g = 0.5 * vd * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (vd + 0.044715 * vd * vd * vd)));
                if (!(std::fabs(__bfloat162float(y[i]) - g) <= 2e-3 + 9e-3 * std::fabs(g))) ++far;
            }
            size_t outside = 0;
            for (size_t i = 0; i < ylen; ++i)
                if ((ys0 + i < y || ys0 + i >= y + n) && ys0[i].bits != 0x7fff) ++outside;
            ++runs;
            if (bad || far || outside || klab_misaligned || klab_out_of_bounds) {
                ++fails;
                printf("FAIL %ux%u offsets (%u, %u): %zu of %zu elements wrong, %zu outside the "
                       "tolerance, %zu stores outside y, %d misaligned and %d out-of-bounds "
                       "16-byte loads\n",
                       rows, cols, o[0], o[1], bad, n, far, outside, klab_misaligned,
                       klab_out_of_bounds);
            }
        }
    }
    printf("bias_gelu twin emulation: %d runs, %d failures\n", runs, fails);
    return fails ? 1 : 0;
}
