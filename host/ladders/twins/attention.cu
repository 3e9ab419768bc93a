// CUDA C++ twin of the attention ladder's step 4 (kernels-gpu/src/attention/s04_tuned.rs,
// s03_cp_async.rs and common.rs): the same blocks (warps of 16 query rows: 8 warps, 128 rows at
// head_dim 64; 4 warps, 64 rows at 128; 64-key tiles), the same two cp.async stages of 128-byte XOR-swizzled K/V rows after the Q tile,
// the same ldmatrix offsets (plain for Q and K, .trans for V), the same online softmax
// (ex2.approx of one FMA per score, the scale folded into c = scale * log2 e), the same masking
// rule and causal tile count, the same epilogue, the same parameter struct. mma.sync, ldmatrix,
// cp.async, ex2 and lg2 are inline PTX, as in the Rust device API. Compiled at run time with
// NVRTC, launched with the very launch the Rust step gets.

#include <cuda_bf16.h>

struct AttentionParams {  // == kernels_gpu::attention::AttentionParams (#[repr(C)], 72 bytes)
    const __nv_bfloat16* q;
    const __nv_bfloat16* k;
    const __nv_bfloat16* v;
    __nv_bfloat16* o;
    float* lse;
    float* scores;
    unsigned bh, seq_q, seq_k, head_dim;
    float scale;
    unsigned causal;
};

extern __shared__ __align__(16) unsigned char klab_twin_attention_smem[];

