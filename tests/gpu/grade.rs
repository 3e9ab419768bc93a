//! `klab grade` on a device: the reference solutions of two exercises pass with their speed-up
//! measured in the same run, and the planted cheats fail (on the emulator, `KLAB_EMULATE=1`,
//! the speed test skips itself; the cheats are graded there too).

use kernel_lab::bench::TimingOptions;
use kernel_lab::grade::{self, Answer, CHEATS, Options, Status};
use kernel_lab::runtime::Gpu;

fn options(timing: TimingOptions) -> Options {
    Options {
        timing,
        ..Options::new()
    }
}

pub fn reference_solutions_pass_with_measured_speedups(gpu: &Gpu) {
    kernel_lab::testing::skip_if_emulated(gpu, "timing");
    for name in ["fusion", "bank-conflicts"] {
        let ex = grade::find(name).unwrap();
        let card = grade::grade(
            gpu,
            ex,
            Answer::Solution,
            &options(TimingOptions::default()),
        )
        .unwrap();
        eprintln!("{card}");
        assert!(card.speed.graded, "{name}: {:?}", card.speed.note);
        assert!(!card.speed.impossible, "{name}: {:?}", card.speed);
        let s = card.speed.speedup.unwrap();
        assert!(
            s > 1.0,
            "{name}: the solution is not faster than the baseline: {s}"
        );
        assert!(card.passed(), "{name}: {:?}", card.reasons);
    }
}

pub fn planted_cheats_fail(gpu: &Gpu) {
    for c in CHEATS {
        let ex = grade::find(c.exercise).unwrap();
        let card = grade::grade(
            gpu,
            ex,
            Answer::Kernel(c.symbols[0]),
            &options(TimingOptions::quick()),
        )
        .unwrap();
        assert_eq!(card.status, Status::Failed, "{} passed: {card}", c.trick);
        eprintln!(
            "{}: failed: {}",
            c.trick,
            card.reasons.first().map_or("", String::as_str)
        );
    }
}

pub const TESTS: &[crate::GpuTest] = &[
    (
        "reference_solutions_pass_with_measured_speedups",
        reference_solutions_pass_with_measured_speedups,
    ),
    ("planted_cheats_fail", planted_cheats_fail),
];
