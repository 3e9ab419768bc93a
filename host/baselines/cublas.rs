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

/// cuBLAS GEMM with bf16 inputs and f32 output and compute (`cublasGemmEx`, `CUDA_R_16BF`,
/// `CUDA_R_32F`, `CUBLAS_COMPUTE_32F`, `CUBLAS_GEMM_DEFAULT`: tensor cores), for row-major
/// matrices. A handle of its own, in the default math mode.
pub struct GemmBf16Blas {
    blas: CudaBlas,
}

impl GemmBf16Blas {
    /// Creates the handle on the [`Gpu`]'s stream (fails clearly when libcublas cannot be
    /// loaded).
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
        Ok(Self { blas })
    }

    /// `C = alpha·A·B + beta·C` for row-major bf16 `A` (m×k), bf16 `B` (k×n) and f32 `C`
    /// (m×n). Row-major `C` is column-major `Cᵀ = Bᵀ·Aᵀ`, and a row-major matrix is its
    /// transpose in column-major order with the same leading dimension, so cuBLAS is called
    /// with the operands swapped: `m' = n`, `n' = m`, `B` (ld `n`) first, then `A` (ld `k`),
    /// `C` with ld `n`, no transposes.
    pub fn run(
        &self,
        (m, n, k): (usize, usize, usize),
        alpha: f32,
        a: &DeviceBuffer<half::bf16>,
        b: &DeviceBuffer<half::bf16>,
        beta: f32,
        c: &mut DeviceBuffer<f32>,
    ) -> Result<()> {
        use cudarc::cublas::sys::{
            cublasComputeType_t, cublasGemmAlgo_t, cublasGemmEx, cublasStatus_t, cudaDataType,
        };
        assert!(
            a.len() >= m * k && b.len() >= k * n && c.len() >= m * n,
            "GEMM operands too small"
        );
        let dim = |x: usize| {
            i32::try_from(x).map_err(|_| blas_err("GemmEx", format!("dimension {x} over i32")))
        };
        let (mi, ni, ki) = (dim(m)?, dim(n)?, dim(k)?);
        // SAFETY: sizes checked above; the three buffers are device memory of this context and
        // live on this handle's stream; alpha and beta are host scalars (the default pointer
        // mode).
        let status = unsafe {
            cublasGemmEx(
                *self.blas.handle(),
                cublasOperation_t::CUBLAS_OP_N,
                cublasOperation_t::CUBLAS_OP_N,
                ni,
                mi,
                ki,
                (&alpha as *const f32).cast(),
                b.addr() as *const std::ffi::c_void,
                cudaDataType::CUDA_R_16BF,
                ni,
                a.addr() as *const std::ffi::c_void,
                cudaDataType::CUDA_R_16BF,
                ki,
                (&beta as *const f32).cast(),
                c.addr() as *mut std::ffi::c_void,
                cudaDataType::CUDA_R_32F,
                ni,
                cublasComputeType_t::CUBLAS_COMPUTE_32F,
                cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        };
        if status != cublasStatus_t::CUBLAS_STATUS_SUCCESS {
            return Err(blas_err(
                &format!("GemmEx bf16 {m}x{n}x{k}"),
                format!("{status:?}"),
            ));
        }
        Ok(())
    }
}
