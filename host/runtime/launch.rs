//! Typed launches: a kernel symbol, a launch configuration and one parameter struct.

use super::Gpu;
use crate::error::{Error, Result};
use cudarc::driver::{CudaFunction, DeviceRepr, LaunchConfig};
use kernels_gpu::KernelParams;

/// A kernel's parameter struct as cudarc pushes it: by value, as the kernel's one parameter.
#[repr(transparent)]
pub struct ParamBlock<P>(pub P);

// SAFETY: `KernelParams` promises `#[repr(C)]` plain data.
unsafe impl<P: KernelParams> DeviceRepr for ParamBlock<P> {}

/// Launch geometry: grid, block, dynamic shared memory, the thread-block cluster (`(1, 1, 1)`:
/// none; sm_90 and later, [`Launch::with_cluster`]), and whether the launch is a programmatic
/// dependent of the previous one on its stream ([`Launch::with_programmatic`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Launch {
    pub grid: (u32, u32, u32),
    pub block: (u32, u32, u32),
    pub smem: u32,
    pub cluster: (u32, u32, u32),
    pub programmatic: bool,
}

impl Launch {
    /// A 1-D launch of `blocks` blocks of `threads` threads.
    pub fn linear(blocks: u32, threads: u32) -> Self {
        Self {
            grid: (blocks.max(1), 1, 1),
            block: (threads, 1, 1),
            smem: 0,
            cluster: (1, 1, 1),
            programmatic: false,
        }
    }

    /// A 1-D launch with one thread per element: `ceil(n / threads)` blocks.
    pub fn cover(n: usize, threads: u32) -> Self {
        Self::linear(n.div_ceil(threads as usize) as u32, threads)
    }

    /// A fixed grid for a grid-stride loop over `units` work items (elements, or vectors of
    /// them) with `threads` per block: `blocks_per_sm` blocks on each of `sm_count` SMs, but
    /// no more blocks than give every thread one item (at least one block).
    pub fn grid_stride(units: usize, threads: u32, blocks_per_sm: u32, sm_count: i32) -> Self {
        let full = units.div_ceil(threads as usize).max(1);
        let cap = sm_count.max(1) as usize * blocks_per_sm as usize;
        Self::linear(full.min(cap) as u32, threads)
    }

    /// A 2-D launch of `grid` blocks of `block` threads.
    pub fn grid_2d(grid: (u32, u32), block: (u32, u32)) -> Self {
        Self {
            grid: (grid.0.max(1), grid.1.max(1), 1),
            block: (block.0, block.1, 1),
            smem: 0,
            cluster: (1, 1, 1),
            programmatic: false,
        }
    }

    /// The same launch in clusters of `blocks` blocks along x (`cuLaunchKernelEx` with
    /// `CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION`): the grid's x must be a multiple of it, and
    /// the device of compute capability 9.0 or later (the launch says so otherwise).
    pub fn with_cluster(self, blocks: u32) -> Self {
        self.with_cluster_dims((blocks, 1, 1))
    }

    /// The same launch in clusters of `dims` blocks.
    pub fn with_cluster_dims(self, dims: (u32, u32, u32)) -> Self {
        Self {
            cluster: dims,
            ..self
        }
    }

    /// The same launch as a programmatic dependent launch (PDL, sm_90): `cuLaunchKernelEx` with
    /// `CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION` (allowed = 1), beside the
    /// cluster dimension if the launch has a cluster. Set it on the *dependent*, the second of
    /// two launches on one stream: that kernel may start once every block of the one before it
    /// has called `grid_dep::launch_dependents()` (or exited), and must call
    /// `grid_dep::wait_prerequisites()` before it reads what the one before wrote. Below
    /// compute capability 9.0 it launches as a plain launch, with the same results (the wait
    /// then returns at once: the one before has completed), as on the emulator, which runs
    /// launches one after the other.
    pub fn with_programmatic(self) -> Self {
        Self {
            programmatic: true,
            ..self
        }
    }

