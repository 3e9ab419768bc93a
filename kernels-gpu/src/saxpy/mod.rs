//! SAXPY, `y = a·x + y` (in place): the elementwise ladder.

mod s01_naive;
mod s02_grid_stride;
mod s03_vectorized;
pub use s01_naive::*;
pub use s02_grid_stride::*;
pub use s03_vectorized::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the SAXPY kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaxpyParams {
    pub x: GlobalPtr<f32>,
    pub y: GlobalPtrMut<f32>,
    pub a: f32,
    pub n: u32,
}
unsafe impl KernelParams for SaxpyParams {}
