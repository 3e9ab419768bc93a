//! Ops: a ladder's registered top step launched on memory and a stream the caller owns — what
//! the Python package (`python/`, docs/python.md) calls with PyTorch's tensors on PyTorch's
//! current stream.
//!
//! A ladder offers an op by implementing [`Op`] in its host file and returning it from
//! [`crate::ladder::Ladder::op`]; [`all`] lists the ops of [`crate::ladders::ALL`], so there is
//! no second list. The op launches the very kernels the benchmark measures (the step is chosen
//! from the registry by element type and device: [`top_step`]), with the ladder's own launch
//! geometry. It allocates nothing: the caller passes every device address (inputs, outputs,
//! then the workspaces [`Op::workspace`] asks for), so a CUDA-graph capture records only the
//! launches. Nothing here synchronises.

use crate::element::DType;
use crate::error::{Error, Result};
use crate::ladder::{Ladder, StepInfo};
use crate::runtime::Gpu;

/// One call of an op: the element type of its data, the problem's dimensions (the ladder's
/// shape: `[n]`, `[rows, cols]`, `[m, n, k]`), its scalar parameters (layernorm's `eps`,
/// attention's `scale`: [`Op::scalars`] names them; empty for most ops) and the device
/// addresses of its arguments, in the order of [`Op::args`].
#[derive(Debug, Clone, Copy)]
pub struct OpCall<'a> {
    pub dtype: DType,
    pub dims: &'a [usize],
    pub scalars: &'a [f32],
    pub args: &'a [u64],
}

/// How a workspace must be filled before the launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    /// Any contents.
    Uninit,
    /// Zero bytes (reduce_sum/8's block counter, which the kernel sets back to 0 itself).
    Zeroed,
    /// These bytes (gemm_bf16/6's TMA tensor maps). A caller that cannot upload them (inside a
    /// CUDA-graph capture) passes address 0 and the op launches the step's declared fallback
    /// kernel, if it has one.
    Bytes(Vec<u8>),
}

/// A device buffer an op needs besides its inputs and outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Its name in [`Op::args`].
    pub name: &'static str,
    pub bytes: usize,
    pub init: Init,
}

/// A ladder's top step as a function on caller-owned memory.
pub trait Op: Sync {
    /// The op's name (the Python op is `kernel_lab::<name>`).
    fn name(&self) -> &'static str;
    /// The ladder whose steps it launches.
    fn ladder(&self) -> &'static dyn Ladder;
    /// The names of its device arguments, in order: inputs, outputs, then workspaces.
    fn args(&self) -> &'static [&'static str];
    /// The names of its scalar parameters, in the order of [`OpCall::scalars`] (default: none).
    fn scalars(&self) -> &'static [&'static str] {
        &[]
    }
    /// Why the kernels cannot take a problem of `dims`, if they cannot (the caller computes
    /// the reference instead, or reports it).
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String>;
    /// The step it launches for data of `dtype` on a device of compute capability `cc`; else
    /// why there is none.
    fn step(&self, dtype: DType, cc: (i32, i32)) -> std::result::Result<&'static StepInfo, String> {
        top_step(self.ladder(), dtype, cc)
    }
    /// The measured preferences by row length of ops whose ladder measured different winners
    /// at different shapes (softmax, layer_norm, rms_norm); default: none.
    fn preferred(&self) -> &'static [Preferred] {
        &[]
    }
    /// The step it launches for a call of `dims`: the first of [`Op::preferred`]'s rules that
    /// covers the row length (the last dimension, [`preferred_step`]), else [`Op::step`].
    fn step_for(
        &self,
        dtype: DType,
        cc: (i32, i32),
        dims: &[usize],
    ) -> std::result::Result<&'static StepInfo, String> {
        let top = self.step(dtype, cc)?;
        let cols = dims.last().copied().unwrap_or(0);
        Ok(preferred_step(self.ladder(), self.preferred(), dtype, cc, cols).unwrap_or(top))
    }
    /// The workspaces `step` needs for `call` (whose workspace addresses are not read).
    fn workspace(&self, _gpu: &Gpu, _step: &StepInfo, _call: &OpCall) -> Result<Vec<Workspace>> {
        Ok(Vec::new())
    }
    /// Enqueues `step` on `stream` (a raw `CUstream`; 0 is the legacy default stream).
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()>;
    /// The kernel symbol `step` launches for `call` (a tuned variant or a declared fallback
    /// may differ from `step.symbol`); default: the step's own.
    fn symbol_for(&self, _gpu: &Gpu, step: &StepInfo, _call: &OpCall) -> &'static str {
        step.symbol
    }
}

