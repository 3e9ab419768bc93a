//! Kernel names for the inspection commands (`ptx`, `sass`, `occupancy`): a registered step
//! (symbol, `ladder/step`, `ladder/slug`), or any entry point of the embedded PTX (the second
//! kernel of a multi-kernel step, ceilings, self-tests); and their `--arch` values.

use crate::error::{Error, Known, Result};
use crate::registry::{self, Arch, StepInfo};

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

    /// `ladder/step` when the kernel is its step's main symbol, else the symbol.
    pub fn short_name(&self) -> String {
        match self.step {
            Some(s) if s.symbol == self.symbol => s.handle(),
            _ => self.symbol.clone(),
        }
    }

    /// The architecture of the PTX module that holds the kernel.
    pub fn module(&self) -> Arch {
        crate::ptx::module_of(&self.symbol).unwrap_or(Arch::Sm80)
    }

    /// The PTX text of the module that holds the kernel.
    pub fn module_text(&self) -> &'static str {
        crate::ptx::module(self.module())
    }

    /// The architecture to assemble for when `--arch` is not given: `sm_90a` for a kernel of
    /// the sm_90a module, else `fallback` (the device's, or [`crate::tools::DEFAULT_ARCH`]).
    pub fn default_arch(&self, fallback: &str) -> String {
        match self.module() {
            Arch::Sm90a => Arch::Sm90a.name().to_string(),
            Arch::Sm80 => fallback.to_string(),
        }
    }

    /// Checks an `--arch` value for this kernel: [`check_arch`], and for a kernel of the sm_90a
    /// module exactly `sm_90a` (ptxas assembles `.target sm_90a` PTX for nothing else).
    pub fn check_arch(&self, arch: &str) -> Result<()> {
        check_arch(arch)?;
        if self.module() == Arch::Sm90a && arch != Arch::Sm90a.name() {
            return Err(Error::Usage(format!(
                "--arch {arch}: {} is in the sm_90a module (`.target sm_90a`), which assembles \
                 only for sm_90a (leave --arch out, or pass --arch sm_90a)",
                self.symbol
            )));
        }
        Ok(())
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

/// Resolves `name`; an unknown name is [`crate::Error::Unknown`] with the closest steps and
/// entry points (or the registry's steps when none is close).
pub fn resolve(name: &str) -> Result<Target> {
    if let Ok((_, step)) = registry::find(name) {
        return Ok(Target {
            symbol: step.symbol.to_string(),
            step: Some(step),
        });
    }
    let entries = crate::ptx::all_entry_names();
    if entries.contains(&name) {
        return Ok(Target {
            symbol: name.to_string(),
            step: registry::all_steps().find(|s| s.symbols.contains(&name)),
        });
    }
    // Entry points that are not a step's main symbol are suggested too, but listed only when
    // close (the full list is the registry's).
    let mut known = registry::known_kernels();
    known.extend(
        entries
            .into_iter()
            .filter(|e| registry::all_steps().all(|s| s.symbol != *e))
            .map(|e| Known {
                names: vec![e.to_string()],
                line: format!("  {:<18} {e:<40} PTX entry point", ""),
                listed: false,
            }),
    );
    Err(registry::unknown_kernel(name, known))
}

/// Checks an `--arch` value: `sm_XY` with an optional feature suffix (`sm_90a`), and no older
/// than the embedded PTX's target ([`crate::ptx::PTX_ARCH`]), since ptxas assembles PTX for
/// `.target sm_XY` only for `sm_XY` and later. Anything else is [`Error::Usage`].
pub fn check_arch(arch: &str) -> Result<()> {
    let target = crate::ptx::PTX_ARCH;
    let bad = |why: String| Err(Error::Usage(format!("--arch {arch}: {why}")));
    let Some(version) = arch_version(arch) else {
        return bad("not an architecture like sm_80, sm_90 or sm_90a".into());
    };
    match arch_version(target) {
        Some(t) if version < t => bad(format!(
            "older than the kernels' PTX target {target}, which ptxas assembles only for \
             {target} and later (e.g. sm_90)"
        )),
        _ => Ok(()),
    }
}

/// `(major, minor)` of `sm_XY[suffix]` (`sm_90a` → (9, 0), `sm_100` → (10, 0)).
fn arch_version(arch: &str) -> Option<(u32, u32)> {
    let rest = arch.strip_prefix("sm_")?;
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if digits.len() < 2 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (major, minor) = digits.split_at(digits.len() - 1);
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arch_flags_must_be_architectures_the_ptx_assembles_for() {
        for ok in [crate::ptx::PTX_ARCH, "sm_100", "sm_100a", "sm_120f"] {
            assert!(check_arch(ok).is_ok(), "{ok}");
        }
        for bad in ["sm_12", "sm_8", "90", "sm_", "sm_x0", "compute_90", ""] {
            let e = check_arch(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(e.is_usage(), "{bad}: {e}");
            assert!(e.to_string().starts_with(&format!("--arch {bad}: ")), "{e}");
        }
        assert_eq!(arch_version("sm_100a"), Some((10, 0)));
    }

    #[test]
    fn resolves_steps_and_plain_entry_points_and_rejects_the_rest() {
        let s = registry::all_steps().next().unwrap();
        let t = resolve(&s.handle()).unwrap();
        assert_eq!(t.symbol, s.symbol);
        assert!(t.label().contains(&s.handle()));
        for entry in crate::ptx::all_entry_names() {
            let t = resolve(entry).unwrap();
            assert_eq!(t.symbol, entry);
            let arch = t.default_arch(crate::tools::DEFAULT_ARCH);
            assert!(t.check_arch(&arch).is_ok(), "{entry} {arch}");
            if t.module() == Arch::Sm90a {
                assert_eq!(arch, "sm_90a");
                assert!(t.check_arch("sm_90").is_err_and(|e| e.is_usage()));
            }
        }
        assert!(matches!(
            resolve("no_such_kernel"),
            Err(crate::Error::Unknown { .. })
        ));
        let near_aux = resolve("ceiling_read_strem").err().unwrap().to_string();
        assert!(
            near_aux.contains("did you mean ceiling_read_stream?"),
            "{near_aux}"
        );
    }
}
