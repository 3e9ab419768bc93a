//! Device discovery, the context and the kernels' modules, loaded once per [`Gpu`]: the base
//! module always, the sm_90a module besides it on a device of compute capability 9.0 (its
//! kernels run nowhere else; the base module's kernels keep running from the base module
//! there, so their code and numbers do not depend on the device having sm_90a).

use super::{Emulator, Launch};
use crate::error::{DriverContext, Error, Result};
use crate::ptx;
use cudarc::driver::sys::CUdevice_attribute as Attr;
use cudarc::driver::sys::CUfunction_attribute;
use cudarc::driver::{CudaContext, CudaFunction, CudaModule, CudaStream};
use cudarc::nvrtc::Ptx;
use kernels_gpu::step::Arch;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Whether a CUDA driver library can be loaded. cudarc panics on first use without one
/// (docs/architecture.md §5), so everything checks this first.
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the driver library.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// The device name the emulator reports.
pub const EMULATOR_NAME: &str = "CPU emulator (kernels_gpu::emu)";

/// What `klab info` prints and the benchmark JSON records about the device.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    pub name: String,
    pub ordinal: usize,
    pub compute_capability: (i32, i32),
    pub sm_count: i32,
    pub clock_mhz: i32,
    pub memory_clock_mhz: i32,
    pub memory_bus_bits: i32,
    pub total_memory_bytes: usize,
    pub l2_bytes: i32,
    pub smem_per_block_optin: i32,
    pub smem_per_sm: i32,
    pub regs_per_sm: i32,
    pub max_threads_per_sm: i32,
    pub driver_version: String,
}

/// One device: its primary context, one stream, and the kernels' modules (loaded once: the
/// base module, and the sm_90a module where the device runs it).
/// Functions are looked up once and cached. Event tracking is off: all our work is ordered on
/// the one stream, and external pointers (e.g. PyTorch's) carry no cudarc events anyway.
///
/// Or the CPU emulator ([`Gpu::emulator`], docs/emulator.md): the same launches, buffers and
/// copies, run by `kernels_gpu::emu` on the host with bounds, race and barrier checks. What
/// only a GPU has (the CUDA context and stream, timing events, NVRTC twins, cuBLAS) is then
/// [`Error::NotEmulated`].
pub struct Gpu {
    backend: Backend,
    launches: Mutex<LaunchLog>,
    info: DeviceInfo,
}

enum Backend {
    Cuda(Box<Cuda>),
    Emulator(Emulator),
}

struct Cuda {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    /// The loaded kernel modules, by architecture (base first).
    modules: Vec<(Arch, Arc<CudaModule>)>,
    functions: Mutex<HashMap<String, CudaFunction>>,
    extra_modules: Mutex<HashMap<String, Arc<CudaModule>>>,
    smem_limits: Mutex<SmemLimits>,
    /// `cuOccupancyMaxActiveClusters` answers, by `CUfunction` handle, block, dynamic shared
    /// memory and cluster ([`Gpu::resident_clusters`]): asked once per kernel and geometry,
    /// not on every launch of an op.
    resident_clusters: Mutex<HashMap<ClusterQuery, usize>>,
}

/// What [`Gpu::resident_clusters`]'s answer depends on.
pub(super) type ClusterQuery = (usize, (u32, u32, u32), u32, (u32, u32, u32));

/// The dynamic shared-memory limit (`CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES`) set so
/// far on each kernel, keyed by its `CUfunction` handle (the attribute belongs to the
/// function, and a twin module may reuse a name). Only a launch asking for more than the
/// kernel's current limit raises it, so repeated launches make no attribute call.
#[derive(Default)]
struct SmemLimits {
    by_function: HashMap<usize, u32>,
}

impl SmemLimits {
    /// Whether `bytes` exceeds both the 48 KiB every kernel may use without opting in and the
    /// limit already set on `function`.
    fn needs_raise(&self, function: usize, bytes: u32) -> bool {
        bytes > 48 * 1024
            && self
                .by_function
                .get(&function)
                .is_none_or(|&set| bytes > set)
    }