/// Every op, in the order of the ladders.
pub fn all() -> Vec<&'static dyn Op> {
    crate::ladders::ALL.iter().filter_map(|l| l.op()).collect()
}

/// The op of that name.
pub fn find(name: &str) -> Option<&'static dyn Op> {
    all().into_iter().find(|o| o.name() == name)
}

/// The last registered step of `ladder` of element type `dtype` that runs on compute
/// capability `cc` (the ladder's top step: gemm_bf16/6 on sm_90, gemm_bf16/4 on sm_80); else
/// why there is none (no steps of that type, or all need a newer architecture).
pub fn top_step(
    ladder: &'static dyn Ladder,
    dtype: DType,
    cc: (i32, i32),
) -> std::result::Result<&'static StepInfo, String> {
    let of_dtype: Vec<&'static StepInfo> = ladder
        .steps()
        .into_iter()
        .filter(|s| s.dtype == dtype)
        .collect();
    if of_dtype.is_empty() {
        let have: Vec<&str> = ladder.dtypes().iter().map(|d| d.name()).collect();
        return Err(format!(
            "{} has no {} kernel (its kernels take {})",
            ladder.name(),
            dtype.name(),
            have.join(", ")
        ));
    }
    of_dtype
        .iter()
        .rev()
        .find(|s| s.arch.runs_on(cc))
        .copied()
        .ok_or_else(|| {
            let s = of_dtype[0];
            format!(
                "{} needs {} at least, the device is sm_{}{}",
                s.handle(),
                s.arch.name(),
                cc.0,
                cc.1
            )
        })
}

/// Checks that `call` has one address per name of `op.args()`, none of them 0 except the
/// workspaces that allow it: a caller's mistake is an error, not a fault.
pub fn check_args(op: &dyn Op, call: &OpCall, may_be_null: &[&str]) -> Result<()> {
    let scalars = op.scalars();
    if call.scalars.len() != scalars.len() {
        return Err(Error::Usage(format!(
            "{} takes {} scalar(s) ({}), {} given",
            op.name(),
            scalars.len(),
            scalars.join(", "),
            call.scalars.len()
        )));
    }
    let names = op.args();
    if call.args.len() != names.len() {
        return Err(Error::Usage(format!(
            "{} takes {} device addresses ({}), {} given",
            op.name(),
            names.len(),
            names.join(", "),
            call.args.len()
        )));
    }
    for (name, &addr) in names.iter().zip(call.args) {
        if addr == 0 && !may_be_null.contains(name) {
            return Err(Error::Usage(format!(
                "{}: argument {name} is a null device address",
                op.name()
            )));
        }
    }
    if call.dims.contains(&0) {
        return Err(Error::Usage(format!(
            "{}: empty problem {:?} (the caller handles empty tensors)",
            op.name(),
            call.dims
        )));
    }
    Ok(())
}

/// Why `dims` is not `want` dimensions of at most 2³² − 1 elements in all, if it is not.
pub fn dims_u32(dims: &[usize], want: usize) -> Option<String> {
    if dims.len() != want {
        return Some(format!(
            "needs {want} dimension(s), got {}: {dims:?}",
            dims.len()
        ));
    }
    let numel: u128 = dims.iter().map(|&d| d as u128).product();
    (numel > u32::MAX as u128).then(|| {
        format!("{dims:?} has {numel} elements; the kernels index with u32 (at most 2^32 - 1)")
    })
}

