// CPU emulation harness for the CUDA C++ twins of the softmax and normalisation top steps:
// host/ladders/twins/softmax.cu (softmax/5 f32, softmax/8 bf16: block and warp kernels),
// host/ladders/twins/softmax_backward.cu (softmax_backward/4 f32, /3 bf16: block and warp
// kernels) and the forward kernels of host/ladders/twins/layernorm.cu (layernorm/5–6,
// rmsnorm/3–4). The blocks of
// a launch run one after another on one std::thread per CUDA thread; __syncthreads() is a
// block-wide std::barrier, a warp shuffle an exchange through a per-warp slot array between two
// warp-wide barriers, __shared__ a static (one block at a time uses it). tests/twin_emulation.rs
// writes the twin sources as softmax.inc, softmax_backward.inc and layernorm.inc (less their `#include <cuda_bf16.h>`,
// their inline PTX replaced by the klab_* functions below, which follow the PTX ISA: ex2 and
// rcp exact here, `max.NaN`, ftz, round-to-nearest-even bf16 pairs) and launches.inc: every
// launch with the grid the Rust host computes for the twin's step (`forward_launch`,
// `layernorm::launch`), so the twins' own grid arithmetic (lanes_per_row, the block-per-row
// bounds) meets the host's. Each launch is checked against an f64 reference (softmax: the row's
// exp / sum; softmax_backward: y·(dy − Σ dy·y); layernorm: y, mean and rstd; rmsnorm: y and rstd), every load inside its buffer and
// every 128-bit load 16-byte aligned, nothing written outside the output rows, and NaN rows
// (softmax: a NaN, +inf or all −inf; the norms: a NaN) confined to their row.
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <random>
#include <thread>
#include <vector>

struct klab_dim { unsigned x, y, z; };
thread_local klab_dim threadIdx, blockIdx;
klab_dim blockDim, gridDim;
thread_local std::barrier<>* klab_bar;
thread_local std::barrier<>* klab_warp_bar;
thread_local float* klab_warp_slots;
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)
#define __syncthreads() klab_bar->arrive_and_wait()

struct float4 { float x, y, z, w; };
struct uint4 { unsigned x, y, z, w; };
struct __nv_bfloat16 { uint16_t bits; };
struct __nv_bfloat162 { __nv_bfloat16 x, y; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
inline uint4 make_uint4(unsigned a, unsigned b, unsigned c, unsigned d) { return {a, b, c, d}; }
inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __int_as_float(unsigned u) { return __uint_as_float(u); }
inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}
inline uint16_t klab_bf16_bits(float x) {  // round to nearest even; NaN canonical
    const uint32_t u = __float_as_uint(x);
    if ((u & 0x7fffffff) > 0x7f800000) return 0x7fff;
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}
inline float __bfloat162float(__nv_bfloat16 h) { return __uint_as_float((unsigned)h.bits << 16); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return {klab_bf16_bits(f)}; }
inline __nv_bfloat162 __floats2bfloat162_rn(float lo, float hi) {
    return {{klab_bf16_bits(lo)}, {klab_bf16_bits(hi)}};
}
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }

