// CUDA C++ twins of softmax_backward/4 (f32) and softmax_backward/3 (bf16):
// kernels-gpu/src/softmax_backward/mod.rs (`registers_row`, `y_registers_row`, `two_pass_row`)
// and its step files. softmax_backward/4 is step 2's body (below) for rows up to 16384 columns
// and, for whole aligned rows of 16384 to 32768 columns, `y_registers_row`: y held (4 chunks
// of two float4), dy streamed into the dot two chunks at a time and read again after the
// reduction (indices from an opaque tid) for y * (dy - dot).
// The same algorithm, grid and access width: dx = y * (dy - sum(dy * y)) per row; thread t
// loads at most C chunks of 8 elements of y and dy, the row's 16-byte vectors t + j * size
// (C = 2 for f32, two float4 __ldg per chunk and input; 4 for bf16, one uint4 each, kept
// packed; missing vectors 0), the team sums the FMA
// partials (warp butterfly; a block team: one value per warp through shared memory, one
// barrier), and each thread stores y * (dy - dot) in 128-bit stores. Rows that are not whole
// 16-byte aligned chunks or longer than 8 * C * size take the two-pass fallback (dot, then
// write, reading y and dy again; chunks when aligned, else scalars), as the Rust one. Block
// kernels __launch_bounds__(1024) as the Rust steps; warp kernels (a group of
// lanes_per_row lanes per row, blocks of 256) none. Same parameter struct (SoftmaxBackwardParams<T>, #[repr(C)]: three 8-byte
// pointers, rows, cols). Its element and team helpers
// are softmax_rows.cuh's, which the host prepends (as to softmax.cu).

template <typename T>
struct SoftmaxBackwardParams {
    const T* __restrict__ y;
    const T* __restrict__ dy;
    T* dx;
    unsigned int rows;
    unsigned int cols;
};


// Σ y·dy over a chunk of each (as loaded), one FMA chain (the Rust `dot_part`).
template <typename E>
__device__ __forceinline__ float dot_part(const typename E::Raw& ry, const typename E::Raw& rdy) {
    float a[8], b[8], part = 0.0f;
    E::unpack(ry, a);
    E::unpack(rdy, b);
#pragma unroll
    for (int e = 0; e < 8; ++e) part = fmaf(a[e], b[e], part);
    return part;
}

// dx = y * (dy - dot) over a chunk, stored (the Rust `grad` and `store_chunk`).
template <typename E>
__device__ __forceinline__ void store_grad(typename E::T* dx, u64 first, u64 size, u64 nvec, const float* a,
                                           const float* b, float dot) {
    float out[8];
#pragma unroll
    for (int e = 0; e < 8; ++e) out[e] = a[e] * (b[e] - dot);
    E::store_chunk(dx, first, size, nvec, out);
}

template <typename E, bool BLOCK>
__device__ __forceinline__ void two_pass_row(const typename E::T* y, const typename E::T* dy, typename E::T* dx,
                                             u64 cols, Team<BLOCK> team) {
    const bool vec = cols % 8 == 0 && reinterpret_cast<u64>(y) % 16 == 0 && reinterpret_cast<u64>(dy) % 16 == 0 &&
                     reinterpret_cast<u64>(dx) % 16 == 0;
    const u64 nvec = cols / E::VL, step = E::VPC * team.size;
    float acc = 0.0f;
    if (vec) {
        for (u64 first = team.tid; first < nvec; first += step) {
            const typename E::Raw ry = E::load_chunk(y, first, team.size, nvec, 0.0f);
            acc += dot_part<E>(ry, E::load_chunk(dy, first, team.size, nvec, 0.0f));
        }
    } else {
        for (u64 c = team.tid; c < cols; c += team.size) acc = fmaf(E::load(y, c), E::load(dy, c), acc);
    }
    const float dot = team.all_sum(acc);
    if (vec) {
        for (u64 first = team.tid; first < nvec; first += step) {
            float a[8], b[8];
            E::unpack(E::load_chunk(y, first, team.size, nvec, 0.0f), a);
            E::unpack(E::load_chunk(dy, first, team.size, nvec, 0.0f), b);
            store_grad<E>(dx, first, team.size, nvec, a, b, dot);
        }
    } else {
        for (u64 c = team.tid; c < cols; c += team.size) E::store(dx, c, E::load(y, c) * (E::load(dy, c) - dot));
    }
}

template <typename E, int C, bool BLOCK>
__device__ __forceinline__ void registers_row(const typename E::T* y, const typename E::T* dy, typename E::T* dx,
                                              u64 cols, bool active, Team<BLOCK> team) {
    // As softmax.cu: cols decides the path, an inactive team has no elements.
    const u64 live = active ? cols : 0;
    const bool chunked = cols % 8 == 0 && reinterpret_cast<u64>(y) % 16 == 0 && reinterpret_cast<u64>(dy) % 16 == 0 &&
                         reinterpret_cast<u64>(dx) % 16 == 0;
    if (!chunked || cols / 8 > C * team.size) {
        two_pass_row<E, BLOCK>(y, dy, dx, live, team);
        return;
    }
    const u64 nvec = live / E::VL;
    typename E::Raw ry[C], rdy[C];
#pragma unroll
    for (int k = 0; k < C; ++k) {
        const u64 first = team.tid + k * E::VPC * team.size;
        ry[k] = E::load_chunk(y, first, team.size, nvec, 0.0f);
        rdy[k] = E::load_chunk(dy, first, team.size, nvec, 0.0f);
    }
    float acc = 0.0f;
#pragma unroll
    for (int k = 0; k < C; ++k) {
        if (team.tid + k * E::VPC * team.size < nvec) {
            acc += dot_part<E>(ry[k], rdy[k]);
        }
    }
    const float dot = team.all_sum(acc);
#pragma unroll
    for (int k = 0; k < C; ++k) {
        const u64 first = team.tid + k * E::VPC * team.size;
        if (first < nvec) {
            float a[8], b[8];
            E::unpack(ry[k], a);
            E::unpack(rdy[k], b);
            store_grad<E>(dx, first, team.size, nvec, a, b, dot);
        }
    }
}