    /// Blocks per cluster (1 without a cluster).
    pub fn cluster_blocks(&self) -> u32 {
        self.cluster.0 * self.cluster.1 * self.cluster.2
    }

    /// The same launch with `bytes` of dynamic shared memory.
    pub fn with_smem(self, bytes: u32) -> Self {
        Self {
            smem: bytes,
            ..self
        }
    }
}

impl From<Launch> for LaunchConfig {
    fn from(l: Launch) -> Self {
        LaunchConfig {
            grid_dim: l.grid,
            block_dim: l.block,
            shared_mem_bytes: l.smem,
        }
    }
}

impl Gpu {
    /// Enqueues kernel `symbol` with `params` on the stream (asynchronous: a fault inside the
    /// kernel surfaces at the next sync). Above 48 KiB of dynamic shared memory the kernel's
    /// limit is raised first, once: only a launch asking for more than was already set on the
    /// kernel makes the attribute call.
    ///
    /// On the emulator the kernel's host function runs to its end before this returns, and a
    /// failed check (out of bounds, race, divergent barrier, ...) is [`Error::Emulation`].
    pub fn launch<P: KernelParams>(&self, symbol: &str, launch: Launch, params: P) -> Result<()> {
        if let Some(emu) = self.as_emulator() {
            self.record_launch(symbol, launch);
            return emu.launch_symbol(symbol, launch, &params);
        }
        let f = self.function(symbol)?;
        self.launch_function(&f, symbol, launch, params)
    }

    /// Runs a host kernel on the emulator: a kernel that is not registered (a test's own,
    /// `kernel!` in a test file: `<kernel>::EMULATED`). [`Error::NotEmulated`] on a GPU.
    pub fn launch_emulated<P: KernelParams>(
        &self,
        kernel: &kernels_gpu::emu::HostKernel,
        launch: Launch,
        params: P,
    ) -> Result<()> {
        let emu = self.as_emulator().ok_or_else(|| {
            Error::NotEmulated(format!(
                "host kernel {} runs only on the emulator (Gpu::emulator)",
                kernel.symbol
            ))
        })?;
        self.record_launch(kernel.symbol, launch);
        emu.launch_kernel(kernel, launch, &params)
    }

    /// Like [`Gpu::launch`], on a stream the caller owns (a raw `CUstream` as an integer: 0 is
    /// the legacy default stream), for memory the caller owns: what [`crate::ops`] launches on
    /// (PyTorch's current stream). The stream must belong to this device's primary context.
    /// The emulator runs the kernel as [`Gpu::launch`] does (it has no streams).
    pub fn launch_on<P: KernelParams>(
        &self,
        stream: u64,
        symbol: &str,
        launch: Launch,
        params: P,
    ) -> Result<()> {
        if let Some(emu) = self.as_emulator() {
            self.record_launch(symbol, launch);
            return emu.launch_symbol(symbol, launch, &params);
        }
        let f = self.function(symbol)?;
        self.launch_function_on(
            stream as cudarc::driver::sys::CUstream,
            &f,
            symbol,
            launch,
            params,
        )
    }

    /// Enqueues function `f` (from any module; `name` is for errors) with `params`.
    pub fn launch_function<P: KernelParams>(
        &self,
        f: &CudaFunction,
        name: &str,
        launch: Launch,
        params: P,
    ) -> Result<()> {
        self.needs_cuda(&format!("launching the CUDA function {name}"))?;
        self.launch_function_on(self.stream().cu_stream(), f, name, launch, params)
    }

