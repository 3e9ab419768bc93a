// CPU emulation harness for row_sum's bf16 twin (host/ladders/twins/row_sum_bf16.cu): the blocks
// of a launch (one per row) run one after another on one std::thread per CUDA thread;
// __syncthreads() is a block-wide std::barrier, a warp shuffle an exchange through a per-warp
// slot array between two warp-wide barriers, __shared__ a static (one block at a time uses it).
// tests/twin_emulation.rs includes the twin source without its `#include <cuda_bf16.h>` line
// (the bf16 type and conversions are defined here, bit-exact). It checks the index algebra that
// the Rust step 4 (row_sum_s04_bf16_block_per_row: the reduction ladder's strided_partial and
// block_reduce over one row) implements line by line: rows whose start is not 16-byte aligned
// (odd and non-multiple-of-8 `cols`, and matrices starting 0..7 elements past a 16-byte
// boundary), heads and tails of 0..7 elements, rows shorter than one vector, the four-load loop
// and its remainder loop (long rows, small blocks), 16-byte alignment of every 128-bit load,
// every load inside its own row, every row written once and nothing past `rows`, NaN and
// infinities confined to their row.
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
#define __syncthreads() klab_bar->arrive_and_wait()

struct uint4 { unsigned x, y, z, w; };
struct __nv_bfloat16 { uint16_t bits; };
inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
inline float __bfloat162float(__nv_bfloat16 h) { return __uint_as_float((unsigned)h.bits << 16); }

// The row the current block sums ([klab_row_lo, klab_row_hi) bytes): every load must lie in it.
thread_local const char* klab_row_lo;
thread_local const char* klab_row_hi;
std::atomic<int> klab_misaligned{0}, klab_outside{0};
inline void klab_check(const void* p, size_t size) {
    const char* c = static_cast<const char*>(p);
    if (c < klab_row_lo || c + size > klab_row_hi) ++klab_outside;
}
inline __nv_bfloat16 __ldg(const __nv_bfloat16* p) {
    klab_check(p, 2);
    return *p;
}
// A 128-bit load must be 16-byte aligned (the CPU would not mind; the GPU faults).
inline uint4 __ldg(const uint4* p) {
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) ++klab_misaligned;
    klab_check(p, 16);
    return *p;
}
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

// One launch as the host makes it for the step's grid (BlockPerRow): `rows` blocks of
// `threads`, run one after another by the same `threads` std::threads (a barrier after each
// block, so the next one's shared-memory writes wait for the last reads). `out` has rows + 1
// values, all NaN before; the last must stay NaN.
static void launch(const __nv_bfloat16* in, unsigned rows, unsigned cols, unsigned threads, float* out) {
    RowSumParams p{in, out, rows, cols};
    blockDim = {threads, 1, 1};
    gridDim = {rows, 1, 1};
    std::barrier<> bar(threads);
    std::deque<std::barrier<>> warp_bars;  // not movable: a deque constructs in place
    for (unsigned w = 0; w < threads / 32; ++w) warp_bars.emplace_back(32);
    std::vector<float> slots(threads, NAN);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            threadIdx = {t, 0, 0};
            klab_bar = &bar;
            klab_warp_bar = &warp_bars[t / 32];
            klab_warp_slots = slots.data() + (t / 32) * 32;
            for (unsigned b = 0; b < rows; ++b) {
                blockIdx = {b, 0, 0};
                klab_row_lo = reinterpret_cast<const char*>(in + (size_t)b * cols);
                klab_row_hi = reinterpret_cast<const char*>(in + (size_t)(b + 1) * cols);
                row_sum_twin_bf16(p);
                bar.arrive_and_wait();
            }
        });
    for (auto& th : ts) th.join();
}

struct Run { unsigned rows, cols, threads, off; bool specials = false; };

