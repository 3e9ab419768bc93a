//! `klab grade`: grades a learner's kernel for one exercise or challenge (the table is
//! `kernels_gpu::exercises::EXERCISES`; docs/course/exercises.md).
//!
//! The learner's kernel runs in place of the exercise's solution step (step N of its ladder):
//! the ladder's own case launches it with step N's grid and parameter struct
//! ([`StepInfo::stands_in_for`]). Then:
//!
//! 1. **Correctness**, at every grading shape, on fresh random inputs (one seed per shape),
//!    outputs poisoned before the run: the per-element tolerance of the ladder's check, *and*
//!    the relative norm `‖out − ref‖ / ‖ref‖` under [`norm_bound`] (an all-zeros output has 1),
//!    and no NaN or infinity in the output.
//! 2. **Again after repeated runs**: at the timing shape the kernel runs as the timed loop
//!    runs it (no poison in between), then the case's inputs are regenerated in place
//!    ([`Case::refill`]), the kernel runs once more and the output is checked again — a kernel
//!    that keeps results between calls, defers work or writes the previous call's answer
//!    fails here.
//! 3. **Speed** (GPU only): the baseline step, the learner's kernel and the solution step are
//!    timed in the same run with the bench harness (L2 flushed, median), with the copy
//!    bandwidth and FP32 peak measured in the same run; a time below [`IMPOSSIBLE`] of the
//!    roofline floor `max(bytes / copy, FLOPs / peak)` is rejected as impossible.
//! 4. **Review card**: registers, spills, shared memory, theoretical occupancy and the SASS
//!    instruction mix beside the baseline step's (ptxas over the embedded PTX: no GPU needed).
//!
//! Without a GPU the same case runs on the CPU emulator (with its race and bounds checks) at
//! small shapes, and speed is "not graded: no GPU".

pub mod challenge;
mod review;

use crate::bench::{self, L2Flush, TimingOptions, ceilings};
use crate::error::{Error, Known, Result};
use crate::inputs;
use crate::ladder::{Ceiling, DType, Ladder, StepInfo, Target};
use crate::registry;
use crate::runtime::Gpu;
use crate::shape::Shape;
use crate::verify::Comparison;
pub use kernels_gpu::exercises::{CHEATS, Cheat, EXERCISES, Exercise, Goal};
pub use review::Review;
use serde::Serialize;

/// A time below this fraction of the roofline floor is impossible. The floor uses the copy
/// bandwidth measured in the same run (on an H200 ~4.24 TB/s, ~88% of the 4.8 TB/s HBM3e
/// peak), so a real kernel may come close to it or slightly under it; 85% of it is beyond the
/// memory's peak.
pub const IMPOSSIBLE: f64 = 0.85;

/// Elements of the largest problem graded on the CPU emulator, and its FLOPs.
const EMU_MAX_ELEMENTS: f64 = (1u64 << 17) as f64;
const EMU_MAX_FLOPS: f64 = (1u64 << 24) as f64;

/// Runs of the kernel between the first check and the refilled one on the emulator (on a GPU
/// the timed loop's).
const EMU_REPEATS: usize = 3;

/// The exercise or challenge named `name` (`grid-stride`), or a usage error listing them.
pub fn find(name: &str) -> Result<&'static Exercise> {
    EXERCISES.iter().find(|e| e.name == name).ok_or_else(|| {
        let known: Vec<Known> = EXERCISES
            .iter()
            .map(|e| Known {
                names: vec![e.name.to_string()],
                line: line(e),
                listed: true,
            })
            .collect();
        Error::unknown(
            "exercise",
            name,
            &known,
            "`klab grade --list` shows every exercise",
        )
    })
}

/// One exercise's line in `klab grade --list`.
pub fn line(e: &Exercise) -> String {
    format!(
        "  {:<20} {:<15} {:<16} {:<30} {}",
        e.name,
        e.chapter,
        if e.implemented {
            "implemented"
        } else {
            "not implemented"
        },
        format!("{}/{} -> {}/{}", e.ladder, e.baseline, e.ladder, e.solution),
        e.title
    )
}

/// The block an exercise's (or planted cheat's) kernel is launched with: its solution step's
/// (`klab occupancy exercise_grid_stride` without `--block`). `None` for other symbols.
pub fn launch_block(symbol: &str) -> Option<crate::ladder::BlockSize> {
    let ex = EXERCISES
        .iter()
        .find(|e| e.symbols.contains(&symbol))
        .or_else(|| {
            let c = CHEATS.iter().find(|c| c.symbols.contains(&symbol))?;
            find(c.exercise).ok()
        })?;
    let ladder = registry::ladder(ex.ladder)?;
    let step = ladder.steps().into_iter().find(|s| s.id == ex.solution)?;
    ladder.launch_block(step.symbol)
}

