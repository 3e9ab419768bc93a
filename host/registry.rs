//! The registry: every ladder, its numbered steps and baselines, found by name.
//!
//! Each step is declared beside its kernel in kernels-gpu (`step!`, collected by the ladder's
//! `steps!` table); each ladder (`host/ladders/<name>.rs`) adds its problem: shapes, inputs,
//! references and launches. [`crate::ladders::ALL`] lists the ladders once. The CLI, the
//! benchmark, the tests, the docs generator and the SASS tooling all iterate over
//! [`all_ladders`]; nothing else keeps a list of kernels. The types live in
//! [`crate::ladder`] (re-exported here), which the ladders use without importing the registry.

use crate::error::{Error, Known, Result};
pub use crate::ladder::{
    Accepts, Arch, BaselineInfo, BaselineKind, BlockSize, Case, Ceiling, DType, InputSpec, Ladder,
    LadderMeta, Output, StepInfo, Target, Work, verify,
};
use kernels_gpu::emu::HostKernel;

/// Every ladder, in teaching order.
pub fn all_ladders() -> Vec<&'static dyn Ladder> {
    crate::ladders::ALL.to_vec()
}

/// The guide's ladder chapters (`docs/ladders/<chapter>.md`), each once, in teaching order.
pub fn chapters() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for l in all_ladders() {
        if !out.contains(&l.meta().chapter) {
            out.push(l.meta().chapter);
        }
    }
    out
}

/// Every step of every ladder.
pub fn all_steps() -> impl Iterator<Item = &'static StepInfo> {
    crate::ladders::ALL.iter().flat_map(|l| l.steps())
}

/// The kernels that are not ladder steps, as (PTX entry point, the architecture of its module)
/// and as their host kernels for the CPU emulator, in the same order: the ceiling kernels the
/// benchmark measures the hardware with (kernels-gpu/src/ceiling) and the device-API
/// self-tests (kernels-gpu/src/selftest).
fn aux_tables() -> (&'static [(&'static str, Arch)], &'static [HostKernel]) {
    use kernels_gpu::ceiling as c;
    use kernels_gpu::selftest as t;
    macro_rules! aux {
        ($($m:ident :: $k:ident),+ $(,)?) => {{
            static AUX: &[(&str, Arch)] = &[$(($m::$k::SYMBOL, $m::$k::ARCH)),+];
            static EMULATED: &[HostKernel] = &[$($m::$k::EMULATED),+];
            (AUX, EMULATED)
        }};
    }
    aux![
        c::ceiling_read_stream,
        c::ceiling_fma_throughput,
        t::selftest_warp,
        t::selftest_atomics,
        t::selftest_math,
        t::selftest_smem_vec,
        t::selftest_half_from_f32,
        t::selftest_half_to_f32,
        t::selftest_half_arith,
        t::selftest_half_vec,
        t::selftest_mma_bf16,
        t::selftest_mma_f16,
        t::selftest_ldmatrix,
        t::selftest_cp_async,
        t::selftest_tc_chain,
        t::selftest_wgmma,
        t::selftest_tma,
        t::selftest_cluster,
        t::selftest_pdl_producer,
        t::selftest_pdl_consumer,
    ]
}

/// PTX entry points that are not ladder steps, with the architecture of their module (see
/// [`aux_tables`]).
pub fn aux_kernels() -> &'static [(&'static str, Arch)] {
    aux_tables().0
}

/// The host kernels of [`aux_kernels`], in its order.
pub fn aux_emulated() -> &'static [HostKernel] {
    aux_tables().1
}

/// The symbols of [`aux_kernels`].
pub fn aux_symbols() -> impl Iterator<Item = &'static str> {
    aux_kernels().iter().map(|(s, _)| *s)
}

/// Every registered PTX entry point: every step's, then [`aux_symbols`], then the exercises'
/// kernels and the planted cheats ([`exercise_symbols`]).
pub fn all_symbols() -> impl Iterator<Item = &'static str> {
    all_steps()
        .flat_map(|s| s.symbols.iter().copied())
        .chain(aux_symbols())
        .chain(exercise_symbols())
}

