//! Exercise `fusion`: given bias_gelu/1, write bias_gelu/2.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade fusion` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** `y[r][c] = gelu(x[r][c] + bias[c])` in one kernel. bias_gelu/1
//! (kernels-gpu/src/bias_gelu/s01_two_kernels.rs) writes `x + bias` to `tmp` and reads it back
//! in a second kernel; fuse the two so the sum stays in a register (`crate::bias_gelu::gelu`).
//! Do not use `tmp`.
//!
//! **How it is launched:** bias_gelu/2's launch: `Grid::OnePerElement { threads: 256 }`, `ceil(rows·cols / 256)`
//! blocks, one thread per element.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade fusion --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::bias_gelu::BiasGeluParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_fusion(p: BiasGeluParams) {
        let _ = p;
    }
}
