//! `klab list`.

use crate::error::Result;
use crate::registry;

/// Prints every ladder and its steps.
pub fn list() -> Result<()> {
    for l in registry::all_ladders() {
        println!("{} — {}", l.name(), l.description());
        for s in l.steps() {
            println!("{}", registry::kernel_line(s));
        }
    }
    Ok(())
}