/// The kernels of the course's exercises and challenges (`kernels-gpu/src/exercises/`, one
/// learner's file each) and of the planted cheats, as their host kernels: no ladder's steps,
/// all in the base module (`klab grade`, crate::grade).
pub fn exercise_kernels() -> impl Iterator<Item = &'static HostKernel> {
    use kernels_gpu::exercises::{CHEATS, EXERCISES};
    EXERCISES
        .iter()
        .flat_map(|e| e.emulated.iter())
        .chain(CHEATS.iter().flat_map(|c| c.emulated.iter()))
}

/// The symbols of [`exercise_kernels`], in its order.
pub fn exercise_symbols() -> impl Iterator<Item = &'static str> {
    exercise_kernels().map(|k| k.symbol)
}

/// The registered entry points that must be in the PTX module of `arch`: the symbols of every
/// step of that architecture, and the auxiliary kernels of that architecture.
pub fn module_symbols(arch: Arch) -> Vec<&'static str> {
    all_steps()
        .filter(|s| s.arch == arch)
        .flat_map(|s| s.symbols.iter().copied())
        .chain(
            aux_kernels()
                .iter()
                .filter(|(_, a)| *a == arch)
                .map(|(s, _)| *s),
        )
        .chain(exercise_symbols().filter(|_| arch == Arch::Sm80))
        .collect()
}

/// The host kernel of every registered PTX entry point, in the order of [`all_symbols`]: what
/// the CPU emulator runs for each symbol.
pub fn emulated_kernels() -> impl Iterator<Item = &'static HostKernel> {
    all_steps()
        .flat_map(|s| s.emulated.iter())
        .chain(aux_emulated().iter())
        .chain(exercise_kernels())
}

/// The ladder of the given name.
pub fn ladder(name: &str) -> Option<&'static dyn Ladder> {
    crate::ladders::ALL
        .iter()
        .copied()
        .find(|l| l.name() == name)
}

/// Finds a step by kernel symbol (`reduce_sum_s05_warp_shuffle`), `ladder/id` (`reduce_sum/5`)
/// or `ladder/slug` (`reduce_sum/warp_shuffle`). Otherwise [`Error::Unknown`], with the closest
/// kernels or, when none is close, every one.
pub fn find(name: &str) -> Result<(&'static dyn Ladder, &'static StepInfo)> {
    for l in crate::ladders::ALL.iter().copied() {
        for s in l.steps() {
            let by_handle = name.split_once('/').is_some_and(|(lad, rest)| {
                lad == s.ladder
                    && (rest == s.slug || rest.parse::<u32>().is_ok_and(|id| id == s.id))
            });
            if s.symbol == name || by_handle {
                return Ok((l, s));
            }
        }
    }
    Err(unknown_kernel(name, known_kernels()))
}

/// The unknown-kernel error for `name` among `known` (from [`known_kernels`], perhaps with
/// more entry points).
pub fn unknown_kernel(name: &str, known: Vec<Known>) -> Error {
    let everything = format!("`klab list` shows all {} kernels", all_steps().count());
    Error::unknown("kernel", name, &known, &everything)
}

/// Every registered step by its names (`ladder/step`, `ladder/slug`, symbol), with its
/// [`kernel_line`].
pub fn known_kernels() -> Vec<Known> {
    all_steps()
        .map(|s| Known {
            names: vec![
                s.handle(),
                format!("{}/{}", s.ladder, s.slug),
                s.symbol.to_string(),
            ],
            line: kernel_line(s),
            listed: true,
        })
        .collect()
}

/// The ladder of the given name, or [`Error::Unknown`] listing the closest ladders (or all).
pub fn find_ladder(name: &str) -> Result<&'static dyn Ladder> {
    ladder(name).ok_or_else(|| {
        let known: Vec<Known> = all_ladders()
            .into_iter()
            .map(|l| Known {
                names: vec![l.name().to_string()],
                line: format!("  {:<18} {}", l.name(), l.description()),
                listed: true,
            })
            .collect();
        Error::unknown("ladder", name, &known, "`klab list` shows every ladder")
    })
}

/// One kernel's line in `klab list` and in error messages: handle, symbol, the architecture it
/// needs, technique.
pub fn kernel_line(s: &StepInfo) -> String {
    format!(
        "  {:<18} {:<5} {:<40} {:<6} {}",
        s.handle(),
        s.dtype.name(),
        s.symbol,
        s.arch.name(),
        s.technique
    )
}

