//! The emulated thread that is running, and the entry points the host device API
//! (`gpu/host/`) calls: indices, barriers and warp collectives (which suspend the thread's
//! coroutine until the scheduler releases them), and checked global and shared accesses.
//!
//! One OS thread runs one launch at a time; its coroutines (one per GPU thread of the current
//! block, or of the current cluster's blocks) run on it one after another, so the state they share needs no locks. [`CURRENT`]
//! points at the running thread's context while the scheduler resumes it.

use super::error::{Error, ErrorKind, Warning, xyz};
use super::memory::{Memory, Resolved};
use super::shared::{Access, Kind, Located, SharedDecl, Who, Window};
use core::cell::Cell;
use core::panic::Location;
use corosensei::Yielder;
use std::format;
use std::string::String;
use std::vec::Vec;

/// Why a thread's coroutine handed control back to the scheduler.
pub(crate) enum Event {
    /// At `sync_threads()`.
    Barrier(&'static Location<'static>),
    /// At a warp collective (shuffle, vote, `sync_warp`).
    Warp(WarpOp),
    /// Pre-empted at a memory access (a seeded interleaving, `Options::preempt`).
    Yield,
    /// At `cluster_arrive()` (the scheduler records the arrival and resumes the thread).
    ClusterArrive(&'static Location<'static>),
    /// At `cluster_wait()`.
    ClusterWait(&'static Location<'static>),
    /// Stopped by an error, recorded in the launch state.
    Fault,
}

/// The warp collectives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WarpKind {
    Sync,
    ShflDown,
    ShflXor,
    ShflIdx,
    Ballot,
    Any,
    All,
    /// Every lane of the warp gets every lane's `words` words: the exchange under the
    /// `.sync.aligned` collectives (`mma`, `ldmatrix`), which every lane must execute.
    Gather,
}

impl WarpKind {
    pub fn name(self) -> &'static str {
        match self {
            WarpKind::Sync => "sync_warp()",
            WarpKind::ShflDown => "shuffle_down()",
            WarpKind::ShflXor => "shuffle_xor()",
            WarpKind::ShflIdx => "shuffle_idx()",
            WarpKind::Ballot => "ballot()",
            WarpKind::Any => "any()",
            WarpKind::All => "all()",
            WarpKind::Gather => "a .sync.aligned warp instruction (mma, ldmatrix)",
        }
    }
}

/// One lane's call of a warp collective.
#[derive(Clone, Copy)]
pub(crate) struct WarpOp {
    pub kind: WarpKind,
    pub mask: u32,
    /// The lane's value (shuffles: the bits; votes: the predicate as 0/1).
    pub value: u32,
    /// Shuffles: delta, lane mask or source lane; `Gather`: words per lane.
    pub arg: u32,
    pub loc: &'static Location<'static>,
    /// `Gather`: this lane's words, and where its copy of all 32 lanes' goes (32 × `arg`
    /// words, lane-major); both on the lane's stack, which lives while it waits.
    pub src: *const u32,
    pub dst: *mut u32,
}

/// An emulated GPU thread.
pub(crate) struct ThreadCtx {
    pub tid: [u32; 3],
    /// Its block's rank in the cluster (0 without a cluster): its index in
    /// `LaunchState::blocks`.
    pub rank: u32,
    /// `x + y·blockDim.x + z·blockDim.x·blockDim.y`; warp = linear / 32.
    pub linear: u32,
    pub launch: *mut LaunchState,
    pub yielder: *const Yielder<(), Event>,
    /// This lane's result of the last warp collective, set by the scheduler.
    pub result: u32,
}

