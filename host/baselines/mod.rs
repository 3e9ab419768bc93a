//! What our kernels are measured against in the same run: cuBLAS (the vendor library) and
//! CUDA C++ twins of our best steps, compiled at run time with NVRTC.

pub mod cublas;
pub mod twin;

pub use cublas::{GemmBf16Blas, Sgemm};
pub use twin::Twin;
