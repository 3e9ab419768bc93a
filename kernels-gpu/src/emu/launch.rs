//! A launch, block by block: each block's threads run as stackful coroutines on the calling OS
//! thread, one at a time, until each finishes or suspends at a rendezvous (`sync_threads()`, a
//! warp collective) or a seeded pre-emption point; the scheduler releases a rendezvous when all
//! its threads are there, and diagnoses the block when nothing can run and not all finished.
//!
//! Determinism: the order of blocks and the choice of the next thread to run come from
//! [`Options::seed`] (0: blocks in order, threads in index order), so a run replays exactly.
//!
//! Clusters ([`LaunchConfig::cluster`]): the blocks of one cluster run together in one
//! scheduler, their threads interleaved as coroutines; `sync_threads()` and warp collectives
//! stay rendezvous of one block, `cluster_arrive()` registers an arrival and `cluster_wait()`
//! suspends until every thread of the cluster arrived. Clusters run one after another (in
//! order, or shuffled by the seed, as blocks are without clusters); a cluster of one block
//! is exactly a block of a launch without clusters.

use super::ctx::{self, BlockState, Event, LaunchState, ThreadCtx, WarpKind, WarpOp};
use super::error::{Error, ErrorKind, Warning, ranges, xyz};
use super::kernel::HostKernel;
use super::memory::Memory;
use crate::ptr::KernelParams;
use core::cell::{Cell, RefCell};
use core::panic::Location;
use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use std::boxed::Box;
use std::collections::VecDeque;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

/// Grid and block dimensions and dynamic shared memory, as `cuLaunchKernel` takes them, and
/// the cluster dimensions, as `cuLaunchKernelEx`'s `CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION`
/// takes them (`(1, 1, 1)`: no cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchConfig {
    pub grid: (u32, u32, u32),
    pub block: (u32, u32, u32),
    pub smem: u32,
    pub cluster: (u32, u32, u32),
}

/// Blocks per cluster a launch may ask for without the non-portable attribute (sm_90).
pub const MAX_CLUSTER_BLOCKS: u32 = 8;

/// How the emulator runs a launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The interleaving: 0 runs blocks in order and threads in index order; any other value
    /// shuffles the block order and picks the next thread at random, reproducibly.
    pub seed: u64,
    /// Pre-empts a thread at one global or shared access in this many, at random from the
    /// seed (0: only at barriers and warp collectives). More interleavings, same checks.
    pub preempt: u32,
    /// Stack of each emulated thread, in bytes (virtual memory: only what is used is touched).
    pub stack_bytes: usize,
    /// Whether shared-memory accesses are checked for races.
    pub races: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 0,
            preempt: 0,
            stack_bytes: 512 * 1024,
            races: true,
        }
    }
}

impl Options {
    /// The defaults, changed by `KLAB_EMU_SEED`, `KLAB_EMU_PREEMPT` (1 in N accesses),
    /// `KLAB_EMU_STACK_KB` and `KLAB_EMU_RACES=0`.
    pub fn from_env() -> Self {
        let var = |k: &str| {
            std::env::var(k)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        let mut o = Self::default();
        if let Some(s) = var("KLAB_EMU_SEED") {
            o.seed = s;
        }
        if let Some(p) = var("KLAB_EMU_PREEMPT") {
            o.preempt = p as u32;
        }
        if let Some(kb) = var("KLAB_EMU_STACK_KB") {
            o.stack_bytes = (kb as usize).max(64) * 1024;
        }
        if var("KLAB_EMU_RACES") == Some(0) {
            o.races = false;
        }
        o
    }
}

/// What a successful launch reports.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Suspicious accesses that did not stop the launch.
    pub warnings: Vec<Warning>,
    /// Blocks and threads run.
    pub blocks: u64,
    pub threads: u64,
}

/// Where a thread is.
#[derive(Clone, Copy)]
enum Status {
    Runnable,
    Barrier(&'static Location<'static>),
    Warp(WarpOp),
    /// At `cluster_wait()`, for the rest of the cluster to arrive.
    ClusterWait(&'static Location<'static>),
    Done,
}