/// What is graded as the learner's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The learner's file (`Exercise::file`).
    Learner,
    /// The ladder's own step N: the reference solution (`--solution`).
    Solution,
    /// Another registered kernel with the exercise's parameters (`--kernel SYMBOL`: the
    /// planted cheats, another exercise's file of the same step).
    Kernel(&'static str),
}

/// How to grade.
#[derive(Debug, Clone)]
pub struct Options {
    /// The seed of the first shape's inputs (each later check takes the next seeds).
    pub seed: u64,
    /// Shapes to check instead of the defaults.
    pub shapes: Option<Vec<Shape>>,
    /// The shape speed is measured at instead of the ladder's first benchmark shape.
    pub timing_shape: Option<Shape>,
    /// The timing loop's options.
    pub timing: TimingOptions,
    /// The goal instead of the exercise's (a challenge file's target).
    pub goal: Option<Goal>,
    /// The baseline step instead of the exercise's.
    pub baseline: Option<u32>,
}

impl Options {
    /// Defaults with a fresh seed (`KLAB_SEED` fixes it).
    pub fn new() -> Self {
        Self {
            seed: inputs::fresh_seed(),
            shapes: None,
            timing_shape: None,
            timing: TimingOptions::default(),
            goal: None,
            baseline: None,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::new()
    }
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    NotImplemented,
}

/// One correctness check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub shape: String,
    /// `fresh inputs` or `after repeated runs, inputs regenerated`.
    pub phase: &'static str,
    pub seed: u64,
    pub passed: bool,
    pub elements: usize,
    /// Elements outside the per-element tolerance (NaN included).
    pub failed: usize,
    /// NaN or infinite outputs.
    pub non_finite: usize,
    pub max_abs_err: f64,
    pub rel_norm: f64,
    pub norm_bound: f64,
    /// Why it failed, one line (`None` when it passed).
    pub why: Option<String>,
}

/// One timed kernel.
#[derive(Debug, Clone, Serialize)]
pub struct Timed {
    pub kernel: String,
    pub median_ms: f64,
    pub p20_ms: f64,
    pub p80_ms: f64,
    pub reps: usize,
}

/// The speed part of the card.
#[derive(Debug, Clone, Serialize)]
pub struct Speed {
    /// Whether speed was measured and graded.
    pub graded: bool,
    /// Why not, when not (`no GPU`).
    pub note: Option<String>,
    pub shape: Option<String>,
    pub baseline: Option<Timed>,
    pub answer: Option<Timed>,
    pub solution: Option<Timed>,
    /// Baseline time over the answer's.
    pub speedup: Option<f64>,
    /// Baseline time over the solution's (what the reference reaches in this run).
    pub solution_speedup: Option<f64>,
    /// The answer's throughput as a percentage of the ladder's ceiling.
    pub pct_of_ceiling: Option<f64>,
    pub ceiling: &'static str,
    pub goal: String,
    pub goal_met: Option<bool>,
    pub copy_gbps: Option<f64>,
    pub fma_tflops: Option<f64>,
    pub ceiling_value: Option<f64>,
    /// `max(bytes / copy, FLOPs / peak)` at the timing shape.
    pub floor_ms: Option<f64>,
    /// The answer ran faster than [`IMPOSSIBLE`] of the floor.
    pub impossible: bool,
}

/// The whole grade: what `klab grade` prints, and its `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub exercise: &'static str,
    pub chapter: &'static str,
    pub title: &'static str,
    pub ladder: &'static str,
    pub baseline: String,
    pub solution: String,
    /// The kernel graded, and whose it is (`learner`, `solution`, `kernel`).
    pub answer: String,
    pub answer_kind: &'static str,
    pub file: &'static str,
    pub device: String,
    pub emulated: bool,
    pub status: Status,
    /// Every reason it did not pass, one line each.
    pub reasons: Vec<String>,
    pub correctness: Vec<Check>,
    pub speed: Speed,
    pub review: Option<Review>,
    /// Why there is no review card (ptxas or nvdisasm missing).
    pub review_note: Option<String>,
    /// What the grade left out, one line each (shapes too large for the emulator).
    pub notes: Vec<String>,
    pub seconds: f64,
    pub commit: String,
}

impl Card {
    /// Whether it passed.
    pub fn passed(&self) -> bool {
        self.status == Status::Passed
    }
}

