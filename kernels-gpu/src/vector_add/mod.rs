//! Vector add, `c = a + b`: the first kernel, one thread per element.

mod s01_naive;
pub use s01_naive::*;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the vector-add kernels.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VectorAddParams {
    pub a: GlobalPtr<f32>,
    pub b: GlobalPtr<f32>,
    pub c: GlobalPtrMut<f32>,
    pub n: u32,
}
unsafe impl KernelParams for VectorAddParams {}
