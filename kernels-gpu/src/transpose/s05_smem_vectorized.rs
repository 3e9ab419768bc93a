#[allow(unused_imports)]
use super::TransposeParams;
use crate::gpu::{F32x4, sync_threads, thread};

/// Block of step 5: 8 × 32 threads (256), each moving 16 elements of a 64 × 64 tile.
pub const S05_BLOCK: (u32, u32) = (8, 32);
/// Edge of the step-5 tile.
pub const S05_TILE: u32 = 64;
/// Row stride of the step-5 shared tile in words: 65 ≡ 1 (mod 32 banks).
pub const S05_STRIDE: u32 = S05_TILE + 1;

kernel! {
    /// Step 5 — the padded shared tile of step 3, 64 × 64, with 128-bit global loads and
    /// 128-bit global stores.
    ///
    /// Changed from step 3: each thread moves four `float4` instead of four `f32` (16 elements,
    /// 32 KiB per 256-thread block instead of 8 KiB), so the global side needs 4 `LDG.E.128` +
    /// 4 `STG.E.128` per 16 elements instead of 16 + 16, one barrier per 32 KiB, and 64 B of
    /// loads in flight per thread. Changed from step 4: the transposition goes through shared
    /// memory, so a warp writes 128 contiguous bytes of each output row (step 4: 32).
    ///
    /// Thread mapping: block 8 × 32; quarter `k = 0..4` of thread `(tx, ty)` is tile row
    /// `y = ty + 32·(k / 2)`, `float4` column `x = tx + 8·(k % 2)`. Load phase: `LDG.E.128` of
    /// input row `64·by + y`, columns `64·bx + 4x .. +4`, then 4 scalar `STS` into
    /// `tile[y][4x .. 4x+4]` (row stride 65 words). Store phase (after `bar.sync`): output row
    /// `64·bx + y` (= input column), output columns `64·by + 4x .. +4` (= input rows): 4 scalar
    /// `LDS` of `tile[4x + i][y]`, one `STG.E.128`.
    ///
    /// Transactions per warp instruction: a warp is 8 `tx` × 4 consecutive `ty`, so each
    /// `LDG.E.128` reads 4 rows × 128 contiguous bytes and each `STG.E.128` writes 4 output rows
    /// × 128 contiguous bytes: 16 full 32-byte sectors, no amplification either way.
    ///
    /// Banks (stride 65 ≡ 1 mod 32): `STS` of element `i` hits bank `(y + 4x + i) mod 32`, and
    /// the `LDS` of `tile[4x + i][y]` bank `(4x + i + y) mod 32`; over a warp `4·tx` takes
    /// 8 values 4 apart and `ty` 4 consecutive ones: 32 distinct banks, conflict-free both ways
    /// (a 16 × 2 warp shape would be 2-way conflicted: `4x mod 32` repeats after 8 `tx`).
    ///
    /// The vector path needs `rows % 4 == 0`, `cols % 4 == 0` and 16-byte aligned bases, so a
    /// `float4` is wholly inside or outside the matrix; edge tiles guard each `float4`, and a
    /// tile entry is stored to global memory only if it was loaded. Otherwise (e.g. 4097 × 4099,
    /// offset views) the same tile is filled and drained with guarded scalar accesses, thread
    /// `t = 8·ty + tx` on tile column `t % 64` of rows `t / 64 + 4m`: coalesced, conflict-free,
    /// step-3 speed. `vector_ok` depends only on the parameters, so the whole block takes the
    /// same branch and every thread reaches the one `bar.sync`.
    ///
    /// Bytes: 8 per element; shared memory 64 × 65 × 4 = 16 640 B per block (8 blocks, 2048
    /// threads per SM fit at 32 registers). LSU instructions per 16 elements: 4 `LDG.128` +
    /// 16 `STS` + 16 `LDS` + 4 `STG.128` = 40 (step 3: 64; step 4: 8 but 32-byte output
    /// segments). Expected: 94–97% of copy bandwidth, a few percent above step 3.
    fn transpose_s05_smem_vectorized(p: TransposeParams) {
        let tile = shared_array!(transpose_s05_tile: [f32; (S05_TILE * S05_STRIDE) as usize]);
        let (bx, by) = super::tile_of_block(p.cols, S05_TILE);
        let (tx, ty) = (thread::thread_idx_x(), thread::thread_idx_y());
        let (rows, cols) = (p.rows as usize, p.cols as usize);
        // First input row and column of the tile.
        let (r_t, c_t) = ((by * S05_TILE) as usize, (bx * S05_TILE) as usize);
        let vector_ok = rows % 4 == 0
            && cols % 4 == 0
            && p.input.addr() % 16 == 0
            && p.output.addr() % 16 == 0;
        // Scalar path: thread t takes tile column `t % 64` of rows `t / 64 + 4m`.
        let t = ty * S05_BLOCK.0 + tx;
        let (y0, xs) = (t / S05_TILE, t % S05_TILE);
        if vector_ok {
            // All four loads first (64 B in flight), then the scalar STS.
            let mut a = [F32x4([0.0; 4]); 4];
            let mut k = 0;
            while k < 4 {
                let (y, x) = (ty + 32 * (k as u32 / 2), tx + 8 * (k as u32 % 2));
                let (r, c) = (r_t + y as usize, c_t + 4 * x as usize);
                if r < rows && c < cols {
                    // SAFETY: r < rows and c + 3 < cols (c and cols are multiples of 4); the
                    // row starts on a 16-byte boundary.
                    a[k] = unsafe { p.input.load_f32x4((r * cols + c) / 4) };
                }
                k += 1;
            }
            let mut k = 0;
            while k < 4 {
                let (y, x) = (ty + 32 * (k as u32 / 2), tx + 8 * (k as u32 % 2));
                let mut i = 0;
                while i < 4 {
                    // SAFETY: y < 64 and 4x + i < 64: inside the 64 × 65 tile.
                    unsafe { tile.store(y * S05_STRIDE + 4 * x + i as u32, a[k].0[i]) };
                    i += 1;
                }
                k += 1;
            }
        } else {
            let mut m = 0;
            while m < S05_TILE / 4 {
                let y = y0 + 4 * m;
                let (r, c) = (r_t + y as usize, c_t + xs as usize);
                if r < rows && c < cols {
                    unsafe { tile.store(y * S05_STRIDE + xs, p.input.load(r * cols + c)) };
                }
                m += 1;
            }
        }
        sync_threads();
        if vector_ok {
            // Output row y of the tile is input column c_t + y; float4 column x holds input
            // rows r_t + 4x .. +4. All 16 LDS first, then the four stores.
            let mut v = [F32x4([0.0; 4]); 4];
            let mut k = 0;
            while k < 4 {
                let (y, x) = (ty + 32 * (k as u32 / 2), tx + 8 * (k as u32 % 2));
                let mut i = 0;
                while i < 4 {
                    // SAFETY: 4x + i < 64 and y < 64. Entries outside the matrix hold zeros
                    // and are not stored below.
                    v[k].0[i] = unsafe { tile.load((4 * x + i as u32) * S05_STRIDE + y) };
                    i += 1;
                }
                k += 1;
            }
            let mut k = 0;
            while k < 4 {
                let (y, x) = (ty + 32 * (k as u32 / 2), tx + 8 * (k as u32 % 2));
                let (c, r) = (c_t + y as usize, r_t + 4 * x as usize);
                if c < cols && r < rows {
                    // SAFETY: c < cols and r + 3 < rows (multiples of 4); 16-byte aligned.
                    unsafe { p.output.store_f32x4((c * rows + r) / 4, v[k]) };
                }
                k += 1;
            }
        } else {
            // Output row y (input column c_t + y), output column xs (input row r_t + xs).
            let mut m = 0;
            while m < S05_TILE / 4 {
                let y = y0 + 4 * m;
                let (c, r) = (c_t + y as usize, r_t + xs as usize);
                if c < cols && r < rows {
                    unsafe { p.output.store(c * rows + r, tile.load(xs * S05_STRIDE + y)) };
                }
                m += 1;
            }
        }
    }
}

step! {
    kernel: transpose_s05_smem_vectorized,
    technique: "64x64 padded shared tile, block 8x32: LDG.128 in, STG.128 out, conflict-free LDS/STS",
    dtype: F32,
    accepts: Exactly,
    grid: Grid { tile: (S05_TILE, S05_TILE), block: S05_BLOCK },
}
