// CPU emulation harness for the GEMM CUDA C++ twin (host/ladders/twins/gemm.cu): every block
// runs as one std::thread per CUDA thread, __syncthreads() is a std::barrier, shared memory a
// per-block array filled with NaN. tests/twin_emulation.rs writes the variant table
// (KLAB_EMU_VARIANTS) from kernels_gpu::gemm::S09_VARIANTS, includes the twin source with its
// `extern __shared__` line replaced, compiles this with g++ -std=c++20 and runs it.
// It checks the tile algebra (thread mappings, zero-filled edges, double-buffer barriers,
// vector/scalar paths, epilogue) of the algorithm that the Rust steps 8/9 implement line by line.
#include <barrier>
#include <cmath>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>
struct klab_dim { unsigned x, y, z; };
thread_local klab_dim threadIdx, blockIdx;
thread_local std::barrier<>* klab_bar;
thread_local float* klab_smem;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __syncthreads() klab_bar->arrive_and_wait()
struct float4 { float x, y, z, w; };
inline float4 make_float4(float a, float b, float c, float d) { return {a, b, c, d}; }
template <class T> inline T __ldg(const T* p) { return *p; }
#define klab_twin_smem klab_smem
#include "twin.inc"

struct Variant { void (*f)(const GemmParams); int bm, bn, bk, wm, wn; const char* name; };
static const Variant variants[] = {
#include "variants.inc"
};

int main() {
    const int shapes[][3] = {{1, 1, 1},     {17, 33, 65},   {129, 127, 9},  {1, 97, 3},    {100, 1, 100},
                             {128, 256, 8}, {257, 255, 33}, {256, 256, 64}, {300, 260, 68}};
    int fails = 0;
    for (const auto& s : shapes) {
        const int m = s[0], n = s[1], k = s[2];
        std::mt19937 rng(m * 131 + n * 7 + k);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> a(m * k), b(k * n), c0(m * n);
        for (auto& v : a) v = u(rng);
        for (auto& v : b) v = u(rng);
        for (auto& v : c0) v = u(rng);
        for (const auto& var : variants) {
            std::vector<float> c = c0;
            const GemmParams p{a.data(), b.data(), c.data(), (unsigned)m, (unsigned)n, (unsigned)k, 1.25f, -0.5f};
            const int nt = (var.bm / var.wm) * (var.bn / var.wn) * 32;
            const int stage = var.bk * (var.bm + 4) + var.bk * var.bn;
            for (int by = 0; by < (m + var.bm - 1) / var.bm; ++by)
                for (int bx = 0; bx < (n + var.bn - 1) / var.bn; ++bx) {
                    std::vector<float> smem(2 * stage, NAN);
                    std::barrier<> bar(nt);
                    std::vector<std::thread> ts;
                    for (int t = 0; t < nt; ++t)
                        ts.emplace_back([&, t] {
                            threadIdx = {(unsigned)t, 0, 0};
                            blockIdx = {(unsigned)bx, (unsigned)by, 0};
                            klab_bar = &bar;
                            klab_smem = smem.data();
                            var.f(p);
                        });
                    for (auto& th : ts) th.join();
                }
            int bad = 0;
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    double d = 0;
                    for (int l = 0; l < k; ++l) d += (double)a[i * k + l] * b[l * n + j];
                    const double want = 1.25 * d - 0.5 * c0[i * n + j];
                    if (!(std::fabs(c[i * n + j] - want) <= 1.2e-7 * (2.5 * k + 6))) ++bad;
                }
            if (bad) {
                ++fails;
                printf("FAIL %s at %dx%dx%d: %d of %d elements wrong\n", var.name, m, n, k, bad, m * n);
            }
        }
    }
    if (fails) printf("twin emulation: %d failures\n", fails);
    else printf("twin emulation: all variants correct\n");
    return fails ? 1 : 0;
}
