//! Host twin of `gpu/wgmma.rs`: wgmma and setmaxnreg (sm_90a) are not emulated; each stops
//! the launch with `not emulated: WHAT (tensor cores)`. The descriptor helper is the same code.

/// `wgmma.fence`: not emulated.
#[inline]
#[track_caller]
pub fn fence() {
    crate::emu::not_emulated("wgmma.fence (tensor cores)")
}

/// `wgmma.commit_group`: not emulated.
#[inline]
#[track_caller]
pub fn commit_group() {
    crate::emu::not_emulated("wgmma.commit_group (tensor cores)")
}

/// `wgmma.wait_group N`: not emulated.
#[inline]
#[track_caller]
pub fn wait_group<const N: u32>() {
    crate::emu::not_emulated("wgmma.wait_group (tensor cores)")
}

/// `fence.proxy.async.shared::cta`: not emulated.
#[inline]
#[track_caller]
pub fn fence_proxy_async_shared() {
    crate::emu::not_emulated("fence.proxy.async (tensor cores)")
}

/// The shared-memory matrix descriptor of an operand at shared address `addr` in a
/// 128-byte-swizzled layout with leading-dimension byte offset `lbo` and stride-dimension byte
/// offset `sbo` (module docs). `addr` 16-byte aligned, its 1024-byte atom aligned.
#[inline(always)]
pub const fn desc_sw128(addr: u32, lbo: u32, sbo: u32) -> u64 {
    desc_field(addr) | desc_field(lbo) << 16 | desc_field(sbo) << 32 | 1u64 << 62
}

/// A byte count or address as a 14-bit descriptor field (in 16-byte units).
#[inline(always)]
const fn desc_field(bytes: u32) -> u64 {
    ((bytes as u64) >> 4) & 0x3fff
}

/// `wgmma.mma_async.m64n256k16.f32.bf16.bf16`: not emulated.
#[inline]
#[track_caller]
pub fn mma_m64n256k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    _d: &mut [f32; 128],
    _a: u64,
    _b: u64,
    _accumulate: bool,
) {
    crate::emu::not_emulated("wgmma.mma_async m64n256k16 (tensor cores)")
}

/// `wgmma.mma_async.m64n128k16.f32.bf16.bf16`: not emulated.
#[inline]
#[track_caller]
pub fn mma_m64n128k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    _d: &mut [f32; 64],
    _a: u64,
    _b: u64,
    _accumulate: bool,
) {
    crate::emu::not_emulated("wgmma.mma_async m64n128k16 (tensor cores)")
}

/// `wgmma.mma_async.m64n64k16.f32.bf16.bf16`: not emulated.
#[inline]
#[track_caller]
pub fn mma_m64n64k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    _d: &mut [f32; 32],
    _a: u64,
    _b: u64,
    _accumulate: bool,
) {
    crate::emu::not_emulated("wgmma.mma_async m64n64k16 (tensor cores)")
}

/// `setmaxnreg.inc`: not emulated.
#[inline]
#[track_caller]
pub fn set_max_registers_inc<const N: u32>() {
    crate::emu::not_emulated("setmaxnreg.inc (tensor cores)")
}

/// `setmaxnreg.dec`: not emulated.
#[inline]
#[track_caller]
pub fn set_max_registers_dec<const N: u32>() {
    crate::emu::not_emulated("setmaxnreg.dec (tensor cores)")
}
