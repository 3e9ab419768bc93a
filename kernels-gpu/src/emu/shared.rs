//! Shared memory of the emulator: each block's static arrays (`shared_array!`) and its dynamic
//! shared memory as regions of a 32-bit shared window, with a shadow byte per byte that finds
//! races and reads of bytes never written.
//!
//! **Layout.** Regions get window addresses in the order the launch first uses them, from
//! `0x400`, each 16-byte aligned and followed by a 256-byte red zone that belongs to no array,
//! so an index past an array's end is reported against that array. Every block starts with its
//! arrays filled with `0xFF` bytes (a NaN as f32): shared memory is not initialised on a GPU.
//!
//! **Races.** A byte's shadow keeps the last write and the last two readers (distinct threads)
//! in this block, each with the block's barrier count and its warp's `sync_warp` count at the
//! time. Two accesses to one byte, one a write, by different threads, are ordered when a
//! `sync_threads()` came between them, or when both threads are in one warp and a `sync_warp()`
//! came between them; otherwise they race. Atomics do not race with each other. Keeping two
//! readers (not all) can miss a race whose only unordered reader was a third, earlier one.
//!
//! **Clusters.** A launch with a cluster of `c` blocks keeps `c` copies of every region (one
//! per rank, same window addresses: every block of a kernel has the same shared layout); a
//! DSMEM access lands in its target rank's copy. Accesses record the accessing thread's rank
//! and the cluster barrier count: two accesses by threads of different blocks are ordered only
//! when a cluster barrier (`cluster_sync()`, or an arrive/wait pair) completed between them.

use core::panic::Location;
use std::vec;
use std::vec::Vec;

/// A static shared array as `shared_array!` declares it on the host: one per array, named.
#[doc(hidden)]
pub struct SharedDecl {
    pub name: &'static str,
    pub bytes: usize,
}

/// The first window address (0 stays invalid, as a null pointer).
const FIRST: u32 = 0x400;
/// Unowned bytes after each region.
const REDZONE: u32 = 256;
/// What unwritten shared memory holds at the start of each block.
const POISON: u8 = 0xFF;
const NO_THREAD: u16 = u16::MAX;

/// One access recorded in a shadow byte.
#[derive(Clone, Copy)]
pub(crate) struct Access {
    /// Linear thread index in the block (at most 1024 threads), or [`NO_THREAD`].
    pub tid: u16,
    /// The rank in its cluster of the thread's block (0 without a cluster; at most 8).
    pub rank: u8,
    /// Cluster barriers completed in the cluster at the access.
    pub cepoch: u32,
    /// The block's barrier count at the access.
    pub epoch: u32,
    /// The thread's warp's `sync_warp` count at the access.
    pub wepoch: u32,
    pub atomic: bool,
    pub loc: Option<&'static Location<'static>>,
}

// A shadow byte is 80 bytes, as before clusters: the thread's rank fits beside its index.
const _: () = assert!(core::mem::size_of::<Shadow>() == 80);

const NONE: Access = Access {
    tid: NO_THREAD,
    rank: 0,
    cepoch: 0,
    epoch: 0,
    wepoch: 0,
    atomic: false,
    loc: None,
};

#[derive(Clone, Copy)]
struct Shadow {
    /// The block (its serial number in the launch, from 1) the rest belongs to.
    serial: u32,
    written: bool,
    write: Access,
    read1: Access,
    read2: Access,
}

const FRESH: Shadow = Shadow {
    serial: 0,
    written: false,
    write: NONE,
    read1: NONE,
    read2: NONE,
};

/// How a thread touches shared memory.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
    /// A read-modify-write atomic.
    Atomic,
}

/// The accessing thread, at its access.
pub(crate) struct Who {
    pub tid: u32,
    pub rank: u32,
    pub cepoch: u32,
    pub warp: u32,
    pub epoch: u32,
    pub wepoch: u32,
    /// The serial number of the block whose shared memory is accessed.
    pub serial: u32,
    pub loc: &'static Location<'static>,
}

/// An access that conflicts with an earlier one.
pub(crate) struct Conflict {
    /// Byte offset in the region.
    pub offset: u32,
    pub earlier: Access,
    pub earlier_wrote: bool,
}

/// What checking one access found (besides a race).
pub(crate) struct Checked {
    /// The first byte read that no thread of the block had written.
    pub unwritten: Option<u32>,
}

/// One array in the window.
pub(crate) struct Region {
    pub name: &'static str,
    /// The declaration's address (its identity), or 0 for dynamic shared memory.
    key: usize,
    pub base: u32,
    pub len: u32,
    /// `len` bytes per rank of the cluster, rank after rank.
    pub data: Vec<u8>,
    shadow: Vec<Shadow>,
}