/// Runs `op`'s step for data of `T` on `gpu` as a caller would (the tests' helper: the
/// emulator's in this module, the GPU's in tests/gpu): `inputs` uploaded, one zeroed buffer of
/// `O` per entry of `outputs` (its length), the workspaces [`Op::workspace`] asks for
/// allocated (zeroed, or filled with their bytes), the launch enqueued on `stream`, then
/// `wait()` (the caller's synchronisation of that stream); returns the outputs, on the host.
pub fn run_on<T: crate::element::Element, O: crate::element::Element>(
    gpu: &Gpu,
    stream: u64,
    wait: &dyn Fn() -> Result<()>,
    op: &dyn Op,
    dims: &[usize],
    inputs: &[Vec<T>],
    outputs: &[usize],
) -> Result<Vec<Vec<O>>> {
    run_on_with(gpu, stream, wait, op, (dims, &[]), inputs, outputs)
}

/// [`run_on`] for an op with scalar parameters: `problem` is `(dims, scalars)`.
pub fn run_on_with<T: crate::element::Element, O: crate::element::Element>(
    gpu: &Gpu,
    stream: u64,
    wait: &dyn Fn() -> Result<()>,
    op: &dyn Op,
    (dims, scalars): (&[usize], &[f32]),
    inputs: &[Vec<T>],
    outputs: &[usize],
) -> Result<Vec<Vec<O>>> {
    use crate::runtime::DeviceBuffer;
    let dtype = T::DTYPE;
    let step = op
        .step_for(dtype, gpu.info().compute_capability, dims)
        .map_err(Error::Other)?;
    let ins = inputs
        .iter()
        .map(|v| DeviceBuffer::from_host(gpu, v))
        .collect::<Result<Vec<DeviceBuffer<T>>>>()?;
    let outs = outputs
        .iter()
        .map(|&n| DeviceBuffer::zeros(gpu, n))
        .collect::<Result<Vec<DeviceBuffer<O>>>>()?;
    let mut args: Vec<u64> = ins
        .iter()
        .map(|b| b.addr())
        .chain(outs.iter().map(|b| b.addr()))
        .collect();
    let probe = OpCall {
        dtype,
        dims,
        scalars,
        args: &args,
    };
    let ws = op.workspace(gpu, step, &probe)?;
    let mut held = Vec::new();
    for name in &op.args()[args.len()..] {
        match ws.iter().find(|w| w.name == *name) {
            Some(w) => {
                let b: DeviceBuffer<u8> = match &w.init {
                    Init::Bytes(bytes) => DeviceBuffer::from_host(gpu, bytes)?,
                    Init::Zeroed | Init::Uninit => DeviceBuffer::zeros(gpu, w.bytes.max(1))?,
                };
                args.push(b.addr());
                held.push(b);
            }
            None => args.push(0),
        }
    }
    // The uploads ran on the Gpu's own stream: done before the caller's stream reads them.
    gpu.sync()?;
    let call = OpCall {
        dtype,
        dims,
        scalars,
        args: &args,
    };
    op.enqueue(gpu, stream, step, &call)?;
    wait()?;
    outs.iter().map(|b| b.to_host(gpu)).collect()
}

/// A measured preference of a row-wise ladder (softmax, layernorm, rmsnorm): for data of
/// `dtype` in rows of at most `max_cols` columns, step `step` was the fastest measured
/// (`evidence`: the run and the times). A ladder lists its rules narrowest first; the chapter
/// (docs/ladders/) tabulates the same numbers.
#[derive(Debug, Clone, Copy)]
pub struct Preferred {
    pub dtype: DType,
    pub max_cols: usize,
    pub step: u32,
    pub evidence: &'static str,
}

