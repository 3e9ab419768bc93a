//! What an emulated launch reports: an [`Error`] that stops it (named by kernel, block, thread
//! and address or offset), or [`Warning`]s that do not.

use core::fmt;
use std::format;
use std::string::String;
use std::vec::Vec;

/// The kind of an emulation [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The launch configuration is one a GPU refuses (block too large, over the launch
    /// bounds, too much shared memory, a zero dimension).
    Launch,
    /// The parameter struct is not the kernel's (the GPU would not notice).
    Params,
    /// A global-memory access outside every live allocation (past an end, freed, unallocated).
    OutOfBounds,
    /// A shared-memory access outside every shared array.
    SharedOutOfBounds,
    /// An access at an address not aligned to its size.
    Misaligned,
    /// Two threads touch the same shared-memory byte between two barriers, one of them writing.
    Race,
    /// A `sync_threads()` that not every thread of the block reaches, or different ones.
    DivergentBarrier,
    /// Threads wait for each other forever (a warp collective waiting for a lane at a barrier).
    Deadlock,
    /// A warp collective the lanes of its mask do not all call alike, or that reads a lane
    /// which does not take part.
    WarpCollective,
    /// The kernel's Rust code panicked (an overflow, an index out of a Rust array, ...).
    Panic,
    /// A device-API function the emulator does not model.
    NotEmulated,
}

impl ErrorKind {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Launch => "invalid launch",
            ErrorKind::Params => "wrong parameters",
            ErrorKind::OutOfBounds => "out-of-bounds global access",
            ErrorKind::SharedOutOfBounds => "out-of-bounds shared access",
            ErrorKind::Misaligned => "misaligned access",
            ErrorKind::Race => "shared-memory race",
            ErrorKind::DivergentBarrier => "divergent barrier",
            ErrorKind::Deadlock => "deadlock",
            ErrorKind::WarpCollective => "invalid warp collective",
            ErrorKind::Panic => "kernel panicked",
            ErrorKind::NotEmulated => "not emulated",
        }
    }
}

/// An error that stopped an emulated launch: `kernel: kind in block (x, y, z)[, thread (x, y, z)]:
/// message`. The message says what was accessed where and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kernel: String,
    pub kind: ErrorKind,
    /// The block it happened in, if it happened while a block ran.
    pub block: Option<[u32; 3]>,
    /// The thread (`threadIdx`), if one thread caused it.
    pub thread: Option<[u32; 3]>,
    pub message: String,
}

impl Error {
    pub(crate) fn launch(kernel: &str, kind: ErrorKind, message: String) -> Self {
        Self {
            kernel: kernel.into(),
            kind,
            block: None,
            thread: None,
            message,
        }
    }
}

/// `(x, y, z)`.
pub(crate) fn xyz(v: [u32; 3]) -> String {
    format!("({}, {}, {})", v[0], v[1], v[2])
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kernel, self.kind.name())?;
        if let Some(b) = self.block {
            write!(f, " in block {}", xyz(b))?;
        }
        if let Some(t) = self.thread {
            write!(f, ", thread {}", xyz(t))?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Error {}

/// Something suspicious that did not stop the launch: a read of shared memory that no thread of
/// the block wrote before it. Counted per shared array and source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub kernel: String,
    pub message: String,
    /// How many accesses it stands for.
    pub count: u64,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: {}: {}", self.kernel, self.message)?;
        if self.count > 1 {
            write!(f, " ({} such reads)", self.count)?;
        }
        Ok(())
    }
}

/// Thread indices of a block as compact ranges of linear indices: `0..=15, 32`.
pub(crate) fn ranges(ids: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        out.push(if end == start {
            format!("{start}")
        } else {
            format!("{start}..={end}")
        });
        i += 1;
    }
    if out.len() > 8 {
        let n = out.len();
        out.truncate(8);
        out.push(format!("… ({} more ranges)", n - 8));
    }
    out.join(", ")
}