/// The relative-norm bound of a check whose per-element tolerance has relative part `rtol`:
/// ten times it, at least 1e-4 and at most 0.05 — far below the 1 of an all-zeros output or
/// of the previous call's result.
pub fn norm_bound(rtol: f64) -> f64 {
    (10.0 * rtol).clamp(1e-4, 0.05)
}

/// Judges one comparison and the output's values (for NaN and infinities).
fn judge(c: &Comparison, values: &[f32], shape: &Shape, phase: &'static str, seed: u64) -> Check {
    let non_finite = values.iter().filter(|v| !v.is_finite()).count();
    let bound = norm_bound(c.tolerance.rtol);
    // A single value (a reduction) is judged by the per-element tolerance alone: its norm is
    // its own error, and its reference may be near 0.
    let norm_ok = c.elements <= 1 || c.rel_norm <= bound;
    let why = if non_finite > 0 {
        Some(format!(
            "{non_finite} of {} outputs are NaN or infinite (an element never written keeps \
             the NaN poison)",
            values.len()
        ))
    } else if !c.passed() {
        Some(format!(
            "{} of {} elements outside |out - ref| <= {:e} + {:e}·|ref| (max error {:.3e}, \
             relative norm {:.3e}){}",
            c.failed,
            c.elements,
            c.tolerance.atol,
            c.tolerance.rtol,
            c.max_abs_err,
            c.rel_norm,
            c.first
                .first()
                .map(|m| format!("; first at {:?}: got {} want {}", m.index, m.got, m.want))
                .unwrap_or_default()
        ))
    } else if !norm_ok {
        Some(format!(
            "relative norm ‖out − ref‖/‖ref‖ = {:.3e} over {bound:.1e}",
            c.rel_norm
        ))
    } else {
        None
    };
    Check {
        shape: shape.to_string(),
        phase,
        seed,
        passed: why.is_none(),
        elements: c.elements,
        failed: c.failed,
        non_finite,
        max_abs_err: c.max_abs_err,
        rel_norm: c.rel_norm,
        norm_bound: bound,
        why,
    }
}

/// A check that could not run (the kernel failed to launch, an emulator check fired).
fn errored(shape: &Shape, phase: &'static str, seed: u64, e: &Error) -> Check {
    Check {
        shape: shape.to_string(),
        phase,
        seed,
        passed: false,
        elements: 0,
        failed: 0,
        non_finite: 0,
        max_abs_err: f64::NAN,
        rel_norm: f64::NAN,
        norm_bound: f64::NAN,
        why: Some(format!("the run failed: {e}")),
    }
}

/// Whether the emulator grades `shape` (small problems only).
fn emulator_fits(ladder: &dyn Ladder, shape: &Shape, dtype: DType) -> bool {
    let w = ladder.work(shape, dtype);
    w.bytes / dtype.size() as f64 <= EMU_MAX_ELEMENTS && w.flops <= EMU_MAX_FLOPS
}

/// The shapes a grade checks by default: the ladder's awkward shapes and its first benchmark
/// shape; on the emulator only those of at most 2^17 elements and 2^24 FLOPs.
pub fn default_shapes(ladder: &dyn Ladder, dtype: DType, emulated: bool) -> Vec<Shape> {
    let mut shapes = ladder.awkward_shapes();
    shapes.extend(ladder.bench_shapes().into_iter().take(1));
    if emulated {
        shapes.retain(|s| emulator_fits(ladder, s, dtype));
    }
    shapes
}

/// Step `id` of `ladder`, or an error naming the exercise.
fn step_of(ladder: &dyn Ladder, id: u32, ex: &Exercise) -> Result<&'static StepInfo> {
    ladder
        .steps()
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| {
            Error::Other(format!(
                "exercise {}: {} has no step {id}",
                ex.name, ex.ladder
            ))
        })
}

