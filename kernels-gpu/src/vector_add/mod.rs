//! Vector add, `c = a + b`: the first kernel, one thread per element.

steps! {
    s01_naive,
}

/// How a vector_add step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// One thread per element, `threads` per block.
    OnePerElement { threads: u32 },
}

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

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::OnePerElement { threads } => threads,
        }
    }
}