impl Region {
    fn ordered(a: &Access, who: &Who, atomic: bool) -> bool {
        a.tid == NO_THREAD
            || (a.atomic && atomic)
            || a.cepoch < who.cepoch
            || (a.rank as u32 == who.rank
                && (a.tid as u32 == who.tid
                    || a.epoch < who.epoch
                    || (a.tid as u32 / 32 == who.warp && a.wepoch < who.wepoch)))
    }

    /// Records an access to `[off, off + n)` of rank `slot`'s copy and checks it against the
    /// earlier ones.
    pub fn check(
        &mut self,
        slot: u32,
        off: u32,
        n: u32,
        kind: Kind,
        who: &Who,
        races: bool,
    ) -> Result<Checked, Conflict> {
        let me = Access {
            tid: who.tid as u16,
            rank: who.rank as u8,
            cepoch: who.cepoch,
            epoch: who.epoch,
            wepoch: who.wepoch,
            atomic: kind == Kind::Atomic,
            loc: Some(who.loc),
        };
        let atomic = kind == Kind::Atomic;
        let mut unwritten = None;
        let base = (slot * self.len) as usize;
        for b in off..off + n {
            let s = &mut self.shadow[base + b as usize];
            if s.serial != who.serial {
                *s = FRESH;
                s.serial = who.serial;
            }
            if kind != Kind::Write && !s.written && unwritten.is_none() {
                unwritten = Some(b);
            }
            if races && !Self::ordered(&s.write, who, atomic) {
                return Err(Conflict {
                    offset: b,
                    earlier: s.write,
                    earlier_wrote: true,
                });
            }
            match kind {
                Kind::Read => {
                    if s.read1.tid as u32 != who.tid || s.read1.rank as u32 != who.rank {
                        s.read2 = s.read1;
                    }
                    s.read1 = me;
                }
                Kind::Write | Kind::Atomic => {
                    if races {
                        for r in [s.read1, s.read2] {
                            if !Self::ordered(&r, who, false) {
                                return Err(Conflict {
                                    offset: b,
                                    earlier: r,
                                    earlier_wrote: false,
                                });
                            }
                        }
                    }
                    s.write = me;
                    s.written = true;
                }
            }
        }
        Ok(Checked { unwritten })
    }
}

/// Where an access landed.
pub(crate) enum Located {
    /// Region index and byte offset in it.
    In(usize, u32),
    /// Outside every region: the nearest region below (index) and the bytes past its end, or
    /// none below.
    Outside(Option<(usize, u32)>),
}

/// The shared window of one launch.
pub(crate) struct Window {
    pub regions: Vec<Region>,
    next: u32,
    last: usize,
    /// Blocks per cluster: copies of each region.
    slots: u32,
}

impl Window {
    pub fn new(slots: u32) -> Self {
        Self {
            regions: Vec::new(),
            next: FIRST,
            last: 0,
            slots,
        }
    }

    /// Bytes of shared memory per block so far (static arrays and dynamic).
    pub fn bytes(&self) -> usize {
        self.regions.iter().map(|r| r.len as usize).sum()
    }

    /// The window address of the region `key` (`name`, `len` bytes), added on first use.
    pub fn region(&mut self, key: usize, name: &'static str, len: u32) -> u32 {
        if let Some(r) = self.regions.iter().find(|r| r.key == key) {
            return r.base;
        }
        let base = self.next;
        self.next = (base + len + REDZONE).div_ceil(16) * 16;
        self.regions.push(Region {
            name,
            key,
            base,
            len,
            data: vec![POISON; (len * self.slots) as usize],
            shadow: vec![FRESH; (len * self.slots) as usize],
        });
        base
    }

    /// A new block (or cluster of blocks): every array holds poison again (the shadows are
    /// per block by serial).
    pub fn begin_block(&mut self) {
        for r in &mut self.regions {
            r.data.fill(POISON);
        }
    }

    /// The region holding all of `[addr, addr + n)`.
    pub fn locate(&mut self, addr: u32, n: u32) -> Located {
        let fits = |r: &Region| addr >= r.base && addr as u64 + n as u64 <= (r.base + r.len) as u64;
        if let Some(r) = self.regions.get(self.last)
            && fits(r)
        {
            return Located::In(self.last, addr - r.base);
        }
        if let Some(i) = self.regions.iter().position(fits) {
            self.last = i;
            return Located::In(i, addr - self.regions[i].base);
        }
        let below = self
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.base <= addr)
            .max_by_key(|(_, r)| r.base)
            .map(|(i, r)| (i, (addr + n).saturating_sub(r.base + r.len)));
        Located::Outside(below)
    }
}
