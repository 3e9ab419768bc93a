//! Every registered step of every ladder, run by the CPU emulator on small awkward shapes.

use kernel_lab::registry::{self, Target, verify};
use kernel_lab::runtime::Gpu;

#[test]
fn smoke() {
    let gpu = Gpu::emulator();
    for ladder in registry::all_ladders() {
        for step in ladder.steps() {
            for shape in ladder
                .awkward_shapes()
                .into_iter()
                .filter(|s| s.numel() <= 1 << 18)
            {
                let t = std::time::Instant::now();
                let mut case = ladder.prepare(&gpu, &shape, step.dtype, 7).unwrap();
                let r = verify(case.as_mut(), &gpu, Target::Step(step));
                match r {
                    Ok(c) => eprintln!(
                        "{} {shape}: {} {:.3}s",
                        step.symbol,
                        if c.passed() { "ok" } else { "MISMATCH" },
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => eprintln!("{} {shape}: ERROR {e}", step.symbol),
                }
            }
        }
    }
}
