//! The course's exercises and challenges: one learner's file each (`<slot>.rs` here, a
//! documented stub with `IMPLEMENTED = false`), and [`EXERCISES`], the one table the grader
//! (`klab grade`), the tests and the course's docs read. An exercise is "given step N−1 of a
//! ladder, write step N": its kernel takes step N's parameter struct and is launched by the
//! ladder's own host code exactly as step N is, and its reference solution is step N itself.
//!
//! Every file listed in [`exercises!`] is compiled into the base PTX module and into the host
//! build, so a learner's edit joins the build with nothing to register: editing the file
//! *is* the submission. Adding an exercise is its stub file and one entry below.
//!
//! The planted cheats ([`cheats`]) are kernels the grader must fail; they are compiled in but
//! are no ladder's step.

pub mod cheats;

/// What an exercise's or challenge's kernel must reach on a GPU besides being correct.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// At least this speed-up over the baseline step, measured in the same run.
    Speedup(f64),
    /// At least this percentage of the ladder's ceiling (copy bandwidth for a transpose).
    PercentOfCeiling(f64),
    /// Speed is reported but not graded (a step that teaches something other than speed).
    Reported,
}

/// One exercise (or challenge) as declared in [`exercises!`].
#[cfg(not(target_arch = "nvptx64"))]
#[derive(Debug)]
pub struct Exercise {
    /// The name `klab grade` takes (`grid-stride`).
    pub name: &'static str,
    /// The course page that ends with it: `docs/course/<chapter>.md`.
    pub chapter: &'static str,
    /// One line: what the learner writes.
    pub title: &'static str,
    /// The ladder it belongs to.
    pub ladder: &'static str,
    /// The step the speed-up is measured against (N−1 for an exercise).
    pub baseline: u32,
    /// The reference solution, whose launch and host code the learner's kernel uses (N).
    pub solution: u32,
    /// What speed it must reach on a GPU.
    pub goal: Goal,
    /// The learner's file, from the repository root.
    pub file: &'static str,
    /// The learner's kernel (its PTX entry).
    pub symbols: &'static [&'static str],
    /// The same kernel compiled for the host (the CPU emulator).
    pub emulated: &'static [crate::emu::HostKernel],
    /// The file's `IMPLEMENTED`: `false` until the learner says the kernel is written.
    pub implemented: bool,
}

/// A planted cheat: a kernel that fits exercise `exercise` and must fail its grade.
#[cfg(not(target_arch = "nvptx64"))]
#[derive(Debug)]
pub struct Cheat {
    /// What it does, in a few words (`caches the first result`).
    pub trick: &'static str,
    /// The exercise whose parameters and launch it takes.
    pub exercise: &'static str,
    pub symbols: &'static [&'static str],
    pub emulated: &'static [crate::emu::HostKernel],
}

/// Declares each exercise's file (a module here) and the table [`EXERCISES`].
macro_rules! exercises {
    ($(
        $file:ident => {
            kernel: $kernel:ident,
            name: $name:literal,
            chapter: $chapter:literal,
            title: $title:literal,
            ladder: $ladder:literal,
            baseline: $baseline:literal,
            solution: $solution:literal,
            goal: $goal:expr $(,)?
        }
    ),+ $(,)?) => {
        $(
            pub mod $file;
        )+
        /// Every exercise and challenge, in the course's order.
        #[cfg(not(target_arch = "nvptx64"))]
        pub static EXERCISES: &[Exercise] = &[$(
            Exercise {
                name: $name,
                chapter: $chapter,
                title: $title,
                ladder: $ladder,
                baseline: $baseline,
                solution: $solution,
                goal: {
                    #[allow(unused_imports)]
                    use Goal::*;
                    $goal
                },
                file: concat!("kernels-gpu/src/exercises/", stringify!($file), ".rs"),
                symbols: &[$file::$kernel::SYMBOL],
                emulated: &[$file::$kernel::EMULATED],
                implemented: $file::IMPLEMENTED,
            }
        ),+];
    };
}

