#[allow(unused_imports)]
use super::SoftmaxBackwardParams;

kernel! {
    /// Step 1 — two passes, one block of 256 per row.
    ///
    /// Pass 1: each thread accumulates `dy·y` (FMA) over its columns — 16-byte chunks of 8
    /// when the rows are whole aligned chunks, else scalars — and the block sums them
    /// (shuffles, one value per warp through shared memory). Pass 2 reads `y` and `dy` again
    /// and writes `dx = y·(dy − dot)`.
    ///
    /// Bytes: `3·4·rows·cols` if the row stays in L1/L2 for the second pass (32 KB at 4096
    /// columns: yes; 256 KB at 32000: from L2). Expected: ≈ 70–80% of copy bandwidth.
    fn softmax_backward_s01_two_pass(p: SoftmaxBackwardParams) {
        let (team, r) = super::block_row(shared_array!(softmax_backward_s01_w: [f32; 32]));
        let off = r * p.cols as usize;
        super::two_pass_row(p.y.offset(off), p.dy.offset(off), p.dx.offset(off), p.cols as usize, team);
    }
}

step! {
    kernel: softmax_backward_s01_two_pass,
    technique: "two passes (dot, then write), block per row",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::BlockPerRow { threads: 256 },
}
