#[allow(unused_imports)]
use super::{AttentionParams, Grid};
use {
    crate::gpu::{math, thread, unroll::unroll, warp},
};

/// Threads per block of step 1's three kernels.
pub const S01_THREADS: u32 = 256;

kernel! {
    /// Step 1, kernel 1 of 3 — the scores `S = Q·Kᵀ·scale`, materialised in the f32 workspace
    /// (`bh × seq_q × seq_k`), `-inf` where the causal mask removes a key. One thread per
    /// (query row, key): block `b` covers keys `256·(b % kb) ..` of query row `b / kb`
    /// (`kb = ceil(seq_k / 256)`); each thread reads its query row (the same for the block:
    /// L1 broadcasts) and its key row as 128-bit loads, and accumulates the dot product in f32.
    ///
    /// Napkin math: `2·d` FLOPs per score, and `4` bytes written per score: at b4 h32 s4096
    /// d128 the workspace is 8.6 GB written here, read twice by the softmax, and read again by
    /// `P·V` — ~34 GB of DRAM traffic for 0.27 TFLOP, 8 FLOP/B: memory-bound at ~5 TB/s
    /// (7 ms), and the key rows are re-read from L2 by every query row (137 GB of L2 reads).
    fn attention_s01_naive(p: AttentionParams) {
        let kb = p.seq_k.div_ceil(S01_THREADS);
        let b = thread::block_idx_x();
        let row = (b / kb) as usize; // of bh·seq_q
        let key = (b % kb) * S01_THREADS + thread::thread_idx_x();
        if row >= p.bh as usize * p.seq_q as usize || key >= p.seq_k {
            return;
        }
        let (bh, i) = (row / p.seq_q as usize, (row % p.seq_q as usize) as u32);
        let d = p.head_dim as usize;
        let out = row * p.seq_k as usize + key as usize;
        if p.causal != 0 && key > i {
            unsafe { p.scores.store(out, f32::NEG_INFINITY) };
            return;
        }
        let (q0, k0) = (row * d, (bh * p.seq_k as usize + key as usize) * d);
        let mut acc = 0.0f32;
        let mut c = 0;
        while c < d {
            let qv = unsafe { p.q.load_bf16x8((q0 + c) / 8) };
            let kv = unsafe { p.k.load_bf16x8((k0 + c) / 8) };
            unroll::<4>(
                #[inline(always)]
                |h| {
                    let (ql, qh) = qv.0[h].to_f32_lo_hi();
                    let (kl, kh) = kv.0[h].to_f32_lo_hi();
                    acc = math::fma(ql, kl, acc);
                    acc = math::fma(qh, kh, acc);
                },
            );
            c += 8;
        }
        unsafe { p.scores.store(out, acc * p.scale) };
    }
}

kernel! {
    /// Step 1, kernel 2 of 3 — the row softmax, in place: one warp per query row (8 per
    /// block) reads its `seq_k` scores three times (max; sum of `e^(s − max)`; write
    /// `P = e^(s − lse)`) and writes `lse = max + ln(sum)`.
    fn attention_s01_naive_softmax(p: AttentionParams) {
        let rows = p.bh as usize * p.seq_q as usize;
        let row = (thread::block_idx_x() * (S01_THREADS / 32) + thread::warp_id()) as usize;
        if row >= rows {
            return; // the whole warp: one row per warp
        }
        let lane = thread::lane_id();
        let s = p.scores.offset(row * p.seq_k as usize);
        let mut m = f32::NEG_INFINITY;
        let mut j = lane;
        while j < p.seq_k {
            m = math::max_nan(m, unsafe { s.load(j as usize) });
            j += 32;
        }
        let m = warp::reduce_max(m);
        let mut l = 0.0f32;
        let mut j = lane;
        while j < p.seq_k {
            l += math::exp_fast(unsafe { s.load(j as usize) } - m);
            j += 32;
        }
        // P = e^(s − lse), lse = max + ln(sum): no division.
        let lse = m + math::log_fast(warp::reduce_sum(l));
        let mut j = lane;
        while j < p.seq_k {
            let e = math::exp_fast(unsafe { s.load(j as usize) } - lse);
            unsafe { s.store(j as usize, e) };
            j += 32;
        }
        if lane == 0 {
            unsafe { p.lse.store(row, lse) };
        }
    }
}

kernel! {
    /// Step 1, kernel 3 of 3 — `O = P·V`: one thread per output element (`head_dim`
    /// consecutive threads per query row, so the reads of a `V` row are coalesced and the
    /// `P` element is one broadcast), an f32 sum over the keys the mask keeps, one bf16 store.
    fn attention_s01_naive_pv(p: AttentionParams) {
        let d = p.head_dim as usize;
        let idx = (thread::block_idx_x() * S01_THREADS + thread::thread_idx_x()) as usize;
        let rows = p.bh as usize * p.seq_q as usize;
        let (row, col) = (idx / d, idx % d);
        if row >= rows {
            return;
        }
        let (bh, i) = (row / p.seq_q as usize, (row % p.seq_q as usize) as u32);
        let keys = if p.causal != 0 { p.seq_k.min(i + 1) } else { p.seq_k };
        let prow = p.scores.offset(row * p.seq_k as usize);
        let v0 = bh * p.seq_k as usize * d + col;
        let mut acc = 0.0f32;
        let mut j = 0;
        while j < keys {
            let pj = unsafe { prow.load(j as usize) };
            let vj = unsafe { p.v.load(v0 + j as usize * d) }.to_f32();
            acc = math::fma(pj, vj, acc);
            j += 1;
        }
        unsafe { p.o.store(idx, crate::half::Bf16::from_f32(acc)) };
    }
}

step! {
    kernels: [attention_s01_naive, attention_s01_naive_softmax, attention_s01_naive_pv],
    technique: "three kernels: S = QK^T*scale to an f32 workspace, row softmax in place, P*V",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Naive { threads: S01_THREADS },
}
