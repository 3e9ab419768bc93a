//! Half-precision element types, shared by host and device: [`Bf16`] and [`F16`], their pairs
//! [`Bf16x2`] / [`F16x2`] and their 16-byte groups of eight [`Bf16x8`] / [`F16x8`].
//!
//! On both sides they are plain bit containers (`#[repr(transparent)]` over `u16` / `u32`), so
//! parameter structs and buffers can hold them. The device adds conversions and packed
//! arithmetic (`crate::gpu::half`, nvptx only); the host does arithmetic with the `half` crate.
//!
//! **Layouts.** `Bf16` has the bits of `half::bf16` (bfloat16: 1 sign, 8 exponent and 7
//! mantissa bits, the top half of an `f32`) and `F16` those of `half::f16` (IEEE binary16:
//! 1 sign, 5 exponent, 10 mantissa bits), so `Bf16::from_bits(x.to_bits())` converts between
//! them and a `[half::bf16]` buffer may be read as `[Bf16]`. A pair holds element 0 (the lower
//! address in memory) in its **low** 16 bits and element 1 in its high 16 bits: `Bf16x2` has the
//! layout of `[Bf16; 2]`, and `Bf16x8` that of `[Bf16; 8]` aligned to 16 bytes.

macro_rules! half_types {
    (
        $(#[$doc:meta])* $t:ident, $(#[$doc2:meta])* $t2:ident, $(#[$doc8:meta])* $t8:ident,
        one: $one:literal, nan: $nan:literal, inf: $inf:literal, max: $max:literal
    ) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Default)]
        pub struct $t(u16);

        impl $t {
            /// `+0`.
            pub const ZERO: Self = Self(0);
            /// `-0`.
            pub const NEG_ZERO: Self = Self(0x8000);
            /// `1`.
            pub const ONE: Self = Self($one);
            /// `+inf`.
            pub const INFINITY: Self = Self($inf);
            /// `-inf`.
            pub const NEG_INFINITY: Self = Self($inf | 0x8000);
            /// The largest finite value.
            pub const MAX: Self = Self($max);
            /// A quiet NaN (the `half` crate's `NAN`).
            pub const NAN: Self = Self($nan);

            /// The value with these bits.
            #[inline(always)]
            pub const fn from_bits(bits: u16) -> Self {
                Self(bits)
            }
            /// The bits.
            #[inline(always)]
            pub const fn to_bits(self) -> u16 {
                self.0
            }
            /// Whether the value is a NaN (exponent all ones, mantissa not zero).
            #[inline(always)]
            pub const fn is_nan(self) -> bool {
                self.0 & 0x7fff > $inf
            }
        }

        impl core::fmt::Debug for $t {
            #[inline] // only codegen'd where used: no `core::fmt` in the PTX
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($t), "({:#06x})"), self.0)
            }
        }

        $(#[$doc2])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Default)]
        pub struct $t2(u32);

        impl $t2 {
            /// The pair `(lo, hi)`: `lo` in the low 16 bits (element 0 in memory).
            #[inline(always)]
            pub const fn new(lo: $t, hi: $t) -> Self {
                Self(lo.0 as u32 | (hi.0 as u32) << 16)
            }
            /// Both halves equal to `x`.
            #[inline(always)]
            pub const fn splat(x: $t) -> Self {
                Self::new(x, x)
            }
            /// The pair with these bits (low 16 bits: element 0).
            #[inline(always)]
            pub const fn from_bits(bits: u32) -> Self {
                Self(bits)
            }
            /// The bits (low 16 bits: element 0).
            #[inline(always)]
            pub const fn to_bits(self) -> u32 {
                self.0
            }
            /// Element 0, the low 16 bits.
            #[inline(always)]
            pub const fn lo(self) -> $t {
                $t(self.0 as u16)
            }
            /// Element 1, the high 16 bits.
            #[inline(always)]
            pub const fn hi(self) -> $t {
                $t((self.0 >> 16) as u16)
            }
        }

        impl core::fmt::Debug for $t2 {
            #[inline]
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($t2), "({:?}, {:?})"), self.lo(), self.hi())
            }
        }

        $(#[$doc8])*
        #[repr(C, align(16))]
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $t8(pub [$t2; 4]);

        impl $t8 {
            /// From eight elements in memory order.
            #[inline(always)]
            pub const fn from_array(h: [$t; 8]) -> Self {
                Self([
                    $t2::new(h[0], h[1]),
                    $t2::new(h[2], h[3]),
                    $t2::new(h[4], h[5]),
                    $t2::new(h[6], h[7]),
                ])
            }
            /// The eight elements in memory order (pair `k` holds elements `2k`, `2k + 1`).
            #[inline(always)]
            pub const fn to_array(self) -> [$t; 8] {
                let p = self.0;
                [
                    p[0].lo(), p[0].hi(), p[1].lo(), p[1].hi(),
                    p[2].lo(), p[2].hi(), p[3].lo(), p[3].hi(),
                ]
            }
        }
    };
}

half_types!(
    /// bfloat16 as its bits: 1 sign, 8 exponent and 7 mantissa bits, the upper half of an `f32`
    /// (same range, 8 significant bits). Bit-for-bit `half::bf16`.
    Bf16,
    /// Two [`Bf16`] in one 32-bit register: element 0 in the low half (the `bf16x2` of PTX).
    Bf16x2,
    /// Eight [`Bf16`] (16 bytes, 16-byte aligned): the unit of 128-bit loads and stores.
    Bf16x8,
    one: 0x3f80, nan: 0x7fc0, inf: 0x7f80, max: 0x7f7f
);

half_types!(
    /// IEEE binary16 as its bits: 1 sign, 5 exponent and 10 mantissa bits (11 significant bits,
    /// largest finite 65504). Bit-for-bit `half::f16`.
    F16,
    /// Two [`F16`] in one 32-bit register: element 0 in the low half (the `f16x2` of PTX).
    F16x2,
    /// Eight [`F16`] (16 bytes, 16-byte aligned): the unit of 128-bit loads and stores.
    F16x8,
    one: 0x3c00, nan: 0x7e00, inf: 0x7c00, max: 0x7bff
);
