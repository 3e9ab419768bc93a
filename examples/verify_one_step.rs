//! Verify one step against its float64 reference from Rust: what `klab run` does, without the
//! timing. `cargo run --example verify_one_step [KERNEL]` (default `reduce_sum/5`).

use kernel_lab::registry::{self, Target};
use kernel_lab::{inputs, runtime::Gpu};

fn main() -> Result<(), kernel_lab::Error> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "reduce_sum/5".into());
    let gpu = Gpu::open_default()?;
    let (ladder, step) = registry::find(&name)?;
    let shape = ladder.default_shape();
    let mut case = ladder.prepare(&gpu, &shape, step.dtype, inputs::fresh_seed())?;
    let check = registry::verify(case.as_mut(), &gpu, Target::Step(step))?;
    println!("{} at {shape}: {check}", step.handle());
    if !check.passed() {
        std::process::exit(1);
    }
    Ok(())
}
