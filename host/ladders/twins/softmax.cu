// CUDA C++ twins of softmax/5 (f32) and softmax/8 (bf16): kernels-gpu/src/softmax/mod.rs
// (`registers_row`, `registers_row_packed`, `online_row`, `Team`) and the step files
// s05_registers.rs and s08_bf16_packed_512.rs. The same algorithm, grid and access width: the
// row in registers, thread t holding at most C chunks of 8 elements, the row's 16-byte vectors
// t + j * size (f32: two float4 __ldg per chunk, C = 4; bf16: one uint4 per chunk kept packed
// as loaded, C = 8; a warp's load is 32 consecutive vectors; missing vectors -inf), the max
// reduced over the team (warp butterfly of max.NaN.f32; a block team: one value per warp
// through shared memory, one barrier, every warp reducing the per-warp values), exp as
// ex2.approx.ftz.f32((x - m) * log2 e), the sum reduced the same way, the values times
// rcp.approx(s) stored in 128-bit stores. f32 keeps the 32 exp values in place; bf16 (step 8)
// widens the packed chunks again in each pass (max, sum of exp, exp * (1/s): ex2 twice per
// element), with the Rust body's two guards against the compilers keeping the widened values
// live through a barrier: the chunks XORed with isnan(m) / isnan(s) before widening (`salted`)
// and the output pass's maximum as fma(0, s, m). Rows that are not whole 16-byte aligned
// chunks, or longer than 8 * C * size, take the looped online softmax (running max and sum,
// then a write pass), as the Rust fallback. Launch bounds as the Rust kernels: the f32 block
// kernel __launch_bounds__(1024), the bf16 one __launch_bounds__(512, 2); the warp kernels (a
// group of lanes_per_row(cols, C) lanes per row, blocks of 256) none. The host launches each
// with the step's own grid. Same parameter struct (SoftmaxParams<T>, #[repr(C)]: two 8-byte
// pointers, rows, cols). The element and team helpers are softmax_rows.cuh's, which the host
// prepends (as to softmax_backward.cu).

template <typename T>
struct SoftmaxParams {
    const T* __restrict__ x;
    T* y;
    unsigned int rows;
    unsigned int cols;
};

// Chunks of 8 a thread holds: softmax::CHUNKS (f32, step 5) and softmax::CHUNKS_8 (bf16,
// step 8).
#define CHUNKS 4
#define CHUNKS_8 8

template <typename E, bool BLOCK>
__device__ __forceinline__ void online_row(const typename E::T* x, typename E::T* y, u64 cols, Team<BLOCK> team) {
    float m = NEG_INF, s = 0.0f;
    for (u64 c = team.tid; c < cols; c += team.size) online_push(m, s, E::load(x, c));
    team.all_merge(m, s);
    const float inv = rcp_fast(s);
    for (u64 c = team.tid; c < cols; c += team.size) E::store(y, c, exp_shifted(E::load(x, c), m) * inv);
}

template <typename E, int C, bool BLOCK>
__device__ __forceinline__ void registers_row(const typename E::T* x, typename E::T* y, u64 cols, bool active,
                                              Team<BLOCK> team) {
    // cols decides the path (the same for every team of a warp); an inactive team (past the
    // last row) takes part in the shuffles with no elements.
    const u64 live = active ? cols : 0;
    const bool chunked = cols % 8 == 0 && reinterpret_cast<u64>(x) % 16 == 0 && reinterpret_cast<u64>(y) % 16 == 0;
    if (!chunked || cols / 8 > C * team.size) {
        online_row<E, BLOCK>(x, y, live, team);
        return;
    }
    const u64 nvec = live / E::VL;
    // Chunk k of thread tid: vectors tid + (k * VPC + q) * size; missing ones -inf.
    typename E::Raw raw[C];
#pragma unroll
    for (int k = 0; k < C; ++k)
        raw[k] = E::load_chunk(x, team.tid + k * E::VPC * team.size, team.size, nvec, NEG_INF);
    float v[C][8];
    float m = NEG_INF;
#pragma unroll
    for (int k = 0; k < C; ++k) {
        E::unpack(raw[k], v[k]);
        const float m4 = max_nan(max_nan(v[k][0], v[k][1]), max_nan(v[k][2], v[k][3]));
        const float m8 = max_nan(max_nan(v[k][4], v[k][5]), max_nan(v[k][6], v[k][7]));
        m = max_nan(m, max_nan(m4, m8));
    }
    m = team.all_max(m);
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < C; ++k) {
        float part = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; ++e) { v[k][e] = exp_shifted(v[k][e], m); part += v[k][e]; }
        s += part;
    }
    s = team.all_sum(s);
    const float inv = rcp_fast(s);