type Co = Coroutine<(), Event, (), DefaultStack>;

std::thread_local! {
    /// Stacks of finished coroutines, reused by the next block and launch on this OS thread.
    static STACKS: RefCell<Vec<DefaultStack>> = const { RefCell::new(Vec::new()) };
    static STACK_SIZE: Cell<usize> = const { Cell::new(0) };
    /// The last panic of an emulated thread: its message and where.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Stacks kept per OS thread.
const MAX_POOLED: usize = 1024;

fn take_stack(bytes: usize) -> DefaultStack {
    let pooled = STACKS.with(|s| {
        if STACK_SIZE.with(|z| z.get()) != bytes {
            s.borrow_mut().clear();
            STACK_SIZE.with(|z| z.set(bytes));
        }
        s.borrow_mut().pop()
    });
    pooled.unwrap_or_else(|| {
        DefaultStack::new(bytes).expect("the emulator could not map a thread stack (mmap failed)")
    })
}

fn give_stack(s: DefaultStack) {
    STACKS.with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < MAX_POOLED {
            p.push(s);
        }
    });
}

/// Installs (once per process) a panic hook that, inside an emulated thread, records the panic
/// for the launch's error instead of printing it; elsewhere it defers to the previous hook.
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if ctx::in_thread() {
                let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                    s.to_string()
                } else if let Some(s) = info.payload().downcast_ref::<String>() {
                    s.clone()
                } else {
                    "a panic".into()
                };
                let at = info
                    .location()
                    .map(|l| format!(" at {l}"))
                    .unwrap_or_default();
                PANIC.with(|p| *p.borrow_mut() = Some(format!("{msg}{at}")));
            } else {
                previous(info)
            }
        }));
    });
}

/// Runs `kernel` over the grid with `params` on `memory`, checking every access.
pub fn launch<P: KernelParams>(
    memory: &mut Memory,
    kernel: &HostKernel,
    cfg: LaunchConfig,
    params: &P,
    opts: &Options,
) -> Result<Report, Error> {
    let name = kernel.symbol;
    let given = core::any::type_name::<P>();
    if given != kernel.params_type() || core::mem::size_of::<P>() != kernel.params_size() {
        return Err(Error::launch(
            name,
            ErrorKind::Params,
            format!(
                "launched with parameters of type {given}, but the kernel takes {}",
                kernel.params_type()
            ),
        ));
    }
    let (g, b, c) = (cfg.grid, cfg.block, cfg.cluster);
    let threads = b.0 as u64 * b.1 as u64 * b.2 as u64;
    let cluster_blocks = c.0 as u64 * c.1 as u64 * c.2 as u64;
    let bad = if [g.0, g.1, g.2, b.0, b.1, b.2].contains(&0) {
        Some("a grid or block dimension is 0".to_string())
    } else if [c.0, c.1, c.2].contains(&0) {
        Some(format!(
            "cluster {c:?}: a cluster dimension is 0 (no cluster is (1, 1, 1))"
        ))
    } else if cluster_blocks > MAX_CLUSTER_BLOCKS as u64 {
        Some(format!(
            "a cluster of {cluster_blocks} blocks ({c:?}): at most {MAX_CLUSTER_BLOCKS} blocks \
             per cluster (the portable limit)"
        ))
    } else if g.0 % c.0 != 0 || g.1 % c.1 != 0 || g.2 % c.2 != 0 {
        Some(format!(
            "grid {g:?} is not a multiple of the cluster {c:?}: each grid dimension must be a \
             multiple of the cluster's"
        ))
    } else if threads > 1024 {
        Some(format!(
            "a block of {threads} threads ({b:?}): at most 1024 threads per block"
        ))
    } else if b.2 > 64 || g.1 > 65535 || g.2 > 65535 {
        Some(format!(
            "grid {g:?}, block {b:?} exceed the GPU's limits (block z ≤ 64, grid y and z ≤ 65535)"
        ))
    } else if cfg.smem as usize > ctx::MAX_SHARED {
        Some(format!(
            "{} bytes of dynamic shared memory: a block can have at most {}",
            cfg.smem,
            ctx::MAX_SHARED
        ))
    } else {
        match kernel.launch_bounds {
            Some((max, _)) if threads > max as u64 => Some(format!(
                "a block of {threads} threads exceeds the kernel's launch bounds ({max} threads, \
                 #[launch_bounds]): the GPU refuses the launch"
            )),
            _ => None,
        }
    };
    if let Some(why) = bad {
        return Err(Error::launch(name, ErrorKind::Launch, why));
    }
    install_panic_hook();
    let mut st = Box::new(LaunchState::new(
        name,
        [g.0, g.1, g.2],
        [b.0, b.1, b.2],
        [c.0, c.1, c.2],
        cfg.smem,
        memory,
        opts.seed,
        opts.preempt,
        opts.races,
    ));
    let nblocks = g.0 as u64 * g.1 as u64 * g.2 as u64;
    // The grid of clusters (of blocks without clusters).
    let nc = (g.0 / c.0, g.1 / c.1, g.2 / c.2);
    let nclusters = nblocks / cluster_blocks;
    let mut order: Vec<u64> = (0..nclusters).collect();
    if opts.seed != 0 {
        for i in (1..order.len()).rev() {
            let j = st.rng.below(i + 1);
            order.swap(i, j);
        }
    }
    let params_ptr = params as *const P as *const u8;
    for (k, &lin) in order.iter().enumerate() {
        let id = [
            (lin % nc.0 as u64) as u32,
            ((lin / nc.0 as u64) % nc.1 as u64) as u32,
            (lin / (nc.0 as u64 * nc.1 as u64)) as u32,
        ];
        // Rank r is (r % cx, r / cx % cy, r / (cx·cy)) in the cluster (`%cluster_ctarank`).
        let blocks: Vec<[u32; 3]> = (0..cluster_blocks as u32)
            .map(|r| {
                [
                    id[0] * c.0 + r % c.0,
                    id[1] * c.1 + (r / c.0) % c.1,
                    id[2] * c.2 + r / (c.0 * c.1),
                ]
            })
            .collect();
        let serial = (k as u64 * cluster_blocks) as u32 + 1;
        run_cluster(&mut st, kernel, &blocks, serial, params_ptr, opts)?;
    }
    Ok(Report {
        warnings: core::mem::take(&mut st.warnings)
            .into_iter()
            .map(|(_, w)| w)
            .collect(),
        blocks: nblocks,
        threads: nblocks * threads,
    })
}