/// The step record of the answer: the solution step itself, or a kernel standing in for it.
fn answer_step(ex: &Exercise, solution: &'static StepInfo, answer: Answer) -> Result<StepInfo> {
    let stand_in = |symbols: &'static [&'static str], emulated| StepInfo {
        symbol: symbols[0],
        symbols,
        emulated,
        stands_in_for: Some(solution.symbol),
        ..*solution
    };
    match answer {
        Answer::Solution => Ok(*solution),
        Answer::Learner => Ok(stand_in(ex.symbols, ex.emulated)),
        Answer::Kernel(sym) => {
            if let Some(c) = CHEATS.iter().find(|c| c.symbols[0] == sym) {
                if c.exercise != ex.name {
                    return Err(Error::Usage(format!(
                        "--kernel {sym} takes the parameters of exercise {}, not {}",
                        c.exercise, ex.name
                    )));
                }
                return Ok(stand_in(c.symbols, c.emulated));
            }
            if let Some(o) = EXERCISES.iter().find(|o| o.symbols[0] == sym) {
                if (o.ladder, o.solution) != (ex.ladder, ex.solution) {
                    return Err(Error::Usage(format!(
                        "--kernel {sym} is exercise {}'s, launched as {}/{}; {} is launched as \
                         {}/{}",
                        o.name, o.ladder, o.solution, ex.name, ex.ladder, ex.solution
                    )));
                }
                return Ok(stand_in(o.symbols, o.emulated));
            }
            let known: Vec<String> = CHEATS
                .iter()
                .filter(|c| c.exercise == ex.name)
                .map(|c| c.symbols[0].to_string())
                .collect();
            Err(Error::Usage(format!(
                "--kernel {sym}: not an exercise's or planted cheat's kernel{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (for {}: {})", ex.name, known.join(", "))
                }
            )))
        }
    }
}

/// Grades `answer` for exercise `ex` on `gpu`.
pub fn grade(gpu: &Gpu, ex: &'static Exercise, answer: Answer, opts: &Options) -> Result<Card> {
    let started = std::time::Instant::now();
    let ladder = registry::find_ladder(ex.ladder)?;
    let solution = step_of(ladder, ex.solution, ex)?;
    let baseline = step_of(ladder, opts.baseline.unwrap_or(ex.baseline), ex)?;
    let step = answer_step(ex, solution, answer)?;
    let goal = opts.goal.unwrap_or(ex.goal);
    let mut card = Card {
        exercise: ex.name,
        chapter: ex.chapter,
        title: ex.title,
        ladder: ex.ladder,
        baseline: baseline.handle(),
        solution: solution.handle(),
        answer: step.symbol.to_string(),
        answer_kind: match answer {
            Answer::Learner => "learner",
            Answer::Solution => "solution",
            Answer::Kernel(_) => "kernel",
        },
        file: ex.file,
        device: gpu.info().name.clone(),
        emulated: gpu.is_emulated(),
        status: Status::Failed,
        reasons: Vec::new(),
        correctness: Vec::new(),
        speed: Speed {
            graded: false,
            note: None,
            shape: None,
            baseline: None,
            answer: None,
            solution: None,
            speedup: None,
            solution_speedup: None,
            pct_of_ceiling: None,
            ceiling: ladder.ceiling().label(),
            goal: goal_text(goal, baseline),
            goal_met: None,
            copy_gbps: None,
            fma_tflops: None,
            ceiling_value: None,
            floor_ms: None,
            impossible: false,
        },
        review: None,
        review_note: None,
        notes: Vec::new(),
        seconds: 0.0,
        commit: bench::runner::git_commit(),
    };
    if answer == Answer::Learner && !ex.implemented {
        card.status = Status::NotImplemented;
        card.reasons.push(format!(
            "not implemented: write the kernel in {} and set IMPLEMENTED = true",
            ex.file
        ));
        card.speed.note = Some("not graded: not implemented".into());
        card.seconds = started.elapsed().as_secs_f64();
        return Ok(card);
    }
    if let Some(line) = gpu.skips(&step) {
        return Err(Error::Other(line));
    }

    // 1. Fresh inputs at every shape.
    let emulated = gpu.is_emulated();
    let dtype = step.dtype;
    let mut shapes = match &opts.shapes {
        Some(s) => s.clone(),
        None => default_shapes(ladder, dtype, emulated),
    };
    if emulated {
        let (fit, big): (Vec<Shape>, Vec<Shape>) = shapes
            .into_iter()
            .partition(|s| emulator_fits(ladder, s, dtype));
        if !big.is_empty() {
            let big: Vec<String> = big.iter().map(Shape::to_string).collect();
            card.notes.push(format!(
                "left out on the CPU emulator (over 2^17 elements or 2^24 FLOPs): {}",
                big.join(", ")
            ));
        }
        shapes = fit;
    }
    let mut seed = opts.seed;
    for shape in &shapes {
        let check = check_fresh(gpu, ladder, &step, shape, seed);
        seed = seed.wrapping_add(1);
        card.correctness.push(check);
    }

    // 2 and 3. Repeated runs (the timed loop on a GPU), then regenerated inputs.
    let timing_shape = match (&opts.timing_shape, emulated) {
        (Some(s), false) => s.clone(),
        (None, false) => ladder.bench_shapes()[0].clone(),
        // The largest graded shape.
        (_, true) => shapes
            .iter()
            .max_by_key(|s| s.numel())
            .cloned()
            .unwrap_or_else(|| ladder.default_shape()),
    };
    let repeat = repeat_check(gpu, ladder, &step, &timing_shape, seed, opts);
    match repeat {
        Ok((check, answer_time)) => {
            card.correctness.push(check);
            if emulated {
                card.speed.note = Some(
                    "not graded: no GPU (correctness on the CPU emulator, at small shapes)".into(),
                );
            } else if let Some(t) = answer_time
                && let Err(e) = time_speed(
                    gpu,
                    ladder,
                    baseline,
                    solution,
                    &step,
                    t,
                    &timing_shape,
                    seed.wrapping_add(2),
                    goal,
                    opts,
                    &mut card.speed,
                )
            {
                card.speed.note = Some(format!("not graded: {e}"));
                card.reasons
                    .push(format!("speed could not be measured: {e}"));
            } else if answer_time.is_none() {
                card.speed.note = Some("not graded: the kernel failed its check".into());
            }
        }
        Err(e) => {
            card.correctness.push(errored(
                &timing_shape,
                "after repeated runs, inputs regenerated",
                seed,
                &e,
            ));
            card.speed.note = Some("not graded: the repeated runs failed".into());
        }
    }

    // 4. Review card.
    match review::review(ladder, &step, baseline, gpu) {
        Ok(r) => card.review = Some(r),
        Err(e) => card.review_note = Some(format!("no review card: {e}")),
    }

    for c in &card.correctness {
        if let Some(why) = &c.why {
            card.reasons
                .push(format!("{} ({}, seed {}): {why}", c.shape, c.phase, c.seed));
        }
    }
    if card.speed.impossible {
        card.reasons.push(format!(
            "impossible time: {:.4} ms is under {:.0}% of the roofline floor {:.4} ms",
            card.speed.answer.as_ref().map_or(f64::NAN, |t| t.median_ms),
            IMPOSSIBLE * 100.0,
            card.speed.floor_ms.unwrap_or(f64::NAN)
        ));
    }
    if card.speed.goal_met == Some(false) {
        card.reasons.push(format!(
            "speed: goal {} not met ({})",
            card.speed.goal,
            achieved(&card.speed)
        ));
    }
    card.status = if card.reasons.is_empty() {
        Status::Passed
    } else {
        Status::Failed
    };
    card.seconds = started.elapsed().as_secs_f64();
    Ok(card)
}

