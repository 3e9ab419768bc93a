//! The runtime: device facts, typed errors for bad launches, exact reductions.

use kernel_lab::Error;
use kernel_lab::inputs;
use kernel_lab::ladders::reduce::{REDUCE_MAX, REDUCE_SUM};
use kernel_lab::registry::{self, Ladder, Target, verify};
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::vector_add::VectorAddParams;

pub fn device_reports_sane_properties(gpu: &Gpu) {
    kernel_lab::testing::skip_if_emulated(gpu, "a device's properties");
    let i = gpu.info();
    assert!(
        i.sm_count > 0 && i.l2_bytes > 0 && i.total_memory_bytes > 0,
        "{i:?}"
    );
    assert!(i.compute_capability.0 >= 8, "kernels target sm_80+: {i:?}");
}

pub fn a_bad_launch_is_an_error_naming_the_kernel_not_a_panic(gpu: &Gpu) {
    let (_, step) = registry::find("vector_add/1").unwrap();
    let mut c = DeviceBuffer::<f32>::zeros(gpu, 4).unwrap();
    let p = VectorAddParams {
        a: c.ptr_mut().as_const(),
        b: c.ptr_mut().as_const(),
        c: c.ptr_mut(),
        n: 4,
    };
    // 2048 threads per block exceeds every GPU's limit of 1024.
    let err = gpu
        .launch(step.symbol, Launch::linear(1, 2048), p)
        .unwrap_err();
    match &err {
        Error::Launch { kernel, block, .. } => {
            assert_eq!((kernel.as_str(), block.0), (step.symbol, 2048))
        }
        // The emulator refuses it too, with its reason (`KLAB_EMULATE=1`).
        Error::Emulation(e) if gpu.is_emulated() => {
            assert_eq!(e.kind, kernels_gpu::emu::ErrorKind::Launch, "{e}");
            assert!(e.message.contains("2048 threads"), "{e}");
        }
        other => panic!("expected a launch error, got {other}"),
    }
    assert!(err.to_string().contains(step.symbol), "{err}");
}

pub fn sums_of_small_integers_are_exact(gpu: &Gpu) {
    for step in REDUCE_SUM.steps() {
        for n in [1usize, 33, 4097, 1_000_003] {
            let v = inputs::small_integers(n, inputs::fresh_seed(), 8);
            let mut case = REDUCE_SUM.prepare_values(gpu, &v, step.dtype).unwrap();
            let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
            assert!(
                c.max_abs_err == 0.0 && c.passed(),
                "{} n={n}: {c}",
                step.symbol
            );
        }
    }
}

pub fn max_finds_a_planted_maximum_anywhere(gpu: &Gpu) {
    for step in REDUCE_MAX.steps() {
        for (n, at) in [(1usize, 0usize), (1000, 999), (1_000_003, 517_123)] {
            let mut v = inputs::uniform(n, inputs::fresh_seed(), -2.0, -1.0);
            v[at] = 3.5;
            let mut case = REDUCE_MAX.prepare_values(gpu, &v, step.dtype).unwrap();
            let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
            assert!(c.passed(), "{} n={n} at={at}: {c}", step.symbol);
        }
    }
}

/// The inputs of the NaN / infinity checks: `[1, NaN, 3]` (the reported case), and NaN or
/// ±inf planted in the head, the vector middle and the tail of longer random inputs.
fn special_value_inputs() -> Vec<(String, Vec<f32>)> {
    let mut cases = vec![("[1, NaN, 3]".to_string(), vec![1.0, f32::NAN, 3.0])];
    for (n, at) in [
        (1usize, 0usize),
        (5, 4),
        (4097, 0),
        (4097, 2050),
        (1_000_003, 1_000_002),
    ] {
        for (name, x) in [
            ("NaN", f32::NAN),
            ("+inf", f32::INFINITY),
            ("-inf", f32::NEG_INFINITY),
        ] {
            let mut v = inputs::uniform(n, inputs::fresh_seed(), -1.0, 1.0);
            v[at] = x;
            cases.push((format!("n={n}, {name} at {at}"), v));
        }
    }
    cases.push(("all -inf".into(), vec![f32::NEG_INFINITY; 1000]));
    cases
}

