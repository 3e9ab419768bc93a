//! `klab list`.

use crate::error::Result;
use crate::registry;

/// Prints every ladder and its steps.
pub fn list() -> Result<()> {
    for l in registry::all_ladders() {
        let dtypes: Vec<&str> = l.dtypes().iter().map(|d| d.name()).collect();
        println!("{} — {} [{}]", l.name(), l.description(), dtypes.join(", "));
        for s in l.steps() {
            println!("{}", registry::kernel_line(s));
        }
    }
    Ok(())
}