/// The step of `ladder` for data of `dtype` in rows of `cols` columns on compute capability
/// `cc` that `rules` prefer: the step of the first rule of that dtype whose `max_cols` covers
/// `cols` and that exists, is of that dtype and runs on `cc`; None when no rule applies.
pub fn preferred_step(
    ladder: &'static dyn Ladder,
    rules: &[Preferred],
    dtype: DType,
    cc: (i32, i32),
    cols: usize,
) -> Option<&'static StepInfo> {
    let steps = ladder.steps();
    rule_steps(rules, dtype, cols).find_map(|id| {
        steps
            .iter()
            .find(|s| s.id == id && s.dtype == dtype && s.arch.runs_on(cc))
            .copied()
    })
}

/// The step of `steps` (a ladder's step table, in order) for data of `dtype` in rows of
/// `cols` columns: the first step `rules` prefer that `steps` has with that dtype, else the
/// last step of that dtype (the top step); None when `steps` has none of that dtype. What the
/// launch helpers of callers with their own device pointers use (no device check: the
/// row-wise ladders run everywhere).
pub fn rule_or_top<'a>(
    steps: &'a [StepInfo],
    rules: &[Preferred],
    dtype: DType,
    cols: usize,
) -> Option<&'a StepInfo> {
    let of_dtype = |s: &&StepInfo| s.dtype == dtype;
    rule_steps(rules, dtype, cols)
        .find_map(|id| steps.iter().filter(of_dtype).find(|s| s.id == id))
        .or_else(|| steps.iter().rev().find(of_dtype))
}