// The PTX instructions the twins write as inline asm.
inline float klab_ftz(float r) { return std::fabs(r) < 0x1p-126f ? 0.0f * r : r; }
inline float klab_max_nan(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
inline float klab_ex2(float x) { return klab_ftz(std::exp2(klab_ftz(x))); }
inline float klab_rcp(float x) { return klab_ftz(1.0f / klab_ftz(x)); }
inline float klab_rsqrt(float x) { return klab_ftz(1.0f / std::sqrt(klab_ftz(x))); }
inline float klab_div_full(float a, float b) { return a / b; }
// cvt.rn.bf16x2.f32 d, a, b: a in the high half.
inline unsigned klab_cvt_bf16x2(float a, float b) {
    return (unsigned)klab_bf16_bits(a) << 16 | klab_bf16_bits(b);
}

// The buffers of the current launch: every load must lie in one of them.
struct klab_range { const char *lo, *hi; };
std::vector<klab_range> klab_inputs;
std::atomic<int> klab_misaligned{0}, klab_outside{0};
inline void klab_check(const void* p, size_t size) {
    const char* c = static_cast<const char*>(p);
    for (const klab_range& r : klab_inputs)
        if (c >= r.lo && c + size <= r.hi) return;
    ++klab_outside;
}
template <typename T>
inline T klab_load(const T* p) {
    if (sizeof(T) == 16 && reinterpret_cast<uintptr_t>(p) % 16 != 0) ++klab_misaligned;
    klab_check(p, sizeof(T));
    return *p;
}
inline float __ldg(const float* p) { return klab_load(p); }
inline float4 __ldg(const float4* p) { return klab_load(p); }
inline uint4 __ldg(const uint4* p) { return klab_load(p); }
inline __nv_bfloat16 __ldg(const __nv_bfloat16* p) { return klab_load(p); }
inline float __shfl_xor_sync(unsigned, float v, int o) {
    const unsigned lane = threadIdx.x & 31;
    klab_warp_slots[lane] = v;
    klab_warp_bar->arrive_and_wait();
    const float r = klab_warp_slots[lane ^ o];
    klab_warp_bar->arrive_and_wait();
    return r;
}
inline float __shfl_sync(unsigned, float v, int src) {
    const unsigned lane = threadIdx.x & 31;
    klab_warp_slots[lane] = v;
    klab_warp_bar->arrive_and_wait();
    const float r = klab_warp_slots[src & 31];
    klab_warp_bar->arrive_and_wait();
    return r;
}
inline int __clz(unsigned x) { return x == 0 ? 32 : __builtin_clz(x); }

namespace sm {
#include "softmax.inc"
}
// layernorm_backward's dynamic shared memory (its `extern __shared__` line is removed from the
// source): the largest the host asks for, one block at a time.
static float4 bw_smem4[(228 * 1024) / sizeof(float4)];
// layernorm/13's row stage (its `extern __shared__` line is removed too): a row of 32768 bf16.
static uint4 ln_stage[32768 / 8];
namespace ln {
#include "layernorm.inc"
}
namespace sb {
#include "softmax_backward.inc"
}

// The kernels launched, in launches.inc's numbering.
enum Kernel {
    SOFTMAX_F32, SOFTMAX_F32_WARP, SOFTMAX_BF16, SOFTMAX_BF16_WARP, LN_F32, LN_BF16, RMS_F32, RMS_BF16,
    LN1P_F32, LN1P_BF16, LN_STAGED_BF16, SB_F32, SB_F32_WARP, SB_BF16, SB_BF16_WARP
};
struct LaunchSpec { Kernel k; unsigned rows, cols, grid, block, off; };
static const LaunchSpec LAUNCHES[] = {
#include "launches.inc"
};

static bool is_bf16(Kernel k) {
    return k == SOFTMAX_BF16 || k == SOFTMAX_BF16_WARP || k == LN_BF16 || k == LN1P_BF16 || k == LN_STAGED_BF16 || k == RMS_BF16 || k == SB_BF16 ||
           k == SB_BF16_WARP;
}
static bool is_backward(Kernel k) { return k >= SB_F32; }
static bool is_softmax(Kernel k) { return k <= SOFTMAX_BF16_WARP || k >= SB_F32; }
static bool is_rms(Kernel k) { return k == RMS_F32 || k == RMS_BF16; }

// `grid` blocks of `block` threads, run one after another by the same std::threads (a barrier
// after each block, so the next one's shared-memory writes wait for the last reads).
template <typename F>
static void run_grid(unsigned grid, unsigned block, F kernel) {
    blockDim = {block, 1, 1};
    gridDim = {grid, 1, 1};
    std::barrier<> bar(block);
    std::deque<std::barrier<>> warp_bars;  // not movable: a deque constructs in place
    for (unsigned w = 0; w < (block + 31) / 32; ++w) warp_bars.emplace_back(32);
    std::vector<float> slots(block + 32, NAN);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < block; ++t)
        ts.emplace_back([&, t] {
            threadIdx = {t, 0, 0};
            klab_bar = &bar;
            klab_warp_bar = &warp_bars[t / 32];
            klab_warp_slots = slots.data() + (t / 32) * 32;
            for (unsigned b = 0; b < grid; ++b) {
                blockIdx = {b, 0, 0};
                kernel();
                bar.arrive_and_wait();
            }
        });
    for (auto& th : ts) th.join();
}

