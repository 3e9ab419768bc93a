//! cuBLAS SGEMM for row-major matrices, with TF32 off (`CUBLAS_PEDANTIC_MATH`: plain FP32
//! FFMA, the same arithmetic as our kernels).

use crate::error::{Error, Result};
use crate::runtime::{DeviceBuffer, Gpu};
use cudarc::cublas::sys::{cublasMath_t, cublasOperation_t};
use cudarc::cublas::{CudaBlas, Gemm, GemmConfig};

/// A cuBLAS handle on the [`Gpu`]'s stream.
pub struct Sgemm {
    blas: CudaBlas,
}

fn blas_err(op: &str, e: impl std::fmt::Display) -> Error {
    Error::Other(format!("cuBLAS {op}: {e}"))
}

impl Sgemm {
    /// Creates the handle (fails clearly when libcublas cannot be loaded) and sets
    /// `CUBLAS_PEDANTIC_MATH`, so no TF32 tensor-core path is taken.
    pub fn new(gpu: &Gpu) -> Result<Self> {
        gpu.needs_cuda("cuBLAS")?;
        // SAFETY: only tries to dlopen libcublas.
        if !unsafe { cudarc::cublas::sys::is_culib_present() } {
            return Err(Error::Tool {
                tool: "cuBLAS".into(),
                why: "libcublas could not be loaded (CUDA toolkit or nvidia-cublas wheel)".into(),
            });
        }
        let blas =
            CudaBlas::new(gpu.stream().clone()).map_err(|e| blas_err("creating a handle", e))?;
        // SAFETY: a valid handle.
        let status = unsafe {
            cudarc::cublas::sys::cublasSetMathMode(
                *blas.handle(),
                cublasMath_t::CUBLAS_PEDANTIC_MATH,
            )
        };
        if status != cudarc::cublas::sys::cublasStatus_t::CUBLAS_STATUS_SUCCESS {
            return Err(blas_err(
                "setting CUBLAS_PEDANTIC_MATH",
                format!("{status:?}"),
            ));
        }
        Ok(Self { blas })
    }

    /// `C = alpha·A·B + beta·C` for row-major `A` (m×k), `B` (k×n), `C` (m×n).
    /// Row-major C is column-major Cᵀ = Bᵀ·Aᵀ, so cuBLAS is called with the operands swapped.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        m: usize,
        n: usize,
        k: usize,
        alpha: f32,
        a: &DeviceBuffer<f32>,
        b: &DeviceBuffer<f32>,
        beta: f32,
        c: &mut DeviceBuffer<f32>,
    ) -> Result<()> {
        assert!(
            a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
            "SGEMM operands too small"
        );
        let cfg = GemmConfig {
            transa: cublasOperation_t::CUBLAS_OP_N,
            transb: cublasOperation_t::CUBLAS_OP_N,
            m: n as i32,
            n: m as i32,
            k: k as i32,
            alpha,
            lda: n as i32,
            ldb: k as i32,
            beta,
            ldc: n as i32,
        };
        // SAFETY: sizes checked above; all three buffers live on this handle's stream.
        unsafe { self.blas.gemm(cfg, b.slice(), a.slice(), c.slice_mut()) }
            .map_err(|e| blas_err(&format!("SGEMM {m}x{n}x{k}"), e))
    }
}
