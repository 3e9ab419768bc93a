//! Thread-block clusters and distributed shared memory (sm_90, sm_90a module only, behind
//! `cfg(target_feature = "sm_90a")`): the blocks (CTAs) of a cluster, launched together with
//! a cluster dimension (`Launch::with_cluster`), run at once on one GPC and can read and write
//! each other's shared memory (DSMEM), ordered by the cluster barrier.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `cluster_ctarank()` / `cluster_nctarank()` | `mov.u32 %cluster_ctarank` / `%cluster_nctarank` | `S2R SR_CgaCtaId` / a constant-bank load |
//! | `cluster_id_x()` / `cluster_nclusterid_x()` | `mov.u32 %clusterid.x` / `%nclusterid.x` | `S2R` / arithmetic |
//! | `cluster_ctaid_x()` / `cluster_nctaid_x()` | `mov.u32 %cluster_ctaid.x` / `%cluster_nctaid.x` | `S2R` / arithmetic |
//! | `map_shared_rank(p, rank)` | `mapa.shared::cluster.u32` | address arithmetic (`SR_SWINHI`, `PRMT`) |
//! | `DsmemPtr::<f32>::load` / `store` (and `u32`) | `ld.shared::cluster.f32` / `st.shared::cluster.f32` | `LD.E` / `ST.E` (generic, to the peer's SM) |
//! | `DsmemPtr::<f32>::load_f32x4` | `ld.shared::cluster.v4.f32` | `LD.E.128` |
//! | `cluster_arrive()` | `barrier.cluster.arrive.release.aligned` | `MEMBAR.ALL.GPU; ERRBAR; CGAERRBAR; UCGABAR_ARV` |
//! | `cluster_arrive_relaxed()` | `barrier.cluster.arrive.relaxed.aligned` | `UCGABAR_ARV` |
//! | `cluster_wait()` | `barrier.cluster.wait.acquire.aligned` | `UCGABAR_WAIT; CCTL.IVALL` |
//! | `cluster_sync()` | the release arrive, then the acquire wait | both |
//!
//! (SASS of ptxas 13 for sm_90a, `selftest_cluster`; ptxas also emits a `BAR.SYNC` path that
//! runs when the launch has no cluster. The release is a GPU-scope `MEMBAR` on sm_90: a
//! barrier per row of a kernel waits for the block's outstanding global stores each time.)
//!
//! **Rank.** A block's rank in its cluster is `cluster_ctaid.x + cluster_ctaid.y·nx +
//! cluster_ctaid.z·nx·ny`; for a cluster of `(c, 1, 1)` it is `blockIdx.x % c`. A launch
//! without a cluster dimension is a grid of one-block clusters (rank 0 of 1).
//!
//! **DSMEM.** [`map_shared_rank`] turns a shared address of this block into the address of the
//! same byte in the block of `rank` (every block of a kernel has the same shared layout);
//! [`DsmemPtr`] loads and stores there. Its accesses are plain (no `volatile`): the cluster
//! barrier orders them. Writes to a peer before `cluster_arrive()` (release) are seen by the
//! peer after its `cluster_wait()` (acquire). A block must not exit while a peer may still
//! access its shared memory: end with a `cluster_sync()` when peers read yours.
//!
//! **Barriers.** `.aligned`: every thread of each warp executes the same barrier instruction,
//! so, as `sync_threads()`, keep it out of divergent code. The arrive/wait asm may touch any
//! memory (no `nomem`, no `pure`), so no shared or DSMEM access moves across it. Every thread
//! of the cluster arrives once per phase, then waits; `cluster_wait()` after
//! `cluster_arrive()` lets a block do independent work between the two.

use super::shared::SharedPtr;
use core::arch::asm;
use core::marker::PhantomData;

