#[allow(unused_imports)]
use super::TransposeParams;
#[allow(unused_imports)]
use super::s02_smem_tile::TILE;

kernel! {
    /// Step 3 — the same tile padded to 33 columns: no bank conflicts.
    ///
    /// Changed from step 2: the tile's row stride is 33 words, so column `k` of row `tx` is at
    /// word `33·tx + k`, bank `(tx + k) mod 32`: the 32 lanes reading a column hit 32
    /// different banks. Costs 128 bytes more shared memory per block (4224 B).
    ///
    /// Bytes: 8 per element. Expected: close to copy bandwidth (~85–90%); what is left is the
    /// `bar.sync` between the phases and only 4 loads in flight per thread.
    fn transpose_s03_padded(p: TransposeParams) {
        let tile = shared_array!(transpose_s03_tile: [f32; (TILE * (TILE + 1)) as usize]);
        super::s02_smem_tile::tiled_body::<{ TILE + 1 }>(p, tile)
    }
}

step! {
    kernel: transpose_s03_padded,
    technique: "tile padded to 33 columns: no bank conflicts",
    dtype: F32,
    accepts: Exactly,
    grid: Grid { tile: (TILE, TILE), block: (TILE, BLOCK_ROWS) },
}