namespace {

// -inf (NVRTC has no math headers: no INFINITY).
#define NEG_INF __int_as_float(0xff800000u)

__device__ __forceinline__ unsigned smem_base() {
    return static_cast<unsigned>(__cvta_generic_to_shared(klab_twin_attention_smem));
}
__device__ __forceinline__ void cp_async_16_zfill(unsigned dst, const void* src, unsigned bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
__device__ __forceinline__ void ldsm_x4(unsigned addr, unsigned (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4_trans(unsigned addr, unsigned (&r)[4]) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0,
                                          unsigned b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
        "{%8, %9}, {%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
__device__ __forceinline__ float ex2(float x) {
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
__device__ __forceinline__ float lg2(float x) {
    float r;
    asm("lg2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
__device__ __forceinline__ float rcp(float x) {
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
    return r;
}
__device__ __forceinline__ unsigned pack(float lo, float hi) {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);  // .x (low half) = lo
    return *reinterpret_cast<unsigned*>(&h);
}

// Byte offset of 16-byte chunk `chunk` of row `row` of a D-wide bf16 tile, swizzled.
template <unsigned D>
__device__ __forceinline__ unsigned swz(unsigned row, unsigned chunk) {
    return row * 2 * D + ((chunk ^ (row & 7)) << 4);
}

// This thread's N chunks of rows row0.. of a rows x D head matrix into the tile at base.
template <unsigned D, unsigned THREADS, unsigned N>
__device__ __forceinline__ void copy_tile(const __nv_bfloat16* src, unsigned rows, unsigned row0,
                                          unsigned base, unsigned tid) {
#pragma unroll
    for (unsigned j = 0; j < N; ++j) {
        unsigned q = tid + THREADS * j, r = q / (D / 8), ch = q % (D / 8), gr = row0 + r;
        bool inside = gr < rows;
        const __nv_bfloat16* from = inside ? src + (size_t)gr * D + 8 * ch : src;
        cp_async_16_zfill(base + swz<D>(r, ch), from, inside ? 16 : 0);
    }
}

template <unsigned D, unsigned WARPS, unsigned BK>
__device__ __forceinline__ void pipelined(const AttentionParams& p) {
    constexpr unsigned THREADS = 32 * WARPS, BQ = 16 * WARPS;
    constexpr unsigned KS = D / 16, DT = D / 8, NT = BK / 8, KK = BK / 16;
    constexpr unsigned QCH = BQ * D / 8 / THREADS, KCH = BK * D / 8 / THREADS;
    const unsigned tid = threadIdx.x, lane = tid % 32, w = tid / 32;
    const bool causal = p.causal != 0;
    const unsigned qt = causal ? gridDim.x - 1 - blockIdx.x : blockIdx.x;
    const unsigned q0 = qt * BQ, bh = blockIdx.y, row0 = q0 + 16 * w;
    const __nv_bfloat16* qh = p.q + (size_t)bh * p.seq_q * D;
    const __nv_bfloat16* kh = p.k + (size_t)bh * p.seq_k * D;
    const __nv_bfloat16* vh = p.v + (size_t)bh * p.seq_k * D;
    const unsigned sq = smem_base();
    auto stage = [&](unsigned s) { return sq + 2 * D * BQ + s * 4 * D * BK; };
    const unsigned all = (p.seq_k + BK - 1) / BK;
    const unsigned ktiles = causal ? min(all, (q0 + BQ + BK - 1) / BK) : all;
    auto issue = [&](unsigned kt) {
        unsigned base = stage(kt % 2);
        copy_tile<D, THREADS, KCH>(kh, p.seq_k, kt * BK, base, tid);
        copy_tile<D, THREADS, KCH>(vh, p.seq_k, kt * BK, base + 2 * D * BK, tid);
    };
    copy_tile<D, THREADS, QCH>(qh, p.seq_q, q0, sq, tid);
    cp_async_commit();
    issue(0);
    cp_async_commit();
    cp_async_wait<1>();
    __syncthreads();
    // Lane offsets of ldmatrix.x4: row lane % 16, column 8 * (lane / 16).
    const unsigned lr = lane % 16, lc = 8 * (lane / 16);
    unsigned qa[KS][4];
#pragma unroll
    for (unsigned ks = 0; ks < KS; ++ks)
        ldsm_x4(sq + swz<D>(16 * w + lr, (16 * ks + lc) / 8), qa[ks]);
    const float c = p.scale * 1.4426950408889634f;
    float o[DT][4] = {};
    float m[2] = {NEG_INF, NEG_INF}, l[2] = {0.f, 0.f};
    const unsigned g = lane / 4, t = lane % 4;
    for (unsigned kt = 0; kt < ktiles; ++kt) {
        const unsigned key0 = kt * BK;
        cp_async_wait<0>();
        __syncthreads();
        if (kt + 1 < ktiles) issue(kt + 1);
        cp_async_commit();
        const unsigned sk = stage(kt % 2), sv = sk + 2 * D * BK;
        float s[NT][4] = {};
#pragma unroll
        for (unsigned j = 0; j < NT; j += 2) {
#pragma unroll
            for (unsigned ks = 0; ks < KS; ++ks) {
                unsigned x[4];
                ldsm_x4(sk + swz<D>(8 * j + lr, (16 * ks + lc) / 8), x);
                mma_16816(s[j], qa[ks], x[0], x[2]);
                mma_16816(s[j + 1], qa[ks], x[1], x[3]);
            }
        }
        if (key0 + BK > p.seq_k || (causal && key0 + BK - 1 > row0)) {
#pragma unroll
            for (unsigned j = 0; j < NT; ++j)
#pragma unroll
                for (unsigned i = 0; i < 4; ++i) {
                    unsigned r = g + 8 * (i >> 1), key = key0 + 8 * j + 2 * t + (i & 1);
                    if (key >= p.seq_k || (causal && key > row0 + r)) s[j][i] = NEG_INF;
                }
        }
#pragma unroll
        for (unsigned r = 0; r < 2; ++r) {
            float mx = NEG_INF;
#pragma unroll
            for (unsigned j = 0; j < NT; ++j) mx = fmaxf(fmaxf(mx, s[j][2 * r]), s[j][2 * r + 1]);
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float m_new = fmaxf(m[r], mx);
            const float m_use = m_new == NEG_INF ? 0.f : m_new;
            const float alpha = ex2((m[r] - m_use) * c), off = m_use * c;
            m[r] = m_new;
            float sum = 0.f;
#pragma unroll
            for (unsigned j = 0; j < NT; ++j)
#pragma unroll
                for (unsigned e = 0; e < 2; ++e) {
                    float pe = ex2(__fmaf_rn(s[j][2 * r + e], c, -off));
                    s[j][2 * r + e] = pe;
                    sum += pe;
                }
            l[r] = __fmaf_rn(l[r], alpha, sum);
#pragma unroll
            for (unsigned j = 0; j < DT; ++j) {
                o[j][2 * r] *= alpha;
                o[j][2 * r + 1] *= alpha;
            }
        }
#pragma unroll
        for (unsigned kk = 0; kk < KK; ++kk) {
            const unsigned pa[4] = {pack(s[2 * kk][0], s[2 * kk][1]), pack(s[2 * kk][2], s[2 * kk][3]),
                                    pack(s[2 * kk + 1][0], s[2 * kk + 1][1]),
                                    pack(s[2 * kk + 1][2], s[2 * kk + 1][3])};
#pragma unroll
            for (unsigned j = 0; j < DT; j += 2) {
                unsigned x[4];
                ldsm_x4_trans(sv + swz<D>(16 * kk + lr, (8 * j + lc) / 8), x);
                mma_16816(o[j], pa, x[0], x[1]);
                mma_16816(o[j + 1], pa, x[2], x[3]);
            }
        }
    }
    cp_async_wait<0>();
    float sums[2] = {l[0], l[1]};
#pragma unroll
    for (unsigned r = 0; r < 2; ++r) {
        sums[r] += __shfl_xor_sync(0xffffffffu, sums[r], 1);
        sums[r] += __shfl_xor_sync(0xffffffffu, sums[r], 2);
    }
    unsigned* out = reinterpret_cast<unsigned*>(p.o);
#pragma unroll
    for (unsigned r = 0; r < 2; ++r) {
        const unsigned row = row0 + g + 8 * r;
        if (row < p.seq_q) {
            const float inv = rcp(sums[r]);
            const size_t base = ((size_t)bh * p.seq_q + row) * D;
#pragma unroll
            for (unsigned j = 0; j < DT; ++j)
                out[(base + 8 * j + 2 * t) / 2] = pack(o[j][2 * r] * inv, o[j][2 * r + 1] * inv);
            if (t == 0)
                p.lse[(size_t)bh * p.seq_q + row] =
                    __fmaf_rn(m[r], p.scale, lg2(sums[r]) * 0.6931471805599453f);
        }
    }
}

}  // namespace

// head_dim 64 and 128 (the Rust step's two kernels, with the same launch bounds: the d64
// kernel at most 128 registers, two blocks of 256 per SM).
extern "C" __global__ void __launch_bounds__(256, 2) attention_twin_s04(AttentionParams p) {
    pipelined<64, 8, 64>(p);
}
extern "C" __global__ void attention_twin_s04_d128(AttentionParams p) { pipelined<128, 4, 64>(p); }