macro_rules! sreg {
    ($(#[$m:meta])* $name:ident, $reg:literal) => {
        $(#[$m])*
        #[inline(always)]
        pub fn $name() -> u32 {
            let v: u32;
            unsafe {
                asm!(concat!("mov.u32 {v}, ", $reg, ";"), v = out(reg32) v,
                    options(pure, nomem, nostack))
            };
            v
        }
    };
}

sreg!(
    /// `%cluster_ctarank`: this block's rank in its cluster, `0..cluster_nctarank()`.
    cluster_ctarank, "%cluster_ctarank"
);
sreg!(
    /// `%cluster_nctarank`: blocks per cluster.
    cluster_nctarank, "%cluster_nctarank"
);
sreg!(
    /// `%clusterid.x`: the cluster's index in the grid of clusters, x (`blockIdx.x / c`).
    cluster_id_x, "%clusterid.x"
);
sreg!(
    /// `%nclusterid.x`: clusters in the grid, x (`gridDim.x / c`).
    cluster_nclusterid_x, "%nclusterid.x"
);
sreg!(
    /// `%cluster_ctaid.x`: this block's index in its cluster, x (`blockIdx.x % c`).
    cluster_ctaid_x, "%cluster_ctaid.x"
);
sreg!(
    /// `%cluster_nctaid.x`: the cluster's dimension x, `c`.
    cluster_nctaid_x, "%cluster_nctaid.x"
);

/// A typed address in the cluster's shared window (`.shared::cluster`): a byte of some
/// block's shared memory, from [`map_shared_rank`]. 32-bit, like [`SharedPtr`].
#[repr(transparent)]
pub struct DsmemPtr<T> {
    addr: u32,
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
    #[inline(always)]
    pub const fn offset(self, i: u32) -> Self {
        Self {
            addr: self.addr + i * core::mem::size_of::<T>() as u32,
            _t: PhantomData,
        }
    }
}

/// `mapa.shared::cluster.u32 d, p, rank`: the address of `p`'s byte in the shared memory of
/// the block of rank `rank` of this cluster (`rank < cluster_nctarank()`; this block's own
/// rank gives its own memory).
#[inline(always)]
pub fn map_shared_rank<T>(p: SharedPtr<T>, rank: u32) -> DsmemPtr<T> {
    let addr: u32;
    unsafe {
        asm!("mapa.shared::cluster.u32 {d}, {a}, {r};", d = out(reg32) addr, a = in(reg32) p.addr(),
            r = in(reg32) rank, options(pure, nomem, nostack))
    };
    DsmemPtr {
        addr,
        _t: PhantomData,
    }
}

/// A 32-bit value that DSMEM loads and stores can move.
pub trait Dsmem32: Copy {
    /// `ld.shared::cluster.b32`.
    unsafe fn ldc(addr: u32) -> Self;
    /// `st.shared::cluster.b32`.
    unsafe fn stc(addr: u32, v: Self);
}

macro_rules! dsmem32 {
    ($t:ty, $ptx:literal) => {
        impl Dsmem32 for $t {
            #[inline(always)]
            unsafe fn ldc(addr: u32) -> Self {
                let v: $t;
                unsafe { asm!(concat!("ld.shared::cluster.", $ptx, " {v}, [{a}];"), v = out(reg32) v, a = in(reg32) addr, options(pure, readonly, nostack)) };
                v
            }
            #[inline(always)]
            unsafe fn stc(addr: u32, v: Self) {
                unsafe { asm!(concat!("st.shared::cluster.", $ptx, " [{a}], {v};"), v = in(reg32) v, a = in(reg32) addr, options(nostack)) };
            }
        }
    };
}
dsmem32!(f32, "f32");
dsmem32!(u32, "u32");

impl<T: Dsmem32> DsmemPtr<T> {
    /// Element `i` of the peer's array (`ld.shared::cluster`). Unsafe: `i` must be inside the
    /// array, and the peer's write ordered before by the cluster barrier.
    #[inline(always)]
    pub unsafe fn load(self, i: u32) -> T {
        unsafe { T::ldc(self.offset(i).addr) }
    }
    /// Writes element `i` of the peer's array (`st.shared::cluster`). Unsafe: `i` must be
    /// inside the array.
    #[inline(always)]
    pub unsafe fn store(self, i: u32, v: T) {
        unsafe { T::stc(self.offset(i).addr, v) }
    }
}

impl DsmemPtr<f32> {
    /// Elements `i .. i+4` of the peer's array in one `ld.shared::cluster.v4.f32`. Unsafe: as
    /// [`DsmemPtr::load`], and `i` a multiple of 4 from a 16-byte aligned array.
    #[inline(always)]
    pub unsafe fn load_f32x4(self, i: u32) -> crate::ptr::F32x4 {
        let a = self.offset(i).addr;
        let (x, y, z, w): (f32, f32, f32, f32);
        unsafe {
            asm!("ld.shared::cluster.v4.f32 {{{x}, {y}, {z}, {w}}}, [{a}];",
                x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
                a = in(reg32) a, options(pure, readonly, nostack))
        };
        crate::ptr::F32x4([x, y, z, w])
    }
}

/// `barrier.cluster.arrive.release.aligned`: this thread's arrival at the cluster barrier;
/// its earlier shared and DSMEM writes are released to the threads that then wait.
#[inline(always)]
pub fn cluster_arrive() {
    unsafe { asm!("barrier.cluster.arrive.release.aligned;", options(nostack)) }
}

/// `barrier.cluster.arrive.relaxed.aligned`: an arrival that releases nothing (for a barrier
/// that only says "I started", e.g. before reading a peer's memory that nobody writes).
#[inline(always)]
pub fn cluster_arrive_relaxed() {
    unsafe { asm!("barrier.cluster.arrive.relaxed.aligned;", options(nostack)) }
}

/// `barrier.cluster.wait.acquire.aligned`: waits until every thread of the cluster arrived
/// (after this thread's own `cluster_arrive`); their released writes are visible after it.
#[inline(always)]
pub fn cluster_wait() {
    unsafe { asm!("barrier.cluster.wait.acquire.aligned;", options(nostack)) }
}

/// `cluster_arrive()` then `cluster_wait()`: every thread of every block of the cluster meets
/// here (the cluster's `sync_threads()`).
#[inline(always)]
pub fn cluster_sync() {
    cluster_arrive();
    cluster_wait();
}