    /// Enqueues function `f` with `params` on `stream`: `cuLaunchKernel`, or `cuLaunchKernelEx`
    /// when the launch has attributes (a cluster, a programmatic launch on sm_90).
    fn launch_function_on<P: KernelParams>(
        &self,
        stream: cudarc::driver::sys::CUstream,
        f: &CudaFunction,
        name: &str,
        launch: Launch,
        params: P,
    ) -> Result<()> {
        let err = launch_error(name, launch);
        self.record_launch(name, launch);
        if launch.cluster != (1, 1, 1) {
            self.check_cluster(name, launch)?;
        }
        self.ensure_dyn_smem(f, launch.smem).map_err(err)?;
        let block = ParamBlock(params);
        let mut args = [&block as *const ParamBlock<P> as *mut std::ffi::c_void];
        // Below sm_90 a programmatic launch is a plain one (stream order: the same results).
        let programmatic = launch.programmatic && self.info().compute_capability.0 >= 9;
        let mut ex = LaunchAttributes::of(launch, programmatic);
        let attrs = ex.as_mut_slice();
        if !attrs.is_empty() {
            // SAFETY: as below; the config and its attributes live across the call.
            return unsafe { launch_ex(f.cu_function(), launch, stream, attrs, &mut args) }
                .map_err(err);
        }
        // SAFETY: the kernel's one parameter is a `P` (the same struct, defined once in
        // kernels-gpu); the pointers in it are the caller's to keep alive until the stream syncs.
        unsafe {
            cudarc::driver::result::launch_kernel(
                f.cu_function(),
                launch.grid,
                launch.block,
                launch.smem,
                stream,
                &mut args,
            )
        }
        .map_err(err)
    }
}

impl Gpu {
    /// How many clusters of `launch` (its block, dynamic shared memory and cluster size) of
    /// kernel `symbol` the device holds at once (`cuOccupancyMaxActiveClusters`): what a
    /// persistent grid of clusters may launch without a second wave. On the emulator the SMs
    /// divided by the cluster's blocks.
    pub fn resident_clusters(&self, symbol: &str, launch: Launch) -> Result<usize> {
        let per = launch.cluster_blocks().max(1) as usize;
        if self.is_emulated() {
            return Ok((self.info().sm_count as usize / per).max(1));
        }
        let f = self.function(symbol)?;
        let key = (
            f.cu_function() as usize,
            launch.block,
            launch.smem,
            launch.cluster,
        );
        self.resident_clusters_cached(key, || {
            let err = launch_error(symbol, launch);
            self.ensure_dyn_smem(&f, launch.smem).map_err(err)?;
            use cudarc::driver::sys;
            // The cluster alone: stream serialization does not change what fits on the GPU.
            let mut attrs = LaunchAttributes::of(launch, false);
            let config = launch_config(launch, std::ptr::null_mut(), attrs.as_mut_slice());
            let mut n: std::ffi::c_int = 0;
            // SAFETY: `config` and `attrs` outlive the call; `n` is written by it.
            unsafe { sys::cuOccupancyMaxActiveClusters(&mut n, f.cu_function(), &config) }
                .result()
                .map_err(err)?;
            Ok((n.max(0) as usize).max(1))
        })
    }

    /// A cluster launch the device can run: compute capability 9.0 or later, and a grid that
    /// is a multiple of the cluster in every dimension.
    fn check_cluster(&self, name: &str, launch: Launch) -> Result<()> {
        let (major, minor) = self.info().compute_capability;
        let (g, c) = (launch.grid, launch.cluster);
        if major < 9 {
            return Err(Error::Other(format!(
                "kernel {name}: a launch in clusters of {c:?} blocks needs compute capability \
                 9.0 or later (thread-block clusters); {} is sm_{major}{minor}",
                self.info().name
            )));
        }
        if [c.0, c.1, c.2].contains(&0) || g.0 % c.0 != 0 || g.1 % c.1 != 0 || g.2 % c.2 != 0 {
            return Err(Error::Other(format!(
                "kernel {name}: grid {g:?} is not a multiple of the cluster {c:?}: each grid \
                 dimension must be a multiple of the cluster's"
            )));
        }
        Ok(())
    }
}

/// The [`Error::Launch`] of kernel `name`'s `launch` for a driver error.
fn launch_error(
    name: &str,
    launch: Launch,
) -> impl Fn(cudarc::driver::DriverError) -> Error + Copy + '_ {
    move |source| Error::Launch {
        kernel: name.to_string(),
        grid: launch.grid,
        block: launch.block,
        smem: launch.smem,
        source,
    }
}