// A buffer of n elements of 2 or 4 bytes starting `off` elements past a 16-byte boundary, with
// guard elements on both sides holding `guard` bits (a store outside [0, n) changes them).
struct Buf {
    std::vector<uint4> store;
    char* base;
    size_t n, esize, off;
    Buf(size_t n_, size_t esize_, size_t off_) : n(n_), esize(esize_), off(off_) {
        store.resize((n + off + 64) * esize / 16 + 8);
        std::memset(store.data(), 0xA5, store.size() * 16);
        base = reinterpret_cast<char*>(store.data()) + 64 + off * esize;
    }
    template <typename T>
    T* at() { return reinterpret_cast<T*>(base); }
    float get(size_t i) const {
        if (esize == 4) {
            float f;
            std::memcpy(&f, base + 4 * i, 4);
            return f;
        }
        uint16_t h;
        std::memcpy(&h, base + 2 * i, 2);
        return __uint_as_float((unsigned)h << 16);
    }
    void set(size_t i, float v) {
        if (esize == 4) std::memcpy(base + 4 * i, &v, 4);
        else {
            const uint16_t h = klab_bf16_bits(v);
            std::memcpy(base + 2 * i, &h, 2);
        }
    }
    bool guards_intact() const {
        const char* lo = reinterpret_cast<const char*>(store.data());
        const char* hi = lo + store.size() * 16;
        for (const char* c = lo; c < base; ++c)
            if ((unsigned char)*c != 0xA5) return false;
        for (const char* c = base + n * esize; c < hi; ++c)
            if ((unsigned char)*c != 0xA5) return false;
        return true;
    }
    klab_range range() const { return {base, base + n * esize}; }
};