/// Seeded pseudo-random numbers (splitmix64).
pub(crate) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Largest shared memory of one block (sm_90's opt-in limit, 227 KiB).
pub(crate) const MAX_SHARED: usize = 227 * 1024;

/// One block of the cluster that runs now (a cluster of one without a cluster launch).
pub(crate) struct BlockState {
    pub block_idx: [u32; 3],
    /// The block's number in the launch, from 1.
    pub serial: u32,
    /// `sync_threads()` completed in this block.
    pub epoch: u32,
    /// `sync_warp()` completed per warp of this block.
    pub warp_epoch: Vec<u32>,
    /// Every thread of the block finished: its shared memory is gone for its peers.
    pub exited: bool,
}

/// The state of a launch and of the blocks (one cluster) that run now.
pub(crate) struct LaunchState {
    pub kernel: &'static str,
    pub grid: [u32; 3],
    pub block: [u32; 3],
    /// The cluster dimensions (`(1, 1, 1)` without a cluster).
    pub cluster: [u32; 3],
    pub smem: u32,
    pub memory: *mut Memory,
    cache: Option<Resolved>,
    pub window: Window,
    /// The running cluster's blocks, by rank.
    pub blocks: Vec<BlockState>,
    /// Cluster barriers completed in the running cluster.
    pub cepoch: u32,
    pub error: Option<Error>,
    pub warnings: Vec<(String, Warning)>,
    pub rng: Rng,
    /// Pre-empt at one memory access in this many (0: never).
    pub preempt: u32,
    pub races: bool,
}

/// Distinct warnings kept per launch.
const MAX_WARNINGS: usize = 32;

impl LaunchState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kernel: &'static str,
        grid: [u32; 3],
        block: [u32; 3],
        cluster: [u32; 3],
        smem: u32,
        memory: *mut Memory,
        seed: u64,
        preempt: u32,
        races: bool,
    ) -> Self {
        Self {
            kernel,
            grid,
            block,
            cluster,
            smem,
            memory,
            cache: None,
            window: Window::new(cluster[0] * cluster[1] * cluster[2]),
            blocks: Vec::new(),
            cepoch: 0,
            error: None,
            warnings: Vec::new(),
            rng: Rng::new(seed ^ 0x5eed_0fe4_u64),
            preempt,
            races,
        }
    }

    /// `threadIdx` of linear index `l` in this launch's blocks.
    pub fn thread_of(&self, l: u32) -> [u32; 3] {
        let [bx, by, _] = self.block;
        [l % bx, (l / bx) % by, l / (bx * by)]
    }

    fn warn(&mut self, key: String, message: impl FnOnce() -> String) {
        if let Some((_, w)) = self.warnings.iter_mut().find(|(k, _)| *k == key) {
            w.count += 1;
        } else if self.warnings.len() < MAX_WARNINGS {
            let w = Warning {
                kernel: self.kernel.into(),
                message: message(),
                count: 1,
            };
            self.warnings.push((key, w));
        }
    }
}

std::thread_local! {
    static CURRENT: Cell<*mut ThreadCtx> = const { Cell::new(core::ptr::null_mut()) };
}

/// Makes `t` the running thread (null: none).
pub(crate) fn set_current(t: *mut ThreadCtx) {
    CURRENT.with(|c| c.set(t));
}

/// Whether an emulated thread is running on this OS thread.
pub(crate) fn in_thread() -> bool {
    CURRENT.with(|c| !c.get().is_null())
}

#[inline]
fn cur() -> *mut ThreadCtx {
    let t = CURRENT.with(|c| c.get());
    if t.is_null() {
        outside();
    }
    t
}

#[cold]
fn outside() -> ! {
    panic!(
        "a kernels_gpu::gpu function was called outside an emulated launch: on the host the \
         device API runs only inside kernels launched by the emulator (docs/emulator.md)"
    )
}

#[inline]
fn thread() -> &'static mut ThreadCtx {
    // SAFETY: the scheduler keeps the context alive while its coroutine runs, and only this
    // coroutine runs.
    unsafe { &mut *cur() }
}

#[inline]
fn launch() -> &'static mut LaunchState {
    // SAFETY: as `thread()`; the launch state outlives every block.
    unsafe { &mut *thread().launch }
}

fn suspend(ev: Event) {
    let y = thread().yielder;
    // SAFETY: the yielder lives as long as the coroutine that is running this code.
    unsafe { (*y).suspend(ev) }
}

/// `threadIdx`, `blockIdx`, `blockDim`, `gridDim`.
#[inline]
pub(crate) fn indices() -> ([u32; 3], [u32; 3], [u32; 3], [u32; 3]) {
    let t = thread();
    // SAFETY: see `thread()`.
    let st = unsafe { &*t.launch };
    (
        t.tid,
        st.blocks[t.rank as usize].block_idx,
        st.block,
        st.grid,
    )
}