#pragma unroll
    for (int k = 0; k < C; ++k) {
        float out[8];
#pragma unroll
        for (int e = 0; e < 8; ++e) out[e] = v[k][e] * inv;
        E::store_chunk(y, team.tid + k * E::VPC * team.size, team.size, nvec, out);
    }
}

// Rust's gpu::norm_reduce::opaque_u32: a mov the optimiser keeps.
__device__ __forceinline__ unsigned opaque(unsigned x) {
    unsigned r;
    asm volatile("mov.b32 %0, %1;" : "=r"(r) : "r"(x));
    return r;
}

// The packed chunk r with the low bit of each bf16 XORed with isnan(v) (the Rust `salted`): r
// itself unless v is NaN, when the row's output is NaN whatever the chunk holds. A new value to
// the compiler, so each pass widens the packed registers again. The Rust XOR touches bit 0 only
// (the low bf16: LLVM drops it from the high half's `and`); salting both halves here keeps
// nvcc 13 at 64 registers without spilling under (512, 2) (bit 0 only: 32 bytes spilled).
__device__ __forceinline__ uint4 salted(uint4 r, float v) {
    const unsigned z = v != v ? 0x00010001u : 0u;
    return make_uint4(r.x ^ z, r.y ^ z, r.z ^ z, r.w ^ z);
}

// The Rust registers_row_packed (bf16, step 8): the chunks kept as loaded, widened in each of
// the three passes.
template <int C, bool BLOCK>
__device__ __forceinline__ void registers_row_packed(const __nv_bfloat16* x, __nv_bfloat16* y, u64 cols,
                                                     bool active, Team<BLOCK> team) {
    const u64 live = active ? cols : 0;
    const bool chunked = cols % 8 == 0 && reinterpret_cast<u64>(x) % 16 == 0 && reinterpret_cast<u64>(y) % 16 == 0;
    if (!chunked || cols / 8 > C * team.size) {
        online_row<Bf16Elem, BLOCK>(x, y, live, team);
        return;
    }
    const u64 nvec = live / 8;
    uint4 raw[C];
#pragma unroll
    for (int k = 0; k < C; ++k) raw[k] = Bf16Elem::load_chunk(x, team.tid + k * team.size, team.size, nvec, NEG_INF);
    float m = NEG_INF;
#pragma unroll
    for (int k = 0; k < C; ++k) {
        float v[8];
        Bf16Elem::unpack(raw[k], v);
        const float m4 = max_nan(max_nan(v[0], v[1]), max_nan(v[2], v[3]));
        const float m8 = max_nan(max_nan(v[4], v[5]), max_nan(v[6], v[7]));
        m = max_nan(m, max_nan(m4, m8));
    }
    m = team.all_max(m);
    float s = 0.0f;
#pragma unroll
    for (int k = 0; k < C; ++k) {
        float v[8];
        Bf16Elem::unpack(salted(raw[k], m), v);
        float part = 0.0f;
#pragma unroll
        for (int e = 0; e < 8; ++e) part += exp_shifted(v[e], m);
        s += part;
    }
    s = team.all_sum(s);
    const float inv = rcp_fast(s);
    // m + 0 * s, which no compiler folds (0 * s is NaN for a non-finite s): the output pass's
    // exp values are not the sum pass's.
    const float m2 = fmaf(0.0f, s, m);
    const u64 tid = opaque(team.tid);
#pragma unroll
    for (int k = 0; k < C; ++k) {
        float out[8];
        Bf16Elem::unpack(salted(raw[k], s), out);
#pragma unroll
        for (int e = 0; e < 8; ++e) out[e] = exp_shifted(out[e], m2) * inv;
        Bf16Elem::store_chunk(y, tid + k * team.size, team.size, nvec, out);
    }
}

