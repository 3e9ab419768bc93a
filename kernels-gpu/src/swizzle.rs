//! XOR swizzle of shared-memory tiles with 128-byte rows, shared by host and device (pure
//! arithmetic: the host tests check its properties, the device uses it for addresses).
//!
//! A tile whose rows are `row_bytes` long (a multiple of 128) is addressed in 16-byte chunks.
//! Row `r`'s logical chunk `c` is stored at chunk `c ^ (r % 8)` of that row:
//!
//! ```text
//! offset(r, c) = r·row_bytes + 16·(c ^ (r & 7))        (+ the byte within the chunk)
//! ```
//!
//! Why: shared memory has 32 banks of 4 bytes, so the 8 chunks of a 128-byte span lie in 8
//! different bank groups. `ldmatrix` reads 8 rows at the same logical chunk: without the
//! swizzle (and with a row stride that is a multiple of 128 bytes) all 8 land in one bank
//! group, an 8-way conflict; with it, row `r`'s chunk goes to group `c ^ (r % 8)`, eight
//! different groups, no conflict. Writes of whole rows (8 consecutive chunks) stay conflict
//! free too: XOR with a constant permutes a row's chunks.
//!
//! With `row_bytes = 128` and a 1024-byte aligned tile this is the layout that TMA's
//! `CU_TENSOR_MAP_SWIZZLE_128B` writes and that wgmma's 128-byte-swizzle descriptors read
//! (CUTLASS `Swizzle<3, 4, 3>`).

/// Bytes of one swizzle chunk (one `ldmatrix` row piece, one 16-byte `cp.async`).
pub const CHUNK_BYTES: u32 = 16;

/// The byte offset of 16-byte chunk `chunk` of row `row` in a 128-byte-swizzled tile whose
/// rows are `row_bytes` long (a multiple of 128; `chunk < row_bytes / 16`).
#[inline(always)]
pub const fn swizzle_128b(row: u32, chunk: u32, row_bytes: u32) -> u32 {
    row * row_bytes + ((chunk ^ (row & 7)) << 4)
}

/// The byte offset of 16-bit element `col` of row `row` in a 128-byte-swizzled tile of 16-bit
/// elements with `row_bytes`-long rows: the element's chunk swizzled, its place in the chunk
/// kept.
#[inline(always)]
pub const fn swizzle_128b_u16(row: u32, col: u32, row_bytes: u32) -> u32 {
    swizzle_128b(row, col / 8, row_bytes) + 2 * (col % 8)
}
