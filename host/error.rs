//! The one error type of the host: every failure is a value that names what failed.

use cudarc::driver::DriverError;

/// Everything the host can fail with. Driver errors carry the operation, and launch errors the
/// kernel and its launch configuration, so one line says what went wrong where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No CUDA driver library (`libcuda.so`) could be loaded.
    #[error("no CUDA driver: libcuda.so could not be loaded (is the NVIDIA driver installed?)")]
    NoDriver,
    /// The driver loaded but reports no device.
    #[error("no CUDA device: the driver reports {0} devices")]
    NoDevice(i32),
    /// A driver call failed.
    #[error("CUDA error in {op}: {source}")]
    Driver { op: String, source: DriverError },
    /// A kernel launch (or the kernel itself) failed.
    #[error(
        "kernel {kernel} (grid {grid:?}, block {block:?}, {smem} B dynamic smem) failed: {source}"
    )]
    Launch {
        kernel: String,
        grid: (u32, u32, u32),
        block: (u32, u32, u32),
        smem: u32,
        source: DriverError,
    },
    /// Registered kernels that are not in the embedded PTX.
    #[error("the PTX module lacks registered kernel(s): {}", .0.join(", "))]
    MissingSymbols(Vec<String>),
    /// A name that klab does not know (`what`: a kernel, a ladder); `help` suggests the
    /// closest known names, or lists them all ([`Error::unknown`]).
    #[error("no {what} named {name:?}; {help}")]
    Unknown {
        what: &'static str,
        name: String,
        help: String,
    },
    /// A command-line value klab cannot use: a flag value out of range, flags that exclude
    /// each other. The message names the flag and what it accepts.
    #[error("{0}")]
    Usage(String),
    /// A shape a kernel cannot take, or that cannot be parsed.
    #[error("bad shape {shape:?} for {what}: {why}")]
    Shape {
        what: String,
        shape: String,
        why: String,
    },
    /// The GPU result did not match the CPU reference.
    #[error("{kernel} at shape {shape}: result does not match the reference: {summary}")]
    Mismatch {
        kernel: String,
        shape: String,
        summary: String,
    },
    /// An external tool (ptxas, nvdisasm, ncu) is missing or failed.
    #[error("{tool}: {why}")]
    Tool { tool: String, why: String },
    /// A file could not be read or written, or has the wrong content.
    #[error("{path}: {why}")]
    File { path: String, why: String },
    /// A check of the CPU emulator failed: out-of-bounds or misaligned access, shared-memory
    /// race, divergent barrier, deadlock, ... (the message names kernel, block, thread, address).
    #[error("emulator: {0}")]
    Emulation(kernels_gpu::emu::Error),
    /// Something only a GPU does (timing, cuBLAS, NVRTC twins, a shape too large to emulate),
    /// asked of the CPU emulator.
    #[error(
        "not emulated: {0} needs a CUDA device; the CPU emulator runs only the Rust kernels (docs/emulator.md)"
    )]
    NotEmulated(String),
    /// Anything else with a clear message.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The error with what was being done in front (`"gemm_s09 at 4096x4096x4096"`), unless
    /// it already names its kernel or file, or is a usage error (which keeps its kind).
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        match self {
            Error::Launch { .. }
            | Error::Emulation(_)
            | Error::NotEmulated(_)
            | Error::Mismatch { .. }
            | Error::Shape { .. }
            | Error::File { .. }
            | Error::Unknown { .. }
            | Error::Usage(_) => self,
            other => Error::Other(format!("{what}: {other}")),
        }
    }

    /// Whether the error is a mistake in what was asked (an unknown name, a bad shape, a bad
    /// flag value) rather than a failure while doing it: `klab` exits 2 for these, 1 for the
    /// rest.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::Unknown { .. } | Error::Shape { .. } | Error::Usage(_)
        )
    }

    /// [`Error::Unknown`] for `name`, one of `known` misspelt or not there at all. When some
    /// known names are close (Jaro-Winkler similarity, case-insensitive), `help` is "did you
    /// mean" the closest, then the lines of the closest few and `everything` (where the full
    /// list is); otherwise it lists the line of every [`Known::listed`] one.
    pub fn unknown(what: &'static str, name: &str, known: &[Known], everything: &str) -> Self {
        let query = name.to_lowercase();
        let mut close: Vec<(f64, &str, &Known)> = known
            .iter()
            .filter_map(|k| {
                k.names
                    .iter()
                    .map(|n| (strsim::jaro_winkler(&query, &n.to_lowercase()), n.as_str()))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .filter(|(score, _)| *score >= CLOSE)
                    .map(|(score, n)| (score, n, k))
            })
            .collect();
        // Stable: equally close names keep the order they are known in.
        close.sort_by(|a, b| b.0.total_cmp(&a.0));
        close.truncate(SHORT_LIST);
        let help = match close.first() {
            Some((_, best, _)) => {
                let lines: Vec<&str> = close.iter().map(|(_, _, k)| k.line.as_str()).collect();
                format!(
                    "did you mean {best}? Close matches:\n{}\n({everything})",
                    lines.join("\n")
                )
            }
            None => {
                let lines: Vec<&str> = known
                    .iter()
                    .filter(|k| k.listed)
                    .map(|k| k.line.as_str())
                    .collect();
                format!("known {what}s:\n{}", lines.join("\n"))
            }
        };
        Error::Unknown {
            what,
            name: name.to_string(),
            help,
        }
    }
}

/// Similarity from which a known name counts as close to an unknown one (Jaro-Winkler: 1 is
/// equal; `saxpi/1` scores 0.94 against `saxpy/1`, `foo` below 0.5 against any kernel).
const CLOSE: f64 = 0.8;
/// How many close names an unknown-name error shows at most.
const SHORT_LIST: usize = 5;

/// One thing known by name, for [`Error::unknown`]: every spelling that names it (a kernel's
/// `ladder/step`, `ladder/slug` and symbol; the closest one is suggested), the line that
/// describes it in a list, and whether that line is in the full list (or only shown when
/// close: a kernel's second entry point).
#[derive(Debug, Clone)]
pub struct Known {
    pub names: Vec<String>,
    pub line: String,
    pub listed: bool,
}

/// The host's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the failing operation's name to a driver error.
pub trait DriverContext<T> {
    /// Wraps a driver error as [`Error::Driver`] with `op` as context.
    fn during(self, op: impl Into<String>) -> Result<T>;
}

impl<T> DriverContext<T> for std::result::Result<T, DriverError> {
    fn during(self, op: impl Into<String>) -> Result<T> {
        self.map_err(|source| Error::Driver {
            op: op.into(),
            source,
        })
    }
}
