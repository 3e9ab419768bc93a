//! SAXPY, `y = a·x + y` (in place): the elementwise ladder.

steps! {
    s01_naive,
    s02_grid_stride,
    s03_vectorized,
}

/// How a SAXPY step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// One thread per element, `threads` per block.
    OnePerElement { threads: u32 },
    /// A grid-stride loop over a fixed grid: `blocks_per_sm` blocks per SM (fewer when each
    /// thread would get less than one item), each thread moving `per_thread` elements (one
    /// vector) per iteration.
    Stride {
        threads: u32,
        blocks_per_sm: u32,
        per_thread: u32,
    },
}

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of the SAXPY kernels, over elements of type `T` (`a` and the arithmetic are f32
/// whatever `T`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SaxpyParams<T = f32> {
    pub x: GlobalPtr<T>,
    pub y: GlobalPtrMut<T>,
    pub a: f32,
    pub n: u32,
}
unsafe impl<T: Copy> KernelParams for SaxpyParams<T> {}
