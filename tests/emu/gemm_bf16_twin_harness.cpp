// CPU emulation harness for the bf16 GEMM CUDA C++ twin (host/ladders/twins/gemm_bf16.cu),
// which is gemm_bf16/4 line by line: every block runs as one std::thread per CUDA thread,
// __syncthreads() is a block std::barrier, shared memory a per-block byte array filled with
// 0xFF (bf16 NaN: a read of a byte never written poisons the result). The twin's PTX primitives
// (between its `klab:ptx-primitives` markers, cut out by tests/twin_emulation.rs) are emulated
// here from the PTX ISA's descriptions:
// - cp.async.cg 16 B with src-size: queued per thread; commit_group closes a group;
//   wait_group N performs all but the newest N groups (KLAB_EMU_EARLY=1: each copy lands at
//   issue instead, which exposes a copy into a stage that other warps still read);
// - ldmatrix .x4 / .x4.trans: a warp barrier, then each lane reads the rows the other lanes
//   point at (matrix i from lanes 8i..8i+7; plain: row l/4, columns 2(l%4), +1; .trans: rows
//   2(l%4), +1 of column l/4);
// - mma.m16n8k16 bf16 -> f32: a warp barrier, the whole A, B, C rebuilt from every lane's
//   fragment (PTX ISA fragment layouts), D = A·B + C per lane.
// It checks the tile algebra, swizzle, pipeline and barriers of step 4 before any GPU run.
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

struct klab_dim { unsigned x, y, z; };
thread_local klab_dim threadIdx, blockIdx;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
struct uint4 { unsigned x, y, z, w; };
struct float2 { float x, y; };
inline float2 make_float2(float a, float b) { return {a, b}; }
template <class T> inline T __ldg(const T* p) { return *p; }
struct __nv_bfloat16 { unsigned short bits; };

static bool klab_early = false;
static std::atomic<int> klab_errors{0};
static void klab_error(const char* what, unsigned v) {
    if (klab_errors++ < 5) printf("emulation error: %s (%u)\n", what, v);
}

constexpr unsigned KLAB_SMEM_BYTES = 3 * 48 * 1024;
thread_local unsigned char* klab_smem;
thread_local std::barrier<>* klab_bar;
#define __syncthreads() klab_bar->arrive_and_wait()

struct Warp {
    std::barrier<> bar{32};
    unsigned addr[32];
    unsigned a[32][4], b[32][2];
    float c[32][4];
};
thread_local Warp* klab_warp;

struct Copy { unsigned dst; const unsigned char* src; unsigned bytes; };
thread_local std::vector<std::vector<Copy>> klab_groups;
thread_local std::vector<Copy> klab_open;

static void perform(const Copy& c) {
    if (c.dst % 16 || c.dst + 16 > KLAB_SMEM_BYTES) klab_error("cp.async destination", c.dst);
    if (c.bytes > 16) klab_error("cp.async src-size", c.bytes);
    if (c.bytes && reinterpret_cast<uintptr_t>(c.src) % 16) klab_error("cp.async source alignment", 0);
    for (unsigned i = 0; i < 16; ++i) klab_smem[c.dst + i] = i < c.bytes ? c.src[i] : 0;
}

inline unsigned smem_base() { return 0; }
inline void cp_async_16_zfill(unsigned dst, const void* src, unsigned bytes) {
    const Copy c{dst, static_cast<const unsigned char*>(src), bytes};
    if (klab_early) perform(c);
    else klab_open.push_back(c);
}
inline void cp_async_commit() {
    klab_groups.push_back(klab_open);
    klab_open.clear();
}
template <int N> inline void cp_async_wait() {
    while (klab_groups.size() > N) {
        for (const Copy& c : klab_groups.front()) perform(c);
        klab_groups.erase(klab_groups.begin());
    }
}
inline void st_shared_v4(unsigned addr, uint4 v) {
    if (addr % 16 || addr + 16 > KLAB_SMEM_BYTES) klab_error("st.shared.v4 address", addr);
    std::memcpy(klab_smem + addr, &v, 16);
}

static unsigned lane_id() { return threadIdx.x % 32; }

static void ldsm(unsigned addr, unsigned (&r)[4], bool trans) {
    Warp& w = *klab_warp;
    const unsigned l = lane_id(), g = l / 4, q = l % 4;
    w.addr[l] = addr;
    w.bar.arrive_and_wait();
    for (unsigned i = 0; i < 4; ++i) {
        auto elem = [&](unsigned row, unsigned col) -> unsigned {
            const unsigned a = w.addr[8 * i + row];
            if (a % 16 || a + 16 > KLAB_SMEM_BYTES) klab_error("ldmatrix row address", a);
            unsigned short v;
            std::memcpy(&v, klab_smem + a + 2 * col, 2);
            return v;
        };
        const unsigned lo = trans ? elem(2 * q, g) : elem(g, 2 * q);
        const unsigned hi = trans ? elem(2 * q + 1, g) : elem(g, 2 * q + 1);
        r[i] = lo | hi << 16;
    }
    w.bar.arrive_and_wait();
}
inline void ldsm_x4(unsigned addr, unsigned (&r)[4]) { ldsm(addr, r, false); }
inline void ldsm_x4_trans(unsigned addr, unsigned (&r)[4]) { ldsm(addr, r, true); }