// Rust's gpu::norm_reduce::opaque_u32: a mov the optimiser keeps.
__device__ __forceinline__ unsigned opaque(unsigned x) {
    unsigned r;
    asm volatile("mov.b32 %0, %1;" : "=r"(r) : "r"(x));
    return r;
}

// The Rust y_registers_row (C even; the caller checks the row is whole aligned chunks of at
// most 8 * C * size columns).
template <typename E, int C, bool BLOCK>
__device__ __forceinline__ void y_registers_row(const typename E::T* y, const typename E::T* dy, typename E::T* dx,
                                                u64 cols, Team<BLOCK> team) {
    const u64 nvec = cols / E::VL;
    typename E::Raw ry[C];
#pragma unroll
    for (int k = 0; k < C; ++k) ry[k] = E::load_chunk(y, team.tid + k * E::VPC * team.size, team.size, nvec, 0.0f);
    float acc = 0.0f;
#pragma unroll
    for (int k = 0; k < C; k += 2) {
        const typename E::Raw pair[2] = {
            E::load_chunk(dy, team.tid + k * E::VPC * team.size, team.size, nvec, 0.0f),
            E::load_chunk(dy, team.tid + (k + 1) * E::VPC * team.size, team.size, nvec, 0.0f)};
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            acc += dot_part<E>(ry[k + h], pair[h]);
        }
    }
    const float dot = team.all_sum(acc);
    const u64 tid = opaque(team.tid);
#pragma unroll
    for (int k = 0; k < C; ++k) {
        const u64 first = tid + k * E::VPC * team.size;
        if (first < nvec) {
            float a[8], b[8];
            E::unpack(ry[k], a);
            E::unpack(E::load_chunk(dy, first, team.size, nvec, 0.0f), b);
            store_grad<E>(dx, first, team.size, nvec, a, b, dot);
        }
    }
}

// softmax_backward/4's block kernel: registers_row at C chunks of each input, or, for whole
// aligned rows longer than that and at most 8 * CY * size, y_registers_row at CY chunks of y.
template <typename E, int C, int CY>
__device__ __forceinline__ void block_kernel_y(SoftmaxBackwardParams<typename E::T> p, float* s) {
    const u64 off = static_cast<u64>(blockIdx.x) * p.cols, cols = p.cols;
    Team<true> team = {threadIdx.x, blockDim.x, s, s};
    const typename E::T *y = p.y + off, *dy = p.dy + off;
    typename E::T* dx = p.dx + off;
    const bool long_row = cols / 8 > C * team.size && cols / 8 <= CY * team.size && cols % 8 == 0 &&
                          (reinterpret_cast<u64>(y) | reinterpret_cast<u64>(dy) | reinterpret_cast<u64>(dx)) % 16 == 0;
    if (long_row)
        y_registers_row<E, CY, true>(y, dy, dx, cols, team);
    else
        registers_row<E, C, true>(y, dy, dx, cols, true, team);
}

template <typename E, int C>
__device__ __forceinline__ void block_kernel(SoftmaxBackwardParams<typename E::T> p, float* s) {
    const u64 off = static_cast<u64>(blockIdx.x) * p.cols;
    Team<true> team = {threadIdx.x, blockDim.x, s, s};
    registers_row<E, C, true>(p.y + off, p.dy + off, p.dx + off, p.cols, true, team);
}

// Lanes per row of the warp kernels (the Rust softmax::lanes_per_row).
__device__ __forceinline__ unsigned lanes_per_row(unsigned cols, unsigned chunks) {
    const unsigned need = ((cols + 7) / 8 + chunks - 1) / chunks;
    unsigned l = 1;
    while (l < need && l < 32) l *= 2;
    return l;
}

template <typename E, int C>
__device__ __forceinline__ void warp_kernel(SoftmaxBackwardParams<typename E::T> p) {
    const unsigned lanes = lanes_per_row(p.cols, C);
    const u64 g = static_cast<u64>(blockIdx.x) * blockDim.x + threadIdx.x;
    const u64 r = g / lanes, warp_first = (g / 32) * (32 / lanes);
    if (warp_first < p.rows) {  // warp-uniform
        const bool active = r < p.rows;
        const u64 off = (active ? r : warp_first) * p.cols;
        Team<false> team = {static_cast<unsigned>(g % lanes), lanes, nullptr, nullptr};
        registers_row<E, C, false>(p.y + off, p.dy + off, p.dx + off, p.cols, active, team);
    }
}

extern "C" __global__ void __launch_bounds__(1024) softmax_backward_twin_f32(SoftmaxBackwardParams<float> p) {
    __shared__ float s[32];
    block_kernel_y<F32Elem, 2, 4>(p, s);
}
extern "C" __global__ void softmax_backward_twin_f32_warp(SoftmaxBackwardParams<float> p) { warp_kernel<F32Elem, 2>(p); }
extern "C" __global__ void __launch_bounds__(1024) softmax_backward_twin_bf16(SoftmaxBackwardParams<__nv_bfloat16> p) {
    __shared__ float s[32];
    block_kernel<Bf16Elem, 4>(p, s);
}
extern "C" __global__ void softmax_backward_twin_bf16_warp(SoftmaxBackwardParams<__nv_bfloat16> p) {
    warp_kernel<Bf16Elem, 4>(p);
}
