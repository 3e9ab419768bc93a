//! Timing one step: CUDA events around the launches only; warm-up first; L2 flushed before
//! every repetition; in-place state reset outside the timed region (DESIGN.md §7).

use super::Stats;
use crate::error::{DriverContext, Result};
use crate::registry::{Case, StepInfo};
use crate::runtime::{EventTimer, Gpu};
use cudarc::driver::{CudaSlice, DevicePtr};

/// How many repetitions, and within what time.
#[derive(Debug, Clone, Copy)]
pub struct TimingOptions {
    /// Untimed runs first (module JIT, caches, clocks).
    pub warmup: usize,
    /// At least this many timed repetitions...
    pub min_reps: usize,
    /// ...and more until this much kernel time was measured, up to `max_reps`.
    pub budget_ms: f64,
    /// At most this many.
    pub max_reps: usize,
    /// Flush L2 before each repetition (memory-bound kernels).
    pub flush_l2: bool,
}

impl Default for TimingOptions {
    fn default() -> Self {
        Self {
            warmup: 3,
            min_reps: 10,
            budget_ms: 300.0,
            max_reps: 200,
            flush_l2: true,
        }
    }
}

/// A buffer twice the size of L2, written before each repetition so that no input stays cached.
pub struct L2Flush {
    buf: CudaSlice<u8>,
}

impl L2Flush {
    /// Allocates `2 × L2` bytes (at least 8 MiB).
    pub fn new(gpu: &Gpu) -> Result<Self> {
        let bytes = (2 * gpu.info().l2_bytes as usize).max(8 << 20);
        let buf = gpu
            .stream()
            .alloc_zeros::<u8>(bytes)
            .during("allocating the L2 flush buffer")?;
        Ok(Self { buf })
    }

    /// Writes the whole buffer (enqueued on the stream).
    pub fn flush(&self, gpu: &Gpu) -> Result<()> {
        let (addr, _s) = self.buf.device_ptr(gpu.stream());
        // SAFETY: exactly this allocation.
        unsafe {
            cudarc::driver::result::memset_d8_async(
                addr,
                0x5A,
                self.buf.len(),
                gpu.stream().cu_stream(),
            )
        }
        .during("flushing L2")
    }
}

/// Times `step` on `case`: `warmup` untimed runs, then repetitions each bracketed by events
/// (flush and reset happen before the start event), until `min_reps` and `budget_ms` are met.
pub fn time_case(
    gpu: &Gpu,
    case: &mut dyn Case,
    step: &StepInfo,
    opts: &TimingOptions,
    flush: Option<&L2Flush>,
) -> Result<Stats> {
    for _ in 0..opts.warmup {
        case.reset(gpu)?;
        case.run(gpu, step)?;
    }
    gpu.sync()?;
    let timer = EventTimer::new(gpu)?;
    let mut times = Vec::with_capacity(opts.max_reps);
    let mut total = 0.0;
    while times.len() < opts.max_reps && (times.len() < opts.min_reps || total < opts.budget_ms) {
        case.reset(gpu)?;
        if let (true, Some(f)) = (opts.flush_l2, flush) {
            f.flush(gpu)?;
        }
        timer.start(gpu)?;
        case.run(gpu, step)?;
        timer.stop(gpu)?;
        let ms = timer.elapsed_ms()?;
        total += ms;
        times.push(ms);
    }
    Ok(Stats::from_times(&times))
}