    /// Records that `function`'s limit is now `bytes`.
    fn raised(&mut self, function: usize, bytes: u32) {
        self.by_function.insert(function, bytes);
    }
}

/// The last (and the first) [`Launch`] of every symbol launched through
/// [`Gpu::launch_function`] since the log was cleared, with a sequence number so the most
/// recent of several symbols can be found. Recording one launch is a hash-map update (an
/// allocation only the first time a symbol is seen).
#[derive(Default)]
struct LaunchLog {
    seq: u64,
    /// symbol → (sequence number of its last launch, its first launch)
    by_symbol: HashMap<String, (u64, Launch)>,
}

impl LaunchLog {
    fn record(&mut self, symbol: &str, launch: Launch) {
        self.seq += 1;
        let seq = self.seq;
        match self.by_symbol.get_mut(symbol) {
            Some(slot) => slot.0 = seq,
            None => {
                self.by_symbol.insert(symbol.to_string(), (seq, launch));
            }
        }
    }

    fn first(&self, symbol: &str) -> Option<Launch> {
        self.by_symbol.get(symbol).map(|(_, f)| *f)
    }

    fn latest(&self, keep: impl Fn(&str) -> bool) -> Option<(String, Launch)> {
        self.by_symbol
            .iter()
            .filter(|(s, _)| keep(s))
            .max_by_key(|(_, (seq, _))| *seq)
            .map(|(s, (_, first))| (s.clone(), *first))
    }
}

impl Gpu {
    /// Opens device `ordinal`, loads the embedded PTX modules it runs (the base module, and on
    /// compute capability 9.0 the sm_90a module too), and checks first that every kernel
    /// registered for each of them is in it ([`Error::MissingSymbols`] names the missing ones).
    pub fn open(ordinal: usize) -> Result<Self> {
        if !driver_present() {
            return Err(Error::NoDriver);
        }
        let count = CudaContext::device_count().during("cuDeviceGetCount")?;
        if count <= ordinal as i32 {
            return Err(Error::NoDevice(count));
        }
        let ctx = CudaContext::new(ordinal).during("creating the context")?;
        // SAFETY: we order all work on one stream ourselves.
        unsafe { ctx.disable_event_tracking() };
        let info = DeviceInfo::query(&ctx)?;
        let mut modules = Vec::new();
        for arch in Self::module_archs(info.compute_capability) {
            let text = ptx::module(arch);
            let missing = ptx::missing_entries(text, crate::registry::module_symbols(arch));
            if !missing.is_empty() {
                return Err(Error::MissingSymbols(missing));
            }
            let module = ctx
                .load_module(Ptx::from_src(text))
                .during(format!("loading the kernels' {} PTX module", arch.name()))?;
            modules.push((arch, module));
        }
        let stream = ctx.default_stream();
        Ok(Self {
            backend: Backend::Cuda(Box::new(Cuda {
                ctx,
                stream,
                modules,
                functions: Mutex::new(HashMap::new()),
                extra_modules: Mutex::new(HashMap::new()),
                smem_limits: Mutex::new(SmemLimits::default()),
                resident_clusters: Mutex::new(HashMap::new()),
            })),
            launches: Mutex::new(LaunchLog::default()),
            info,
        })
    }

    /// The CPU emulator instead of a device, with its options from the environment
    /// (`KLAB_EMU_SEED`, `KLAB_EMU_PREEMPT`, ...; `kernels_gpu::emu::Options::from_env`).
    pub fn emulator() -> Self {
        Self::emulated(kernels_gpu::emu::Options::from_env())
    }

    /// The CPU emulator with these options.
    pub fn emulated(options: kernels_gpu::emu::Options) -> Self {
        Self {
            backend: Backend::Emulator(Emulator::new(options)),
            launches: Mutex::new(LaunchLog::default()),
            info: DeviceInfo::emulated(),
        }
    }

    /// The device if there is one (`KLAB_DEVICE`), else the emulator when `emulate` is set; a
    /// missing device without `emulate` is [`Error::NoDriver`] / [`Error::NoDevice`].
    pub fn open_or_emulate(emulate: bool) -> Result<Self> {
        if emulate {
            Ok(Self::emulator())
        } else {
            Self::open_default()
        }
    }

