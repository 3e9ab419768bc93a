//! Seeing inside the kernels with NVIDIA's tools: PTX → cubin with `ptxas` (resource report),
//! SASS listings with `nvdisasm`/`cuobjdump`, instruction-mix summaries and listing diffs,
//! theoretical occupancy, and Nsight Compute (`ncu`) summaries.
//!
//! Everything except [`ncu`] works on a machine without a GPU: only the tools are needed
//! (`python3 -m pip install nvidia-cuda-nvcc nvidia-cuda-nvdisasm nvidia-cuda-cuobjdump`).
//! What they produce is kept in the user's cache ([`cache`]), so asking twice runs them once.

pub mod cache;
pub mod diff;
pub mod discover;
pub mod html;
pub mod lineinfo;
pub mod loopmix;
pub mod ncu;
pub mod occupancy;
pub mod ptxas;
pub mod sass;
pub mod summary;
mod tempdir;

/// The architecture the tools assemble for when none is given: the H100.
pub const DEFAULT_ARCH: &str = "sm_90";