static int check(const LaunchSpec& L, int special) {
    const Kernel k = L.k;
    const size_t rows = L.rows, cols = L.cols, n = rows * cols, es = is_bf16(k) ? 2 : 4;
    Buf x(n, es, L.off), y(n, es, L.off), gamma(cols, es, L.off), beta(cols, es, L.off);
    Buf mean(rows, 4, 0), rstd(rows, 4, 0), dy(n, es, L.off);
    std::mt19937 rng(L.rows * 131 + L.cols * 7 + L.off + 1000 * k + special);
    std::uniform_real_distribution<float> u(-4.0f, 4.0f), g(0.5f, 1.5f);
    for (size_t i = 0; i < n; ++i) x.set(i, u(rng) + ((i / cols) % 3 == 1 ? 1e4f * is_softmax(k) : 0.0f));
    for (size_t c = 0; c < cols; ++c) gamma.set(c, g(rng)), beta.set(c, u(rng));
    // softmax_backward: x is the forward output y (positive, about 1/cols), dy in [−1, 1].
    if (is_backward(k))
        for (size_t i = 0; i < n; ++i) x.set(i, (u(rng) + 4.5f) / (4.0f * cols)), dy.set(i, u(rng) / 4);
    // special: 1 a NaN in the middle row, 2 (softmax) a +inf there, 3 (softmax) that row all −inf.
    const size_t sr = rows / 2;
    if (special == 1) x.set(sr * cols + cols / 2, NAN);
    if (special == 2) x.set(sr * cols + cols - 1, INFINITY);
    if (special == 3)
        for (size_t c = 0; c < cols; ++c) x.set(sr * cols + c, -INFINITY);
    klab_inputs = {x.range(), gamma.range(), beta.range(), dy.range()};
    const float eps = 1e-5f;
    switch (k) {
        case SOFTMAX_F32: {
            sm::SoftmaxParams<float> p{x.at<float>(), y.at<float>(), L.rows, L.cols};
            run_grid(L.grid, L.block, [&] { sm::softmax_twin_f32(p); });
        } break;
        case SOFTMAX_F32_WARP: {
            sm::SoftmaxParams<float> p{x.at<float>(), y.at<float>(), L.rows, L.cols};
            run_grid(L.grid, L.block, [&] { sm::softmax_twin_f32_warp(p); });
        } break;
        case SOFTMAX_BF16: {
            sm::SoftmaxParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), y.at<__nv_bfloat16>(), L.rows, L.cols};
            run_grid(L.grid, L.block, [&] { sm::softmax_twin_bf16(p); });
        } break;
        case SOFTMAX_BF16_WARP: {
            sm::SoftmaxParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), y.at<__nv_bfloat16>(), L.rows, L.cols};
            run_grid(L.grid, L.block, [&] { sm::softmax_twin_bf16_warp(p); });
        } break;
        case LN_F32: {
            ln::LayerNormParams<float> p{x.at<float>(), gamma.at<float>(), beta.at<float>(), y.at<float>(),
                                         mean.at<float>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::layernorm_twin(p); });
        } break;
        case LN_BF16: {
            ln::LayerNormParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), gamma.at<__nv_bfloat16>(),
                                                 beta.at<__nv_bfloat16>(), y.at<__nv_bfloat16>(),
                                                 mean.at<float>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::layernorm_twin_bf16(p); });
        } break;
        case LN1P_F32: {
            ln::LayerNormParams<float> p{x.at<float>(), gamma.at<float>(), beta.at<float>(), y.at<float>(),
                                         mean.at<float>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::layernorm_twin_one_pass(p); });
        } break;
        case LN1P_BF16: {
            ln::LayerNormParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), gamma.at<__nv_bfloat16>(),
                                                 beta.at<__nv_bfloat16>(), y.at<__nv_bfloat16>(),
                                                 mean.at<float>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::layernorm_twin_bf16_one_pass(p); });
        } break;
        case LN_STAGED_BF16: {
            ln::LayerNormParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), gamma.at<__nv_bfloat16>(),
                                                 beta.at<__nv_bfloat16>(), y.at<__nv_bfloat16>(),
                                                 mean.at<float>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::layernorm_twin_bf16_staged(p); });
        } break;
        case RMS_F32: {
            ln::RmsNormParams<float> p{x.at<float>(), gamma.at<float>(), y.at<float>(), rstd.at<float>(),
                                       L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::rmsnorm_twin(p); });
        } break;
        case RMS_BF16: {
            ln::RmsNormParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), gamma.at<__nv_bfloat16>(),
                                               y.at<__nv_bfloat16>(), rstd.at<float>(), L.rows, L.cols, eps};
            run_grid(L.grid, L.block, [&] { ln::rmsnorm_twin_bf16(p); });
        } break;
        case SB_F32: case SB_F32_WARP: {
            sb::SoftmaxBackwardParams<float> p{x.at<float>(), dy.at<float>(), y.at<float>(), L.rows, L.cols};
            if (k == SB_F32) run_grid(L.grid, L.block, [&] { sb::softmax_backward_twin_f32(p); });
            else run_grid(L.grid, L.block, [&] { sb::softmax_backward_twin_f32_warp(p); });
        } break;
        case SB_BF16: case SB_BF16_WARP: {
            sb::SoftmaxBackwardParams<__nv_bfloat16> p{x.at<__nv_bfloat16>(), dy.at<__nv_bfloat16>(),
                                                       y.at<__nv_bfloat16>(), L.rows, L.cols};
            if (k == SB_BF16) run_grid(L.grid, L.block, [&] { sb::softmax_backward_twin_bf16(p); });
            else run_grid(L.grid, L.block, [&] { sb::softmax_backward_twin_bf16_warp(p); });
        } break;
    }
    int bad = 0;
    auto fail = [&](const char* what, size_t r, size_t c, double got, double want) {
        if (bad++ < 3)
            printf("FAIL kernel %d %zux%zu grid %u block %u off %u special %d: %s row %zu col %zu: %g, want %g\n", k,
                   rows, cols, L.grid, L.block, L.off, special, what, r, c, got, want);
    };
    if (!y.guards_intact()) fail("a store outside y", 0, 0, 0, 0);
    if (!is_softmax(k) && (!mean.guards_intact() || !rstd.guards_intact())) fail("a store outside mean/rstd", 0, 0, 0, 0);
    // Output rounding: f32 a few ulp of the largest value; bf16 one rounding (2^-8 relative).
    const double rel = es == 2 ? 1.0 / 128 : 2e-6;
    for (size_t r = 0; r < rows; ++r) {
        const bool nan_row = special != 0 && r == sr && (special == 1 || is_softmax(k));
        std::vector<double> ref(cols);
        double m = -INFINITY, s = 0, q = 0, mu = 0, tol = 0;
        if (is_backward(k)) {
            double dot = 0, ymax = 0;
            for (size_t c = 0; c < cols; ++c) dot += (double)x.get(r * cols + c) * dy.get(r * cols + c);
            for (size_t c = 0; c < cols; ++c) ref[c] = x.get(r * cols + c) * (dy.get(r * cols + c) - dot);
            for (size_t c = 0; c < cols; ++c) ymax = std::fmax(ymax, std::fabs(x.get(r * cols + c)));
            // The dot's rounding (its chains), reaching dx through y.
            tol = ymax * 8 * 0x1p-23 * std::sqrt((double)cols);
        } else if (is_softmax(k)) {
            for (size_t c = 0; c < cols; ++c) m = std::fmax(m, x.get(r * cols + c));
            for (size_t c = 0; c < cols; ++c) s += std::exp((double)x.get(r * cols + c) - m);
            for (size_t c = 0; c < cols; ++c) ref[c] = std::exp((double)x.get(r * cols + c) - m) / s;
        } else {
            for (size_t c = 0; c < cols; ++c) mu += x.get(r * cols + c);
            mu = is_rms(k) ? 0.0 : mu / cols;
            for (size_t c = 0; c < cols; ++c) q += (x.get(r * cols + c) - mu) * (x.get(r * cols + c) - mu);
            const double rs = 1.0 / std::sqrt(q / cols + eps);
            for (size_t c = 0; c < cols; ++c)
                ref[c] = (x.get(r * cols + c) - mu) * rs * gamma.get(c) + (is_rms(k) ? 0.0 : beta.get(c));
            if (!nan_row) {
                if (std::fabs(rstd.at<float>()[r] - rs) > 1e-5 * rs) fail("rstd", r, 0, rstd.at<float>()[r], rs);
                if (!is_rms(k) && std::fabs(mean.at<float>()[r] - mu) > 1e-5 * (std::fabs(mu) + 1))
                    fail("mean", r, 0, mean.at<float>()[r], mu);
            } else if (!std::isnan(rstd.at<float>()[r])) {
                fail("rstd of a NaN row", r, 0, rstd.at<float>()[r], NAN);
            }
        }
        double top = 0;
        for (double v : ref) top = std::fmax(top, std::fabs(v));
        for (size_t c = 0; c < cols; ++c) {
            const double got = y.get(r * cols + c);
            if (nan_row) {
                if (!std::isnan(got)) fail("y of a NaN row", r, c, got, NAN);
            } else if (!(std::fabs(got - ref[c]) <= rel * std::fabs(ref[c]) + (is_backward(k) ? tol : 4e-6 * top) + 1e-30)) {
                fail("y", r, c, got, ref[c]);
            }
        }
    }
    return bad;
}

int main() {
    int fails = 0, runs = 0;
    for (const LaunchSpec& L : LAUNCHES) {
        fails += check(L, 0), ++runs;
        // The special rows on the shorter shapes (time).
        if (L.rows >= 3 && (size_t)L.rows * L.cols <= 40000)
            for (int sp = 1; sp <= (is_softmax(L.k) && !is_backward(L.k) ? 3 : 1); ++sp) fails += check(L, sp), ++runs;
    }
    if (klab_misaligned) printf("FAIL: %d misaligned 128-bit loads\n", klab_misaligned.load());
    if (klab_outside) printf("FAIL: %d loads outside their buffers\n", klab_outside.load());
    fails += klab_misaligned + klab_outside;
    printf("softmax and norm twins emulation: %d launches, %d failures\n", runs, fails);
    return fails ? 1 : 0;
}
