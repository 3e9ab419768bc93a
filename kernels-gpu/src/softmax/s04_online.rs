#[allow(unused_imports)]
use super::SoftmaxParams;

kernel! {
    /// Step 4 — online softmax: the maximum and the sum in one pass.
    ///
    /// Changed from step 2: each thread keeps a running `(m, s)` over its columns (`s` is
    /// rescaled by `exp(m_old − m_new)` when the maximum grows, [`super::online_push`]); the
    /// block merges the pairs (shuffles, one pair per warp through shared memory, every warp
    /// merging the per-warp pairs itself: one barrier, [`super::Team::all_merge`]); a second
    /// pass writes `exp(x − m) / s`. Two passes over the row instead of three; two `ex2` per
    /// element in the first (MUFU: 16 per clock per SM, ≈ 8 µs for 16 M elements — hidden
    /// under the 32 µs of memory time at 4096²).
    ///
    /// Bytes: as step 2 (one read from DRAM if the row stays cached for the second pass).
    /// Expected: ≈ 70–80% of copy bandwidth; still one scalar load in flight per thread.
    fn softmax_s04_online(p: SoftmaxParams) {
        let scratch = [
            shared_array!(softmax_s04_m: [f32; 32]),
            shared_array!(softmax_s04_s: [f32; 32]),
        ];
        let cols = p.cols as usize;
        let r = crate::gpu::thread::block_idx_x() as usize;
        super::online_row(
            p.x.offset(r * cols),
            p.y.offset(r * cols),
            cols,
            super::block_team(scratch),
        );
    }
}

step! {
    kernel: softmax_s04_online,
    technique: "online softmax: running max and sum in one pass, then write (block per row)",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::BlockPerRow { threads: 256 },
}
