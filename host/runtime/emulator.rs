//! The CPU emulator as a [`super::Gpu`] backend: emulated memory for [`super::DeviceBuffer`]s
//! and launches of the kernels' host functions (`kernels_gpu::emu`), found by symbol in a table
//! built once from the registry's declarations (`registry::emulated_kernels`).

use super::Launch;
use crate::error::{Error, Result};
use kernels_gpu::KernelParams;
use kernels_gpu::emu::{self, HostKernel, LaunchConfig, Memory, Options, Warning};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Live bytes the emulator holds at most by default (`KLAB_EMU_MAX_MB` changes it): beyond
/// that, an allocation is [`Error::NotEmulated`] (the benchmark's shapes are for the GPU).
pub const DEFAULT_MAX_MB: usize = 512;

/// Warnings kept per emulator until [`Emulator::take_warnings`].
const MAX_WARNINGS: usize = 64;

/// The CPU emulator's state: its memory, options and the warnings of its launches.
pub struct Emulator {
    memory: Arc<Mutex<Memory>>,
    options: Options,
    warnings: Mutex<Vec<Warning>>,
    max_bytes: usize,
}

impl Emulator {
    pub(super) fn new(options: Options) -> Self {
        let max_mb = std::env::var("KLAB_EMU_MAX_MB")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_MAX_MB);
        Self {
            memory: Arc::new(Mutex::new(Memory::new())),
            options,
            warnings: Mutex::new(Vec::new()),
            max_bytes: max_mb << 20,
        }
    }

    /// How launches are run (seed, pre-emption, race checks).
    pub fn options(&self) -> &Options {
        &self.options
    }

    pub(super) fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn shared_memory(&self) -> Arc<Mutex<Memory>> {
        self.memory.clone()
    }

    /// A new zeroed allocation of `bytes` (`what`: `1024 × f32`, for messages).
    pub(super) fn alloc(&self, bytes: usize, what: String) -> Result<u64> {
        let mut m = self.memory();
        if m.live_bytes() + bytes > self.max_bytes {
            return Err(Error::NotEmulated(format!(
                "an allocation of {what} ({} MiB) is beyond the emulator's memory limit of {} \
                 MiB (KLAB_EMU_MAX_MB): the emulator is for small shapes",
                bytes >> 20,
                self.max_bytes >> 20
            )));
        }
        Ok(m.alloc(bytes, what))
    }

    /// The host kernel of registered PTX entry `symbol`.
    pub fn kernel(symbol: &str) -> Option<&'static HostKernel> {
        static TABLE: OnceLock<HashMap<&'static str, &'static HostKernel>> = OnceLock::new();
        TABLE
            .get_or_init(|| {
                crate::registry::emulated_kernels()
                    .map(|k| (k.symbol, k))
                    .collect()
            })
            .get(symbol)
            .copied()
    }

    /// Runs registered kernel `symbol` to its end.
    pub fn launch_symbol<P: KernelParams>(
        &self,
        symbol: &str,
        launch: Launch,
        params: &P,
    ) -> Result<()> {
        let kernel = Self::kernel(symbol).ok_or_else(|| {
            Error::NotEmulated(format!(
                "kernel {symbol}: it is not a registered kernel, so the emulator has no host \
                 function for it"
            ))
        })?;
        self.launch_kernel(kernel, launch, params)
    }

    /// Runs `kernel` (registered or not: a test's own) to its end. A check that fails is
    /// [`Error::Emulation`]; warnings are kept for [`Emulator::take_warnings`].
    pub fn launch_kernel<P: KernelParams>(
        &self,
        kernel: &HostKernel,
        launch: Launch,
        params: &P,
    ) -> Result<()> {
        let cfg = LaunchConfig {
            grid: launch.grid,
            block: launch.block,
            smem: launch.smem,
            cluster: launch.cluster,
        };
        // A launch a GPU refuses is `ErrorKind::Launch` here (not `Error::Launch`, whose
        // `DriverError` needs the driver to print itself).
        let report = emu::launch(&mut self.memory(), kernel, cfg, params, &self.options)
            .map_err(Error::Emulation)?;
        let mut w = self.warnings.lock().unwrap_or_else(|e| e.into_inner());
        for new in report.warnings {
            let same = |o: &Warning| o.kernel == new.kernel && o.message == new.message;
            if let Some(old) = w.iter_mut().find(|o| same(o)) {
                old.count += new.count;
            } else if w.len() < MAX_WARNINGS {
                w.push(new);
            }
        }
        Ok(())
    }

    /// The warnings of the launches since the last call.
    pub fn take_warnings(&self) -> Vec<Warning> {
        std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
