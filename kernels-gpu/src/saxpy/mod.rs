//! SAXPY, `y = a·x + y` (in place): the elementwise ladder. Steps 1–3 are f32; steps 4 (bf16)
//! and 5 (f16) are one generic body over [`HalfElement`] (`s04_bf16_vectorized::half_vectorized`),
//! instantiated for each half type, with `a` and the arithmetic in f32.

steps! {
    s01_naive,
    s02_grid_stride,
    s03_vectorized,
    s04_bf16_vectorized,
    s05_f16_vectorized,
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

/// What the half-precision SAXPY body needs of its element type ([`crate::half::Bf16`] or
/// [`crate::half::F16`]): scalar and 128-bit accesses as `f32` values or pair bits, forwarding
/// to the device API (`gpu::global`, `gpu::half`). Pairs travel as their 32-bit bits, element 0
/// in the low half, so one body serves both types.
pub(crate) trait HalfElement: Copy {
    /// `x[i]` as `f32`, exactly (`ld.global.nc.b16`).
    unsafe fn load_f32(x: GlobalPtr<Self>, i: usize) -> f32;
    /// `y[i]` as `f32`, exactly (`ld.global.b16`).
    unsafe fn load_mut_f32(y: GlobalPtrMut<Self>, i: usize) -> f32;
    /// `y[i] = v` rounded to nearest even (`cvt.rn`, `st.global.b16`).
    unsafe fn store_f32(y: GlobalPtrMut<Self>, i: usize, v: f32);
    /// `x[8i .. 8i+8]` as four pairs (`ld.global.nc.v4.b32`; 16-byte aligned).
    unsafe fn load8(x: GlobalPtr<Self>, i: usize) -> [u32; 4];
    /// `y[8i .. 8i+8]` as four pairs (`ld.global.v4.b32`; 16-byte aligned).
    unsafe fn load8_mut(y: GlobalPtrMut<Self>, i: usize) -> [u32; 4];
    /// `y[8i .. 8i+8] = v` (`st.global.v4.b32`; 16-byte aligned).
    unsafe fn store8(y: GlobalPtrMut<Self>, i: usize, v: [u32; 4]);
    /// A pair's elements as `f32`, exactly: `(lo, hi)` = (element 0, element 1).
    fn unpack(pair: u32) -> (f32, f32);
    /// Two `f32` rounded to nearest even into a pair, `lo` in the low half (element 0).
    fn pack(lo: f32, hi: f32) -> u32;
}

macro_rules! half_element {
    ($t:ident, $t2:ident, $t8:ident, $load8:ident, $store8:ident) => {
        impl HalfElement for crate::half::$t {
            #[inline(always)]
            unsafe fn load_f32(x: GlobalPtr<Self>, i: usize) -> f32 {
                unsafe { x.load(i) }.to_f32()
            }
            #[inline(always)]
            unsafe fn load_mut_f32(y: GlobalPtrMut<Self>, i: usize) -> f32 {
                unsafe { y.load(i) }.to_f32()
            }
            #[inline(always)]
            unsafe fn store_f32(y: GlobalPtrMut<Self>, i: usize, v: f32) {
                unsafe { y.store(i, Self::from_f32(v)) }
            }
            #[inline(always)]
            unsafe fn load8(x: GlobalPtr<Self>, i: usize) -> [u32; 4] {
                unsafe { x.$load8(i) }.0.map(|h| h.to_bits())
            }
            #[inline(always)]
            unsafe fn load8_mut(y: GlobalPtrMut<Self>, i: usize) -> [u32; 4] {
                unsafe { y.$load8(i) }.0.map(|h| h.to_bits())
            }
            #[inline(always)]
            unsafe fn store8(y: GlobalPtrMut<Self>, i: usize, v: [u32; 4]) {
                unsafe { y.$store8(i, crate::half::$t8(v.map(crate::half::$t2::from_bits))) }
            }
            #[inline(always)]
            fn unpack(pair: u32) -> (f32, f32) {
                crate::half::$t2::from_bits(pair).to_f32_lo_hi()
            }
            #[inline(always)]
            fn pack(lo: f32, hi: f32) -> u32 {
                crate::half::$t2::pack_lo_hi(lo, hi).to_bits()
            }
        }
    };
}
half_element!(Bf16, Bf16x2, Bf16x8, load_bf16x8, store_bf16x8);
half_element!(F16, F16x2, F16x8, load_f16x8, store_f16x8);

/// Number of leading elements of `n` halves at device address `addr` before the first 16-byte
/// boundary (0..=7, at most `n`): the scalar head of the half steps. Half data is 2-byte
/// aligned, so `addr % 16` is even.
#[inline(always)]
pub fn aligned_head_half(addr: u64, n: usize) -> usize {
    let mis = (addr % 16) as usize;
    let head = if mis == 0 { 0 } else { (16 - mis) / 2 };
    if head < n { head } else { n }
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::OnePerElement { threads } | Grid::Stride { threads, .. } => threads,
        }
    }
}
