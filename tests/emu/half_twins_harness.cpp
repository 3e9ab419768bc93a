// CPU emulation harness for the half-precision CUDA C++ twins: transpose_bf16.cu (the twin of
// transpose/6) and saxpy_half.cu (the twins of saxpy/4 and saxpy/5). tests/twin_emulation.rs
// writes the twin sources, their `#include <cuda_bf16.h>` / `<cuda_fp16.h>` lines removed, to
// transpose_bf16.inc and saxpy_half.inc; this file stands in for those headers (bit containers,
// round-to-nearest-even conversions, pair shuffles), runs every block of the transpose as one
// std::thread per CUDA thread (__syncthreads() is a std::barrier) and the grid-stride SAXPY
// thread by thread, and checks:
// - transpose: bit-exact on shapes whose vector path has partial tiles (both dimensions
//   multiples of 8, not of 128) and on scalar-path shapes, from 16-byte aligned and misaligned
//   bases, with nothing written outside the output;
// - every 16-byte access is 16-byte aligned (the GPU would fault; x86 would not);
// - saxpy: the head/tail/misaligned-pair logic, against a plain loop with the same
//   conversions, for x and y misaligned alike and differently, small grids and odd lengths.
// The Rust steps implement the same index algebra line by line.
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

struct klab_dim { unsigned x, y, z; };
thread_local klab_dim threadIdx, blockIdx, blockDim, gridDim;
thread_local std::barrier<>* klab_bar;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static
#define __syncthreads() klab_bar->arrive_and_wait()
// A 16-byte vector that counts every access at an address that is not 16-byte aligned (x86
// would just do it; the GPU faults): copies and assignments check both ends.
static std::atomic<long> klab_misaligned{0};
inline void klab_check(const void* p) { klab_misaligned += reinterpret_cast<std::uintptr_t>(p) % 16 != 0; }
struct alignas(16) uint4 {
    unsigned x, y, z, w;
    uint4() = default;
    uint4(unsigned a, unsigned b, unsigned c, unsigned d) : x(a), y(b), z(c), w(d) {}
    uint4(const uint4& o) : x(o.x), y(o.y), z(o.z), w(o.w) { klab_check(&o); }
    uint4& operator=(const uint4& o) {
        klab_check(this);
        klab_check(&o);
        x = o.x, y = o.y, z = o.z, w = o.w;
        return *this;
    }
};
struct float2 { float x, y; };
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return {a, b, c, d}; }
template <class T> inline T __ldg(const T* p) { return *p; }

inline unsigned f2u(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
inline float u2f(unsigned u) { float f; memcpy(&f, &u, 4); return f; }

// bfloat16: the upper half of an f32; rounding to nearest even (NaN stays NaN).
struct __nv_bfloat16 { unsigned short x; };
struct __nv_bfloat162 { __nv_bfloat16 x, y; };
inline float __bfloat162float(__nv_bfloat16 h) { return u2f((unsigned)h.x << 16); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
    const unsigned u = f2u(f);
    if ((u & 0x7fffffff) > 0x7f800000) return {(unsigned short)((u >> 16) | 0x40)};
    return {(unsigned short)((u + 0x7fff + ((u >> 16) & 1)) >> 16)};
}
inline float2 __bfloat1622float2(__nv_bfloat162 h) { return {__bfloat162float(h.x), __bfloat162float(h.y)}; }
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) { return {__float2bfloat16_rn(lo), __float2bfloat16_rn(hi)}; }
inline __nv_bfloat162 __lows2bfloat162(__nv_bfloat162 a, __nv_bfloat162 b) { return {a.x, b.x}; }
inline __nv_bfloat162 __highs2bfloat162(__nv_bfloat162 a, __nv_bfloat162 b) { return {a.y, b.y}; }

// IEEE binary16, rounding to nearest even (overflow to inf, subnormals kept).
struct __half { unsigned short x; };
struct __half2 { __half x, y; };
inline float __half2float(__half h) {
    const unsigned s = (h.x & 0x8000u) << 16, e = (h.x >> 10) & 0x1f, m = h.x & 0x3ff;
    if (e == 0) return u2f(s) + (s ? -1.f : 1.f) * std::ldexp((float)m, -24);
    if (e == 31) return u2f(s | 0x7f800000 | (m << 13));
    return u2f(s | ((e + 112) << 23) | (m << 13));
}
inline __half __float2half_rn(float f) {
    const unsigned u = f2u(f), s = (u >> 16) & 0x8000, a = u & 0x7fffffff;
    if (a > 0x7f800000) return {(unsigned short)(s | 0x7e00)};
    if (a >= 0x477ff000) return {(unsigned short)(s | 0x7c00)};  // from 65520 up: inf
    if (a < 0x38800000) return {(unsigned short)(s | (unsigned)std::nearbyint(std::ldexp(u2f(a), 24)))};
    const unsigned b = a - (112u << 23);
    return {(unsigned short)(s | ((b + 0xfff + ((b >> 13) & 1)) >> 13))};
}
inline float2 __half22float2(__half2 h) { return {__half2float(h.x), __half2float(h.y)}; }
inline __half2 __floats2half2_rn(float lo, float hi) { return {__float2half_rn(lo), __float2half_rn(hi)}; }

#include "transpose_bf16.inc"
#include "saxpy_half.inc"

