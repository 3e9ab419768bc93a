//! The softmax ladder's special values: NaN, ±inf, rows of all −inf, one-element rows and
//! large offsets, on every step and every twin, against the f64 reference (torch's semantics).

use kernel_lab::inputs;
use kernel_lab::ladders::softmax::check_special_values;
use kernel_lab::runtime::Gpu;

pub fn softmax_follows_torch_on_nan_infinities_and_offsets(gpu: &Gpu) {
    let seed = inputs::fresh_seed();
    if let Err(e) = check_special_values(gpu, seed) {
        panic!("{e}");
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[(
    "softmax_follows_torch_on_nan_infinities_and_offsets",
    softmax_follows_torch_on_nan_infinities_and_offsets,
)];