/// What the answer reached, in the goal's terms.
fn achieved(s: &Speed) -> String {
    match (s.speedup, s.pct_of_ceiling) {
        (Some(x), Some(p)) => format!("{x:.2}× the baseline, {p:.1}% of {}", s.ceiling),
        (Some(x), None) => format!("{x:.2}× the baseline"),
        _ => "not measured".into(),
    }
}

fn goal_text(goal: Goal, baseline: &StepInfo) -> String {
    match goal {
        Goal::Speedup(x) => format!("≥ {x}× {}", baseline.handle()),
        Goal::PercentOfCeiling(p) => format!("≥ {p}% of the ceiling"),
        Goal::Reported => "none (speed reported only)".into(),
    }
}

/// One check on fresh inputs: prepare, poison, run once, compare.
fn check_fresh(gpu: &Gpu, ladder: &dyn Ladder, step: &StepInfo, shape: &Shape, seed: u64) -> Check {
    const PHASE: &str = "fresh inputs";
    let run = || -> Result<Check> {
        let mut case = ladder.prepare(gpu, shape, step.dtype, seed)?;
        let c = crate::ladder::verify(&mut *case, gpu, Target::Step(step))?;
        let out = case.output(gpu)?;
        Ok(judge(&c, &out.values, shape, PHASE, seed))
    };
    run().unwrap_or_else(|e| errored(shape, PHASE, seed, &e))
}