// Goals: about 85% of the speed-up the reference solution measured on an H200 at the ladder's
// benchmark shape (docs/ladders/*.md), so the solution passes with margin for noise.
exercises! {
    grid_stride => {
        kernel: exercise_grid_stride, name: "grid-stride", chapter: "01-anatomy",
        title: "a grid-stride loop over a fixed grid",
        ladder: "saxpy", baseline: 1, solution: 2, goal: Speedup(1.03),
    },
    divergence => {
        kernel: exercise_divergence, name: "divergence", chapter: "01-anatomy",
        title: "a shared-memory tree without divergent warps",
        ladder: "reduce_sum", baseline: 1, solution: 2, goal: Reported,
    },
    coalescing => {
        kernel: exercise_coalescing, name: "coalescing", chapter: "02-techniques",
        title: "coalesced loads and stores: threadIdx.x along the row",
        ladder: "gemm", baseline: 1, solution: 2, goal: Speedup(3.0),
    },
    smem_tiling => {
        kernel: exercise_smem_tiling, name: "smem-tiling", chapter: "02-techniques",
        title: "32 x 32 tiles of A and B in shared memory",
        ladder: "gemm", baseline: 2, solution: 3, goal: Speedup(3.0),
    },
    bank_conflicts => {
        kernel: exercise_bank_conflicts, name: "bank-conflicts", chapter: "02-techniques",
        title: "a padded shared tile: no bank conflicts",
        ladder: "transpose", baseline: 2, solution: 3, goal: Speedup(1.6),
    },
    warp_shuffle => {
        kernel: exercise_warp_shuffle, name: "warp-shuffle", chapter: "02-techniques",
        title: "the last tree levels as warp shuffles",
        ladder: "reduce_sum", baseline: 4, solution: 5, goal: Speedup(1.15),
    },
    unrolling => {
        kernel: exercise_unrolling, name: "unrolling", chapter: "02-techniques",
        title: "the tree unrolled for a block size known at compile time",
        ladder: "reduce_sum", baseline: 5, solution: 6, goal: Speedup(1.03),
    },
    fusion => {
        kernel: exercise_fusion, name: "fusion", chapter: "02-techniques",
        title: "bias + GELU in one kernel: no temporary",
        ladder: "bias_gelu", baseline: 1, solution: 2, goal: Speedup(1.6),
    },
    mixed_precision => {
        kernel: exercise_mixed_precision, name: "mixed-precision", chapter: "02-techniques",
        title: "bf16 storage, f32 arithmetic, 8 halves per 128-bit access",
        ladder: "saxpy", baseline: 3, solution: 4, goal: Speedup(1.7),
    },
    vectorize => {
        kernel: exercise_vectorize, name: "vectorize", chapter: "03-tooling",
        title: "128-bit loads and stores (prove LDG.E.128 with klab sass)",
        ladder: "saxpy", baseline: 2, solution: 3, goal: Speedup(1.08),
    },
    bias_gelu_bf16 => {
        kernel: exercise_bias_gelu_bf16, name: "bias-gelu-bf16", chapter: "04-integration",
        title: "the bf16 bias + GELU kernel behind a PyTorch op",
        ladder: "bias_gelu", baseline: 3, solution: 4, goal: Speedup(1.6),
    },
    single_pass => {
        kernel: exercise_single_pass, name: "single-pass", chapter: "05-testing",
        title: "one launch: an atomic counter and a fence, the last block finishes",
        ladder: "reduce_sum", baseline: 7, solution: 8, goal: Speedup(0.9),
    },
    challenge_reduce => {
        kernel: exercise_challenge_reduce, name: "challenge-reduce", chapter: "challenge",
        title: "beat reduce_sum/5 by 1.6x",
        ladder: "reduce_sum", baseline: 5, solution: 8, goal: Speedup(1.6),
    },
    challenge_transpose => {
        kernel: exercise_challenge_transpose, name: "challenge-transpose", chapter: "challenge",
        title: "an f32 transpose at 85% of copy bandwidth or more",
        ladder: "transpose", baseline: 3, solution: 5, goal: PercentOfCeiling(85.0),
    },
}

/// Every planted cheat.
#[cfg(not(target_arch = "nvptx64"))]
pub static CHEATS: &[Cheat] = {
    use cheats::*;
    &[
        Cheat {
            trick: "returns zeros",
            exercise: "fusion",
            symbols: &[exercise_cheat_zeros::SYMBOL],
            emulated: &[exercise_cheat_zeros::EMULATED],
        },
        Cheat {
            trick: "caches the first result",
            exercise: "fusion",
            symbols: &[exercise_cheat_cached::SYMBOL],
            emulated: &[exercise_cheat_cached::EMULATED],
        },
        Cheat {
            trick: "does the work only on the first call",
            exercise: "fusion",
            symbols: &[exercise_cheat_first_call::SYMBOL],
            emulated: &[exercise_cheat_first_call::EMULATED],
        },
        Cheat {
            trick: "writes the output from the previous call's inputs",
            exercise: "fusion",
            symbols: &[exercise_cheat_previous_inputs::SYMBOL],
            emulated: &[exercise_cheat_previous_inputs::EMULATED],
        },
    ]
};