/// The cluster's dimensions and this block's rank in it.
pub(crate) fn cluster_of_thread() -> ([u32; 3], u32) {
    let t = thread();
    // SAFETY: see `thread()`.
    let st = unsafe { &*t.launch };
    (st.cluster, t.rank)
}

/// Stops the launch with an error of the running thread.
#[cold]
pub(crate) fn fault(kind: ErrorKind, message: String) -> ! {
    let t = thread();
    let st = launch();
    st.error = Some(Error {
        kernel: st.kernel.into(),
        kind,
        block: Some(st.blocks[t.rank as usize].block_idx),
        thread: Some(t.tid),
        message,
    });
    suspend(Event::Fault);
    unreachable!("a faulted emulated thread was resumed")
}

/// A device-API function the emulator does not model: stops the launch, naming it.
#[cold]
#[track_caller]
pub fn not_emulated(what: &str) -> ! {
    let loc = Location::caller();
    fault(
        ErrorKind::NotEmulated,
        format!("{what} (called at {loc}) has no host implementation in the emulator"),
    )
}

/// `sync_threads()`: waits until every thread of the block is here.
pub(crate) fn barrier(loc: &'static Location<'static>) {
    suspend(Event::Barrier(loc));
}

/// `cluster_arrive()`: registers this thread's arrival at the cluster barrier.
pub(crate) fn cluster_arrive(loc: &'static Location<'static>) {
    suspend(Event::ClusterArrive(loc));
}

/// `cluster_wait()`: waits until every thread of the cluster arrived.
pub(crate) fn cluster_wait(loc: &'static Location<'static>) {
    suspend(Event::ClusterWait(loc));
}

/// A warp collective: waits until every lane of `op.mask` is here, returns this lane's result.
pub(crate) fn warp(op: WarpOp) -> u32 {
    suspend(Event::Warp(op));
    thread().result
}

/// A `.sync.aligned` exchange: every lane of the warp passes its `N` words and gets all 32
/// lanes' (lane-major; a lane past the block's end gives zeros).
pub(crate) fn warp_gather<const N: usize>(
    mine: &[u32; N],
    loc: &'static Location<'static>,
) -> [[u32; N]; 32] {
    let mut all = [[0u32; N]; 32];
    suspend(Event::Warp(WarpOp {
        kind: WarpKind::Gather,
        mask: u32::MAX,
        value: 0,
        arg: N as u32,
        loc,
        src: mine.as_ptr(),
        dst: all.as_mut_ptr() as *mut u32,
    }));
    all
}

/// The running thread's lane in its warp (linear index % 32).
pub(crate) fn lane() -> u32 {
    thread().linear % 32
}

/// A global load of `n <= N` bytes into the first `n` of `N` (the rest zero), `align`-aligned
/// (a `cp.async` with zero fill reads only its first `n` source bytes).
pub(crate) fn global_load_partial<const N: usize>(
    addr: u64,
    n: usize,
    align: usize,
    op: Op,
    loc: &'static Location<'static>,
) -> [u8; N] {
    preempt();
    check_aligned(addr, align, op, "global", loc);
    let mut out = [0u8; N];
    if n > 0 {
        let p = global_ptr_unaligned(addr, n, op, loc);
        // SAFETY: `n <= N` bytes inside a live allocation.
        unsafe { core::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), n.min(N)) };
    }
    out
}

fn preempt() {
    let st = launch();
    if st.preempt != 0 && st.rng.below(st.preempt as usize) == 0 {
        suspend(Event::Yield);
    }
}

/// What a memory access is, for messages.
#[derive(Clone, Copy)]
pub(crate) struct Op {
    /// The call (`GlobalPtr::load`).
    pub call: &'static str,
    /// The element type (`f32`).
    pub ty: &'static str,
    /// The element size, for indices in messages.
    pub elem: usize,
}