/// The check after repeated runs: a first verified run, then the timed loop on a GPU (its
/// time is returned) or [`EMU_REPEATS`] runs on the emulator, each after the case's reset and
/// without poisoning; then new inputs in the same buffers, one more run, and the check.
fn repeat_check(
    gpu: &Gpu,
    ladder: &dyn Ladder,
    step: &StepInfo,
    shape: &Shape,
    seed: u64,
    opts: &Options,
) -> Result<(Check, Option<bench::Stats>)> {
    const PHASE: &str = "after repeated runs, inputs regenerated";
    let target = Target::Step(step);
    let mut case = ladder.prepare(gpu, shape, step.dtype, seed)?;
    let first = crate::ladder::verify(&mut *case, gpu, target)?;
    let out = case.output(gpu)?;
    let first = judge(&first, &out.values, shape, "fresh inputs", seed);
    if !first.passed {
        return Ok((first, None));
    }
    let stats = if gpu.is_emulated() {
        for _ in 0..EMU_REPEATS {
            case.reset(gpu)?;
            case.run(gpu, target)?;
        }
        None
    } else {
        let flush = L2Flush::new(gpu)?;
        Some(bench::time_case(
            gpu,
            &mut *case,
            target,
            &opts.timing,
            Some(&flush),
        )?)
    };
    let fresh = seed.wrapping_add(1_000_003);
    case.refill(gpu, ladder.random_inputs(shape, fresh)?)?;
    case.reset(gpu)?;
    case.run(gpu, target)?;
    let c = case.check(gpu)?;
    let out = case.output(gpu)?;
    let mut check = judge(&c, &out.values, shape, PHASE, fresh);
    if let Some(why) = &mut check.why {
        why.insert_str(
            0,
            "right on fresh inputs, wrong once the inputs changed in place after repeated runs \
             — the kernel keeps results between calls (a cache, work done only on some calls, \
             or the previous call's answer): ",
        );
    }
    Ok((check, stats))
}

fn timed(kernel: &str, s: &bench::Stats) -> Timed {
    Timed {
        kernel: kernel.to_string(),
        median_ms: s.median_ms,
        p20_ms: s.p20_ms,
        p80_ms: s.p80_ms,
        reps: s.reps,
    }
}

/// Times the baseline and the solution at the answer's timing shape, measures the ceilings,
/// and fills in `speed`.
#[allow(clippy::too_many_arguments)]
fn time_speed(
    gpu: &Gpu,
    ladder: &dyn Ladder,
    baseline: &StepInfo,
    solution: &StepInfo,
    step: &StepInfo,
    answer: bench::Stats,
    shape: &Shape,
    seed: u64,
    goal: Goal,
    opts: &Options,
    speed: &mut Speed,
) -> Result<()> {
    let flush = L2Flush::new(gpu)?;
    let time_step = |s: &StepInfo| -> Result<bench::Stats> {
        let mut case = ladder.prepare(gpu, shape, s.dtype, seed)?;
        let c = crate::ladder::verify(&mut *case, gpu, Target::Step(s))?;
        if !c.passed() {
            return Err(Error::Other(format!(
                "{} fails its own check: {c}",
                s.handle()
            )));
        }
        bench::time_case(gpu, &mut *case, Target::Step(s), &opts.timing, Some(&flush))
    };
    let base = time_step(baseline)?;
    let sol = if step.symbol == solution.symbol {
        answer
    } else {
        time_step(solution)?
    };
    let copy = ceilings::copy_gbps(gpu, &opts.timing, &flush)?;
    let fma = ceilings::fma_tflops(gpu, &opts.timing)?;
    let ceiling_value = match ladder.ceiling() {
        Ceiling::CopyGbps => Some(copy),
        Ceiling::ReadGbps => ceilings::read_gbps(gpu, &opts.timing, &flush).ok(),
        Ceiling::FmaTflops => Some(fma),
        Ceiling::CublasSgemmTflops => ceilings::cublas_sgemm_tflops(gpu, &opts.timing).ok(),
        Ceiling::CublasBf16Tflops => ceilings::cublas_bf16_tflops(gpu, &opts.timing).ok(),
    };
    let work = ladder.work(shape, step.dtype);
    let floor_ms = (work.bytes / (copy * 1e6)).max(work.flops / (fma * 1e9));
    let c = ladder.ceiling();
    let pct = ceiling_value.map(|v| {
        let got = if c.is_bandwidth() {
            ceilings::gbps(work.bytes, answer.median_ms)
        } else {
            ceilings::tflops(work.flops, answer.median_ms)
        };
        100.0 * got / v
    });
    speed.graded = true;
    speed.shape = Some(shape.to_string());
    speed.baseline = Some(timed(baseline.symbol, &base));
    speed.answer = Some(timed(step.symbol, &answer));
    speed.solution = Some(timed(solution.symbol, &sol));
    speed.speedup = Some(base.median_ms / answer.median_ms);
    speed.solution_speedup = Some(base.median_ms / sol.median_ms);
    speed.pct_of_ceiling = pct;
    speed.copy_gbps = Some(copy);
    speed.fma_tflops = Some(fma);
    speed.ceiling_value = ceiling_value;
    speed.floor_ms = Some(floor_ms);
    (speed.impossible, speed.goal_met) =
        speed_verdict(base.median_ms, answer.median_ms, floor_ms, pct, goal);
    Ok(())
}

