//! Host twin of `gpu/tma.rs`: mbarriers and TMA loads (sm_90a) are not emulated; each stops
//! the launch with `not emulated: WHAT (tensor cores)`.

/// An mbarrier: the shared address of its 8 bytes.
#[derive(Clone, Copy)]
pub struct Mbarrier(pub u32);

impl Mbarrier {
    /// `mbarrier.init`: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn init(self, _count: u32) {
        crate::emu::not_emulated("mbarrier.init (tensor cores)")
    }
    /// `mbarrier.init` under a predicate: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn init_if(self, _on: bool, _count: u32) {
        crate::emu::not_emulated("mbarrier.init (tensor cores)")
    }
    /// `mbarrier.arrive`: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn arrive(self) {
        crate::emu::not_emulated("mbarrier.arrive (tensor cores)")
    }
    /// `mbarrier.arrive.expect_tx`: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn arrive_expect_tx(self, _bytes: u32) {
        crate::emu::not_emulated("mbarrier.arrive.expect_tx (tensor cores)")
    }
    /// `mbarrier.try_wait.parity`: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn try_wait(self, _parity: u32) -> bool {
        crate::emu::not_emulated("mbarrier.try_wait (tensor cores)")
    }
    /// Spins on `try_wait`: not emulated.
    #[inline]
    #[track_caller]
    pub unsafe fn wait(self, _parity: u32) {
        crate::emu::not_emulated("mbarrier.try_wait (tensor cores)")
    }
}

/// `fence.mbarrier_init`: not emulated.
#[inline]
#[track_caller]
pub fn fence_mbarrier_init() {
    crate::emu::not_emulated("fence.mbarrier_init (tensor cores)")
}

/// `cp.async.bulk.tensor.2d` (TMA): not emulated.
#[inline]
#[track_caller]
pub unsafe fn load_2d(_dst: u32, _map: u64, _coords: (i32, i32), _bar: Mbarrier) {
    crate::emu::not_emulated("TMA cp.async.bulk.tensor.2d (tensor cores)")
}
