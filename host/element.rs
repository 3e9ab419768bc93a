//! The element types of the ladders' data on the host: `f32`, and the `half` crate's `bf16`
//! and `f16` (bit-identical to the device crate's `Bf16` / `F16`). One trait, [`Element`],
//! makes buffers, random inputs, poisoning, comparison and npy files generic over them.

use cudarc::driver::{DeviceRepr, ValidAsZeroBits};
use half::{bf16, f16};
pub use kernels_gpu::step::DType;

/// An element type of device data.
pub trait Element:
    DeviceRepr + ValidAsZeroBits + Copy + Default + Send + Sync + std::fmt::Debug + 'static
{
    /// Its [`DType`].
    const DTYPE: DType;
    /// The device crate's type of the same bits, which parameter structs point to.
    type Device: Copy + std::fmt::Debug;
    /// Rounds `x` to this type (round to nearest, ties to even).
    fn from_f32(x: f32) -> Self;
    /// The value, exactly (every bf16 and f16 is an f32).
    fn to_f32(self) -> f32;
    /// Whether the bits are those of a poisoned element (every byte 0xFF: a NaN in all three
    /// types), i.e. an element no kernel wrote.
    fn is_poison(self) -> bool;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    type Device = f32;
    fn from_f32(x: f32) -> Self {
        x
    }
    fn to_f32(self) -> f32 {
        self
    }
    fn is_poison(self) -> bool {
        self.to_bits() == u32::MAX
    }
}

impl Element for bf16 {
    const DTYPE: DType = DType::Bf16;
    type Device = kernels_gpu::Bf16;
    fn from_f32(x: f32) -> Self {
        bf16::from_f32(x)
    }
    fn to_f32(self) -> f32 {
        bf16::to_f32(self)
    }
    fn is_poison(self) -> bool {
        self.to_bits() == u16::MAX
    }
}

impl Element for f16 {
    const DTYPE: DType = DType::F16;
    type Device = kernels_gpu::F16;
    fn from_f32(x: f32) -> Self {
        f16::from_f32(x)
    }
    fn to_f32(self) -> f32 {
        f16::to_f32(self)
    }
    fn is_poison(self) -> bool {
        self.to_bits() == u16::MAX
    }
}

/// `values` rounded to `T`.
pub fn round_to<T: Element>(values: &[f32]) -> Vec<T> {
    values.iter().map(|&v| T::from_f32(v)).collect()
}

/// `values` as f32 (exact).
pub fn to_f32<T: Element>(values: &[T]) -> Vec<f32> {
    values.iter().map(|&v| v.to_f32()).collect()
}

/// Runs `$body` with the type alias `$t` bound to the host element type of `$dtype`:
/// `with_element!(dtype, T => SaxpyCase::<T>::new(..))`.
#[macro_export]
macro_rules! with_element {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            $crate::element::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::element::DType::Bf16 => {
                type $t = half::bf16;
                $body
            }
            $crate::element::DType::F16 => {
                type $t = half::f16;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_to_nearest_even_and_poison_is_all_ones() {
        // 1 + 2^-8 is halfway between two bf16 values (1 and 1 + 2^-7): ties go to even (1).
        assert_eq!(bf16::from_f32(1.0 + 1.0 / 256.0).to_f32(), 1.0);
        assert_eq!(
            round_to::<bf16>(&[1.0 + 3.0 / 256.0])[0].to_f32(),
            1.0 + 4.0 / 256.0
        );
        assert!(bf16::from_bits(0xFFFF).is_poison() && bf16::from_bits(0xFFFF).is_nan());
        assert!(f16::from_bits(0xFFFF).is_poison() && f16::from_bits(0xFFFF).is_nan());
        assert!(!bf16::NAN.is_poison() && !f32::NAN.is_poison());
        assert_eq!(std::mem::size_of::<bf16>(), DType::Bf16.size());
    }
}
