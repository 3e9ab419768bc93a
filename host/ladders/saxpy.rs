//! `y = a·x + y`, in place.

use super::TwinKernel;
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepTable,
    Steps, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use kernels_gpu::saxpy::{self as k, Grid, SaxpyParams};

/// The SAXPY ladder.
pub struct Saxpy;

static STEPS: StepTable<Grid> = StepTable::new("saxpy", k::STEPS);

/// The CUDA C++ twins: of step 3 (f32, host/ladders/twins/saxpy.cu) and of steps 4 (bf16)
/// and 5 (f16) (one template, host/ladders/twins/saxpy_half.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 3,
        dtype: DType::F32,
        description: "CUDA C++ twin of saxpy/3 (NVRTC): float4 grid-stride loop, scalar head and tail",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 4,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of saxpy/4 (NVRTC): __nv_bfloat162 pairs in 16-byte vectors, f32 fmaf, scalar head and tail",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 5,
        dtype: DType::F16,
        description: "CUDA C++ twin of saxpy/5 (NVRTC): __half2 pairs in 16-byte vectors, f32 fmaf, scalar head and tail",
    },
];
const TWIN_SRC: &str = include_str!("twins/saxpy.cu");
/// The half-precision twins' source: one template, a kernel per element type; it includes
/// `cuda_bf16.h` / `cuda_fp16.h`, so it is a module of its own (the f32 twin needs no header).
const TWIN_HALF_SRC: &str = include_str!("twins/saxpy_half.cu");

/// The twin kernel for data of `dtype`.
fn twin(dtype: DType) -> TwinKernel {
    match dtype {
        DType::F32 => TwinKernel::new("saxpy_twin", TWIN_SRC, "saxpy_twin"),
        DType::Bf16 => TwinKernel::new("saxpy_twin_half", TWIN_HALF_SRC, "saxpy_twin_bf16"),
        DType::F16 => TwinKernel::new("saxpy_twin_half", TWIN_HALF_SRC, "saxpy_twin_f16"),
    }
}

/// The SAXPY constant used by every check.
const A: f32 = 1.5;

static META: LadderMeta = LadderMeta {
    name: "saxpy",
    description: "y = a*x + y, in place",
    dims: 1,
    default_shape: &[1 << 24],
    bench_shapes: &[&[super::BENCH_N_256MIB]],
    ceiling: Ceiling::CopyGbps,
    chapter: "elementwise",
};

/// The launch of a step with `grid` over `n` elements on `gpu`.
fn launch(grid: &Grid, n: usize, gpu: &Gpu) -> Launch {
    match *grid {
        Grid::OnePerElement { threads } => Launch::cover(n, threads),
        Grid::Stride {
            threads,
            blocks_per_sm,
            per_thread,
        } => Launch::grid_stride(
            n.div_ceil(per_thread as usize),
            threads,
            blocks_per_sm,
            gpu.info().sm_count,
        ),
    }
}

impl Ladder for Saxpy {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: 2.0 * n,
            bytes: 3.0 * dtype.size() as f64 * n,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        // |a·x| >= 0.75, so an element the kernel skips (it keeps y0) cannot pass the check.
        Ok(vec![
            inputs::uniform(n, seed, 0.5, 1.5),
            inputs::uniform(n, seed ^ 1, -1.0, 1.0),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        let n = vec![shape.numel()];
        vec![
            InputSpec {
                name: "x",
                shape: n.clone(),
            },
            InputSpec {
                name: "y",
                shape: n,
            },
        ]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x, y0] = super::take_inputs::<2>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(SaxpyCase::<T>::new(gpu, shape, &x, &y0)?)))
    }
}

struct SaxpyCase<T: Element> {
    n: u32,
    shape: Shape,
    x: DeviceBuffer<T>,
    y: DeviceBuffer<T>,
    y0: DeviceBuffer<T>,
    reference: Vec<f64>,
    twin: TwinKernel,
}

impl<T: Element> SaxpyCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32], y0: &[f32]) -> Result<Self> {
        let (x, y0): (Vec<T>, Vec<T>) = (round_to(x), round_to(y0));
        Ok(Self {
            n: super::n_u32(shape.numel(), "saxpy")?,
            shape: shape.clone(),
            reference: reference::saxpy(A, &to_f32(&x), &to_f32(&y0)),
            x: DeviceBuffer::from_host(gpu, &x)?,
            y: DeviceBuffer::from_host(gpu, &y0)?,
            y0: DeviceBuffer::from_host(gpu, &y0)?,
            twin: twin(T::DTYPE),
        })
    }
    fn params(&mut self) -> SaxpyParams<T::Device> {
        SaxpyParams {
            x: self.x.elems(),
            y: self.y.elems_mut(),
            a: A,
            n: self.n,
        }
    }
}

impl<T: Element> Case for SaxpyCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let n = self.n as usize;
        let p = self.params();
        match target {
            Target::Step(step) if step.dtype == T::DTYPE => {
                gpu.launch(step.symbol, launch(STEPS.grid(step), n, gpu), p)
            }
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                let step = STEPS.by_id(b.of_step).expect("the twin's step");
                self.twin.launch(gpu, launch(STEPS.grid(step), n, gpu), p)
            }
            _ => Err(super::not_mine("saxpy", target)),
        }
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.y.copy_from(gpu, &self.y0)
    }
    /// In place: y is the input too, restored by `reset`; an element a kernel skips keeps y0,
    /// which differs from the reference by a·x.
    fn poison(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        Ok(compare(
            &self.y.to_host(gpu)?,
            &self.reference,
            &self.shape,
            Tolerance::elementwise(T::DTYPE),
        ))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        Ok(Output {
            shape: self.shape.0.clone(),
            dtype: T::DTYPE,
            values: to_f32(&self.y.to_host(gpu)?),
        })
    }
    /// New x and y0; `y` keeps the last run's values until `reset` copies y0 in.
    fn refill(&mut self, gpu: &Gpu, inputs: Vec<Vec<f32>>) -> Result<()> {
        let n = self.n as usize;
        let [x, y0] = crate::ladder::refill_inputs(inputs, [n, n])?;
        let fresh = Self::new(gpu, &self.shape, &x, &y0)?;
        self.x.copy_from(gpu, &fresh.x)?;
        self.y0.copy_from(gpu, &fresh.y0)?;
        self.reference = fresh.reference;
        Ok(())
    }
}