/// The step ids `rules` prefer for data of `dtype` in rows of `cols` columns, first choice
/// first: the rules of that dtype whose `max_cols` covers `cols`, in order.
pub fn rule_steps(rules: &[Preferred], dtype: DType, cols: usize) -> impl Iterator<Item = u32> {
    rules
        .iter()
        .filter(move |r| r.dtype == dtype && cols <= r.max_cols)
        .map(|r| r.step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_is_of_a_registered_ladder_and_names_its_arguments() {
        let ops = all();
        let names: Vec<&str> = ops.iter().map(|o| o.name()).collect();
        for want in ["reduce_sum", "transpose", "bias_gelu", "gemm", "gemm_bf16"] {
            assert!(names.contains(&want), "{want} in {names:?}");
        }
        for o in ops {
            assert!(crate::registry::ladder(o.ladder().name()).is_some());
            assert!(!o.args().is_empty());
        }
    }

    /// A rule applies to its dtype and row lengths up to its `max_cols`, in order; a rule
    /// naming a step that does not exist, is of another dtype or needs a newer device is
    /// passed over.
    #[test]
    fn preferences_apply_in_order_to_their_dtype_and_row_lengths() {
        let softmax = crate::registry::ladder("softmax").unwrap();
        let rule = |dtype, max_cols, step| Preferred {
            dtype,
            max_cols,
            step,
            evidence: "test",
        };
        let rules = [
            rule(DType::Bf16, 100, 99),
            rule(DType::Bf16, 100, 5),
            rule(DType::Bf16, 100, 7),
            rule(DType::Bf16, usize::MAX, 6),
        ];
        let pick = |cols| preferred_step(softmax, &rules, DType::Bf16, (9, 0), cols).map(|s| s.id);
        assert_eq!(pick(100), Some(7), "99 does not exist, 5 is f32");
        assert_eq!(pick(101), Some(6));
        assert!(preferred_step(softmax, &rules, DType::F32, (9, 0), 1).is_none());
        assert!(preferred_step(softmax, &[], DType::Bf16, (9, 0), 1).is_none());
    }

    #[test]
    fn the_top_step_is_the_last_one_of_the_dtype_that_runs_on_the_device() {
        let gemm_bf16 = crate::registry::ladder("gemm_bf16").unwrap();
        let sm90 = top_step(gemm_bf16, DType::Bf16, (9, 0)).unwrap();
        let sm80 = top_step(gemm_bf16, DType::Bf16, (8, 0)).unwrap();
        assert_eq!(sm90.arch, crate::ladder::Arch::Sm90a);
        assert_eq!(sm80.arch, crate::ladder::Arch::Sm80);
        assert!(sm80.id < sm90.id);
        let reduce = crate::registry::ladder("reduce_sum").unwrap();
        assert_eq!(
            top_step(reduce, DType::F32, (9, 0)).unwrap().handle(),
            "reduce_sum/8"
        );
        assert_eq!(
            top_step(reduce, DType::Bf16, (9, 0)).unwrap().handle(),
            "reduce_sum/9"
        );
        let why = top_step(reduce, DType::F16, (9, 0)).unwrap_err();
        assert!(why.contains("no f16 kernel"), "{why}");
        let why = top_step(gemm_bf16, DType::Bf16, (7, 5)).unwrap_err();
        assert!(why.contains("sm_75"), "{why}");
    }

    #[test]
    fn dims_beyond_u32_or_of_the_wrong_rank_are_refused_with_a_reason() {
        assert_eq!(dims_u32(&[4, 4], 2), None);
        assert!(dims_u32(&[4], 2).unwrap().contains("2 dimension"));
        assert!(dims_u32(&[1 << 20, 1 << 13], 2).unwrap().contains("u32"));
    }

    fn emulated<T: crate::element::Element, O: crate::element::Element>(
        op: &dyn Op,
        dims: &[usize],
        inputs: &[Vec<T>],
        outputs: &[usize],
    ) -> Vec<Vec<O>> {
        run_on(&Gpu::emulator(), 0, &|| Ok(()), op, dims, inputs, outputs).unwrap()
    }

    pub(crate) fn close(got: &[f32], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g as f64 - w).abs() <= tol * (1.0 + w.abs()),
                "element {i}: {g} vs {w}"
            );
        }
    }

    #[test]
    fn each_op_launches_its_top_step_on_caller_memory_in_the_emulator() {
        use half::bf16;
        let (rows, cols) = (37, 70);
        let x: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919) % 613) as f32 / 613.0 - 0.5)
            .collect();
        let bias: Vec<f32> = (0..cols).map(|i| (i as f32) / cols as f32 - 0.3).collect();
        let op = |n| find(n).unwrap();
        // transpose, f32 and bf16 (exact).
        let t: Vec<Vec<f32>> = emulated(
            op("transpose"),
            &[rows, cols],
            std::slice::from_ref(&x),
            &[rows * cols],
        );
        close(&t[0], &crate::reference::transpose(&x, rows, cols), 0.0);
        let xb: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
        let xbf: Vec<f32> = xb.iter().map(|v| v.to_f32()).collect();
        let tb: Vec<Vec<bf16>> = emulated(
            op("transpose"),
            &[rows, cols],
            std::slice::from_ref(&xb),
            &[rows * cols],
        );
        let tbf: Vec<f32> = tb[0].iter().map(|v| v.to_f32()).collect();
        close(&tbf, &crate::reference::transpose(&xbf, rows, cols), 0.0);
        // bias_gelu, f32.
        let y: Vec<Vec<f32>> = emulated(
            op("bias_gelu"),
            &[rows, cols],
            &[x.clone(), bias.clone()],
            &[rows * cols],
        );
        close(&y[0], &crate::reference::bias_gelu(&x, &bias), 3e-3);
        // reduce_sum, f32 (single pass: partials and the zeroed counter from the caller).
        let s: Vec<Vec<f32>> =
            emulated(op("reduce_sum"), &[x.len()], std::slice::from_ref(&x), &[1]);
        close(&s[0], &[crate::reference::sum(&x)], 1e-4);
        // gemm f32 and bf16: c = a·b with α = 1, β = 0 into a zeroed c.
        let (m, n, kk) = (19, 23, 29);
        let a: Vec<f32> = x[..m * kk].to_vec();
        let b: Vec<f32> = x[m * kk..m * kk + kk * n].to_vec();
        let want = crate::reference::gemm(m, n, kk, 1.0, &a, &b, 0.0, &vec![0.0; m * n]);
        let c: Vec<Vec<f32>> = emulated(op("gemm"), &[m, n, kk], &[a.clone(), b.clone()], &[m * n]);
        close(&c[0], &want, 1e-4);
        let ab: Vec<bf16> = a.iter().map(|&v| bf16::from_f32(v)).collect();
        let bb: Vec<bf16> = b.iter().map(|&v| bf16::from_f32(v)).collect();
        let (af, bf): (Vec<f32>, Vec<f32>) = (
            ab.iter().map(|v| v.to_f32()).collect(),
            bb.iter().map(|v| v.to_f32()).collect(),
        );
        let want = crate::reference::gemm(m, n, kk, 1.0, &af, &bf, 0.0, &vec![0.0; m * n]);
        let c: Vec<Vec<f32>> = emulated(op("gemm_bf16"), &[m, n, kk], &[ab, bb], &[m * n]);
        close(&c[0], &want, 1e-3);
    }

    #[test]
    fn the_row_ops_launch_their_top_steps_in_the_emulator() {
        let (rows, cols) = (5, 70);
        let x: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 7919) % 613) as f32 / 613.0 * 6.0 - 3.0)
            .collect();
        let dy: Vec<f32> = (0..rows * cols)
            .map(|i| ((i * 104729) % 401) as f32 / 401.0 - 0.5)
            .collect();
        let gamma: Vec<f32> = (0..cols).map(|i| 0.5 + i as f32 / cols as f32).collect();
        let beta: Vec<f32> = (0..cols).map(|i| i as f32 / cols as f32 - 0.5).collect();
        let dims = [rows, cols];
        let op = |n| find(n).unwrap();
        let gpu = Gpu::emulator();
        let run = |name, scalars: &[f32], inputs: &[Vec<f32>], outputs: &[usize]| {
            run_on_with::<f32, f32>(
                &gpu,
                0,
                &|| Ok(()),
                op(name),
                (&dims, scalars),
                inputs,
                outputs,
            )
            .unwrap()
        };
        let y = run("softmax", &[], std::slice::from_ref(&x), &[rows * cols]);
        close(&y[0], &crate::reference::softmax_rows(&x, cols), 1e-5);
        let dx = run(
            "softmax_backward",
            &[],
            &[y[0].clone(), dy.clone()],
            &[rows * cols],
        );
        let want = crate::reference::softmax_backward_rows(&y[0], &dy, cols);
        close(&dx[0], &want, 1e-5);
        let eps = 1e-5;
        let ln = run(
            "layer_norm",
            &[eps],
            &[x.clone(), gamma.clone(), beta.clone()],
            &[rows * cols, rows, rows],
        );
        let (wy, wm, ws) = crate::reference::norm_rows(&x, &gamma, Some(&beta), eps as f64);
        close(&ln[0], &wy, 1e-4);
        close(&ln[1], &wm, 1e-5);
        close(&ln[2], &ws, 1e-4);
        let (mean, rstd) = (ln[1].clone(), ln[2].clone());
        let g = run(
            "layer_norm_backward",
            &[],
            &[
                dy.clone(),
                x.clone(),
                gamma.clone(),
                mean.clone(),
                rstd.clone(),
            ],
            &[rows * cols, cols, cols],
        );
        let (wdx, wdg, wdb) = crate::reference::layer_norm_backward(&dy, &x, &mean, &rstd, &gamma);
        close(&g[0], &wdx, 1e-4);
        close(&g[1], &wdg, 1e-4);
        close(&g[2], &wdb, 1e-4);
        let rms = run(
            "rms_norm",
            &[eps],
            &[x.clone(), gamma.clone()],
            &[rows * cols, rows],
        );
        let (wy, _, ws) = crate::reference::norm_rows(&x, &gamma, None, eps as f64);
        close(&rms[0], &wy, 1e-4);
        close(&rms[1], &ws, 1e-4);
        // A scalar missing is an error, not a read past the slice.
        let e = run_on_with::<f32, f32>(
            &gpu,
            0,
            &|| Ok(()),
            op("layer_norm"),
            (&dims, &[]),
            &[x.clone(), gamma.clone(), beta.clone()],
            &[rows * cols, rows, rows],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("takes 1 scalar(s) (eps)"), "{e}");
    }

    #[test]
    fn attention_launches_its_top_step_in_the_emulator() {
        use half::bf16;
        let (bh, seq, d) = (2, 17, 64);
        let n = bh * seq * d;
        let mk = |m: usize| -> Vec<bf16> {
            (0..n)
                .map(|i| bf16::from_f32(((i * m) % 997) as f32 / 997.0 * 2.0 - 1.0))
                .collect()
        };
        let (q, k, v) = (mk(7919), mk(104729), mk(15485863));
        let scale = 1.0 / (d as f32).sqrt();
        let op = find("attention").unwrap();
        assert!(
            op.unsupported_dims(&[bh, seq, 96])
                .unwrap()
                .contains("64 or 128")
        );
        for causal in [0usize, 1] {
            let out: Vec<Vec<bf16>> = run_on_with(
                &Gpu::emulator(),
                0,
                &|| Ok(()),
                op,
                (&[bh, seq, d], &[scale, causal as f32]),
                &[q.clone(), k.clone(), v.clone()],
                // O, then lse (bh·seq f32: the bytes of 2·bh·seq bf16, run_on's one output type).
                &[n, 2 * bh * seq],
            )
            .unwrap();
            let (qf, kf, vf): (Vec<f32>, Vec<f32>, Vec<f32>) = (
                q.iter().map(|x| x.to_f32()).collect(),
                k.iter().map(|x| x.to_f32()).collect(),
                v.iter().map(|x| x.to_f32()).collect(),
            );
            // O in f64 per query row.
            let mut want = vec![0.0f64; n];
            for h in 0..bh {
                for i in 0..seq {
                    let last = if causal == 1 { i + 1 } else { seq };
                    let s: Vec<f64> = (0..last)
                        .map(|j| {
                            (0..d)
                                .map(|c| {
                                    qf[(h * seq + i) * d + c] as f64
                                        * kf[(h * seq + j) * d + c] as f64
                                })
                                .sum::<f64>()
                                * scale as f64
                        })
                        .collect();
                    let m = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let l: f64 = s.iter().map(|x| (x - m).exp()).sum();
                    for c in 0..d {
                        want[(h * seq + i) * d + c] = (0..last)
                            .map(|j| (s[j] - m).exp() / l * vf[(h * seq + j) * d + c] as f64)
                            .sum();
                    }
                }
            }
            let got: Vec<f32> = out[0].iter().map(|x| x.to_f32()).collect();
            close(&got, &want, 1.0 / 128.0);
        }
    }

    #[test]
    fn a_wrong_argument_count_or_a_null_address_is_an_error() {
        let gpu = Gpu::emulator();
        let op = find("transpose").unwrap();
        let step = op.step(DType::F32, gpu.info().compute_capability).unwrap();
        let call = OpCall {
            dtype: DType::F32,
            dims: &[2, 2],
            scalars: &[],
            args: &[1],
        };
        let e = op.enqueue(&gpu, 0, step, &call).unwrap_err().to_string();
        assert!(e.contains("takes 2 device addresses"), "{e}");
        let call = OpCall {
            dtype: DType::F32,
            dims: &[2, 2],
            scalars: &[],
            args: &[0, 64],
        };
        let e = op.enqueue(&gpu, 0, step, &call).unwrap_err().to_string();
        assert!(e.contains("argument x is a null"), "{e}");
    }
}