/// The scheduler of one cluster of blocks (one block without a cluster). Thread `g` is thread
/// `g % n` (linear) of the block of rank `g / n`.
struct Block {
    st: *mut LaunchState,
    /// Threads per block.
    n: u32,
    /// Blocks in the cluster.
    c: u32,
    /// One context per thread; never resized, so the coroutines' pointers stay valid.
    ctxs: Vec<ThreadCtx>,
    cos: Vec<Option<Co>>,
    status: Vec<Status>,
    runnable: VecDeque<u32>,
    /// Finished threads, per block.
    done: Vec<u32>,
    /// Threads at `sync_threads()`, per block.
    at_barrier: Vec<u32>,
    /// Per thread: where it arrived at the cluster barrier and has not waited yet, with the
    /// phase (`LaunchState::cepoch`) it arrived in.
    arrived: Vec<Option<(u32, &'static Location<'static>)>>,
    /// Arrivals in the current phase of the cluster barrier.
    arrivals: u32,
    random: bool,
}

impl Block {
    fn st(&mut self) -> &mut LaunchState {
        // SAFETY: no coroutine runs while the scheduler holds this.
        unsafe { &mut *self.st }
    }

    /// An error in the block of `rank` (of thread `thread`, linear in that block).
    fn err(&mut self, kind: ErrorKind, rank: u32, thread: Option<u32>, message: String) -> Error {
        let st = self.st();
        Error {
            kernel: st.kernel.into(),
            kind,
            block: Some(st.blocks[rank as usize].block_idx),
            thread: thread.map(|t| st.thread_of(t)),
            message,
        }
    }