/// `cuLaunchKernelEx` with `attrs`.
///
/// # Safety
/// As `cuLaunchKernel`: `args` are the kernel's parameters, alive until the stream syncs.
unsafe fn launch_ex(
    f: cudarc::driver::sys::CUfunction,
    launch: Launch,
    stream: cudarc::driver::sys::CUstream,
    attrs: &mut [cudarc::driver::sys::CUlaunchAttribute],
    args: &mut [*mut std::ffi::c_void],
) -> std::result::Result<(), cudarc::driver::DriverError> {
    use cudarc::driver::sys;
    let config = launch_config(launch, stream, attrs);
    // SAFETY: the caller's promise; `config` and `attrs` outlive the call.
    unsafe { sys::cuLaunchKernelEx(&config, f, args.as_mut_ptr(), std::ptr::null_mut()) }.result()
}

/// The `cuLaunchKernelEx` attributes of a launch, at most two, in this order:
/// `CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION` for a launch in clusters, then
/// `CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION` (allowed = 1) for a programmatic one.
/// None: a plain `cuLaunchKernel`.
struct LaunchAttributes {
    attrs: [cudarc::driver::sys::CUlaunchAttribute; 2],
    len: usize,
}

impl LaunchAttributes {
    /// The attributes of `launch`: its cluster if it has one, and programmatic stream
    /// serialization if `programmatic` (the caller's decision: the launch asks for it and the
    /// device has compute capability 9.0 or later).
    fn of(launch: Launch, programmatic: bool) -> Self {
        use cudarc::driver::sys::{self, CUlaunchAttributeID as Id};
        let empty = || sys::CUlaunchAttribute {
            id: Id::CU_LAUNCH_ATTRIBUTE_IGNORE,
            pad: [0; 4],
            value: sys::CUlaunchAttributeValue { pad: [0; 64] },
        };
        let mut a = Self {
            attrs: [empty(), empty()],
            len: 0,
        };
        if launch.cluster != (1, 1, 1) {
            let (x, y, z) = launch.cluster;
            let attr = &mut a.attrs[a.len];
            attr.id = Id::CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION;
            attr.value.clusterDim = sys::CUlaunchAttributeValue_union__bindgen_ty_1 { x, y, z };
            a.len += 1;
        }
        if programmatic {
            let attr = &mut a.attrs[a.len];
            attr.id = Id::CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
            attr.value.programmaticStreamSerializationAllowed = 1;
            a.len += 1;
        }
        a
    }

    fn as_mut_slice(&mut self) -> &mut [cudarc::driver::sys::CUlaunchAttribute] {
        &mut self.attrs[..self.len]
    }
}