// Lanes per row of the warp kernels: the fewest, a power of two up to 32, that hold the row's
// cols / 8 chunks at `chunks` each (the Rust softmax::lanes_per_row).
__device__ __forceinline__ unsigned lanes_per_row(unsigned cols, unsigned chunks) {
    const unsigned need = ((cols + 7) / 8 + chunks - 1) / chunks;
    unsigned l = 1;
    while (l < need && l < 32) l *= 2;
    return l;
}

// The Rust softmax::warp_team and the step files' warp kernels: a group of
// lanes_per_row(cols, C) lanes per row; `body(x, y, cols, active, team)` runs the row.
template <typename T, int C, typename Body>
__device__ __forceinline__ void warp_rows(SoftmaxParams<T> p, Body body) {
    const unsigned lanes = lanes_per_row(p.cols, C);
    const u64 g = static_cast<u64>(blockIdx.x) * blockDim.x + threadIdx.x;
    const u64 r = g / lanes, warp_first = (g / 32) * (32 / lanes);
    if (warp_first < p.rows) {  // warp-uniform
        const bool active = r < p.rows;
        const u64 cols = p.cols, row = active ? r : warp_first;
        Team<false> team = {static_cast<unsigned>(g % lanes), lanes, nullptr, nullptr};
        body(p.x + row * cols, p.y + row * cols, cols, active, team);
    }
}

struct F32Rows {
    template <bool BLOCK>
    __device__ __forceinline__ void operator()(const float* x, float* y, u64 cols, bool active, Team<BLOCK> t) const {
        registers_row<F32Elem, CHUNKS, BLOCK>(x, y, cols, active, t);
    }
};
struct Bf16PackedRows {
    template <bool BLOCK>
    __device__ __forceinline__ void operator()(const __nv_bfloat16* x, __nv_bfloat16* y, u64 cols, bool active,
                                               Team<BLOCK> t) const {
        registers_row_packed<CHUNKS_8, BLOCK>(x, y, cols, active, t);
    }
};

// One block per row (the step files' block kernels).
template <typename T, typename Body>
__device__ __forceinline__ void block_row(SoftmaxParams<T> p, float* s0, float* s1, Body body) {
    const u64 cols = p.cols, r = blockIdx.x;
    Team<true> team = {threadIdx.x, blockDim.x, s0, s1};
    body(p.x + r * cols, p.y + r * cols, cols, true, team);
}

extern "C" __global__ void __launch_bounds__(1024) softmax_twin_f32(SoftmaxParams<float> p) {
    __shared__ float s0[32], s1[32];
    block_row(p, s0, s1, F32Rows());
}
extern "C" __global__ void softmax_twin_f32_warp(SoftmaxParams<float> p) { warp_rows<float, CHUNKS>(p, F32Rows()); }
extern "C" __global__ void __launch_bounds__(512, 2) softmax_twin_bf16(SoftmaxParams<__nv_bfloat16> p) {
    __shared__ float s0[32], s1[32];
    block_row(p, s0, s1, Bf16PackedRows());
}
extern "C" __global__ void softmax_twin_bf16_warp(SoftmaxParams<__nv_bfloat16> p) {
    warp_rows<__nv_bfloat16, CHUNKS_8>(p, Bf16PackedRows());
}