    /// Whether this is the CPU emulator.
    pub fn is_emulated(&self) -> bool {
        matches!(self.backend, Backend::Emulator(_))
    }

    /// The emulator, if this is one.
    pub fn as_emulator(&self) -> Option<&Emulator> {
        match &self.backend {
            Backend::Emulator(e) => Some(e),
            Backend::Cuda(_) => None,
        }
    }

    /// The CUDA side; `what` needs a GPU, which the emulator is not (a programming error: the
    /// callers that can run emulated check [`Gpu::is_emulated`] first).
    fn cuda(&self, what: &str) -> &Cuda {
        match &self.backend {
            Backend::Cuda(c) => c,
            Backend::Emulator(_) => panic!(
                "{what} needs a CUDA device, and this Gpu is the CPU emulator (docs/emulator.md)"
            ),
        }
    }

    /// [`Error::NotEmulated`] for `what` when this is the emulator.
    pub fn needs_cuda(&self, what: &str) -> Result<()> {
        if self.is_emulated() {
            Err(Error::NotEmulated(format!(
                "{what} needs a CUDA device; the CPU emulator runs only the Rust kernels"
            )))
        } else {
            Ok(())
        }
    }

    /// Device 0, or `KLAB_DEVICE` if set.
    pub fn open_default() -> Result<Self> {
        let ordinal = match std::env::var("KLAB_DEVICE") {
            Ok(v) => v
                .parse()
                .map_err(|_| Error::Other(format!("KLAB_DEVICE={v:?} is not a device number")))?,
            Err(_) => 0,
        };
        Self::open(ordinal)
    }

    /// The modules a device of compute capability `cc` loads: the base module always (the
    /// driver rejects it on a device older than its target), the sm_90a module where it runs
    /// and has kernels.
    pub fn module_archs(cc: (i32, i32)) -> Vec<Arch> {
        Arch::ALL
            .into_iter()
            .filter(|&a| {
                a == Arch::Sm80 || (a.runs_on(cc) && !ptx::entry_names(ptx::module(a)).is_empty())
            })
            .collect()
    }

    /// The device's properties.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Whether the device runs kernels of architecture `arch` (their module is loaded, or would
    /// be if it had kernels).
    pub fn supports(&self, arch: Arch) -> bool {
        self.is_emulated() || arch == Arch::Sm80 || arch.runs_on(self.info.compute_capability)
    }

    /// Why `step` does not run on this device, if it does not: one line to print when skipping
    /// it ([`crate::ladder::StepInfo::unsupported_on`]).
    /// On the emulator, the sm_90a steps (wgmma, TMA, mbarrier, setmaxnreg), which it does not
    /// model (docs/emulator.md); launched anyway, they stop with "not emulated" (as
    /// `tests/emulator.rs` checks). The sm_80 tensor-core steps (mma.sync, ldmatrix, cp.async)
    /// are emulated.
    pub fn skips(&self, step: &crate::ladder::StepInfo) -> Option<String> {
        if self.is_emulated() {
            let handle = step.handle();
            return (step.arch == Arch::Sm90a).then(|| {
                format!(
                    "{handle}: skipped: not emulated: sm_90a (wgmma, TMA, mbarrier; \
                     docs/emulator.md)"
                )
            });
        }
        step.unsupported_on(self.info.compute_capability, &self.info.name)
    }