    /// Linear ids as ranges, with what linear means for a multi-dimensional block.
    fn who(&mut self, ids: &[u32]) -> String {
        let [_, by, bz] = self.st().block;
        let note = if by > 1 || bz > 1 {
            " (linear x + y·blockDim.x + z·blockDim.x·blockDim.y)"
        } else {
            ""
        };
        format!("{}{note}", ranges(ids))
    }

    fn pick(&mut self) -> Option<u32> {
        if self.random && self.runnable.len() > 1 {
            let len = self.runnable.len();
            let k = self.st().rng.below(len);
            self.runnable.swap(0, k);
        }
        self.runnable.pop_front()
    }

    fn run(&mut self) -> Result<(), Error> {
        while let Some(g) = self.pick() {
            let (rank, t) = (g / self.n, g % self.n);
            let ctx: *mut ThreadCtx = &mut self.ctxs[g as usize];
            ctx::set_current(ctx);
            let co = self.cos[g as usize]
                .as_mut()
                .expect("a runnable thread has a coroutine");
            let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| co.resume(())));
            ctx::set_current(core::ptr::null_mut());
            match r {
                Err(payload) => {
                    let msg = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| {
                        payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "a panic".into())
                    });
                    self.cos[g as usize] = None;
                    return Err(self.err(
                        ErrorKind::Panic,
                        rank,
                        Some(t),
                        format!("the kernel's Rust code panicked: {msg}"),
                    ));
                }
                Ok(CoroutineResult::Return(())) => {
                    self.status[g as usize] = Status::Done;
                    self.done[rank as usize] += 1;
                    if self.done[rank as usize] == self.n {
                        self.st().blocks[rank as usize].exited = true;
                    }
                    if let Some(co) = self.cos[g as usize].take() {
                        give_stack(co.into_stack());
                    }
                    // A lane that exits may be the last one a warp collective waited for.
                    self.try_warp(rank, t / 32)?;
                }
                Ok(CoroutineResult::Yield(ev)) => match ev {
                    Event::Yield => self.runnable.push_back(g),
                    Event::Fault => {
                        return Err(self.st().error.take().expect("a fault records its error"));
                    }
                    Event::Barrier(loc) => {
                        self.status[g as usize] = Status::Barrier(loc);
                        self.at_barrier[rank as usize] += 1;
                        if self.at_barrier[rank as usize] == self.n {
                            self.release_barrier(rank)?;
                        }
                    }
                    Event::Warp(op) => {
                        self.status[g as usize] = Status::Warp(op);
                        self.try_warp(rank, t / 32)?;
                    }
                    Event::ClusterArrive(loc) => self.cluster_arrive(g, loc)?,
                    Event::ClusterWait(loc) => self.cluster_wait(g, loc)?,
                },
            }
        }
        if self.done.iter().all(|&d| d == self.n) {
            Ok(())
        } else {
            Err(self.stalled())
        }
    }

    /// Thread `g` arrives at the cluster barrier: the phase completes when it is the last of
    /// the cluster's threads; the thread runs on either way.
    fn cluster_arrive(&mut self, g: u32, loc: &'static Location<'static>) -> Result<(), Error> {
        let (rank, t) = (g / self.n, g % self.n);
        if let Some((_, earlier)) = self.arrived[g as usize] {
            let msg = format!(
                "the thread arrives at the cluster barrier at {loc} again before waiting for \
                 its arrival at {earlier}: every cluster_arrive() must be followed by a \
                 cluster_wait() before the next one"
            );
            return Err(self.err(ErrorKind::DivergentBarrier, rank, Some(t), msg));
        }
        let phase = self.st().cepoch;
        self.arrived[g as usize] = Some((phase, loc));
        self.arrivals += 1;
        self.runnable.push_front(g);
        if self.arrivals == self.n * self.c {
            let st = self.st();
            st.cepoch += 1;
            self.arrivals = 0;
            for w in 0..self.n * self.c {
                if let Status::ClusterWait(_) = self.status[w as usize] {
                    self.arrived[w as usize] = None;
                    self.status[w as usize] = Status::Runnable;
                    self.runnable.push_back(w);
                }
            }
        }
        Ok(())
    }

    /// Thread `g` waits at the cluster barrier: it goes on once the phase it arrived in is
    /// complete.
    fn cluster_wait(&mut self, g: u32, loc: &'static Location<'static>) -> Result<(), Error> {
        let (rank, t) = (g / self.n, g % self.n);
        let phase_now = self.st().cepoch;
        match self.arrived[g as usize] {
            None => {
                let msg = format!(
                    "cluster_wait() at {loc} without an arrival: a thread waits at the cluster \
                     barrier only after its cluster_arrive() (or use cluster_sync())"
                );
                Err(self.err(ErrorKind::DivergentBarrier, rank, Some(t), msg))
            }
            Some((phase, _)) if phase < phase_now => {
                self.arrived[g as usize] = None;
                self.runnable.push_front(g);
                Ok(())
            }
            Some(_) => {
                self.status[g as usize] = Status::ClusterWait(loc);
                Ok(())
            }
        }
    }

    /// Every thread of the block of `rank` is at a barrier: the same one releases them all.
    fn release_barrier(&mut self, rank: u32) -> Result<(), Error> {
        let base = rank * self.n;
        let mut sites: Vec<(&'static Location<'static>, Vec<u32>)> = Vec::new();
        for t in 0..self.n {
            if let Status::Barrier(loc) = self.status[(base + t) as usize] {
                match sites.iter_mut().find(|(l, _)| *l == loc) {
                    Some((_, ids)) => ids.push(t),
                    None => sites.push((loc, [t].into())),
                }
            }
        }
        if sites.len() > 1 {
            let parts: Vec<String> = sites
                .iter()
                .map(|(l, ids)| {
                    format!("threads {} wait at the sync_threads() at {l}", ranges(ids))
                })
                .collect();
            let msg = format!(
                "{}; every thread of the block must reach the same sync_threads() (a barrier \
                 inside an `if` is only valid when the condition is the same for the whole block)",
                parts.join("; ")
            );
            return Err(self.err(ErrorKind::DivergentBarrier, rank, None, msg));
        }
        let st = self.st();
        st.blocks[rank as usize].epoch += 1;
        self.at_barrier[rank as usize] = 0;
        for t in 0..self.n {
            self.status[(base + t) as usize] = Status::Runnable;
            self.runnable.push_back(base + t);
        }
        Ok(())
    }

    /// Completes the collective that lanes of warp `w` of the block of `rank` wait at, if
    /// every lane of its mask is there (exited lanes excluded).
    fn try_warp(&mut self, rank: u32, w: u32) -> Result<(), Error> {
        let base = rank * self.n;
        let first = w * 32;
        let last = (first + 32).min(self.n);
        let status = |b: &Self, t: u32| b.status[(base + t) as usize];
        let Some(l0) = (first..last).find(|&t| matches!(status(self, t), Status::Warp(_))) else {
            return Ok(());
        };
        let Status::Warp(op0) = status(self, l0) else {
            unreachable!()
        };
        let mut members: Vec<u32> = Vec::new();
        for t in first..last {
            if op0.mask & (1 << (t - first)) == 0 {
                continue;
            }
            match status(self, t) {
                Status::Warp(op) => {
                    if op.kind != op0.kind
                        || op.loc != op0.loc
                        || op.mask != op0.mask
                        || (op.kind == WarpKind::Gather && op.arg != op0.arg)
                    {
                        let msg = format!(
                            "lanes of warp {w} call different warp collectives: lane {} calls \
                             {} at {} (mask {:#010x}), lane {} calls {} at {} (mask {:#010x}); \
                             every lane of a collective's mask must call the same one",
                            l0 - first,
                            op0.kind.name(),
                            op0.loc,
                            op0.mask,
                            t - first,
                            op.kind.name(),
                            op.loc,
                            op.mask
                        );
                        return Err(self.err(ErrorKind::WarpCollective, rank, Some(t), msg));
                    }
                    members.push(t);
                }
                Status::Done => {}
                Status::Runnable | Status::Barrier(_) | Status::ClusterWait(_) => return Ok(()),
            }
        }
        let present = last - first;
        if op0.kind == WarpKind::Gather {
            let expected = (0..present).filter(|l| op0.mask & (1 << l) != 0).count();
            if members.len() != expected {
                let gone: Vec<u32> = (first..last)
                    .filter(|t| matches!(status(self, *t), Status::Done))
                    .map(|t| t - first)
                    .collect();
                let msg = format!(
                    "lanes {} of warp {w} exited before {} at {}, which every lane of the warp                      must execute together",
                    ranges(&gone),
                    op0.kind.name(),
                    op0.loc
                );
                return Err(self.err(ErrorKind::WarpCollective, rank, Some(l0), msg));
            }
            let words = op0.arg as usize;
            for &t in &members {
                let Status::Warp(dst) = status(self, t) else {
                    unreachable!()
                };
                for &s in &members {
                    let Status::Warp(src) = status(self, s) else {
                        unreachable!()
                    };
                    let at = (s - first) as usize * words;
                    // SAFETY: both buffers live on suspended lanes' stacks, `words` and
                    // `32 · words` long (the lanes agree on `words`: same op, same call).
                    unsafe {
                        core::ptr::copy_nonoverlapping(src.src, dst.dst.add(at), words);
                    }
                }
            }
            for &t in &members {
                self.status[(base + t) as usize] = Status::Runnable;
                self.runnable.push_back(base + t);
            }
            return Ok(());
        }
        let taking_part = |lane: u32| members.contains(&(first + lane));
        let mut results: Vec<(u32, u32)> = Vec::with_capacity(members.len());
        let value = |lane: u32| -> u32 {
            match status(self, first + lane) {
                Status::Warp(op) => op.value,
                _ => 0,
            }
        };
        let ballot: u32 = members
            .iter()
            .filter(|&&t| value(t - first) != 0)
            .fold(0, |b, &t| b | 1 << (t - first));
        let member_bits: u32 = members.iter().fold(0, |b, &t| b | 1 << (t - first));
        for &t in &members {
            let lane = t - first;
            let Status::Warp(op) = status(self, t) else {
                unreachable!()
            };
            let src = match op.kind {
                WarpKind::ShflDown => Some(if lane + op.arg > 31 {
                    lane
                } else {
                    lane + op.arg
                }),
                WarpKind::ShflXor => Some(if lane ^ op.arg > 31 {
                    lane
                } else {
                    lane ^ op.arg
                }),
                WarpKind::ShflIdx => Some(op.arg & 31),
                _ => None,
            };
            let r = match (op.kind, src) {
                (_, Some(s)) => {
                    if !taking_part(s) {
                        let why = if s >= present {
                            format!("which is not in the block (its last warp has {present} lanes)")
                        } else if op.mask & (1 << s) == 0 {
                            "which is outside the mask".into()
                        } else {
                            "which has exited".into()
                        };
                        let msg = format!(
                            "lane {lane} of warp {w} ({} at {}) reads lane {s}, {why}: the GPU \
                             returns an undefined value",
                            op.kind.name(),
                            op.loc
                        );
                        return Err(self.err(ErrorKind::WarpCollective, rank, Some(t), msg));
                    }
                    value(s)
                }
                (WarpKind::Ballot, None) => ballot,
                (WarpKind::Any, None) => (ballot != 0) as u32,
                (WarpKind::All, None) => (ballot == member_bits) as u32,
                (_, None) => 0,
            };
            results.push((t, r));
        }
        // A sync_warp() of the whole warp orders its lanes' shared accesses (the race check).
        if op0.kind == WarpKind::Sync {
            let all_lanes = if present == 32 {
                u32::MAX
            } else {
                (1 << present) - 1
            };
            if op0.mask & all_lanes == all_lanes {
                self.st().blocks[rank as usize].warp_epoch[w as usize] += 1;
            }
        }
        for (t, r) in results {
            self.ctxs[(base + t) as usize].result = r;
            self.status[(base + t) as usize] = Status::Runnable;
            self.runnable.push_back(base + t);
        }
        Ok(())
    }

    /// Nothing can run and not every thread finished: says who waits where, and for whom.
    fn stalled(&mut self) -> Error {
        let waiting =
            (0..self.n * self.c).any(|g| matches!(self.status[g as usize], Status::ClusterWait(_)));
        if waiting {
            return self.stalled_cluster();
        }
        let rank = (0..self.c)
            .find(|&r| self.done[r as usize] != self.n)
            .expect("a stalled cluster has a block with unfinished threads");
        self.stalled_block(rank)
    }

    /// Threads wait at the cluster barrier for threads that cannot arrive.
    fn stalled_cluster(&mut self) -> Error {
        let (n, c) = (self.n, self.c);
        let loc = (0..n * c)
            .find_map(|g| match self.status[g as usize] {
                Status::ClusterWait(l) => Some(l),
                _ => None,
            })
            .expect("a thread waits at the cluster barrier");
        let mut parts: Vec<String> = Vec::new();
        let mut first_missing: Option<u32> = None;
        let mut stuck = false;
        for rank in 0..c {
            let base = rank * n;
            let mut exited: Vec<u32> = Vec::new();
            let mut barrier: Vec<(&'static Location<'static>, Vec<u32>)> = Vec::new();
            let mut warp: Vec<u32> = Vec::new();
            for t in 0..n {
                let g = (base + t) as usize;
                if self.arrived[g].is_some() {
                    continue;
                }
                match self.status[g] {
                    Status::Done => exited.push(t),
                    Status::Barrier(l) => match barrier.iter_mut().find(|(x, _)| *x == l) {
                        Some((_, ids)) => ids.push(t),
                        None => barrier.push((l, [t].into())),
                    },
                    Status::Warp(_) => warp.push(t),
                    Status::Runnable | Status::ClusterWait(_) => {}
                }
            }
            if exited.is_empty() && barrier.is_empty() && warp.is_empty() {
                continue;
            }
            first_missing.get_or_insert(rank);
            let b = xyz(self.st().blocks[rank as usize].block_idx);
            let mut what: Vec<String> = Vec::new();
            if !exited.is_empty() {
                what.push(format!(
                    "threads {} exited without arriving",
                    self.who(&exited)
                ));
            }
            for (l, ids) in &barrier {
                stuck = true;
                what.push(format!(
                    "threads {} wait at the sync_threads() at {l}",
                    self.who(ids)
                ));
            }
            if !warp.is_empty() {
                stuck = true;
                what.push(format!(
                    "threads {} wait at a warp collective",
                    self.who(&warp)
                ));
            }
            parts.push(format!("block {b} (rank {rank}): {}", what.join(", ")));
        }
        let arrived = self.arrivals;
        let msg = format!(
            "the cluster barrier at {loc} (cluster_sync() or cluster_wait()) waits for all {} \
             threads of the cluster's {c} blocks, but only {arrived} arrived; {}; every thread \
             of every block of the cluster must arrive (a block that skips cluster_sync(), e.g. \
             under `if cluster_ctarank() == …`, leaves its peers waiting forever)",
            n * c,
            parts.join("; ")
        );
        let kind = if stuck {
            ErrorKind::Deadlock
        } else {
            ErrorKind::DivergentBarrier
        };
        self.err(kind, first_missing.unwrap_or(0), None, msg)
    }

    /// The block of `rank` cannot go on (no cluster barrier involved).
    fn stalled_block(&mut self, rank: u32) -> Error {
        let base = rank * self.n;
        let mut barrier: Vec<(&'static Location<'static>, Vec<u32>)> = Vec::new();
        let mut warp: Vec<u32> = Vec::new();
        let mut done: Vec<u32> = Vec::new();
        for t in 0..self.n {
            match self.status[(base + t) as usize] {
                Status::Barrier(loc) => match barrier.iter_mut().find(|(l, _)| *l == loc) {
                    Some((_, ids)) => ids.push(t),
                    None => barrier.push((loc, [t].into())),
                },
                Status::Warp(_) => warp.push(t),
                Status::Done => done.push(t),
                Status::Runnable | Status::ClusterWait(_) => {}
            }
        }
        let n = self.n;
        if warp.is_empty() {
            let Some((loc, ids)) = barrier.first().cloned() else {
                return self.err(
                    ErrorKind::Deadlock,
                    rank,
                    None,
                    "no thread can go on".into(),
                );
            };
            let exited = self.who(&done);
            let reached = self.who(&ids);
            let msg = format!(
                "the sync_threads() at {loc} was reached by threads {reached} ({} of {n}), but \
                 threads {exited} exited without reaching it; every thread of the block must \
                 reach the same sync_threads() (a barrier inside `if` is only valid when the \
                 condition is the same for the whole block, e.g. move the barrier out of `if \
                 tid < …`)",
                ids.len()
            );
            return self.err(ErrorKind::DivergentBarrier, rank, None, msg);
        }
        let t = warp[0];
        let Status::Warp(op) = self.status[(base + t) as usize] else {
            unreachable!()
        };
        let first = t / 32 * 32;
        let mut waits: Vec<String> = Vec::new();
        for (loc, ids) in &barrier {
            let mine: Vec<u32> = ids
                .iter()
                .copied()
                .filter(|&x| x / 32 == t / 32 && op.mask & (1 << (x - first)) != 0)
                .collect();
            if !mine.is_empty() {
                waits.push(format!(
                    "lanes {} wait at the sync_threads() at {loc}",
                    ranges(&mine.iter().map(|x| x - first).collect::<Vec<_>>())
                ));
            }
        }
        let here: Vec<u32> = warp
            .iter()
            .copied()
            .filter(|&x| x / 32 == t / 32)
            .map(|x| x - first)
            .collect();
        let msg = format!(
            "lanes {} of warp {} wait at {} at {} for the rest of its mask ({:#010x}), but {}: \
             no thread can go on",
            ranges(&here),
            t / 32,
            op.kind.name(),
            op.loc,
            op.mask,
            if waits.is_empty() {
                "the others wait at another collective".to_string()
            } else {
                waits.join("; ")
            }
        );
        self.err(ErrorKind::Deadlock, rank, None, msg)
    }
}

