//! The benchmark harness on a device: ceilings are measured and plausible, every step is
//! verified then timed, and `--input`/`--output` style runs round-trip through the ladders.

use kernel_lab::bench::L2Flush;
use kernel_lab::bench::TimingOptions;
use kernel_lab::bench::ceilings::Ceilings;
use kernel_lab::bench::results::RowKind;
use kernel_lab::bench::runner::{self, Progress};
use kernel_lab::registry::{self, BaselineKind, DType, Target, verify};
use kernel_lab::runtime::Gpu;
use kernel_lab::shape::Shape;

struct Quiet;
impl Progress for Quiet {
    fn start(&self, _: &str) {}
    fn done(&self) {}
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

pub fn ceilings_are_measured_and_plausible(gpu: &Gpu) {
    kernel_lab::testing::skip_if_emulated(gpu, "timing");
    let flush = L2Flush::new(gpu).unwrap();
    let c = Ceilings::measure(gpu, &TimingOptions::quick(), &flush);
    assert!(
        c.notes.iter().all(|n| n.starts_with("cublas")),
        "{:?}",
        c.notes
    );
    let copy = c.copy_gbps.unwrap();
    let read = c.read_gbps.unwrap();
    let fma = c.fma_tflops.unwrap();
    // Generous bounds: any sm_80+ part, never more than 20 TB/s or 500 TFLOP/s of FP32.
    assert!((100.0..20_000.0).contains(&copy), "copy {copy} GB/s");
    assert!((100.0..20_000.0).contains(&read), "read {read} GB/s");
    assert!((1.0..500.0).contains(&fma), "fma {fma} TFLOP/s");
}

pub fn a_quick_bench_verifies_and_times_every_step(gpu: &Gpu) {
    kernel_lab::testing::skip_if_emulated(gpu, "timing");
    // One awkward, modest size per ladder, by its number of dimensions.
    let mut plan = Vec::new();
    for l in registry::all_ladders() {
        // Five dimensions: attention (batch x heads x seq x head_dim, causal).
        let size = ["100003", "317x211", "129x65x33", "", "2x3x129x64c"][l.dims() - 1];
        plan.extend(runner::plan(&[l.name().to_string()], None, Some(size)).unwrap());
    }
    let (rep, failures) = runner::run(gpu, &plan, &TimingOptions::quick(), true, &Quiet).unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    let steps = rep
        .results
        .iter()
        .filter(|r| r.kind == RowKind::Step)
        .count();
    // Every step the device runs (the benchmark skips the others with one line each).
    let runnable = registry::all_steps().filter(|s| gpu.skips(s).is_none());
    assert_eq!(steps, runnable.count());
    for r in &rep.results {
        assert!(
            r.verified && r.median_ms > 0.0 && r.min_ms <= r.median_ms,
            "{r:?}"
        );
        assert!(r.speedup_vs_step1.is_some(), "{r:?}");
        // Every kernel launched through Gpu has its launch recorded; cuBLAS has none.
        let cublas = r.baseline_kind == Some(BaselineKind::Cublas);
        assert_eq!(r.launch.is_none(), cublas, "{r:?}");
        if let Some(l) = &r.launch {
            assert!(l.threads() > 0 && l.grid.iter().all(|&g| g > 0), "{r:?}");
            assert_ne!(l.symbol.as_deref(), Some("ceiling_read_stream"), "{r:?}");
        }
    }
    // A multi-pass reduction records its main pass, not the final one-block pass.
    let r1 = rep
        .results
        .iter()
        .find(|r| r.kernel == "reduce_sum_s01_interleaved")
        .unwrap();
    assert!(r1.launch.as_ref().unwrap().grid[0] > 1, "{r1:?}");
    assert!(!rep.device.name.is_empty() && rep.device.quick);
}

pub fn output_of_a_prepared_case_matches_its_inputs(gpu: &Gpu) {
    let l = registry::ladder("vector_add").unwrap();
    let shape = Shape::n(5);
    let a = vec![1.0, 2.0, 3.0, 4.0, 5.0];
    let b = vec![0.5; 5];
    let mut case = l.prepare_from(gpu, &shape, DType::F32, vec![a, b]).unwrap();
    let step = Target::Step(l.steps()[0]);
    assert!(verify(case.as_mut(), gpu, step).unwrap().passed());
    case.run(gpu, step).unwrap();
    let o = case.output(gpu).unwrap();
    assert_eq!(
        (o.shape, o.values),
        (vec![5], vec![1.5, 2.5, 3.5, 4.5, 5.5])
    );
    let r = registry::ladder("reduce_sum").unwrap();
    let mut case = r
        .prepare_from(
            gpu,
            &Shape::n(4),
            DType::F32,
            vec![vec![1.0, 2.0, 3.0, 4.0]],
        )
        .unwrap();
    case.run(gpu, Target::Step(r.steps()[0])).unwrap();
    let o = case.output(gpu).unwrap();
    assert_eq!((o.shape, o.values), (vec![], vec![10.0]));
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "ceilings_are_measured_and_plausible",
        ceilings_are_measured_and_plausible,
    ),
    (
        "a_quick_bench_verifies_and_times_every_step",
        a_quick_bench_verifies_and_times_every_step,
    ),
    (
        "output_of_a_prepared_case_matches_its_inputs",
        output_of_a_prepared_case_matches_its_inputs,
    ),
];
