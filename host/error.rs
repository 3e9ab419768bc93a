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
    /// A kernel name or id that no ladder registers.
    #[error("no kernel named {name:?}; registered kernels:\n{known}")]
    UnknownKernel { name: String, known: String },
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
    /// Anything else with a clear message.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The error with what was being done in front (`"gemm_s09 at 4096x4096x4096"`), unless
    /// it already names its kernel or file.
    pub fn context(self, what: impl std::fmt::Display) -> Self {
        match self {
            Error::Launch { .. }
            | Error::Mismatch { .. }
            | Error::Shape { .. }
            | Error::File { .. } => self,
            other => Error::Other(format!("{what}: {other}")),
        }
    }
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