/// The last path segment of a type name (`kernels_gpu::half::Bf16` → `Bf16`).
pub(crate) fn short(ty: &'static str) -> &'static str {
    ty.rsplit("::").next().unwrap_or(ty)
}

fn check_aligned(addr: u64, n: usize, op: Op, space: &str, loc: &Location<'_>) {
    if !addr.is_multiple_of(n as u64) {
        fault(
            ErrorKind::Misaligned,
            format!(
                "{} {} of {n} bytes at {space} address {addr:#x} (at {loc}) is not {n}-byte \
                 aligned: the GPU faults with a misaligned address (a vector access needs a base \
                 and an index that keep it on a {n}-byte boundary)",
                short(op.ty),
                op.call
            ),
        );
    }
}

fn global_ptr(addr: u64, n: usize, op: Op, loc: &'static Location<'static>) -> *mut u8 {
    check_aligned(addr, n, op, "global", loc);
    global_ptr_unaligned(addr, n, op, loc)
}

fn global_ptr_unaligned(addr: u64, n: usize, op: Op, loc: &'static Location<'static>) -> *mut u8 {
    let st = launch();
    let end = addr.wrapping_add(n as u64);
    if let Some(c) = st.cache
        && addr >= c.base
        && end <= c.end
        && end >= addr
    {
        // SAFETY: inside the cached live allocation.
        return unsafe { c.data.add((addr - c.base) as usize) };
    }
    // SAFETY: the memory outlives the launch and nothing else uses it during the launch.
    let memory = unsafe { &mut *st.memory };
    match memory.resolve(addr, n) {
        Some(r) => {
            st.cache = Some(r);
            // SAFETY: `resolve` checked the range.
            unsafe { r.data.add((addr - r.base) as usize) }
        }
        None => fault(
            ErrorKind::OutOfBounds,
            format!(
                "{} {} of {n} bytes at {addr:#x} (at {loc}): {}",
                short(op.ty),
                op.call,
                memory.explain(addr, n, op.elem)
            ),
        ),
    }
}

/// A global load of `N` bytes.
#[inline]
pub(crate) fn global_load<const N: usize>(
    addr: u64,
    op: Op,
    loc: &'static Location<'static>,
) -> [u8; N] {
    preempt();
    let p = global_ptr(addr, N, op, loc);
    // SAFETY: `N` bytes inside a live allocation.
    unsafe { core::ptr::read_unaligned(p as *const [u8; N]) }
}

/// A global store of `N` bytes.
#[inline]
pub(crate) fn global_store<const N: usize>(
    addr: u64,
    bytes: [u8; N],
    op: Op,
    loc: &'static Location<'static>,
) {
    preempt();
    let p = global_ptr(addr, N, op, loc);
    // SAFETY: `N` bytes inside a live allocation.
    unsafe { core::ptr::write_unaligned(p as *mut [u8; N], bytes) }
}

/// A global 32-bit atomic read-modify-write; returns the old value.
pub(crate) fn global_atomic(
    addr: u64,
    op: Op,
    loc: &'static Location<'static>,
    f: impl FnOnce(u32) -> u32,
) -> u32 {
    preempt();
    let p = global_ptr(addr, 4, op, loc) as *mut u32;
    // SAFETY: 4 aligned bytes inside a live allocation; nothing else runs meanwhile.
    unsafe {
        let old = p.read_unaligned();
        p.write_unaligned(f(old));
        old
    }
}

fn shared_ptr(addr: u32, n: usize, kind: Kind, op: Op, loc: &'static Location<'static>) -> *mut u8 {
    let slot = thread().rank;
    shared_ptr_in(slot, addr, n, kind, op, loc)
}

/// Checks that `rank` names a block of this cluster whose shared memory is still there.
pub(crate) fn check_rank(rank: u32, what: &str, loc: &'static Location<'static>) {
    let t = thread();
    let st = launch();
    let c = st.blocks.len() as u32;
    if rank >= c {
        fault(
            ErrorKind::SharedOutOfBounds,
            format!(
                "{what} (at {loc}) names rank {rank} of a cluster of {c} block{}: ranks are \
                 0..{c} (cluster_nctarank())",
                if c == 1 { "" } else { "s" }
            ),
        );
    }
    if rank != t.rank && st.blocks[rank as usize].exited {
        let b = st.blocks[rank as usize].block_idx;
        fault(
            ErrorKind::SharedOutOfBounds,
            format!(
                "{what} (at {loc}) reaches the shared memory of block {} (rank {rank}), which \
                 has exited: a block's shared memory is gone when it exits, so a block whose \
                 memory peers access must not exit before them (end with a cluster_sync())",
                xyz(b)
            ),
        );
    }
}

/// The shared byte `addr` of the copy of rank `slot` (this block's own, or a peer's: DSMEM).
fn shared_ptr_in(
    slot: u32,
    addr: u32,
    n: usize,
    kind: Kind,
    op: Op,
    loc: &'static Location<'static>,
) -> *mut u8 {
    check_aligned(addr as u64, n, op, "shared", loc);
    let t = thread();
    let st = launch();
    let (i, off) = match st.window.locate(addr, n as u32) {
        Located::In(i, off) => (i, off),
        Located::Outside(below) => {
            let why = match below {
                Some((i, past)) => {
                    let r = &st.window.regions[i];
                    let elem = op.elem.max(1) as u32;
                    format!(
                        "{past} bytes past the end of `{}` ({} bytes at window address {:#x}): \
                         element {} of an array of {}",
                        r.name,
                        r.len,
                        r.base,
                        (addr - r.base) / elem,
                        r.len / elem
                    )
                }
                None => "below every shared array (a null or uninitialised SharedPtr?)".into(),
            };
            fault(
                ErrorKind::SharedOutOfBounds,
                format!(
                    "{} {} of {n} bytes at shared window address {addr:#x} (at {loc}): {why}",
                    short(op.ty),
                    op.call
                ),
            )
        }
    };
    let warp = t.linear / 32;
    let me = &st.blocks[t.rank as usize];
    let who = Who {
        tid: t.linear,
        rank: t.rank,
        cepoch: st.cepoch,
        warp,
        epoch: me.epoch,
        wepoch: me.warp_epoch[warp as usize],
        serial: st.blocks[slot as usize].serial,
        loc,
    };
    let races = st.races;
    let region = &mut st.window.regions[i];
    match region.check(slot, off, n as u32, kind, &who, races) {
        Ok(c) => {
            if let Some(b) = c.unwritten {
                let name = region.name;
                let key = format!("{name}@{loc}");
                let tid = t.tid;
                let block = st.blocks[t.rank as usize].block_idx;
                let elem = op.elem.max(1) as u32;
                st.warn(key, || {
                    format!(
                        "thread {} of block {} reads `{name}` at byte {b} (element {}) at {loc}, \
                         which no thread of the block wrote before: shared memory starts \
                         uninitialised (the emulator fills it with 0xFF bytes)",
                        xyz(tid),
                        xyz(block),
                        b / elem
                    )
                });
            }
            let region = &mut st.window.regions[i];
            let at = (slot * region.len + off) as usize;
            // SAFETY: `off + n <= region.len`, and the data holds `len` bytes per rank.
            unsafe { region.data.as_mut_ptr().add(at) }
        }
        Err(c) => {
            let name = region.name;
            let elem = op.elem.max(1) as u32;
            let other = st.thread_of(c.earlier.tid as u32);
            let what = |k: Kind| match k {
                Kind::Read => "reads",
                Kind::Write => "writes",
                Kind::Atomic => "atomically updates",
            };
            let earlier = match (c.earlier_wrote, c.earlier.atomic) {
                (true, true) => "atomically updated",
                (true, false) => "wrote",
                (false, _) => "read",
            };
            let at = |a: &Access| a.loc.map(|l| format!(" at {l}")).unwrap_or_default();
            let same_warp = c.earlier.tid as u32 / 32 == warp;
            if c.earlier.rank as u32 != t.rank || slot != t.rank {
                let whose =
                    |r: u32| format!("block {} (rank {r})", xyz(st.blocks[r as usize].block_idx));
                fault(
                    ErrorKind::Race,
                    format!(
                        "thread {} of {} {} `{name}` byte {} (element {}) of {} at {loc}, which \
                         thread {} of {} {}{} with no cluster barrier in between; accesses of \
                         different blocks to one block's shared memory (DSMEM) are ordered only \
                         by cluster_sync() (or cluster_arrive() then cluster_wait()): put one \
                         between the two accesses",
                        xyz(t.tid),
                        whose(t.rank),
                        what(kind),
                        c.offset,
                        c.offset / elem,
                        whose(slot),
                        xyz(other),
                        whose(c.earlier.rank as u32),
                        earlier,
                        at(&c.earlier),
                    ),
                )
            }
            fault(
                ErrorKind::Race,
                format!(
                    "thread {} {} `{name}` byte {} (element {}) at {loc}, which thread {} {}{} \
                     with no sync_threads(){} in between; the result depends on which thread runs \
                     first: put a sync_threads() between the two accesses",
                    xyz(t.tid),
                    what(kind),
                    c.offset,
                    c.offset / elem,
                    xyz(other),
                    earlier,
                    at(&c.earlier),
                    if same_warp {
                        " or sync_warp() (same warp)"
                    } else {
                        ""
                    },
                ),
            )
        }
    }
}

/// A shared load of `N` bytes.
#[inline]
pub(crate) fn shared_load<const N: usize>(
    addr: u32,
    op: Op,
    loc: &'static Location<'static>,
) -> [u8; N] {
    preempt();
    let p = shared_ptr(addr, N, Kind::Read, op, loc);
    // SAFETY: `N` bytes inside the region.
    unsafe { core::ptr::read_unaligned(p as *const [u8; N]) }
}

/// A shared store of `N` bytes.
#[inline]
pub(crate) fn shared_store<const N: usize>(
    addr: u32,
    bytes: [u8; N],
    op: Op,
    loc: &'static Location<'static>,
) {
    preempt();
    let p = shared_ptr(addr, N, Kind::Write, op, loc);
    // SAFETY: `N` bytes inside the region.
    unsafe { core::ptr::write_unaligned(p as *mut [u8; N], bytes) }
}

/// A DSMEM load of `N` bytes from the shared memory of the block of `rank` in this cluster.
#[inline]
pub(crate) fn dsmem_load<const N: usize>(
    rank: u32,
    addr: u32,
    op: Op,
    loc: &'static Location<'static>,
) -> [u8; N] {
    preempt();
    check_rank(rank, op.call, loc);
    let p = shared_ptr_in(rank, addr, N, Kind::Read, op, loc);
    // SAFETY: `N` bytes inside the region's copy of `rank`.
    unsafe { core::ptr::read_unaligned(p as *const [u8; N]) }
}

/// A DSMEM store of `N` bytes to the shared memory of the block of `rank` in this cluster.
#[inline]
pub(crate) fn dsmem_store<const N: usize>(
    rank: u32,
    addr: u32,
    bytes: [u8; N],
    op: Op,
    loc: &'static Location<'static>,
) {
    preempt();
    check_rank(rank, op.call, loc);
    let p = shared_ptr_in(rank, addr, N, Kind::Write, op, loc);
    // SAFETY: `N` bytes inside the region's copy of `rank`.
    unsafe { core::ptr::write_unaligned(p as *mut [u8; N], bytes) }
}

/// A shared 32-bit atomic read-modify-write; returns the old value.
pub(crate) fn shared_atomic(
    addr: u32,
    op: Op,
    loc: &'static Location<'static>,
    f: impl FnOnce(u32) -> u32,
) -> u32 {
    preempt();
    let p = shared_ptr(addr, 4, Kind::Atomic, op, loc) as *mut u32;
    // SAFETY: 4 bytes inside the region.
    unsafe {
        let old = p.read_unaligned();
        p.write_unaligned(f(old));
        old
    }
}

fn check_shared_total(st: &LaunchState) {
    let total = st.window.bytes();
    if total > MAX_SHARED {
        fault(
            ErrorKind::Launch,
            format!(
                "the block uses {total} bytes of shared memory (static arrays and {} dynamic), \
                 more than a GPU block can have ({MAX_SHARED})",
                st.smem
            ),
        );
    }
}

/// The window address of a static shared array (`shared_array!`).
pub fn shared_array(decl: &'static SharedDecl) -> u32 {
    let st = launch();
    let base = st.window.region(
        decl as *const SharedDecl as usize,
        decl.name,
        decl.bytes as u32,
    );
    check_shared_total(st);
    base
}

/// The window address of the block's dynamic shared memory.
pub(crate) fn dynamic_shared() -> u32 {
    let st = launch();
    let base = st.window.region(0, "dynamic shared memory", st.smem);
    check_shared_total(st);
    base
}
