//! The normalisation ladders (layernorm, rmsnorm, layernorm_backward) on special values.

use kernel_lab::runtime::Gpu;

/// Every normalisation step on rows of NaN, ±inf, all −inf, one element and x + 1e4, against
/// the f64 reference (and the check fails the single-pass variance formula).
pub fn normalisation_special_values_behave_like_torch(gpu: &Gpu) {
    if let Err(e) = kernel_lab::ladders::layernorm::check_special_values(gpu) {
        panic!("{e}");
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[(
    "normalisation_special_values_behave_like_torch",
    normalisation_special_values_behave_like_torch,
)];
