//! The hardware ceilings, measured in the same run as the kernels they rate (docs/architecture.md §7:
//! absolute numbers drift between machines, ratios do not): device-to-device copy bandwidth,
//! read-only streaming bandwidth, FP32 FMA throughput, cuBLAS SGEMM at 4096³, and cuBLAS's
//! bf16 GEMM (tensor cores) at 4096³.
//! A ceiling that cannot be measured (no cuBLAS, say) is `None` plus a note, not a failure.

use super::{L2Flush, Stats, TimingOptions, time_fn};
use crate::baselines::{GemmBf16Blas, Sgemm};
use crate::error::{DriverContext, Result};
use crate::inputs;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::ceiling::{
    self as k, FmaThroughputParams, ReadStreamParams, fma_throughput_flops,
};
use serde::{Deserialize, Serialize};

/// The measured ceilings (the benchmark JSON's `ceilings` object); `None` where unmeasured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ceilings {
    /// cudarc `memcpy_dtod` of [`COPY_BYTES`], bytes read + written per second (GB/s).
    pub copy_gbps: Option<f64>,
    /// `ceiling_read_stream` over [`COPY_BYTES`], bytes read per second (GB/s).
    pub read_gbps: Option<f64>,
    /// `ceiling_fma_throughput` (TFLOP/s).
    pub fma_tflops: Option<f64>,
    /// cuBLAS SGEMM, FP32 (TF32 off), at [`SGEMM_N`]³ (TFLOP/s).
    pub cublas_sgemm_tflops: Option<f64>,
    /// cuBLAS `cublasGemmEx` with bf16 inputs, f32 output and compute, at [`SGEMM_N`]³
    /// (TFLOP/s); absent from runs before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cublas_bf16_tflops: Option<f64>,
    /// Why a ceiling is missing, one line each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Bytes of the copy and streaming buffers: 256 MiB, far beyond L2.
pub const COPY_BYTES: usize = 256 << 20;
/// Edge of the cuBLAS SGEMM ceiling problem.
pub const SGEMM_N: usize = 4096;
/// Loop iterations of the FMA kernel (~5 ms on an H100).
const FMA_ITERS: u32 = 4096;
const THREADS: u32 = 256;
/// Blocks per SM of the streaming and FMA kernels (2048 threads per SM).
const BLOCKS_PER_SM: u32 = 8;

/// GB/s of `bytes` moved in `ms`.
pub fn gbps(bytes: f64, ms: f64) -> f64 {
    bytes / ms / 1e6
}

/// TFLOP/s of `flops` done in `ms`.
pub fn tflops(flops: f64, ms: f64) -> f64 {
    flops / ms / 1e9
}

impl Ceilings {
    /// Measures every ceiling; each failure becomes a note and a `None`.
    pub fn measure(gpu: &Gpu, opts: &TimingOptions, flush: &L2Flush) -> Self {
        let mut c = Ceilings::default();
        let mut take = |what: &str, r: Result<f64>| match r {
            Ok(v) => Some(v),
            Err(e) => {
                c.notes.push(format!("{what}: {e}"));
                None
            }
        };
        let copy = take("copy_gbps", copy_gbps(gpu, opts, flush));
        let read = take("read_gbps", read_gbps(gpu, opts, flush));
        let fma = take("fma_tflops", fma_tflops(gpu, opts));
        let sgemm = take("cublas_sgemm_tflops", cublas_sgemm_tflops(gpu, opts));
        let bf16 = take("cublas_bf16_tflops", cublas_bf16_tflops(gpu, opts));
        c.copy_gbps = copy;
        c.read_gbps = read;
        c.fma_tflops = fma;
        c.cublas_sgemm_tflops = sgemm;
        c.cublas_bf16_tflops = bf16;
        c
    }

    /// The value of ceiling `which`, if measured.
    pub fn get(&self, which: crate::registry::Ceiling) -> Option<f64> {
        use crate::registry::Ceiling::*;
        match which {
            CopyGbps => self.copy_gbps,
            ReadGbps => self.read_gbps,
            FmaTflops => self.fma_tflops,
            CublasSgemmTflops => self.cublas_sgemm_tflops,
            CublasBf16Tflops => self.cublas_bf16_tflops,
        }
    }
}

fn no_reset() -> Result<()> {
    Ok(())
}

/// Device-to-device copy of [`COPY_BYTES`]; counts bytes read and written.
pub fn copy_gbps(gpu: &Gpu, opts: &TimingOptions, flush: &L2Flush) -> Result<f64> {
    let src = DeviceBuffer::<u8>::zeros(gpu, COPY_BYTES)?;
    let mut dst = DeviceBuffer::<u8>::zeros(gpu, COPY_BYTES)?;
    let s: Stats = time_fn(gpu, opts, Some(flush), no_reset, || {
        gpu.stream()
            .memcpy_dtod(src.slice(), dst.slice_mut())
            .during("memcpy_dtod (copy ceiling)")
    })?;
    Ok(gbps(2.0 * COPY_BYTES as f64, s.median_ms))
}

