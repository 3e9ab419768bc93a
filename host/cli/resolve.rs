//! Kernel names for the inspection commands (`ptx`, `sass`, `occupancy`): a registered step
//! (symbol, `ladder/step`, `ladder/slug`), or any entry point of the embedded PTX (the second
//! kernel of a multi-kernel step, ceilings, self-tests).

use crate::error::Result;
use crate::registry::{self, StepInfo};

/// A kernel to inspect.
pub struct Target {
    /// The PTX entry point.
    pub symbol: String,
    /// The registered step, if the name names one.
    pub step: Option<&'static StepInfo>,
}

impl Target {
    /// `symbol (ladder/step)` or just the symbol.
    pub fn label(&self) -> String {
        match self.step {
            Some(s) if s.symbol == self.symbol => format!("{} ({})", self.symbol, s.handle()),
            _ => self.symbol.clone(),
        }
    }

    /// The other entry points the step launches (empty for a single-kernel step).
    pub fn companions(&self) -> Vec<&'static str> {
        self.step
            .map(|s| {
                s.symbols
                    .iter()
                    .copied()
                    .filter(|x| *x != self.symbol)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Resolves `name`; unknown names are [`crate::Error::UnknownKernel`] listing the registry.
pub fn resolve(name: &str) -> Result<Target> {
    match registry::find(name) {
        Ok((_, step)) => Ok(Target {
            symbol: step.symbol.to_string(),
            step: Some(step),
        }),
        Err(e) => {
            if crate::ptx::entry_names(crate::ptx::PTX).contains(&name) {
                Ok(Target {
                    symbol: name.to_string(),
                    step: registry::all_steps().find(|s| s.symbols.contains(&name)),
                })
            } else {
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_steps_and_plain_entry_points_and_rejects_the_rest() {
        let s = registry::all_steps().next().unwrap();
        let t = resolve(&s.handle()).unwrap();
        assert_eq!(t.symbol, s.symbol);
        assert!(t.label().contains(&s.handle()));
        for entry in crate::ptx::entry_names(crate::ptx::PTX) {
            assert_eq!(resolve(entry).unwrap().symbol, entry);
        }
        assert!(matches!(
            resolve("no_such_kernel"),
            Err(crate::Error::UnknownKernel { .. })
        ));
    }
}
