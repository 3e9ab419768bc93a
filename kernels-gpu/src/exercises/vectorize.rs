//! Exercise `vectorize`: given saxpy/2, write saxpy/3.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade vectorize` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** saxpy/2 (kernels-gpu/src/saxpy/s02_grid_stride.rs) with 128-bit loads and stores
//! (`load_f32x4`/`store_f32x4`): a scalar head up to the first 16-byte boundary, the middle as
//! `F32x4`, a scalar tail. Prove it with `klab sass exercise_vectorize`: `LDG.E.128`.
//!
//! **How it is launched:** saxpy/3's launch: `Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 4 }`.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade vectorize --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::saxpy::SaxpyParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_vectorize(p: SaxpyParams) {
        let _ = p;
    }
}