/// Every reduce_max step and its twin propagate NaN (as `torch.max`), return +inf when one is
/// present and -inf for all -inf; reduce_sum gives NaN and ±inf as IEEE addition does.
pub fn reductions_propagate_nan_and_infinities(gpu: &Gpu) {
    for ladder in [&REDUCE_MAX, &REDUCE_SUM] {
        for (what, v) in special_value_inputs() {
            let want_nan = v.iter().any(|x| x.is_nan());
            for step in ladder.steps() {
                let mut case = ladder.prepare_values(gpu, &v, step.dtype).unwrap();
                let c = verify(case.as_mut(), gpu, Target::Step(step)).unwrap();
                assert!(c.passed(), "{} on {what}: {c}", step.symbol);
                let out = case.output(gpu).unwrap().values;
                assert_eq!(
                    out[0].is_nan(),
                    want_nan,
                    "{} on {what}: got {}",
                    step.symbol,
                    out[0]
                );
            }
            for b in ladder.baselines() {
                if gpu.is_emulated() {
                    break; // the CUDA C++ twins need NVRTC and a GPU
                }
                let mut case = ladder.prepare_values(gpu, &v, b.dtype).unwrap();
                let c = verify(case.as_mut(), gpu, Target::Baseline(b)).unwrap();
                assert!(c.passed(), "{} twin on {what}: {c}", ladder.name());
            }
        }
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
/// The ops (`kernel_lab::ops`, what the Python package calls) launch their top steps on a
/// stream the caller created, on buffers the caller allocated: each result is the reference's
/// (gemm_bf16 at a shape its TMA step reads, so sm_90 runs step 6 with its tensor maps).
pub fn ops_run_their_top_steps_on_the_callers_stream(gpu: &Gpu) {
    use half::bf16;
    use kernel_lab::ops::{find, run_on};
    use kernel_lab::reference;
    // On the emulator there is no stream to create; host/ops.rs checks the ops there.
    kernel_lab::testing::skip_if_emulated(gpu, "a CUDA stream of the caller's");
    let stream = gpu.context().new_stream().expect("a new stream");
    let raw = stream.cu_stream() as u64;
    let wait = || {
        stream
            .synchronize()
            .map_err(|e| Error::Other(format!("synchronizing the caller's stream: {e}")))
    };
    let close = |got: &[f32], want: &[f64], tol: f64, what: &str| {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g as f64 - w).abs() <= tol * (1.0 + w.abs()),
                "{what}: element {i}: {g} vs {w}"
            );
        }
    };
    let (rows, cols) = (257, 520);
    let x = inputs::uniform(rows * cols, 7, -1.0, 1.0);
    let bias = inputs::uniform(cols, 8, -1.0, 1.0);
    let t: Vec<Vec<f32>> = run_on(
        gpu,
        raw,
        &wait,
        find("transpose").unwrap(),
        &[rows, cols],
        std::slice::from_ref(&x),
        &[rows * cols],
    )
    .unwrap();
    close(
        &t[0],
        &reference::transpose(&x, rows, cols),
        0.0,
        "transpose",
    );
    let y: Vec<Vec<f32>> = run_on(
        gpu,
        raw,
        &wait,
        find("bias_gelu").unwrap(),
        &[rows, cols],
        &[x.clone(), bias.clone()],
        &[rows * cols],
    )
    .unwrap();
    close(&y[0], &reference::bias_gelu(&x, &bias), 3e-3, "bias_gelu");
    let s: Vec<Vec<f32>> = run_on(
        gpu,
        raw,
        &wait,
        find("reduce_sum").unwrap(),
        &[x.len()],
        std::slice::from_ref(&x),
        &[1],
    )
    .unwrap();
    close(&s[0], &[reference::sum(&x)], 1e-4, "reduce_sum");
    let (m, n, kk) = (136, 264, 520);
    let a = inputs::uniform(m * kk, 9, -1.0, 1.0);
    let b = inputs::uniform(kk * n, 10, -1.0, 1.0);
    let want = reference::gemm(m, n, kk, 1.0, &a, &b, 0.0, &vec![0.0; m * n]);
    let c: Vec<Vec<f32>> = run_on(
        gpu,
        raw,
        &wait,
        find("gemm").unwrap(),
        &[m, n, kk],
        &[a.clone(), b.clone()],
        &[m * n],
    )
    .unwrap();
    close(&c[0], &want, 1e-4, "gemm");
    let ab: Vec<bf16> = a.iter().map(|&v| bf16::from_f32(v)).collect();
    let bb: Vec<bf16> = b.iter().map(|&v| bf16::from_f32(v)).collect();
    let af: Vec<f32> = ab.iter().map(|v| v.to_f32()).collect();
    let bf: Vec<f32> = bb.iter().map(|v| v.to_f32()).collect();
    let want = reference::gemm(m, n, kk, 1.0, &af, &bf, 0.0, &vec![0.0; m * n]);
    let c: Vec<Vec<f32>> = run_on(
        gpu,
        raw,
        &wait,
        find("gemm_bf16").unwrap(),
        &[m, n, kk],
        &[ab, bb],
        &[m * n],
    )
    .unwrap();
    close(&c[0], &want, 1e-3, "gemm_bf16");
}

pub const TESTS: &[crate::GpuTest] = &[
    (
        "device_reports_sane_properties",
        device_reports_sane_properties,
    ),
    (
        "a_bad_launch_is_an_error_naming_the_kernel_not_a_panic",
        a_bad_launch_is_an_error_naming_the_kernel_not_a_panic,
    ),
    (
        "sums_of_small_integers_are_exact",
        sums_of_small_integers_are_exact,
    ),
    (
        "max_finds_a_planted_maximum_anywhere",
        max_finds_a_planted_maximum_anywhere,
    ),
    (
        "reductions_propagate_nan_and_infinities",
        reductions_propagate_nan_and_infinities,
    ),
    (
        "ops_run_their_top_steps_on_the_callers_stream",
        ops_run_their_top_steps_on_the_callers_stream,
    ),
];