    /// The context (for cuBLAS, NVRTC and events). Panics on the emulator.
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.cuda("the CUDA context").ctx
    }

    /// The stream all our work runs on. Panics on the emulator.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.cuda("the CUDA stream").stream
    }

    /// The kernel `symbol` from the embedded module that defines it (looked up once, then
    /// cached). A kernel of a module this device does not load (an sm_90a kernel elsewhere
    /// than on compute capability 9.0) is an error that says so.
    pub fn function(&self, symbol: &str) -> Result<CudaFunction> {
        self.needs_cuda(&format!("the CUDA function of {symbol}"))?;
        let cuda = self.cuda("a CUDA function");
        let mut cache = cuda.functions.lock().expect("function cache poisoned");
        if let Some(f) = cache.get(symbol) {
            return Ok(f.clone());
        }
        let arch = ptx::module_of(symbol).unwrap_or(Arch::Sm80);
        let module = cuda
            .modules
            .iter()
            .find(|(a, _)| *a == arch)
            .map(|(_, m)| m)
            .ok_or_else(|| {
                Error::Other(format!(
                    "kernel {symbol} is in the {} module, which {} (sm_{}{}) does not run",
                    arch.name(),
                    self.info.name,
                    self.info.compute_capability.0,
                    self.info.compute_capability.1
                ))
            })?;
        let f = module
            .load_function(symbol)
            .during(format!("looking up kernel {symbol}"))?;
        cache.insert(symbol.to_string(), f.clone());
        Ok(f)
    }

    /// Waits for all work on the stream; errors of earlier asynchronous launches surface here.
    /// (The emulator runs each launch to its end: nothing to wait for.)
    pub fn sync(&self) -> Result<()> {
        match &self.backend {
            Backend::Cuda(c) => c.stream.synchronize().during("synchronizing the stream"),
            Backend::Emulator(_) => Ok(()),
        }
    }

    fn launch_log(&self) -> std::sync::MutexGuard<'_, LaunchLog> {
        self.launches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers `launch` as the last launch of `symbol` (called by every launch).
    pub(super) fn record_launch(&self, symbol: &str, launch: Launch) {
        self.launch_log().record(symbol, launch);
    }

    /// Raises `f`'s dynamic shared-memory limit to `bytes` if `bytes` is above 48 KiB and
    /// above the limit already set on it; otherwise does nothing (no driver call).
    pub(super) fn ensure_dyn_smem(
        &self,
        f: &CudaFunction,
        bytes: u32,
    ) -> std::result::Result<(), cudarc::driver::DriverError> {
        let key = f.cu_function() as usize;
        let cuda = self.cuda("a dynamic shared-memory limit");
        let mut limits = cuda.smem_limits.lock().unwrap_or_else(|e| e.into_inner());
        if limits.needs_raise(key, bytes) {
            f.set_attribute(
                CUfunction_attribute::CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                bytes as i32,
            )?;
            limits.raised(key, bytes);
        }
        Ok(())
    }

    /// The cached answer for `key`, else `ask()`'s, then cached.
    pub(super) fn resident_clusters_cached(
        &self,
        key: ClusterQuery,
        ask: impl FnOnce() -> Result<usize>,
    ) -> Result<usize> {
        let cuda = self.cuda("a resident-cluster count");
        if let Some(&n) = cuda
            .resident_clusters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(n);
        }
        let n = ask()?;
        cuda.resident_clusters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, n);
        Ok(n)
    }

    /// The first launch of `symbol` since [`Gpu::forget_launches`]: for a kernel launched
    /// several times per run (a multi-pass reduction) its main pass.
    pub fn first_launch(&self, symbol: &str) -> Option<Launch> {
        self.launch_log().first(symbol)
    }

    /// The symbol launched most recently among those `keep` accepts, with its first launch
    /// since [`Gpu::forget_launches`].
    pub fn latest_launched(&self, keep: impl Fn(&str) -> bool) -> Option<(String, Launch)> {
        self.launch_log().latest(keep)
    }

    /// Forgets every recorded launch (the benchmark does this before timing each kernel).
    pub fn forget_launches(&self) {
        self.launch_log().by_symbol.clear();
    }

    /// Another module (e.g. a CUDA C++ twin compiled with NVRTC), built by `make` and loaded
    /// the first time `name` is asked for, then cached for the life of the [`Gpu`].
    pub fn cached_module(
        &self,
        name: &str,
        make: impl FnOnce() -> Result<Ptx>,
    ) -> Result<Arc<CudaModule>> {
        self.needs_cuda(&format!("module {name} (NVRTC)"))?;
        let cuda = self.cuda("a CUDA module");
        let mut cache = cuda.extra_modules.lock().expect("module cache poisoned");
        if let Some(m) = cache.get(name) {
            return Ok(m.clone());
        }
        let m = cuda
            .ctx
            .load_module(make()?)
            .during(format!("loading module {name}"))?;
        cache.insert(name.to_string(), m.clone());
        Ok(m)
    }
}

