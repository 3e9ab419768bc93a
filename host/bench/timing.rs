//! Timing one step: CUDA events around the launches only; warm-up first; L2 flushed before
//! every repetition; in-place state reset outside the timed region (docs/architecture.md §7).

use super::Stats;
use crate::error::{DriverContext, Result};
use crate::registry::{Case, Target};
use crate::runtime::{DeviceBuffer, Launch};
use crate::runtime::{EventTimer, Gpu};
use kernels_gpu::GlobalPtrMut;
use kernels_gpu::ceiling::ReadStreamParams;

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

/// Flushes L2 before each timed repetition: writes a buffer of twice the L2 size, then reads
/// it back with the read-stream ceiling kernel. The write evicts every cached input; the read
/// evicts the write's own dirty lines, so their write-back to DRAM happens here and not inside
/// the next timed kernel (where it would steal bandwidth from a 100 µs reduction).
pub struct L2Flush {
    buf: DeviceBuffer<f32>,
    sink: DeviceBuffer<f32>,
    launch: Launch,
}

/// Threads per block and blocks per SM of the read-back pass.
const FLUSH_THREADS: u32 = 256;
const FLUSH_BLOCKS_PER_SM: u32 = 8;

impl L2Flush {
    /// Allocates `2 × L2` bytes (at least 8 MiB) and the read-back's per-thread sink.
    pub fn new(gpu: &Gpu) -> Result<Self> {
        gpu.needs_cuda("the L2 flush (timing)")?;
        let bytes = (2 * gpu.info().l2_bytes as usize).max(8 << 20);
        let buf = DeviceBuffer::<f32>::zeros(gpu, bytes / 4)?;
        let launch = Launch::linear(
            gpu.info().sm_count.max(1) as u32 * FLUSH_BLOCKS_PER_SM,
            FLUSH_THREADS,
        );
        let sink = DeviceBuffer::<f32>::zeros(gpu, (launch.grid.0 * FLUSH_THREADS) as usize)?;
        Ok(Self { buf, sink, launch })
    }

    /// Writes the whole buffer, then reads it back (both enqueued on the stream).
    pub fn flush(&self, gpu: &Gpu) -> Result<()> {
        // SAFETY: exactly this allocation.
        unsafe {
            cudarc::driver::result::memset_d8_async(
                self.buf.addr(),
                0x3F,
                self.buf.bytes(),
                gpu.stream().cu_stream(),
            )
        }
        .during("flushing L2 (write)")?;
        let p = ReadStreamParams {
            input: self.buf.ptr(),
            out: GlobalPtrMut::from_addr(self.sink.addr()),
            n4: (self.buf.len() / 4) as u32,
        };
        gpu.launch(
            kernels_gpu::ceiling::ceiling_read_stream::SYMBOL,
            self.launch,
            p,
        )
    }
}

impl TimingOptions {
    /// A short run for smoke tests (`klab bench --quick`): 1 warm-up, 3 to 10 repetitions
    /// within 30 ms of kernel time.
    pub fn quick() -> Self {
        Self {
            warmup: 1,
            min_reps: 3,
            budget_ms: 30.0,
            max_reps: 10,
            ..Self::default()
        }
    }

    /// Whether another repetition is due after `reps` repetitions totalling `total_ms`:
    /// until both `min_reps` and `budget_ms` are met, never more than `max_reps`.
    pub fn wants_more(&self, reps: usize, total_ms: f64) -> bool {
        reps < self.max_reps.max(1) && (reps < self.min_reps.max(1) || total_ms < self.budget_ms)
    }
}

/// Times `target` (a step or a baseline) on `case`: `warmup` untimed runs, then repetitions
/// each bracketed by events (flush and reset happen before the start event), until `min_reps`
/// and `budget_ms` are met.
pub fn time_case(
    gpu: &Gpu,
    case: &mut dyn Case,
    target: Target<'_>,
    opts: &TimingOptions,
    flush: Option<&L2Flush>,
) -> Result<Stats> {
    time_with_reset(gpu, opts, flush, case, |case, gpu| case.run(gpu, target))
}

fn time_with_reset(
    gpu: &Gpu,
    opts: &TimingOptions,
    flush: Option<&L2Flush>,
    case: &mut dyn Case,
    mut run: impl FnMut(&mut dyn Case, &Gpu) -> Result<()>,
) -> Result<Stats> {
    let case = std::cell::RefCell::new(case);
    time_fn(
        gpu,
        opts,
        flush,
        || case.borrow_mut().reset(gpu),
        || run(&mut **case.borrow_mut(), gpu),
    )
}

/// The timing loop: `warmup` untimed `reset` + `run`; then per repetition `reset` and the L2
/// flush (untimed, before the start event), and `run` alone between the two events. Only
/// `run`'s enqueued work is timed: no allocation, synchronisation or lookup happens between
/// the events (the stop event is waited for after it is recorded).
pub fn time_fn(
    gpu: &Gpu,
    opts: &TimingOptions,
    flush: Option<&L2Flush>,
    mut reset: impl FnMut() -> Result<()>,
    mut run: impl FnMut() -> Result<()>,
) -> Result<Stats> {
    for _ in 0..opts.warmup {
        reset()?;
        run()?;
    }
    gpu.sync()?;
    let timer = EventTimer::new(gpu)?;
    let mut times = Vec::with_capacity(opts.max_reps);
    let mut total = 0.0;
    while opts.wants_more(times.len(), total) {
        reset()?;
        if let (true, Some(f)) = (opts.flush_l2, flush) {
            f.flush(gpu)?;
        }
        timer.start(gpu)?;
        run()?;
        timer.stop(gpu)?;
        let ms = timer.elapsed_ms()?;
        total += ms;
        times.push(ms);
    }
    Ok(Stats::from_times(&times))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitions_by_count_and_by_budget() {
        let o = TimingOptions {
            min_reps: 10,
            budget_ms: 100.0,
            max_reps: 50,
            ..Default::default()
        };
        assert!(o.wants_more(9, 1e9), "at least min_reps");
        assert!(o.wants_more(10, 99.0), "until the budget is spent");
        assert!(!o.wants_more(10, 100.0));
        assert!(!o.wants_more(50, 0.0), "never past max_reps");
        let q = TimingOptions::quick();
        assert!(q.wants_more(0, 0.0) && !q.wants_more(q.max_reps, 0.0));
    }
}
