//! CUDA C++ twins: the same algorithm as a Rust step, written in CUDA C++, compiled at run time
//! with NVRTC for the device's architecture, launched with the very same parameter struct
//! (the C++ side declares a struct of identical layout).

use crate::error::{Error, Result};
use crate::runtime::{Gpu, Launch};
use cudarc::driver::{CudaFunction, CudaModule};
use cudarc::nvrtc::CompileOptions;
use kernels_gpu::KernelParams;
use std::sync::Arc;

/// A compiled CUDA C++ module.
pub struct Twin {
    name: String,
    module: Arc<CudaModule>,
}

/// The device's architecture as NVRTC wants it (`sm_90`), leaked once per distinct value
/// because cudarc's options take `&'static str`.
fn arch_option(gpu: &Gpu) -> &'static str {
    static ARCHS: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let arch = gpu.info().arch();
    let mut known = ARCHS.lock().expect("arch list poisoned");
    if let Some(a) = known.iter().find(|a| **a == arch) {
        return a;
    }
    let leaked: &'static str = Box::leak(arch.into_boxed_str());
    known.push(leaked);
    leaked
}

/// The CUDA toolkit's header folder (`cuda_bf16.h`, `cuda_fp16.h`), which NVRTC does not
/// search by itself (seen on the H200 host with CUDA 13.0: "could not open source file
/// cuda_bf16.h (no directories in search list)"): `$CUDA_HOME/include`, `$CUDA_PATH/include`
/// or `/usr/local/cuda/include`, the first that has `cuda_bf16.h`. Twins that include no header
/// compile without it.
pub fn cuda_include_dir() -> Option<std::path::PathBuf> {
    let from_env = ["CUDA_HOME", "CUDA_PATH"]
        .into_iter()
        .filter_map(std::env::var_os)
        .map(|d| std::path::PathBuf::from(d).join("include"));
    from_env
        .chain(std::iter::once("/usr/local/cuda/include".into()))
        .find(|d| d.join("cuda_bf16.h").is_file())
}

impl Twin {
    /// Compiles `source` (CUDA C++, kernels declared `extern "C" __global__`) with NVRTC
    /// (optimising by default) for the device's architecture and loads it; compiled once per
    /// [`Gpu`] and `name`, then taken from its cache.
    pub fn compile(gpu: &Gpu, name: &str, source: &str) -> Result<Self> {
        let module = gpu.cached_module(name, || {
            // SAFETY: only tries to dlopen libnvrtc.
            if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
                return Err(Error::Tool {
                    tool: "NVRTC".into(),
                    why: "libnvrtc could not be loaded (CUDA toolkit or nvidia-cuda-nvrtc wheel)"
                        .into(),
                });
            }
            let mut options = vec!["-std=c++17".to_string()];
            options.extend(cuda_include_dir().map(|d| format!("-I{}", d.display())));
            let opts = CompileOptions {
                arch: Some(arch_option(gpu)),
                name: Some(format!("{name}.cu")),
                options,
                ..Default::default()
            };
            cudarc::nvrtc::compile_ptx_with_opts(source, opts).map_err(|e| Error::Tool {
                tool: "NVRTC".into(),
                why: format!("compiling twin {name}: {e}"),
            })
        })?;
        Ok(Self {
            name: name.to_string(),
            module,
        })
    }

    /// The twin's kernel `symbol`, looked up once, for launching many times with
    /// [`Gpu::launch_function`] (no per-launch lookup in a timed region).
    pub fn function(&self, symbol: &str) -> Result<CudaFunction> {
        self.module
            .load_function(symbol)
            .map_err(|source| Error::Driver {
                op: format!("looking up {symbol} in twin {}", self.name),
                source,
            })
    }

    /// Enqueues the twin's kernel `symbol` with the same parameter struct as the Rust step.
    pub fn launch<P: KernelParams>(
        &self,
        gpu: &Gpu,
        symbol: &str,
        launch: Launch,
        params: P,
    ) -> Result<()> {
        let f = self.function(symbol)?;
        gpu.launch_function(&f, symbol, launch, params)
    }
}