impl DeviceInfo {
    /// What the emulator reports: the sm_80 programming model (the PTX target's), 2 "SMs" so
    /// grid-stride loops launch few blocks and loop over many elements each, sm_90's shared-memory
    /// limits.
    fn emulated() -> Self {
        Self {
            name: EMULATOR_NAME.into(),
            ordinal: 0,
            compute_capability: (8, 0),
            sm_count: 2,
            clock_mhz: 0,
            memory_clock_mhz: 0,
            memory_bus_bits: 0,
            total_memory_bytes: 0,
            l2_bytes: 0,
            smem_per_block_optin: 227 * 1024,
            smem_per_sm: 228 * 1024,
            regs_per_sm: 65536,
            max_threads_per_sm: 2048,
            driver_version: "none (CPU emulator)".into(),
        }
    }

    fn query(ctx: &Arc<CudaContext>) -> Result<Self> {
        let a = |attr: Attr| {
            ctx.attribute(attr)
                .during(format!("cuDeviceGetAttribute({attr:?})"))
        };
        let mut driver = 0i32;
        // SAFETY: writes one int.
        unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut driver) }
            .result()
            .during("cuDriverGetVersion")?;
        Ok(Self {
            name: ctx.name().during("cuDeviceGetName")?,
            ordinal: ctx.ordinal(),
            compute_capability: ctx.compute_capability().during("compute capability")?,
            sm_count: a(Attr::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?,
            clock_mhz: a(Attr::CU_DEVICE_ATTRIBUTE_CLOCK_RATE)? / 1000,
            memory_clock_mhz: a(Attr::CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE)? / 1000,
            memory_bus_bits: a(Attr::CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH)?,
            total_memory_bytes: ctx.total_mem().during("cuDeviceTotalMem")?,
            l2_bytes: a(Attr::CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE)?,
            smem_per_block_optin: a(Attr::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)?,
            smem_per_sm: a(Attr::CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR)?,
            regs_per_sm: a(Attr::CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR)?,
            max_threads_per_sm: a(Attr::CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR)?,
            driver_version: format!("{}.{}", driver / 1000, (driver % 1000) / 10),
        })
    }

    /// `sm_XY` of the device.
    pub fn arch(&self) -> String {
        format!(
            "sm_{}{}",
            self.compute_capability.0, self.compute_capability.1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_launch_log_keeps_the_first_launch_and_the_latest_symbol() {
        let mut log = LaunchLog::default();
        assert_eq!(log.first("a"), None);
        let (big, small) = (Launch::linear(1024, 256), Launch::linear(1, 256));
        log.record("a", big);
        log.record("flush", Launch::linear(8, 128));
        log.record("a", small);
        assert_eq!(log.first("a"), Some(big));
        assert_eq!(log.latest(|_| true), Some(("a".to_string(), big)));
        log.record("flush", Launch::linear(8, 128));
        assert_eq!(
            log.latest(|s| s != "flush").map(|(s, _)| s).as_deref(),
            Some("a")
        );
        assert_eq!(log.latest(|s| s == "b"), None);
        log.by_symbol.clear();
        assert_eq!(log.first("a"), None);
    }

    #[test]
    fn the_smem_limit_is_raised_only_above_what_was_set() {
        let mut limits = SmemLimits::default();
        let (f, g) = (0x1000, 0x2000);
        assert!(!limits.needs_raise(f, 0));
        assert!(!limits.needs_raise(f, 48 * 1024), "48 KiB needs no opt-in");
        assert!(limits.needs_raise(f, 64 * 1024));
        limits.raised(f, 64 * 1024);
        assert!(
            !limits.needs_raise(f, 64 * 1024),
            "already set: no second call"
        );
        assert!(!limits.needs_raise(f, 50 * 1024), "below the limit set");
        assert!(limits.needs_raise(f, 96 * 1024), "above it: raised again");
        assert!(limits.needs_raise(g, 64 * 1024), "per function");
    }
}