static int transpose_fails() {
    const unsigned shapes[][2] = {{1, 1},     {31, 33},  {33, 31},  {8, 8},    {16, 24},
                                  {128, 128}, {136, 264}, {264, 136}, {256, 8}, {8, 1000},
                                  {1000, 8},  {65, 63},  {129, 127}, {130, 258}, {1, 1000},
                                  {1000, 1},  {200, 7}};
    int fails = 0;
    for (const auto& s : shapes) {
        const unsigned rows = s[0], cols = s[1];
        const size_t n = (size_t)rows * cols;
        std::vector<unsigned short> in(n);
        std::mt19937 rng(rows * 7919 + cols);
        for (auto& v : in) v = rng() & 0xffff;
        // Base offsets in halves (input, output): aligned (the vector path if 8 | rows and
        // 8 | cols), then one base or the other misaligned (the scalar path).
        const int offsets[][2] = {{0, 0}, {1, 0}, {0, 1}, {8, 8}};
        for (const auto& o : offsets) {
            const int io = o[0], oo = o[1];
            std::vector<uint4> ib(n / 8 + 3), ob(n / 8 + 3);  // 16-byte aligned storage
            unsigned short* ih = reinterpret_cast<unsigned short*>(ib.data()) + io;
            unsigned short* oh = reinterpret_cast<unsigned short*>(ob.data());
            memcpy(ih, in.data(), n * 2);
            std::fill(oh, oh + 8 * ob.size(), 0xffff);
            const TransposeParams p{reinterpret_cast<const __nv_bfloat16*>(ih),
                                    reinterpret_cast<__nv_bfloat16*>(oh + oo), rows, cols};
            const unsigned tiles = ((cols + 127) / 128) * ((rows + 127) / 128);
            for (unsigned b = 0; b < tiles; ++b) {
                std::barrier<> bar(256);
                std::vector<std::thread> ts;
                for (unsigned t = 0; t < 256; ++t)
                    ts.emplace_back([&, t] {
                        threadIdx = {t % 16, t / 16, 0};
                        blockIdx = {b, 0, 0};
                        klab_bar = &bar;
                        transpose_twin_bf16(p);
                    });
                for (auto& th : ts) th.join();
            }
            size_t bad = 0;
            for (unsigned r = 0; r < rows; ++r)
                for (unsigned c = 0; c < cols; ++c) bad += oh[oo + (size_t)c * rows + r] != in[(size_t)r * cols + c];
            for (size_t i = 0; i < 8 * ob.size(); ++i)
                if (i < (size_t)oo || i >= oo + n) bad += oh[i] != 0xffff;
            if (bad) {
                ++fails;
                printf("FAIL transpose_twin_bf16 at %ux%u, base offsets %d/%d halves: %zu elements wrong\n", rows,
                       cols, io, oo, bad);
            }
        }
    }
    return fails;
}

template <class H>
static int saxpy_fails(void (*kernel)(SaxpyParams<H>), const char* name) {
    typedef HalfOps<H> Ops;
    const unsigned lengths[] = {1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 255, 257, 1000, 4099};
    const unsigned grids[][2] = {{1, 1}, {1, 32}, {3, 64}, {2, 256}};
    int fails = 0;
    for (unsigned n : lengths)
        for (int xo = 0; xo < 8; xo += 3)      // element offsets of x and y: 0, 3, 6 (bytes 0, 6, 12)
            for (int yo = 0; yo < 8; yo += 3)
                for (const auto& g : grids) {
                    std::mt19937 rng(n * 31 + xo * 8 + yo);
                    std::uniform_real_distribution<float> ux(0.5f, 1.5f), uy(-1.f, 1.f);
                    std::vector<uint4> xb(n / 8 + 3), yb(n / 8 + 3);
                    H* x = reinterpret_cast<H*>(xb.data()) + xo;
                    H* y = reinterpret_cast<H*>(yb.data()) + yo;
                    std::vector<H> want(n);
                    const float a = 1.5f;
                    for (unsigned i = 0; i < n; ++i) {
                        x[i] = Ops::round(ux(rng));
                        y[i] = Ops::round(uy(rng));
                        want[i] = Ops::round(std::fma(a, Ops::widen(x[i]), Ops::widen(y[i])));
                    }
                    const SaxpyParams<H> p{x, y, a, n};
                    for (unsigned b = 0; b < g[0]; ++b)
                        for (unsigned t = 0; t < g[1]; ++t) {
                            threadIdx = {t, 0, 0};
                            blockIdx = {b, 0, 0};
                            blockDim = {g[1], 1, 1};
                            gridDim = {g[0], 1, 1};
                            kernel(p);
                        }
                    unsigned bad = 0;
                    for (unsigned i = 0; i < n; ++i) bad += memcmp(&y[i], &want[i], 2) != 0;
                    if (bad) {
                        ++fails;
                        printf("FAIL %s at n = %u, x/y offsets %d/%d halves, grid %ux%u: %u elements wrong\n", name, n,
                               xo, yo, g[0], g[1], bad);
                    }
                }
    return fails;
}

int main() {
    int fails = transpose_fails() + saxpy_fails(saxpy_twin_bf16, "saxpy_twin_bf16") +
                saxpy_fails(saxpy_twin_f16, "saxpy_twin_f16");
    if (klab_misaligned) {
        ++fails;
        printf("FAIL %ld 16-byte accesses at addresses that are not 16-byte aligned\n", klab_misaligned.load());
    }
    if (fails) printf("half twin emulation: %d failures\n", fails);
    else printf("half twin emulation: all shapes correct\n");
    return fails ? 1 : 0;
}