static float bf(unsigned bits16) {
    const unsigned u = bits16 << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    Warp& w = *klab_warp;
    const unsigned l = lane_id(), g = l / 4, t = l % 4;
    for (int i = 0; i < 4; ++i) w.a[l][i] = a[i], w.c[l][i] = d[i];
    w.b[l][0] = b0, w.b[l][1] = b1;
    w.bar.arrive_and_wait();
    // A(row, k): lane 4·(row % 8) + (k % 8) / 2, register (row / 8) + 2·(k / 8), half k % 2.
    auto A = [&](unsigned row, unsigned k) {
        const unsigned v = w.a[4 * (row % 8) + (k % 8) / 2][row / 8 + 2 * (k / 8)];
        return bf(k % 2 ? v >> 16 : v & 0xffff);
    };
    // B(k, n): lane 4·n + (k % 8) / 2, register k / 8, half k % 2.
    auto B = [&](unsigned k, unsigned n) {
        const unsigned v = w.b[4 * n + (k % 8) / 2][k / 8];
        return bf(k % 2 ? v >> 16 : v & 0xffff);
    };
    float out[4];
    for (unsigned e = 0; e < 4; ++e) {
        const unsigned row = g + 8 * (e / 2), col = 2 * t + e % 2;
        double s = w.c[l][e];
        for (unsigned k = 0; k < 16; ++k) s += (double)A(row, k) * B(k, col);
        out[e] = (float)s;
    }
    w.bar.arrive_and_wait();
    for (int e = 0; e < 4; ++e) d[e] = out[e];
}

#define klab_twin_bf16_smem klab_smem
#include "twin.inc"

static unsigned short to_bf16(float x) {  // round to nearest even (finite inputs)
    unsigned u;
    std::memcpy(&u, &x, 4);
    u += 0x7fff + ((u >> 16) & 1);
    return (unsigned short)(u >> 16);
}

int main() {
    klab_early = std::getenv("KLAB_EMU_EARLY") && std::getenv("KLAB_EMU_EARLY")[0] == '1';
    // Fast loop (K, N multiples of 8), edge loop (not), partial tiles, k-tiles beyond the ring.
    const int shapes[][3] = {{1, 1, 1},      {128, 256, 64}, {64, 64, 320}, {200, 264, 72},
                             {256, 512, 136}, {129, 257, 200}, {33, 17, 13}};
    int fails = 0;
    for (const auto& s : shapes) {
        const unsigned m = s[0], n = s[1], k = s[2];
        std::mt19937 rng(m * 131 + n * 7 + k);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<unsigned short> a(m * k), b(k * n);
        std::vector<float> c0(m * n);
        for (auto& v : a) v = to_bf16(u(rng));
        for (auto& v : b) v = to_bf16(u(rng));
        for (auto& v : c0) v = u(rng);
        std::vector<float> c = c0;
        const GemmBf16Params p{reinterpret_cast<const __nv_bfloat16*>(a.data()),
                               reinterpret_cast<const __nv_bfloat16*>(b.data()), c.data(), m, n, k,
                               1.25f, -0.5f};
        for (unsigned by = 0; by < (m + 127) / 128; ++by)
            for (unsigned bx = 0; bx < (n + 255) / 256; ++bx) {
                std::vector<unsigned char> smem(KLAB_SMEM_BYTES, 0xff);
                std::barrier<> bar(256);
                std::vector<Warp> warps(8);
                std::vector<std::thread> ts;
                for (unsigned t = 0; t < 256; ++t)
                    ts.emplace_back([&, t] {
                        threadIdx = {t, 0, 0};
                        blockIdx = {bx, by, 0};
                        klab_bar = &bar;
                        klab_smem = smem.data();
                        klab_warp = &warps[t / 32];
                        gemm_bf16_twin_s04(p);
                        if (!klab_groups.empty() || !klab_open.empty())
                            klab_error("cp.async groups left at exit", (unsigned)klab_groups.size());
                    });
                for (auto& th : ts) th.join();
            }
        int bad = 0;
        const double eps = 1.1920929e-7, atol = eps * (4 * 1.25 * k + 4 * 0.5 + 4);
        for (unsigned i = 0; i < m; ++i)
            for (unsigned j = 0; j < n; ++j) {
                double d = 0;
                for (unsigned l = 0; l < k; ++l) d += (double)bf(a[i * k + l]) * bf(b[l * n + j]);
                const double want = 1.25 * d - 0.5 * c0[i * n + j];
                const double got = c[i * n + j];
                if (!(std::fabs(got - want) <= atol + 4 * eps * std::fabs(want))) {
                    if (bad < 3) printf("  %ux%ux%u: C[%u][%u] = %g, want %g\n", m, n, k, i, j, got, want);
                    ++bad;
                }
            }
        if (bad) {
            ++fails;
            printf("FAIL gemm_bf16_twin_s04 at %ux%ux%u: %d of %u elements wrong\n", m, n, k, bad, m * n);
        }
    }
    if (klab_errors) printf("emulation errors: %d\n", klab_errors.load());
    if (fails || klab_errors) printf("bf16 twin emulation: %d failures\n", fails);
    else printf("bf16 twin emulation (%s copies): all shapes correct\n", klab_early ? "early" : "late");
    return fails || klab_errors ? 1 : 0;
}
