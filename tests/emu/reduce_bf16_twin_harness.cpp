// CPU emulation harness for the bf16 sum twin (host/ladders/twins/reduce_bf16.cu): the blocks
// of a launch run one after another, each as one std::thread per CUDA thread; __syncthreads()
// is a block-wide std::barrier, a warp shuffle an exchange through a per-warp slot array between
// two warp-wide barriers, __shared__ a static (one block at a time uses it), atomics
// std::atomic_ref. tests/twin_emulation.rs includes the twin source without its
// `#include <cuda_bf16.h>` line (the bf16 type and conversions are defined here, bit-exact).
// It checks the algorithm that the Rust step 9 (reduce_sum_s09_bf16_single_pass, step 8's body
// over Bf16) implements line by line: unaligned heads (input pointers 0..7 elements past a
// 16-byte boundary), vector middles, tails, grids smaller than the input (grid-stride loop,
// remainder loop), 16-byte alignment of every 128-bit load, the last-block finish and the
// counter reset, NaN and infinities.
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

struct uint4 { unsigned x, y, z, w; };
struct float2 { float x, y; };
inline float2 make_float2(float a, float b) { return {a, b}; }
struct __nv_bfloat16 { uint16_t bits; };
struct __nv_bfloat162 { __nv_bfloat16 x, y; };
inline float klab_bf16_to_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __bfloat162float(__nv_bfloat16 h) { return klab_bf16_to_f32(h.bits); }
inline float2 __bfloat1622float2(__nv_bfloat162 h) { return {klab_bf16_to_f32(h.x.bits), klab_bf16_to_f32(h.y.bits)}; }
std::atomic<int> klab_misaligned{0};
template <class T> inline T __ldg(const T* p) { return *p; }
// A 128-bit load must be 16-byte aligned (the CPU would not mind; the GPU faults).
inline uint4 __ldg(const uint4* p) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) ++klab_misaligned;
    return *p;
}
template <class T> inline T __ldcg(const T* p) { return *p; }
inline void __threadfence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return std::atomic_ref<unsigned>(*p).fetch_add(v); }
inline float __shfl_xor_sync(unsigned, float v, int o) {
    const unsigned lane = threadIdx.x & 31;
    klab_warp_slots[lane] = v;
    klab_warp_bar->arrive_and_wait();
    const float r = klab_warp_slots[lane ^ o];
    klab_warp_bar->arrive_and_wait();
    return r;
}

#include "twin.inc"

static uint16_t bf16_bits(float x) {  // round to nearest even (inputs here are exact anyway)
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0;
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

// One launch as the host makes it: ceil(ceil(n/8)/threads) blocks, at most `cap`.
static float launch(const __nv_bfloat16* in, unsigned n, unsigned threads, unsigned cap, unsigned* counter,
                    int* bad_counter) {
    unsigned units = (n + 7) / 8, blocks = (units + threads - 1) / threads;
    if (blocks < 1) blocks = 1;
    if (blocks > cap) blocks = cap;
    std::vector<float> partials(blocks, NAN);
    float out = NAN;
    ReduceSinglePassParams p{in, partials.data(), counter, &out, n};
    blockDim = {threads, 1, 1};
    gridDim = {blocks, 1, 1};
    for (unsigned b = 0; b < blocks; ++b) {
        std::barrier<> bar(threads);
        std::deque<std::barrier<>> warp_bars;  // not movable: a deque constructs in place
        for (unsigned w = 0; w < threads / 32; ++w) warp_bars.emplace_back(32);
        std::vector<float> slots(threads, NAN);
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < threads; ++t)
            ts.emplace_back([&, t] {
                threadIdx = {t, 0, 0};
                blockIdx = {b, 0, 0};
                klab_bar = &bar;
                klab_warp_bar = &warp_bars[t / 32];
                klab_warp_slots = slots.data() + (t / 32) * 32;
                reduce_sum_twin_bf16(p);
            });
        for (auto& th : ts) th.join();
    }
    if (*counter != 0) ++*bad_counter;
    return out;
}

int main() {
    const unsigned sizes[] = {1, 7, 8, 9, 31, 33, 255, 257, 1000, 4099, 100003};
    int fails = 0, bad_counter = 0;
    unsigned counter = 0;
    // A 16-byte aligned buffer; the input starts `off` elements in (2·off bytes: heads 0..7).
    std::vector<uint4> store(100003 / 8 + 4);
    auto* base = reinterpret_cast<__nv_bfloat16*>(store.data());
    for (unsigned n : sizes)
        for (unsigned off = 0; off < 8; ++off)
            for (auto [threads, cap] : {std::pair{64u, 3u}, std::pair{256u, 2u}}) {
                if (threads == 256 && off % 3 != 0) continue;  // fewer 256-thread runs: slow
                std::mt19937 rng(n * 8 + off);
                std::uniform_int_distribution<int> u(-8, 8);
                __nv_bfloat16* in = base + off;
                double want = 0;
                for (unsigned i = 0; i < n; ++i) {
                    const float x = (float)u(rng);
                    in[i].bits = bf16_bits(x);
                    want += x;
                }
                const float got = launch(in, n, threads, cap, &counter, &bad_counter);
                if (got != want) {  // small integers: every partial sum is exact in f32
                    ++fails;
                    printf("FAIL n=%u off=%u threads=%u cap=%u: %.1f, want %.1f\n", n, off, threads, cap, got,
                           want);
                }
                // A NaN (or +inf) in the head, the middle or the tail gives NaN (or +inf).
                if (n >= 9 && threads == 64)
                    for (unsigned at : {0u, n / 2, n - 1})
                        for (uint16_t special : {(uint16_t)0x7fc0, (uint16_t)0x7f80}) {
                            const __nv_bfloat16 keep = in[at];
                            in[at].bits = special;
                            const float g = launch(in, n, threads, cap, &counter, &bad_counter);
                            const bool ok = special == 0x7fc0 ? std::isnan(g) : (std::isinf(g) && g > 0);
                            if (!ok) {
                                ++fails;
                                printf("FAIL n=%u off=%u special %#x at %u: %f\n", n, off, special, at, g);
                            }
                            in[at] = keep;
                        }
            }
    if (bad_counter) printf("FAIL: the counter was not reset %d times\n", bad_counter);
    if (klab_misaligned) printf("FAIL: %d misaligned 128-bit loads\n", klab_misaligned.load());
    fails += bad_counter + klab_misaligned;
    if (fails) printf("bf16 twin emulation: %d failures\n", fails);
    return fails ? 1 : 0;
}