/// Runs the blocks `blocks` (one cluster, by rank; one block without a cluster) together,
/// numbered from `serial`.
fn run_cluster(
    st: &mut LaunchState,
    kernel: &HostKernel,
    blocks: &[[u32; 3]],
    serial: u32,
    params: *const u8,
    opts: &Options,
) -> Result<(), Error> {
    let n = st.block[0] * st.block[1] * st.block[2];
    let c = blocks.len() as u32;
    st.blocks = blocks
        .iter()
        .enumerate()
        .map(|(r, &idx)| BlockState {
            block_idx: idx,
            serial: serial + r as u32,
            epoch: 0,
            warp_epoch: [0].repeat(n.div_ceil(32) as usize),
            exited: false,
        })
        .collect();
    st.cepoch = 0;
    st.window.begin_block();
    let stp: *mut LaunchState = st;
    let mut ctxs: Vec<ThreadCtx> = (0..n * c)
        .map(|g| ThreadCtx {
            tid: st.thread_of(g % n),
            rank: g / n,
            linear: g % n,
            launch: stp,
            yielder: core::ptr::null(),
            result: 0,
        })
        .collect();
    let k = *kernel;
    let cos: Vec<Option<Co>> = ctxs
        .iter_mut()
        .map(|c| {
            // The Vec's buffer does not move when the Vec moves into the Block.
            let cp: *mut ThreadCtx = c;
            let params = params as usize;
            let co = Coroutine::with_stack(take_stack(opts.stack_bytes), move |y, ()| {
                // SAFETY: the context outlives its coroutine (both are dropped with the block).
                unsafe { (*cp).yielder = y };
                k.call(params as *const u8);
            });
            Some(co)
        })
        .collect();
    let mut block = Block {
        st: stp,
        n,
        c,
        ctxs,
        cos,
        status: [Status::Runnable].repeat((n * c) as usize),
        runnable: (0..n * c).collect(),
        done: [0].repeat(c as usize),
        at_barrier: [0].repeat(c as usize),
        arrived: [None].repeat((n * c) as usize),
        arrivals: 0,
        random: opts.seed != 0,
    };
    let result = block.run();
    // Unfinished coroutines (after an error) unwind here, before their contexts go away.
    for co in block.cos.iter_mut().filter_map(Option::take) {
        drop(co);
    }
    result
}
