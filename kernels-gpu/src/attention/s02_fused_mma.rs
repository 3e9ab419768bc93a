#[allow(unused_imports)]
use super::{AttentionParams, Grid, Tile};
use {
    super::common::{epilogue, load_q, load_tile, mask, online_softmax, pack_p, pv, qk},
    crate::gpu::mma::FragC,
    crate::gpu::{shared::dynamic_shared, sync_threads, thread, unroll::unroll},
};

/// Query rows per block of step 2 (four warps of 16).
pub const S02_BQ: u32 = 64;
/// Keys per tile of step 2.
pub const S02_BK: u32 = 64;
const THREADS: u32 = 128;

/// Step 2's tile for head dimension `d`: `Q`, `K` and `V` tiles of 64 rows in shared memory.
pub const fn s02_tile(d: u32) -> Tile {
    Tile {
        bq: S02_BQ,
        bk: S02_BK,
        warps: 4,
        smem: 2 * d * (S02_BQ + 2 * S02_BK),
    }
}

/// The fused body for head dimension `D` (`KS = D/16` slices of `Q`, `DT = D/8` output
/// column groups, `CH = 64·D/8/128` chunks per thread of a 64-row tile).
#[inline(always)]
unsafe fn fused<const D: u32, const KS: usize, const DT: usize, const CH: usize>(
    p: &AttentionParams,
) {
    const NT: usize = (S02_BK / 8) as usize;
    const KK: usize = (S02_BK / 16) as usize;
    const {
        assert!(KS as u32 * 16 == D && DT as u32 * 8 == D);
        assert!(CH as u32 * THREADS * 8 == S02_BQ * D && S02_BQ == S02_BK);
    }
    let (tid, lane, w) = (thread::thread_idx_x(), thread::lane_id(), thread::warp_id());
    let (q0, bh) = (thread::block_idx_x() * S02_BQ, thread::block_idx_y());
    let row0 = q0 + 16 * w;
    let d = D as usize;
    let qh = p.q.offset(bh as usize * p.seq_q as usize * d);
    let kh = p.k.offset(bh as usize * p.seq_k as usize * d);
    let vh = p.v.offset(bh as usize * p.seq_k as usize * d);
    let sq = dynamic_shared::<u8>().addr();
    let sk = sq + 2 * D * S02_BQ;
    let sv = sk + 2 * D * S02_BK;
    unsafe { load_tile::<D, THREADS, CH>(qh, p.seq_q, q0, sq, tid) };
    sync_threads();
    let qa = unsafe { load_q::<D, false, KS>(sq, 16 * w, lane) };
    let causal = p.causal != 0;
    // SAFETY: all-zero bits are 0.0f32.
    let mut o: [FragC; DT] = unsafe { core::mem::zeroed() };
    let (mut m, mut l) = ([f32::NEG_INFINITY; 2], [0.0f32; 2]);
    let ktiles = p.seq_k.div_ceil(S02_BK);
    let mut kt = 0;
    while kt < ktiles {
        let key0 = kt * S02_BK;
        sync_threads(); // every warp is done with the previous K and V tiles
        unsafe {
            load_tile::<D, THREADS, CH>(kh, p.seq_k, key0, sk, tid);
            load_tile::<D, THREADS, CH>(vh, p.seq_k, key0, sv, tid);
        }
        sync_threads();
        let mut s: [FragC; NT] = unsafe { core::mem::zeroed() };
        unsafe { qk::<D, false, KS, NT>(&mut s, &qa, sk, lane) };
        unroll::<NT>(
            #[inline(always)]
            |j| unroll::<4>(
                #[inline(always)]
                |i| s[j].0[i] *= p.scale,
            ),
        );
        mask(&mut s, (key0, row0), lane, p.seq_k, causal);
        online_softmax::<NT, DT, false>(&mut s, &mut o, &mut m, &mut l, 1.0);
        let pa = pack_p::<NT, KK>(&s);
        unsafe { pv::<D, false, KK, DT>(&mut o, &pa, sv, lane) };
        kt += 1;
    }
    unsafe { epilogue::<D, DT>(p, &o, (m, l), (bh, row0), lane, 1.0) };
}

kernel! {
    /// Step 2 — fused, `head_dim = 64`: one block of 4 warps per (64-row query tile,
    /// batch·head), grid `(ceil(seq_q / 64), bh)`. The block copies its `Q` tile to shared
    /// memory once and each warp keeps the A fragments of its 16 rows in registers (16 regs at
    /// d64, 32 at d128); then per 64-key tile: barrier, synchronous copies of `K` and `V`
    /// (64 × d each, `ld.global.nc.v4` → `st.shared.v4`, zero rows past the end), barrier,
    /// `S = Q·Kᵀ` (8 accumulators, 32 f32 regs; `ldmatrix.x4` of `K`), scale, mask (tails,
    /// causal), online softmax in registers (`e^x` as `ex2.approx` of `x·log2 e`), `P` packed
    /// to bf16 A fragments, `O += P·V` (`ldmatrix.x4.trans` of `V`; d/8 accumulators: 32 regs
    /// at d64, 64 at d128). At the end `O / l` and `lse = m + ln l`.
    ///
    /// Napkin math: the scores never touch memory: per block `Q` once and `K`, `V` once per
    /// query tile: at s4096 d128 each K/V byte is read by 64 query tiles from L2, 4·64·d
    /// FLOP per 4·64·d bytes of K/V: 64 FLOP/B of L2 — compute-bound on paper. What is not yet
    /// fixed: the copies are synchronous (two barriers per tile, latency exposed), the rows
    /// are plain (`ldmatrix` of 128- or 256-byte rows: 8 rows in one bank group, 8-way
    /// conflicts), and causal tiles above the diagonal are computed and masked. Expect
    /// 80–150 TFLOP/s at b4 h32 s4096 d128 (a quarter to a half of SDPA-flash).
    fn attention_s02_fused_mma(p: AttentionParams) {
        unsafe { fused::<64, 4, 8, 4>(&p) }
    }
}

kernel! {
    /// Step 2 — fused, `head_dim = 128` (the same code as the d64 kernel, `D = 128`).
    fn attention_s02_fused_mma_d128(p: AttentionParams) {
        unsafe { fused::<128, 8, 16, 8>(&p) }
    }
}

step! {
    kernels: [attention_s02_fused_mma, attention_s02_fused_mma_d128],
    technique: "fused: 64-row query tile per block, mma.sync QK^T and PV, online softmax in registers",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Fused { d64: s02_tile(64), d128: s02_tile(128) },
}
