//! CUDA event pairs with timing enabled (`CU_EVENT_DEFAULT`: `new_event(None)` would disable
//! timing and `elapsed_ms` fails with CUDA_ERROR_INVALID_HANDLE, docs/architecture.md §5).

use super::Gpu;
use crate::error::{DriverContext, Result};
use cudarc::driver::CudaEvent;
use cudarc::driver::sys::CUevent_flags;

/// A start/stop pair of timing events on the [`Gpu`]'s stream.
pub struct EventTimer {
    start: CudaEvent,
    stop: CudaEvent,
}

impl EventTimer {
    /// Two events with timing enabled.
    pub fn new(gpu: &Gpu) -> Result<Self> {
        gpu.needs_cuda("timing (CUDA events); the emulator has no timing")?;
        let ev = || {
            gpu.context()
                .new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
                .during("creating a timing event")
        };
        Ok(Self {
            start: ev()?,
            stop: ev()?,
        })
    }

    /// Records the start event.
    pub fn start(&self, gpu: &Gpu) -> Result<()> {
        self.start
            .record(gpu.stream())
            .during("recording the start event")
    }

    /// Records the stop event.
    pub fn stop(&self, gpu: &Gpu) -> Result<()> {
        self.stop
            .record(gpu.stream())
            .during("recording the stop event")
    }

    /// Milliseconds between the two events (waits for the stop event).
    pub fn elapsed_ms(&self) -> Result<f64> {
        self.stop
            .synchronize()
            .during("waiting for the stop event")?;
        Ok(self
            .start
            .elapsed_ms(&self.stop)
            .during("cuEventElapsedTime")? as f64)
    }
}