/// Checks that the symbol follows `<ladder>_s<NN>_<slug>` (docs/architecture.md §4).
pub fn symbol_follows_convention(s: &StepInfo) -> bool {
    s.symbol == format!("{}_s{:02}_{}", s.ladder, s.id, s.slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order_with_unique_symbols_and_slugs() {
        let mut symbols = std::collections::HashSet::new();
        for l in all_ladders() {
            let steps = l.steps();
            assert!(!steps.is_empty(), "{} has no steps", l.name());
            for w in steps.windows(2) {
                assert!(w[0].id < w[1].id, "{}: step ids must increase", l.name());
            }
            let mut slugs = std::collections::HashSet::new();
            for s in &steps {
                assert_eq!(s.ladder, l.name());
                assert!(
                    symbol_follows_convention(s),
                    "{} does not follow <ladder>_s<NN>_<slug>",
                    s.symbol
                );
                assert!(
                    s.symbols.contains(&s.symbol),
                    "{}: symbols must include the main symbol",
                    s.symbol
                );
                assert!(slugs.insert(s.slug), "{}: slug {} reused", l.name(), s.slug);
                assert!(
                    symbols.insert(s.symbol),
                    "symbol {} registered twice",
                    s.symbol
                );
            }
        }
    }

    #[test]
    fn every_ladder_has_its_measured_block_in_its_chapter() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ladders");
        if !docs.is_dir() {
            eprintln!(
                "every_ladder_has_its_measured_block_in_its_chapter: skipped: no source checkout ({} is absent)",
                docs.display()
            );
            return;
        }
        for l in all_ladders() {
            let path = docs.join(format!("{}.md", l.meta().chapter));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", l.name(), path.display()));
            let marker = format!("<!-- klab:measured ladder={} -->", l.name());
            assert!(text.contains(&marker), "{} has no {marker}", path.display());
        }
    }

    #[test]
    fn every_step_kernel_has_a_launch_block_its_code_accepts() {
        for l in all_ladders() {
            for s in l.steps() {
                for sym in s.symbols {
                    let b = l
                        .launch_block(sym)
                        .unwrap_or_else(|| panic!("{sym}: no launch block"));
                    assert!((1..=1024).contains(&b.launch), "{sym}: {b:?}");
                    assert_eq!(b.rejects(b.launch), None, "{sym}: {b:?}");
                    let module = crate::ptx::module_text_of(sym).unwrap();
                    if let Some((max, _)) = crate::ptx::launch_bounds(module, sym) {
                        assert!(b.launch <= max, "{sym}: {b:?} over .maxntid {max}");
                    }
                    // A kernel that never reads blockDim (%ntid) is written for one block.
                    let text = crate::ptx::kernel_text(module, sym).unwrap();
                    if !text.contains("%ntid") {
                        assert_eq!(b.accepts, Accepts::Exactly, "{sym} never reads %ntid");
                    }
                }
            }
        }
        assert_eq!(
            crate::ladders::saxpy::Saxpy.launch_block("gemm_s01_naive"),
            None
        );
    }

    #[test]
    fn block_rules_reject_what_the_code_cannot_run() {
        let b = |accepts| BlockSize {
            launch: 256,
            accepts,
        };
        assert!(b(Accepts::Exactly).rejects(128).is_some());
        assert!(b(Accepts::PowerOfTwo { min: 64 }).rejects(32).is_some());
        assert!(b(Accepts::PowerOfTwo { min: 64 }).rejects(96).is_some());
        assert_eq!(b(Accepts::PowerOfTwo { min: 64 }).rejects(1024), None);
        assert!(b(Accepts::WarpMultiple).rejects(100).is_some());
        assert_eq!(b(Accepts::WarpMultiple).rejects(96), None);
        assert_eq!(b(Accepts::Any).rejects(7), None);
    }

    #[test]
    fn every_registered_symbol_has_its_host_kernel() {
        for s in all_steps() {
            let emulated: Vec<&str> = s.emulated.iter().map(|k| k.symbol).collect();
            assert_eq!(
                emulated, s.symbols,
                "{}: host kernels out of order",
                s.symbol
            );
        }
        let symbols: Vec<&str> = all_symbols().collect();
        let emulated: Vec<&str> = emulated_kernels().map(|k| k.symbol).collect();
        assert_eq!(symbols, emulated);
    }

    #[test]
    fn every_registered_symbol_is_in_the_embedded_ptx_module_of_its_arch() {
        for arch in Arch::ALL {
            let ptx = crate::ptx::module(arch);
            let missing = crate::ptx::missing_entries(ptx, module_symbols(arch));
            assert!(
                missing.is_empty(),
                "missing from the {} module: {missing:?}",
                arch.name()
            );
        }
        for sym in all_symbols() {
            assert!(crate::ptx::module_of(sym).is_some(), "{sym} in no module");
        }
        for s in all_steps() {
            for sym in s.symbols {
                assert_eq!(
                    crate::ptx::module_of(sym),
                    Some(s.arch),
                    "{sym}: step {} declares {}, the kernel is in the other module \
                     (`kernel! {{ #[arch(sm_90a)] ... }}` and `step! {{ ..., arch: Sm90a }}` go together)",
                    s.handle(),
                    s.arch.name()
                );
            }
        }
    }

    #[test]
    fn a_step_says_on_which_devices_it_is_skipped() {
        let s = all_steps().next().unwrap();
        assert_eq!(s.arch, Arch::Sm80);
        assert_eq!(s.unsupported_on((9, 0), "H200"), None);
        assert_eq!(s.unsupported_on((8, 6), "A10"), None);
        let line = s.unsupported_on((7, 5), "T4").unwrap();
        assert!(
            line.contains("needs sm_80") && line.contains("T4 is sm_75"),
            "{line}"
        );
        let hopper = StepInfo {
            arch: Arch::Sm90a,
            ..*s
        };
        assert_eq!(hopper.unsupported_on((9, 0), "H100"), None);
        for cc in [(8, 0), (10, 0), (12, 0)] {
            let line = hopper.unsupported_on(cc, "GPU").unwrap();
            assert!(line.contains("skipped: needs sm_90a"), "{line}");
            assert_eq!(line.lines().count(), 1);
        }
        assert!(kernel_line(s).contains(" sm_80 "));
    }

    #[test]
    fn find_accepts_symbol_handle_and_slug_and_lists_kernels_otherwise() {
        let s = all_steps().next().unwrap();
        assert_eq!(find(s.symbol).unwrap().1.symbol, s.symbol);
        assert_eq!(find(&s.handle()).unwrap().1.symbol, s.symbol);
        assert_eq!(
            find(&format!("{}/{}", s.ladder, s.slug)).unwrap().1.symbol,
            s.symbol
        );
        let err = find("nosuch").err().unwrap();
        assert!(err.is_usage());
        let err = err.to_string();
        assert!(
            err.contains("known kernels:") && err.contains(s.symbol),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1 + all_steps().count(), "{err}");
    }

    #[test]
    fn a_misspelt_kernel_gets_a_suggestion_and_a_short_list() {
        let err = find("saxpi/1").err().unwrap().to_string();
        assert!(
            err.starts_with("no kernel named \"saxpi/1\"; did you mean saxpy/1?"),
            "{err}"
        );
        assert!(err.contains("saxpy_s01_naive"), "{err}");
        assert!(
            !err.contains("gemm_s01_naive"),
            "only the close ones: {err}"
        );
        assert!(err.lines().count() <= 7, "{err}");
        let by_symbol = find("saxpy_s01_naiv").err().unwrap().to_string();
        assert!(
            by_symbol.contains("did you mean saxpy_s01_naive?"),
            "{by_symbol}"
        );
    }

    #[test]
    fn an_unknown_ladder_lists_ladders_not_kernels() {
        let err = find_ladder("saxpi").err().unwrap().to_string();
        assert!(
            err.contains("no ladder named \"saxpi\"; did you mean saxpy?"),
            "{err}"
        );
        assert!(!err.contains("saxpy_s01_naive"), "{err}");
        let err = find_ladder("zzz").err().unwrap().to_string();
        assert!(err.contains("known ladders:"), "{err}");
        for l in all_ladders() {
            assert!(err.contains(l.name()), "{err}");
        }
        assert!(!err.contains("saxpy/1"), "ladders, not kernels: {err}");
        assert_eq!(find_ladder("gemm").unwrap().name(), "gemm");
    }
}