int main() {
    // The awkward 2-D shapes the GPU tests use (rows trimmed where a long column of 1-column
    // rows adds nothing), the bench row length, and long rows with small blocks (several rounds
    // of the four-load loop, then its remainder loop). `off`: the matrix starts `off` elements
    // past a 16-byte boundary (the GPU buffers never do; the row starts of odd `cols` cover
    // every head anyway).
    const Run runs[] = {
        {1, 1, 256, 0, true},    {31, 33, 256, 0, true}, {33, 31, 256, 0},       {65, 63, 256, 0},
        {68, 132, 256, 0},       {136, 264, 256, 0},     {9, 4099, 256, 0},      {1, 100003, 256, 0},
        {64, 1, 256, 0},         {3, 8192, 256, 0},      {8, 8191, 256, 0},      {16, 7, 256, 0, true},
        {8, 9, 256, 0},          {8, 17, 256, 0},        {8, 2048, 256, 0},      {8, 2056, 256, 0, true},
        {31, 33, 256, 5},        {9, 4099, 256, 3},      {3, 8192, 256, 1},      {1, 100003, 32, 0},
        {8, 4099, 32, 0, true},  {8, 1031, 64, 7, true}, {16, 8, 32, 1},         {8, 3, 32, 6, true},
        {2, 1000003, 256, 0},
    };
    int fails = 0;
    for (const Run& run : runs) {
            const unsigned rows = run.rows, cols = run.cols, off = run.off;
            const size_t n = (size_t)rows * cols;
            std::vector<uint4> store(n / 8 + 4);  // 16-byte aligned
            __nv_bfloat16* in = reinterpret_cast<__nv_bfloat16*>(store.data()) + off;
            std::mt19937 rng(rows * 131 + cols * 7 + off);
            std::uniform_int_distribution<int> u(-8, 8);
            std::vector<double> want(rows, 0.0);
            for (size_t i = 0; i < n; ++i) {
                const float x = (float)u(rng);
                in[i].bits = bf16_bits(x);
                want[i / cols] += x;
            }
            std::vector<float> out(rows + 1, NAN);
            launch(in, rows, cols, run.threads, out.data());
            int bad = 0;
            for (unsigned r = 0; r < rows; ++r)
                if (out[r] != want[r]) {  // small integers: every partial sum is exact in f32
                    if (bad++ < 3)
                        printf("FAIL %ux%u threads=%u off=%u row %u: %.1f, want %.1f\n", rows, cols, run.threads,
                               off, r, out[r], want[r]);
                }
            if (!std::isnan(out[rows])) {
                ++bad;
                printf("FAIL %ux%u: wrote past the last row\n", rows, cols);
            }
            fails += bad;
            // A NaN (or +inf) in the head, the middle or the tail of one row gives NaN (or +inf)
            // there and leaves the other rows exact (on a few shapes: time).
            if (!run.specials) continue;
            const unsigned r = rows / 2;
            for (unsigned at : {0u, cols / 2, cols - 1})
                for (uint16_t special : {(uint16_t)0x7fc0, (uint16_t)0x7f80}) {
                    __nv_bfloat16& e = in[(size_t)r * cols + at];
                    const __nv_bfloat16 keep = e;
                    e.bits = special;
                    std::fill(out.begin(), out.end(), NAN);
                    launch(in, rows, cols, run.threads, out.data());
                    const float g = out[r];
                    bool ok = special == 0x7fc0 ? std::isnan(g) : (std::isinf(g) && g > 0);
                    for (unsigned o = 0; o < rows; ++o)
                        if (o != r && out[o] != want[o]) ok = false;
                    if (!ok) {
                        ++fails;
                        printf("FAIL %ux%u special %#x at row %u col %u: %f\n", rows, cols, special, r, at, g);
                    }
                    e = keep;
                }
        }
    if (klab_misaligned) printf("FAIL: %d misaligned 128-bit loads\n", klab_misaligned.load());
    if (klab_outside) printf("FAIL: %d loads outside their row\n", klab_outside.load());
    fails += klab_misaligned + klab_outside;
    printf("row_sum bf16 twin emulation: %zu launches, %d failures\n", sizeof runs / sizeof runs[0], fails);
    return fails ? 1 : 0;
}
