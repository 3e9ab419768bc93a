//! Host twin of `gpu/cluster.rs`: clusters in the emulator. The blocks of a cluster run
//! together in one scheduler (docs/emulator.md); the special registers come from the launch's
//! cluster dimensions, a `DsmemPtr` is a (rank, shared address) pair whose accesses land in
//! that block's shared memory with the usual bounds, alignment and race checks, and the
//! cluster barrier is a rendezvous of every thread of the cluster.

use super::shared::SharedPtr;
use crate::emu::ctx::{self, Op};
use core::marker::PhantomData;
use core::panic::Location;

/// `%cluster_ctarank`: this block's rank in its cluster.
#[inline]
pub fn cluster_ctarank() -> u32 {
    ctx::cluster_of_thread().1
}

/// `%cluster_nctarank`: blocks per cluster.
#[inline]
pub fn cluster_nctarank() -> u32 {
    let ([x, y, z], _) = ctx::cluster_of_thread();
    x * y * z
}

/// `%clusterid.x`: the cluster's index in the grid of clusters, x.
#[inline]
pub fn cluster_id_x() -> u32 {
    let (_, b, _, _) = ctx::indices();
    b[0] / ctx::cluster_of_thread().0[0]
}

/// `%nclusterid.x`: clusters in the grid, x.
#[inline]
pub fn cluster_nclusterid_x() -> u32 {
    let (_, _, _, g) = ctx::indices();
    g[0] / ctx::cluster_of_thread().0[0]
}

/// `%cluster_ctaid.x`: this block's index in its cluster, x.
#[inline]
pub fn cluster_ctaid_x() -> u32 {
    let (_, b, _, _) = ctx::indices();
    b[0] % ctx::cluster_of_thread().0[0]
}

/// `%cluster_nctaid.x`: the cluster's dimension x.
#[inline]
pub fn cluster_nctaid_x() -> u32 {
    ctx::cluster_of_thread().0[0]
}

/// A typed address in a block's shared memory, seen from its cluster: the block's rank and
/// the shared-window address (on the GPU one 32-bit `.shared::cluster` address).
pub struct DsmemPtr<T> {
    addr: u32,
    rank: u32,
    _t: PhantomData<*mut T>,
}

impl<T> Clone for DsmemPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for DsmemPtr<T> {}

impl<T> DsmemPtr<T> {
    /// The pointer `i` elements further on (in the same block's shared memory).
    #[inline]
    pub const fn offset(self, i: u32) -> Self {
        Self {
            addr: self.addr + i * core::mem::size_of::<T>() as u32,
            rank: self.rank,
            _t: PhantomData,
        }
    }
}

/// `mapa.shared::cluster.u32`: `p` in the shared memory of the block of rank `rank`; a rank
/// outside the cluster stops the launch.
#[inline]
#[track_caller]
pub fn map_shared_rank<T>(p: SharedPtr<T>, rank: u32) -> DsmemPtr<T> {
    ctx::check_rank(rank, "map_shared_rank (mapa)", Location::caller());
    DsmemPtr {
        addr: p.addr(),
        rank,
        _t: PhantomData,
    }
}

fn op<T>(call: &'static str) -> Op {
    Op {
        call,
        ty: core::any::type_name::<T>(),
        elem: 4,
    }
}

/// A 32-bit value that DSMEM loads and stores can move.
pub trait Dsmem32: Copy {
    /// `ld.shared::cluster.b32` from the block of `rank`.
    #[track_caller]
    unsafe fn ldc(rank: u32, addr: u32) -> Self;
    /// `st.shared::cluster.b32` to the block of `rank`.
    #[track_caller]
    unsafe fn stc(rank: u32, addr: u32, v: Self);
}

macro_rules! dsmem32 {
    ($t:ty) => {
        impl Dsmem32 for $t {
            #[inline]
            #[track_caller]
            unsafe fn ldc(rank: u32, addr: u32) -> Self {
                let b = ctx::dsmem_load::<4>(
                    rank,
                    addr,
                    op::<$t>("DsmemPtr::load"),
                    Location::caller(),
                );
                <$t>::from_le_bytes(b)
            }
            #[inline]
            #[track_caller]
            unsafe fn stc(rank: u32, addr: u32, v: Self) {
                ctx::dsmem_store::<4>(
                    rank,
                    addr,
                    v.to_le_bytes(),
                    op::<$t>("DsmemPtr::store"),
                    Location::caller(),
                )
            }
        }
    };
}
dsmem32!(f32);
dsmem32!(u32);

impl<T: Dsmem32> DsmemPtr<T> {
    /// Element `i` of the peer's array (`ld.shared::cluster`), checked.
    #[inline]
    #[track_caller]
    pub unsafe fn load(self, i: u32) -> T {
        let p = self.offset(i);
        unsafe { T::ldc(p.rank, p.addr) }
    }
    /// Writes element `i` of the peer's array (`st.shared::cluster`), checked.
    #[inline]
    #[track_caller]
    pub unsafe fn store(self, i: u32, v: T) {
        let p = self.offset(i);
        unsafe { T::stc(p.rank, p.addr, v) }
    }
}

impl DsmemPtr<f32> {
    /// Elements `i .. i+4` of the peer's array (`ld.shared::cluster.v4.f32`), checked (16-byte
    /// aligned).
    #[inline]
    #[track_caller]
    pub unsafe fn load_f32x4(self, i: u32) -> crate::ptr::F32x4 {
        let p = self.offset(i);
        let b = ctx::dsmem_load::<16>(
            p.rank,
            p.addr,
            op::<f32>("DsmemPtr::load_f32x4"),
            Location::caller(),
        );
        crate::ptr::F32x4(super::shared::words(b).map(f32::from_bits))
    }
}

/// `barrier.cluster.arrive.release.aligned`: registers the arrival; the thread runs on.
#[inline]
#[track_caller]
pub fn cluster_arrive() {
    ctx::cluster_arrive(Location::caller())
}

/// `barrier.cluster.arrive.relaxed.aligned`: as [`cluster_arrive`] (the emulator's memory is
/// sequentially consistent; the race check orders by the barrier's completion either way).
#[inline]
#[track_caller]
pub fn cluster_arrive_relaxed() {
    ctx::cluster_arrive(Location::caller())
}

/// `barrier.cluster.wait.acquire.aligned`: waits until every thread of the cluster arrived.
#[inline]
#[track_caller]
pub fn cluster_wait() {
    ctx::cluster_wait(Location::caller())
}

/// `cluster_arrive()` then `cluster_wait()`.
#[inline]
#[track_caller]
pub fn cluster_sync() {
    let loc = Location::caller();
    ctx::cluster_arrive(loc);
    ctx::cluster_wait(loc);
}
