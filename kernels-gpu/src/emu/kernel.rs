//! [`HostKernel`]: a kernel compiled for the host, as `kernel!` declares it beside its PTX entry.

use core::fmt;

/// One kernel's host function, the emulator's view of a PTX entry: `kernel!` emits it as
/// `<kernel>::EMULATED`, beside `<kernel>::SYMBOL`, and the host registry collects them from the
/// same declarations as the symbols (`Step::emulated`), so no table is kept by hand.
#[derive(Clone, Copy)]
pub struct HostKernel {
    /// The PTX entry name it stands for.
    pub symbol: &'static str,
    /// `kernel!`'s `#[launch_bounds(T, B)]`: a launch of more than `T` threads fails, as on the GPU.
    pub launch_bounds: Option<(u32, u32)>,
    run: fn(*const u8),
    params_type: fn() -> &'static str,
    params_size: usize,
}

impl HostKernel {
    /// Built by `kernel!` only: `run` reads the parameter struct from the pointer it is given
    /// and calls the kernel's body.
    #[doc(hidden)]
    pub const fn new(
        symbol: &'static str,
        launch_bounds: Option<(u32, u32)>,
        run: fn(*const u8),
        params_type: fn() -> &'static str,
        params_size: usize,
    ) -> Self {
        Self {
            symbol,
            launch_bounds,
            run,
            params_type,
            params_size,
        }
    }

    /// The Rust type of the kernel's parameter struct (`kernels_gpu::saxpy::SaxpyParams<f32>`).
    pub fn params_type(&self) -> &'static str {
        (self.params_type)()
    }

    /// Size in bytes of the parameter struct.
    pub fn params_size(&self) -> usize {
        self.params_size
    }

    /// Runs the body for the current emulated thread; `params` points at a `P` of
    /// [`HostKernel::params_type`].
    pub(crate) fn call(&self, params: *const u8) {
        (self.run)(params)
    }
}

impl fmt::Debug for HostKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostKernel")
            .field("symbol", &self.symbol)
            .field("params", &self.params_type())
            .finish()
    }
}

/// The type name of a host kernel's parameter struct, from the kernel function (for `kernel!`).
#[doc(hidden)]
pub const fn params_type_of<P>(_kernel: fn(P)) -> fn() -> &'static str {
    core::any::type_name::<P>
}

/// The size of a host kernel's parameter struct, from the kernel function (for `kernel!`).
#[doc(hidden)]
pub const fn params_size_of<P>(_kernel: fn(P)) -> usize {
    core::mem::size_of::<P>()
}