/// Whether a time of `answer_ms` is impossible (under [`IMPOSSIBLE`] of the roofline floor),
/// and whether it meets `goal` (`None`: no goal) against a baseline of `base_ms`, `pct` being
/// its percentage of the ceiling. An impossible time never meets a goal.
pub fn speed_verdict(
    base_ms: f64,
    answer_ms: f64,
    floor_ms: f64,
    pct: Option<f64>,
    goal: Goal,
) -> (bool, Option<bool>) {
    // A NaN time (no measurement) is impossible too.
    let impossible = answer_ms.is_nan() || answer_ms < IMPOSSIBLE * floor_ms;
    let met = match goal {
        Goal::Speedup(x) => Some(base_ms / answer_ms >= x),
        Goal::PercentOfCeiling(p) => Some(pct.is_some_and(|got| got >= p)),
        Goal::Reported => None,
    };
    (impossible, met.map(|m| m && !impossible))
}

impl std::fmt::Display for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = match (self.status, self.speed.graded) {
            (Status::Passed, true) => "PASSED".to_string(),
            (Status::Passed, false) => "PASSED (correctness only; speed not graded)".to_string(),
            (Status::Failed, _) => "FAILED".to_string(),
            (Status::NotImplemented, _) => "NOT IMPLEMENTED".to_string(),
        };
        writeln!(f, "klab grade {}: {verdict}", self.exercise)?;
        writeln!(
            f,
            "  {} ({} -> {}), docs/course/{}.md",
            self.title, self.baseline, self.solution, self.chapter
        )?;
        writeln!(
            f,
            "  kernel   {} ({}{})",
            self.answer,
            self.answer_kind,
            if self.answer_kind == "learner" {
                format!(", {}", self.file)
            } else {
                String::new()
            }
        )?;
        writeln!(
            f,
            "  device   {}{}",
            self.device,
            if self.emulated {
                ": small shapes, race and bounds checks"
            } else {
                ""
            }
        )?;
        if self.status == Status::NotImplemented {
            for r in &self.reasons {
                writeln!(f, "  {r}")?;
            }
            return Ok(());
        }
        writeln!(f, "correctness")?;
        for c in &self.correctness {
            let what = match &c.why {
                None => format!(
                    "ok    rel norm {:.1e}, max err {:.1e}",
                    c.rel_norm, c.max_abs_err
                ),
                Some(why) => format!("FAIL  {why}"),
            };
            writeln!(f, "  {:<14} {:<40} {what}", c.shape, c.phase)?;
        }
        writeln!(f, "speed")?;
        let s = &self.speed;
        match (&s.baseline, &s.answer, &s.solution) {
            (Some(b), Some(a), Some(r)) if s.graded => {
                writeln!(f, "  shape {}", s.shape.as_deref().unwrap_or("-"))?;
                for (what, t) in [("baseline", b), ("answer", a), ("solution", r)] {
                    writeln!(
                        f,
                        "  {what:<9} {:<34} {:>9.4} ms median ({} reps, p20-p80 {:.4}-{:.4})",
                        t.kernel, t.median_ms, t.reps, t.p20_ms, t.p80_ms
                    )?;
                }
                writeln!(
                    f,
                    "  speed-up {:.2}× (the solution: {:.2}×); goal {}: {}",
                    s.speedup.unwrap_or(f64::NAN),
                    s.solution_speedup.unwrap_or(f64::NAN),
                    s.goal,
                    match s.goal_met {
                        Some(true) => "met",
                        Some(false) => "NOT met",
                        None => "-",
                    }
                )?;
                if let Some(p) = s.pct_of_ceiling {
                    writeln!(f, "  {p:.1}% of {}", s.ceiling)?;
                }
                writeln!(
                    f,
                    "  roofline floor {:.4} ms (copy {:.0} GB/s, FP32 {:.1} TFLOP/s measured in this run){}",
                    s.floor_ms.unwrap_or(f64::NAN),
                    s.copy_gbps.unwrap_or(f64::NAN),
                    s.fma_tflops.unwrap_or(f64::NAN),
                    if s.impossible { ": IMPOSSIBLE" } else { "" }
                )?;
            }
            _ => writeln!(
                f,
                "  {} (goal {})",
                s.note.as_deref().unwrap_or("not graded"),
                s.goal
            )?,
        }
        match (&self.review, &self.review_note) {
            (Some(r), _) => write!(f, "{r}")?,
            (None, Some(n)) => writeln!(f, "review\n  {n}")?,
            (None, None) => {}
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        if !self.reasons.is_empty() {
            writeln!(f, "why it failed")?;
            for r in &self.reasons {
                writeln!(f, "  {r}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::{Tolerance, compare};

    #[test]
    fn an_all_zeros_output_fails_even_where_the_elementwise_tolerance_is_loose() {
        let want: Vec<f64> = (0..100).map(|i| 1e-3 * (i as f64 - 50.0)).collect();
        let shape = Shape::n(want.len());
        // atol 0.1 lets every zero through the per-element rule; the norm rule stops it.
        let loose = Tolerance {
            atol: 0.1,
            rtol: 1e-3,
        };
        let zeros = vec![0.0f32; want.len()];
        let c = compare(&zeros, &want, &shape, loose);
        assert!(c.passed(), "the per-element rule alone passes zeros here");
        let j = judge(&c, &zeros, &shape, "fresh inputs", 0);
        assert!(
            !j.passed && j.why.as_deref().unwrap().contains("relative norm"),
            "{j:?}"
        );
        let exact: Vec<f32> = want.iter().map(|&v| v as f32).collect();
        let c = compare(&exact, &want, &shape, loose);
        assert!(judge(&c, &exact, &shape, "fresh inputs", 0).passed);
    }

    #[test]
    fn nan_and_infinity_fail() {
        let want = vec![1.0f64; 4];
        let shape = Shape::n(4);
        let huge = Tolerance {
            atol: f64::INFINITY,
            rtol: 0.0,
        };
        for bad in [f32::NAN, f32::INFINITY] {
            let got = vec![1.0, bad, 1.0, 1.0];
            let c = compare(&got, &want, &shape, huge);
            let j = judge(&c, &got, &shape, "fresh inputs", 0);
            assert!(!j.passed && j.non_finite == 1, "{bad}: {j:?}");
        }
    }

    #[test]
    fn a_time_under_the_roofline_floor_is_impossible_and_meets_no_goal() {
        // A 64 Mi f32 reduction at 4240 GB/s: floor 0.0633 ms.
        let floor = 4.0 * (64u64 << 20) as f64 / (4240.0 * 1e6);
        let base = 0.1209;
        // The reference (0.0671 ms, 94% of copy): possible, 1.80x meets 1.6x.
        assert_eq!(
            speed_verdict(base, 0.0671, floor, Some(94.0), Goal::Speedup(1.6)),
            (false, Some(true))
        );
        // Slightly under the floor (timing noise, or 4.3 TB/s): still possible.
        assert!(!speed_verdict(base, 0.97 * floor, floor, None, Goal::Reported).0);
        // A cached or skipped kernel: 0.005 ms, 24x "faster" than the baseline: rejected.
        assert_eq!(
            speed_verdict(base, 0.005, floor, Some(1300.0), Goal::Speedup(1.6)),
            (true, Some(false))
        );
        assert!(speed_verdict(base, f64::NAN, floor, None, Goal::Reported).0);
        // Too slow for the goal.
        assert_eq!(
            speed_verdict(base, 0.1, floor, Some(60.0), Goal::Speedup(1.6)),
            (false, Some(false))
        );
        assert_eq!(
            speed_verdict(base, 0.1, floor, None, Goal::PercentOfCeiling(85.0)),
            (false, Some(false))
        );
    }

    #[test]
    fn norm_bounds_stay_far_below_one() {
        assert_eq!(norm_bound(0.0), 1e-4);
        assert_eq!(norm_bound(1e-3), 1e-2);
        assert_eq!(norm_bound(1.0), 0.05);
    }

    #[test]
    fn every_exercise_names_steps_its_ladder_has_and_is_found_by_name() {
        for e in EXERCISES {
            let l = registry::find_ladder(e.ladder).unwrap();
            step_of(l, e.baseline, e).unwrap();
            let s = step_of(l, e.solution, e).unwrap();
            assert!(e.baseline < e.solution, "{}", e.name);
            assert_eq!(find(e.name).unwrap().name, e.name);
            let a = answer_step(e, s, Answer::Learner).unwrap();
            assert_eq!(a.stands_in_for, Some(s.symbol));
            assert_eq!(a.symbol, e.symbols[0]);
        }
        assert!(find("nope").unwrap_err().is_usage());
        let transpose = launch_block("exercise_bank_conflicts").unwrap();
        assert_eq!(transpose.launch, 32 * 8);
        assert_eq!(launch_block("exercise_cheat_zeros").unwrap().launch, 256);
        assert!(launch_block("saxpy_s01_naive").is_none());
    }
}
