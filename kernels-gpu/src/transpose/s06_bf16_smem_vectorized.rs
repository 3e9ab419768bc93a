#[allow(unused_imports)]
use super::TransposeParams;
#[allow(unused_imports)]
use crate::half::Bf16;
use crate::gpu::{Bf16x2, Bf16x8, sync_threads, thread, unroll};

/// Block of step 6: 16 × 16 threads (256), each moving one 8 × 8 patch of a 128 × 128 tile.
pub const S06_BLOCK: (u32, u32) = (16, 16);
/// Edge of the step-6 tile, in elements (bf16).
pub const S06_TILE: u32 = 128;
/// 16-byte chunks of the vector path's shared layout: 16 per tile row (128 halves, 256 B), plus
/// one pad chunk after every 8 rows (see [`s06_chunk`]).
pub const S06_CHUNKS: u32 = S06_TILE * (S06_TILE / 8) + S06_TILE / 8;
/// Row stride of the scalar path's shared layout, in halves: 130 halves = 65 words ≡ 1 (mod 32
/// banks), step 5's padding for 2-byte elements.
pub const S06_SCALAR_STRIDE: u32 = S06_TILE + 2;
/// Bytes of the step-6 shared tile: the larger of the two layouts of the same array (vector
/// path 2064 × 16 = 33 024 B, scalar path 128 × 130 × 2 = 33 280 B).
pub const S06_SMEM_BYTES: u32 = {
    let (vector, scalar) = (16 * S06_CHUNKS, 2 * S06_TILE * S06_SCALAR_STRIDE);
    if vector > scalar { vector } else { scalar }
};

/// The 16-byte chunk of tile row `row` (< 128), 16-byte column `q` (< 16) in the vector path's
/// layout: rows of 16 chunks, one pad chunk after every 8 rows, so that rows 8 apart start in
/// different bank groups.
#[inline(always)]
pub const fn s06_chunk(row: u32, q: u32) -> u32 {
    16 * row + row / 8 + q
}

/// The pair (low half of `a`, low half of `b`): CUDA's `__lows2bfloat162`. On the GPU one
/// `prmt.b32` (selector `0x5410`: bytes 0, 1 of `a`, then bytes 0, 1 of `b`), SASS `PRMT`;
/// ptxas makes two instructions of the shift-and-mask form.
#[inline(always)]
pub fn s06_lows(a: u32, b: u32) -> u32 {
    #[cfg(target_arch = "nvptx64")]
    {
        prmt(a, b, 0x5410)
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        (a & 0xffff) | (b << 16)
    }
}

/// The pair (high half of `a`, high half of `b`): CUDA's `__highs2bfloat162`; on the GPU
/// `prmt.b32` with selector `0x7632` (bytes 2, 3 of `a`, then bytes 2, 3 of `b`).
#[inline(always)]
pub fn s06_highs(a: u32, b: u32) -> u32 {
    #[cfg(target_arch = "nvptx64")]
    {
        prmt(a, b, 0x7632)
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        (a >> 16) | (b & 0xffff_0000)
    }
}

/// `prmt.b32 d, a, b, sel`: byte `i` of `d` is byte `sel[4i .. 4i+4]` of the 8 bytes
/// `b:a` (`a` = bytes 0–3).
#[cfg(target_arch = "nvptx64")]
#[inline(always)]
fn prmt(a: u32, b: u32, sel: u32) -> u32 {
    let d: u32;
    // SAFETY: a register-only byte permutation.
    unsafe {
        core::arch::asm!("prmt.b32 {d}, {a}, {b}, {s};", d = out(reg32) d, a = in(reg32) a,
            b = in(reg32) b, s = in(reg32) sel, options(pure, nomem, nostack))
    };
    d
}

/// Column `c` (0..8) of an 8 × 8 patch of halves held as 8 rows of 4 pairs (`a[j]` = row `j`,
/// pair `w` = columns `2w`, `2w + 1`, element 0 low): the 8 elements `a[0..8][c]` as 4 pairs
/// (rows `2k`, `2k + 1` in pair `k`). Pair `k` is the low halves of word `c / 2` of rows
/// `2k`, `2k + 1` for even `c`, their high halves for odd `c`: one `PRMT` each.
#[inline(always)]
pub fn s06_patch_column(a: &[[u32; 4]; 8], c: usize) -> [u32; 4] {
    let w = c / 2;
    let pick = if c.is_multiple_of(2) { s06_lows } else { s06_highs };
    [
        pick(a[0][w], a[1][w]),
        pick(a[2][w], a[3][w]),
        pick(a[4][w], a[5][w]),
        pick(a[6][w], a[7][w]),
    ]
}