/// The `CUlaunchConfig` of `launch` on `stream` with the attributes `attrs` (which must
/// outlive the config's use): what `cuLaunchKernelEx` and `cuOccupancyMaxActiveClusters` take.
fn launch_config(
    launch: Launch,
    stream: cudarc::driver::sys::CUstream,
    attrs: &mut [cudarc::driver::sys::CUlaunchAttribute],
) -> cudarc::driver::sys::CUlaunchConfig {
    cudarc::driver::sys::CUlaunchConfig {
        gridDimX: launch.grid.0,
        gridDimY: launch.grid.1,
        gridDimZ: launch.grid.2,
        blockDimX: launch.block.0,
        blockDimY: launch.block.1,
        blockDimZ: launch.block.2,
        sharedMemBytes: launch.smem,
        hStream: stream,
        attrs: attrs.as_mut_ptr(),
        numAttrs: attrs.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::Launch;
    use crate::bench::results::LaunchRecord;

    #[test]
    fn a_cluster_is_part_of_the_launch_and_of_its_record() {
        let plain = Launch::linear(8, 128).with_smem(1024);
        assert_eq!((plain.cluster, plain.cluster_blocks()), ((1, 1, 1), 1));
        let clustered = plain.with_cluster(4);
        assert_eq!(
            (clustered.cluster, clustered.cluster_blocks()),
            ((4, 1, 1), 4)
        );
        assert_eq!((clustered.grid, clustered.smem), (plain.grid, 1024));
        let r = LaunchRecord::of(&clustered, "k", "k");
        assert_eq!(r.cluster, Some([4, 1, 1]));
        assert!(
            serde_json::to_string(&r)
                .unwrap()
                .contains("\"cluster\":[4,1,1]")
        );
        // A launch without a cluster records none: the benchmark JSON is unchanged.
        let json = serde_json::to_string(&LaunchRecord::of(&plain, "k", "k")).unwrap();
        assert!(!json.contains("cluster"), "{json}");
    }

    #[test]
    fn a_programmatic_launch_is_part_of_the_launch_and_of_its_record() {
        let plain = Launch::linear(8, 128).with_smem(1024);
        assert!(!plain.programmatic);
        let pdl = plain.with_cluster(2).with_programmatic();
        assert!(pdl.programmatic);
        assert_eq!(
            (pdl.grid, pdl.block, pdl.smem),
            (plain.grid, plain.block, 1024)
        );
        assert_eq!(pdl.cluster, (2, 1, 1));
        assert_ne!(pdl, plain.with_cluster(2));
        assert!(format!("{pdl:?}").contains("programmatic: true"));
        let r = LaunchRecord::of(&pdl, "k", "k");
        assert!(r.programmatic);
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"programmatic\":true"), "{json}");
        let back: LaunchRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, r);
        // A plain launch records none: the benchmark JSON is unchanged.
        let json = serde_json::to_string(&LaunchRecord::of(&plain, "k", "k")).unwrap();
        assert!(!json.contains("programmatic"), "{json}");
    }

    #[test]
    fn launch_attributes_are_the_cluster_then_programmatic_serialization() {
        use super::{LaunchAttributes, launch_config};
        use cudarc::driver::sys::CUlaunchAttributeID as Id;
        let (cluster, pdl) = (
            Id::CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION,
            Id::CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION,
        );
        assert_eq!((cluster as u32, pdl as u32), (4, 6), "the driver API's ids");
        let plain = Launch::linear(8, 128).with_smem(256);
        let ids = |l: Launch, programmatic: bool| -> Vec<Id> {
            let mut a = LaunchAttributes::of(l, programmatic);
            a.as_mut_slice().iter().map(|a| a.id).collect()
        };
        // None: a plain cuLaunchKernel.
        assert_eq!(ids(plain, false), []);
        assert_eq!(ids(plain.with_cluster(4), false), [cluster]);
        assert_eq!(ids(plain.with_programmatic(), true), [pdl]);
        // Asked for, but below sm_90 (the caller passes false): a plain launch.
        assert_eq!(ids(plain.with_programmatic(), false), []);
        let both = plain.with_cluster_dims((4, 2, 1)).with_programmatic();
        assert_eq!(ids(both, true), [cluster, pdl]);

        let mut a = LaunchAttributes::of(both, true);
        let attrs = a.as_mut_slice();
        // SAFETY: each value is read as the member its id says was written.
        let (dims, allowed) = unsafe {
            let d = attrs[0].value.clusterDim;
            (
                (d.x, d.y, d.z),
                attrs[1].value.programmaticStreamSerializationAllowed,
            )
        };
        assert_eq!((dims, allowed), ((4, 2, 1), 1));
        let mut a = LaunchAttributes::of(plain.with_programmatic(), true);
        let attrs = a.as_mut_slice();
        // SAFETY: as above.
        let allowed = unsafe { attrs[0].value.programmaticStreamSerializationAllowed };
        assert_eq!(allowed, 1);

        let mut a = LaunchAttributes::of(both, true);
        let attrs = a.as_mut_slice();
        let ptr = attrs.as_ptr();
        let c = launch_config(both, std::ptr::null_mut(), attrs);
        assert_eq!((c.numAttrs, c.attrs.cast_const()), (2, ptr));
        assert_eq!(
            (c.gridDimX, c.gridDimY, c.blockDimX, c.sharedMemBytes),
            (8, 1, 128, 256)
        );
    }
}