/// `ceiling_read_stream` over [`COPY_BYTES`] of f32; counts bytes read.
pub fn read_gbps(gpu: &Gpu, opts: &TimingOptions, flush: &L2Flush) -> Result<f64> {
    let n = COPY_BYTES / 4;
    let input = DeviceBuffer::<f32>::from_host(gpu, &inputs::uniform(n, 7, -1.0, 1.0))?;
    let launch = Launch::linear(gpu.info().sm_count as u32 * BLOCKS_PER_SM, THREADS);
    let mut out = DeviceBuffer::<f32>::zeros(gpu, launch.grid.0 as usize * THREADS as usize)?;
    let p = ReadStreamParams {
        input: input.ptr(),
        out: out.ptr_mut(),
        n4: (n / 4) as u32,
    };
    let s = time_fn(gpu, opts, Some(flush), no_reset, || {
        gpu.launch(k::ceiling_read_stream::SYMBOL, launch, p)
    })?;
    Ok(gbps(COPY_BYTES as f64, s.median_ms))
}

/// `ceiling_fma_throughput` on a full grid.
pub fn fma_tflops(gpu: &Gpu, opts: &TimingOptions) -> Result<f64> {
    let launch = Launch::linear(gpu.info().sm_count as u32 * BLOCKS_PER_SM, THREADS);
    let threads = launch.grid.0 as usize * THREADS as usize;
    let mut out = DeviceBuffer::<f32>::zeros(gpu, threads)?;
    let p = FmaThroughputParams {
        out: out.ptr_mut(),
        iters: FMA_ITERS,
        a: 0.999,
        b: 1e-3,
    };
    let opts = TimingOptions {
        flush_l2: false,
        ..*opts
    };
    let s = time_fn(gpu, &opts, None, no_reset, || {
        gpu.launch(k::ceiling_fma_throughput::SYMBOL, launch, p)
    })?;
    Ok(tflops(
        fma_throughput_flops(threads as u64, FMA_ITERS),
        s.median_ms,
    ))
}

/// cuBLAS SGEMM (TF32 off) at [`SGEMM_N`]³: `2·N³` FLOPs.
pub fn cublas_sgemm_tflops(gpu: &Gpu, opts: &TimingOptions) -> Result<f64> {
    let n = SGEMM_N;
    let blas = Sgemm::new(gpu)?;
    let a = DeviceBuffer::from_host(gpu, &inputs::uniform(n * n, 11, -1.0, 1.0))?;
    let b = DeviceBuffer::from_host(gpu, &inputs::uniform(n * n, 12, -1.0, 1.0))?;
    let mut c = DeviceBuffer::<f32>::zeros(gpu, n * n)?;
    let opts = TimingOptions {
        flush_l2: false,
        ..*opts
    };
    let s = time_fn(gpu, &opts, None, no_reset, || {
        blas.run(n, n, n, 1.0, &a, &b, 0.0, &mut c)
    })?;
    Ok(tflops(2.0 * (n as f64).powi(3), s.median_ms))
}

/// cuBLAS bf16 GEMM (bf16 `A`, `B`; f32 `C` and accumulation) at [`SGEMM_N`]³: `2·N³` FLOPs.
pub fn cublas_bf16_tflops(gpu: &Gpu, opts: &TimingOptions) -> Result<f64> {
    let n = SGEMM_N;
    let blas = GemmBf16Blas::new(gpu)?;
    let half = |seed| -> Vec<half::bf16> {
        inputs::uniform(n * n, seed, -1.0, 1.0)
            .into_iter()
            .map(half::bf16::from_f32)
            .collect()
    };
    let a = DeviceBuffer::from_host(gpu, &half(13))?;
    let b = DeviceBuffer::from_host(gpu, &half(14))?;
    let mut c = DeviceBuffer::<f32>::zeros(gpu, n * n)?;
    let opts = TimingOptions {
        flush_l2: false,
        ..*opts
    };
    let s = time_fn(gpu, &opts, None, no_reset, || {
        blas.run((n, n, n), 1.0, &a, &b, 0.0, &mut c)
    })?;
    Ok(tflops(2.0 * (n as f64).powi(3), s.median_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert!((gbps(2e9, 1.0) - 2000.0).abs() < 1e-9);
        assert!((tflops(1e12, 10.0) - 100.0).abs() < 1e-9);
        assert_eq!(fma_throughput_flops(1, 1), 2.0 * 16.0 * 8.0);
        let c = Ceilings {
            copy_gbps: Some(3.0),
            ..Default::default()
        };
        assert_eq!(c.get(crate::registry::Ceiling::CopyGbps), Some(3.0));
        assert_eq!(c.get(crate::registry::Ceiling::FmaTflops), None);
    }
}