kernel! {
    /// Step 6 — bf16: step 5's structure (a padded shared tile, 16-byte global accesses both
    /// ways, conflict-free shared memory) rebuilt for 2-byte elements: a 128 × 128 tile of
    /// 8 × 8 patches, each transposed in registers, so that every global *and* shared access
    /// of the vector path is 128-bit.
    ///
    /// Why not step 5 with halves: a 16-byte access holds 8 bf16, and a 64 × 64 bf16 tile is
    /// only 8 KiB (16 elements, 32 B per thread); and reading a tile column one element at a
    /// time takes 16-bit `LDS` (8 per 16-byte output vector). Here a thread moves 64
    /// elements (128 B of loads in flight, step 5: 64 B) and the transposition happens in
    /// registers, 8 × 8 at a time, so shared memory is only written and read in 16-byte rows.
    ///
    /// Thread mapping: block 16 × 16; thread `(tx, ty)` owns the 8 × 8 patch at tile rows
    /// `8·ty .. +8`, columns `8·tx .. +8`. Load phase: 8 `LDG.E.128` (one per patch row; all
    /// issued before any use), the patch transposed in registers (32 `PRMT`: output row `c`
    /// of the patch is input column `c`, its pair `k` the low or high halves of input rows
    /// `2k`, `2k + 1`), then 8 `STS.128`: patch column `c` → transposed tile row `8·tx + c`,
    /// 16-byte column `ty`. Store phase (after the one `bar.sync`): thread `(tx, ty)` copies
    /// transposed rows `ty + 16·m` (`m = 0..8`), 16-byte column `tx`, to output row
    /// `128·bx + ty + 16m` (= input column), columns `128·by + 8·tx .. +8` (= input rows):
    /// 8 `LDS.128` (all first), 8 `STG.E.128`.
    ///
    /// Transactions per warp instruction: a warp is 16 `tx` × 2 consecutive `ty`, so each
    /// `LDG.E.128` reads 2 input rows × 256 contiguous bytes and each `STG.E.128` writes
    /// 2 output rows × 256 contiguous bytes: 16 full 32-byte sectors, no amplification.
    ///
    /// Banks, for 2-byte elements: a bank is 4 bytes (two halves), and a 128-bit access is
    /// served 8 lanes (128 B, all 32 banks) at a time, so a warp's `LDS.128` / `STS.128` is
    /// conflict-free when each group of 8 consecutive lanes touches 8 different 16-byte bank
    /// groups (`chunk mod 8`): 4 wavefronts, the minimum for 512 B. A plain 256-byte row
    /// stride puts every row in the same bank groups; and no linear padding can help the
    /// `STS`, because the 8 lanes of a group (8 consecutive `tx`, one `ty`) write rows
    /// `8·tx + c`, 8 apart, and `8·stride ≡ 0 (mod 8)` for any stride in chunks. Hence one
    /// pad chunk after every 8 rows: chunk `16·row + row/8 + q` ([`s06_chunk`]), 2064 chunks
    /// instead of 2048. `STS` of patch column `c`: row `8tx + c`, `q = ty`, bank group
    /// `(tx + ty) mod 8` — distinct over 8 consecutive `tx`. `LDS` of row `ty + 16m`,
    /// `q = tx`: bank group `(ty/8 + 2m + tx) mod 8` — distinct over 8 consecutive `tx`.
    /// Both conflict-free.
    ///
    /// The vector path needs `rows % 8 == 0`, `cols % 8 == 0` and 16-byte aligned bases, so a
    /// patch, and an output vector, is wholly inside or outside the matrix; edge tiles skip
    /// the loads of patches outside (zeros in the tile) and the stores of vectors outside, and
    /// a tile entry is stored to global memory only if it was loaded. Otherwise (odd `cols`,
    /// 4097 × 4099, 1 × N, offset views) the same array is filled and drained with guarded
    /// scalar accesses, as in step 5: thread `t = 16·ty + tx` on tile column `t % 128` of rows
    /// `t / 128 + 2m`, stored transposed at `tile[t % 128][row]` with row stride 130 halves
    /// (65 words ≡ 1 mod 32: bank `(t % 128 + row/2) mod 32`, 32 distinct per warp), drained
    /// along output rows (two lanes per word): coalesced (64 B per warp) and conflict-free.
    /// `vector_ok` depends only on the parameters, so the whole block takes the same branch
    /// and every thread reaches the one `bar.sync`.
    ///
    /// Bytes: 4 per element (2 read + 2 written); shared memory 33 280 B per block. LSU
    /// instructions per 64 elements: 8 `LDG.128` + 8 `STS.128` + 8 `LDS.128` + 8 `STG.128` = 32
    /// (step 5: 160 per 64 elements), plus 32 `PRMT`. At 8192²: 268 MB, floor 63 µs at
    /// 4265 GB/s. Expected: 92–95% of copy bandwidth, at least step 5's share.
    fn transpose_s06_bf16_smem_vectorized(p: TransposeParams<Bf16>) {
        let tile = shared_array!(transpose_s06_tile: [u32; (S06_SMEM_BYTES / 4) as usize])
            .cast::<Bf16>();
        let (bx, by) = super::tile_of_block(p.cols, S06_TILE);
        let (tx, ty) = (thread::thread_idx_x(), thread::thread_idx_y());
        let (rows, cols) = (p.rows as usize, p.cols as usize);
        // First input row and column of the tile.
        let (r_t, c_t) = ((by * S06_TILE) as usize, (bx * S06_TILE) as usize);
        let vector_ok = rows % 8 == 0
            && cols % 8 == 0
            && p.input.addr() % 16 == 0
            && p.output.addr() % 16 == 0;
        // Scalar path: thread t takes tile column `t % 128` of rows `t / 128 + 2m`.
        let t = ty * S06_BLOCK.0 + tx;
        let (y0, xs) = (t / S06_TILE, t % S06_TILE);
        if vector_ok {
            // The patch: input rows r0 .. r0+8, columns c0 .. c0+8, wholly in or out.
            let (r0, c0) = (r_t + 8 * ty as usize, c_t + 8 * tx as usize);
            let mut a = [[0u32; 4]; 8];
            if r0 < rows && c0 < cols {
                let src = p.input.offset(r0 * cols + c0);
                let row_vectors = cols / 8;
                unroll::<8>(
                    #[inline(always)]
                    |j| {
                        // SAFETY: r0 + j < rows and c0 + 7 < cols (multiples of 8); the
                        // element index is a multiple of 8 from a 16-byte aligned base.
                        let v = unsafe { src.load_bf16x8(j * row_vectors) };
                        a[j] = v.0.map(|pair| pair.to_bits());
                    },
                );
            }
            unroll::<8>(
                #[inline(always)]
                |c| {
                    let column = s06_patch_column(&a, c).map(Bf16x2::from_bits);
                    let chunk = s06_chunk(8 * tx + c as u32, ty);
                    // SAFETY: row 8tx + c < 128 and ty < 16: chunk < S06_CHUNKS, 16-byte
                    // aligned.
                    unsafe { tile.store_bf16x8(8 * chunk, Bf16x8(column)) };
                },
            );
        } else {
            let mut m = 0;
            while m < S06_TILE / 2 {
                let y = y0 + 2 * m;
                let (r, c) = (r_t + y as usize, c_t + xs as usize);
                if r < rows && c < cols {
                    // SAFETY: r < rows, c < cols; xs, y < 128: inside the 128 × 130 layout.
                    unsafe {
                        tile.store(xs * S06_SCALAR_STRIDE + y, p.input.load(r * cols + c))
                    };
                }
                m += 1;
            }
        }
        sync_threads();
        if vector_ok {
            // Transposed row ty + 16m is output row c_t + ty + 16m; 16-byte column tx holds
            // output columns (input rows) r_t + 8tx .. +8. All 8 LDS first, then the stores.
            let mut v = [Bf16x8::default(); 8];
            unroll::<8>(
                #[inline(always)]
                |m| {
                    let row = ty + 16 * m as u32;
                    // SAFETY: row < 128, tx < 16. Entries outside the matrix hold zeros and
                    // are not stored below.
                    v[m] = unsafe { tile.load_bf16x8(8 * s06_chunk(row, tx)) };
                },
            );
            let r = r_t + 8 * tx as usize;
            unroll::<8>(
                #[inline(always)]
                |m| {
                    let c = c_t + (ty + 16 * m as u32) as usize;
                    if c < cols && r < rows {
                        // SAFETY: c < cols and r + 7 < rows (multiples of 8); the element
                        // index is a multiple of 8 from a 16-byte aligned base.
                        unsafe { p.output.offset(c * rows + r).store_bf16x8(0, v[m]) };
                    }
                },
            );
        } else {
            // Output row c_t + y (input column), output column r_t + xs (input row).
            let mut m = 0;
            while m < S06_TILE / 2 {
                let y = y0 + 2 * m;
                let (c, r) = (c_t + y as usize, r_t + xs as usize);
                if c < cols && r < rows {
                    // SAFETY: c < cols, r < rows; y, xs < 128: inside the 128 × 130 layout.
                    unsafe {
                        p.output
                            .store(c * rows + r, tile.load(y * S06_SCALAR_STRIDE + xs))
                    };
                }
                m += 1;
            }
        }
    }
}

step! {
    kernel: transpose_s06_bf16_smem_vectorized,
    technique: "bf16: 128x128 shared tile of 8x8 patches transposed in registers, block 16x16: LDG.128 in, STS.128/LDS.128 (one pad chunk per 8 rows, conflict-free), STG.128 out",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid { tile: (S06_TILE, S06_TILE), block: S06_BLOCK },
}
