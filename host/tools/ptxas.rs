//! PTX → cubin with `ptxas -arch=<arch> -v`, and its per-function resource report.
//!
//! Assembling is what made `klab sass`/`occupancy` slow: ptxas takes seconds for the whole
//! ~3 MB module (4 s for sm_90 on the 2-core development machine, 11–14 s on slower ones).
//! Two things make a call fast, and both are used:
//!
//! - [`kernel`] assembles one kernel's own PTX ([`crate::ptx::kernel_text`], what `klab ptx`
//!   prints): 10 ms for saxpy, at most 0.5 s for the largest GEMM, against seconds for the
//!   module. This is what makes the first call after editing a kernel fast, which a cache of
//!   the module alone cannot (every edit changes the module). The kernel's SASS and resources
//!   equal the module's; only the static shared memory would read up to 15 B lower without
//!   the 16-byte rounding ptxas applies to each kernel's shared window in the module, so
//!   [`kernel`] applies it too. The test `every_kernels_own_ptx_assembles_on_its_own` checks
//!   all of this for every kernel on every supported architecture.
//! - [`assemble_cached`] keeps every assembly in the user's cache ([`super::cache`]), keyed by
//!   the PTX text, the architecture, ptxas's version and flags: a second call runs no ptxas.
//!   [`embedded`] (the whole module, for the benchmark tables and the tests) goes through it too.

use super::cache::{Cache, Key};
use super::discover::{self, Tool};
use super::tempdir::TempDir;
use crate::error::{Error, Result};
use kernels_gpu::step::Arch;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// What ptxas reports for one function (`ptxas -v`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// The function's name.
    pub function: String,
    /// Registers per thread.
    pub registers: u32,
    /// Static shared memory, bytes (dynamic shared memory is chosen at launch).
    pub smem_bytes: u64,
    /// Per-thread stack frame, bytes.
    pub stack_frame: u64,
    /// Bytes of register spill stores and loads (local memory).
    pub spill_stores: u64,
    pub spill_loads: u64,
    /// Named barriers used.
    pub barriers: u32,
}

/// One assembled module.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The architecture assembled for (`sm_90`).
    pub arch: String,
    /// The cubin (ELF).
    pub cubin: Vec<u8>,
    /// ptxas's `-v` report.
    pub log: String,
    /// The report, parsed: one entry per function.
    pub resources: Vec<Resources>,
}

impl Assembly {
    /// The resources of `function`, or an error listing the functions there are.
    pub fn resources_of(&self, function: &str) -> Result<&Resources> {
        self.resources
            .iter()
            .find(|r| r.function == function)
            .ok_or_else(|| Error::Tool {
                tool: "ptxas".into(),
                why: format!(
                    "no resource report for {function} (functions: {})",
                    self.resources
                        .iter()
                        .map(|r| r.function.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

/// Checks that `arch` looks like `sm_90` / `sm_90a` (it goes onto a command line).
pub fn check_arch(arch: &str) -> Result<()> {
    let ok = arch.strip_prefix("sm_").is_some_and(|rest| {
        let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "bad architecture {arch:?}: expected sm_XY such as sm_80 or sm_90"
        )))
    }
}

/// Assembles `ptx` for `arch` with ptxas into a temporary cubin.
pub fn assemble(ptx: &str, arch: &str) -> Result<Assembly> {
    assemble_with(ptx, arch, &[])
}

/// [`assemble`] with extra ptxas flags (`-lineinfo` for `klab sass --source`).
pub fn assemble_with(ptx: &str, arch: &str, extra: &[&str]) -> Result<Assembly> {
    check_arch(arch)?;
    let ptxas = discover::find(Tool::Ptxas)?;
    let dir = TempDir::new()?;
    let input = dir.write("kernels.ptx", ptx.as_bytes())?;
    let output = dir.path().join("kernels.cubin");
    let arch_flag = format!("-arch={arch}");
    let mut args: Vec<&std::ffi::OsStr> = vec![arch_flag.as_ref(), "-v".as_ref()];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.extend(["-o".as_ref(), output.as_os_str(), input.as_os_str()]);
    let (stdout, stderr) = discover::run(Tool::Ptxas, &ptxas, &args)?;
    let cubin = std::fs::read(&output).map_err(|e| Error::File {
        path: output.display().to_string(),
        why: e.to_string(),
    })?;
    let log = format!("{stdout}{stderr}");
    Ok(Assembly {
        arch: arch.to_string(),
        cubin,
        resources: parse_verbose(&log),
        log,
    })
}

/// ptxas's version line (`Cuda compilation tools, release 13.5, V13.5.xx`), asked once per
/// process and ptxas.
pub fn version() -> Result<String> {
    let ptxas = discover::find(Tool::Ptxas)?;
    discover::version(Tool::Ptxas, &ptxas)
}

/// The flags [`assemble`] passes besides the architecture and the files; part of the cache
/// key, so a change of flags cannot reuse an old entry.
const FLAGS: &str = "-v";

/// The cache key of `ptx` assembled for `arch` by the ptxas whose version line is `ptxas`.
pub fn cache_key(ptx: &str, arch: &str, ptxas: &str) -> Key {
    Key::of(&[
        b"ptxas",
        FLAGS.as_bytes(),
        arch.as_bytes(),
        ptxas.as_bytes(),
        ptx.as_bytes(),
    ])
}

/// [`assemble`], through the user's cache (see the module docs): a second call with the same
/// PTX, architecture and ptxas runs no ptxas. Without a cache folder, plain [`assemble`].
pub fn assemble_cached(ptx: &str, arch: &str) -> Result<Assembly> {
    check_arch(arch)?;
    // Without a cache folder, or a ptxas that says its version, assemble plainly (which
    // reports a missing ptxas the usual way).
    match (Cache::user(), version()) {
        (Some(cache), Ok(v)) => assemble_in(&cache, ptx, arch, &v, || assemble(ptx, arch)),
        _ => assemble(ptx, arch),
    }
}

/// The assembly of `ptx` for `arch` from `cache`, or `assemble`'s, which is then stored.
pub fn assemble_in(
    cache: &Cache,
    ptx: &str,
    arch: &str,
    ptxas_version: &str,
    assemble: impl FnOnce() -> Result<Assembly>,
) -> Result<Assembly> {
    let key = cache_key(ptx, arch, ptxas_version);
    let (parts, _) = cache.get_or_insert_with("ptxas", &key, || {
        let a = assemble()?;
        Ok(vec![a.log.into_bytes(), a.cubin])
    })?;
    let entry = || cache.entry_path("ptxas", &key).display().to_string();
    let [log, cubin]: [Vec<u8>; 2] = parts.try_into().map_err(|_| Error::File {
        path: entry(),
        why: "a ptxas cache entry without its two parts (report, cubin)".into(),
    })?;
    let log = String::from_utf8(log).map_err(|_| Error::File {
        path: entry(),
        why: "a ptxas report that is not UTF-8".into(),
    })?;
    Ok(Assembly {
        arch: arch.to_string(),
        cubin,
        resources: parse_verbose(&log),
        log,
    })
}

/// One kernel of the embedded PTX (of the module that defines it: the base or the sm_90a one)
/// assembled on its own, from its own PTX text (see the module docs for why, and how its report
/// equals the module's).
pub fn kernel(symbol: &str, arch: &str) -> Result<Assembly> {
    let text = crate::ptx::module_text_of(symbol)
        .and_then(|m| crate::ptx::kernel_text(m, symbol))
        .ok_or_else(|| Error::MissingSymbols(vec![symbol.to_string()]))?;
    let mut a = assemble_cached(&text, arch)?;
    for r in a.resources.iter_mut().filter(|r| r.function == symbol) {
        r.smem_bytes = r.smem_bytes.div_ceil(SHARED_WINDOW_ALIGN) * SHARED_WINDOW_ALIGN;
    }
    Ok(a)
}

/// In the whole module ptxas reports each kernel's static shared memory rounded up to this
/// (a kernel with `[u8; 128]` and `[u8; 4]` shows 144 B there, 132 B alone).
const SHARED_WINDOW_ALIGN: u64 = 16;

/// The embedded base PTX module assembled for `arch`, once per process and architecture (and
/// through the user's cache across processes).
pub fn embedded(arch: &str) -> Result<Arc<Assembly>> {
    embedded_module(Arch::Sm80, arch)
}

/// The embedded PTX module of `module`'s kernels ([`crate::ptx::module`]) assembled for
/// `arch` (the sm_90a module assembles only for `sm_90a`), once per process, module and
/// architecture (and through the user's cache across processes).
pub fn embedded_module(module: Arch, arch: &str) -> Result<Arc<Assembly>> {
    type ByModuleAndArch = HashMap<(Arch, String), Arc<Assembly>>;
    static CACHE: OnceLock<Mutex<ByModuleAndArch>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (module, arch.to_string());
    if let Some(a) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(a.clone());
    }
    let a = Arc::new(assemble_cached(crate::ptx::module(module), arch)?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, a.clone());
    Ok(a)
}

/// Parses ptxas's `-v` report. A function starts at `Compiling entry function 'NAME'` or
/// `Function properties for NAME`; the numbers follow on lines such as
/// `0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads` and
/// `Used 12 registers, used 1 barriers, 4096 bytes smem, 360 bytes cmem[0]`.
pub fn parse_verbose(log: &str) -> Vec<Resources> {
    let mut out: Vec<Resources> = Vec::new();
    let mut current: Option<usize> = None;
    for line in log.lines() {
        let name = quoted_after(line, "Compiling entry function '")
            .or_else(|| quoted_after(line, "Compiling function '"))
            .or_else(|| {
                line.split_once("Function properties for ")
                    .map(|(_, n)| n.trim().to_string())
            });
        if let Some(name) = name {
            current = Some(match out.iter().position(|r| r.function == name) {
                Some(i) => i,
                None => {
                    out.push(Resources {
                        function: name,
                        ..Default::default()
                    });
                    out.len() - 1
                }
            });
            continue;
        }
        let Some(i) = current else { continue };
        let r = &mut out[i];
        for part in line.split([',', ':']) {
            let part = part.trim();
            let mut words = part.split_whitespace();
            let (Some(first), Some(second)) = (words.next(), words.next()) else {
                continue;
            };
            let rest: Vec<&str> = words.collect();
            let rest = rest.join(" ");
            // "Used N registers", "used N barriers"
            if first.eq_ignore_ascii_case("used") {
                let n: u64 = second.parse().unwrap_or(0);
                if rest.starts_with("registers") {
                    r.registers = n as u32;
                } else if rest.starts_with("barriers") {
                    r.barriers = n as u32;
                }
                continue;
            }
            // "N bytes smem", "N bytes stack frame", "N bytes spill stores", ...
            let Ok(n) = first.parse::<u64>() else {
                continue;
            };
            if second != "bytes" {
                continue;
            }
            match rest.as_str() {
                "smem" => r.smem_bytes = n,
                "stack frame" => r.stack_frame = n,
                "spill stores" => r.spill_stores = n,
                "spill loads" => r.spill_loads = n,
                _ => {}
            }
        }
    }
    out
}

fn quoted_after(line: &str, prefix: &str) -> Option<String> {
    let (_, rest) = line.split_once(prefix)?;
    Some(rest.split('\'').next()?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'saxpy_s01_naive' for 'sm_90'
ptxas info    : Function properties for saxpy_s01_naive
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 0 barriers
ptxas info    : Compile time = 2.132 ms
ptxas info    : Compiling entry function 'reduce_sum_s05_warp_shuffle' for 'sm_90'
ptxas info    : Function properties for reduce_sum_s05_warp_shuffle
    24 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads
ptxas info    : Used 255 registers, used 1 barriers, 4096 bytes smem
ptxas info    : Compile time = 5.416 ms
ptxas info    : Function properties for old_style
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 32 registers, 2048 bytes smem, 360 bytes cmem[0]
";

    #[test]
    fn parses_each_function_of_a_verbose_report() {
        let r = parse_verbose(LOG);
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(
            r[0],
            Resources {
                function: "saxpy_s01_naive".into(),
                registers: 10,
                ..Default::default()
            }
        );
        assert_eq!(
            r[1],
            Resources {
                function: "reduce_sum_s05_warp_shuffle".into(),
                registers: 255,
                smem_bytes: 4096,
                stack_frame: 24,
                spill_stores: 8,
                spill_loads: 12,
                barriers: 1,
            }
        );
        assert_eq!((r[2].registers, r[2].smem_bytes), (32, 2048));
    }

    #[test]
    fn the_cache_key_changes_with_the_ptx_the_arch_and_the_ptxas() {
        let v = "Cuda compilation tools, release 13.5, V13.5.37";
        let k = cache_key(".version 7.0", "sm_90", v);
        assert_eq!(k, cache_key(".version 7.0", "sm_90", v));
        assert_ne!(k, cache_key(".version 7.8", "sm_90", v), "PTX");
        assert_ne!(k, cache_key(".version 7.0", "sm_80", v), "arch");
        assert_ne!(
            k,
            cache_key(".version 7.0", "sm_90", "release 13.4, V13.4.1"),
            "ptxas version"
        );
    }

    fn fake_assembly(arch: &str) -> Assembly {
        Assembly {
            arch: arch.into(),
            cubin: b"\x7fELF fake cubin".to_vec(),
            log: LOG.into(),
            resources: parse_verbose(LOG),
        }
    }

    #[test]
    fn a_second_assembly_comes_from_the_cache_without_running_ptxas() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let runs = std::cell::Cell::new(0);
        let ptxas = || {
            runs.set(runs.get() + 1);
            Ok(fake_assembly("sm_90"))
        };
        let first = assemble_in(&cache, "ptx", "sm_90", "V13.5.37", ptxas).unwrap();
        let second = assemble_in(&cache, "ptx", "sm_90", "V13.5.37", ptxas).unwrap();
        assert_eq!(runs.get(), 1, "the second lookup ran ptxas");
        assert_eq!((first.cubin, first.log), (second.cubin.clone(), second.log));
        assert_eq!(second.resources, parse_verbose(LOG));
        assert_eq!(second.arch, "sm_90");
        // Another architecture or ptxas is another entry.
        assemble_in(&cache, "ptx", "sm_80", "V13.5.37", ptxas).unwrap();
        assemble_in(&cache, "ptx", "sm_90", "V13.6.0", ptxas).unwrap();
        assert_eq!(runs.get(), 3);
    }

    #[test]
    fn a_corrupt_cached_assembly_is_reassembled() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let runs = std::cell::Cell::new(0);
        let ptxas = || {
            runs.set(runs.get() + 1);
            Ok(fake_assembly("sm_90"))
        };
        assemble_in(&cache, "ptx", "sm_90", "V", ptxas).unwrap();
        let entry = cache.entry_path("ptxas", &cache_key("ptx", "sm_90", "V"));
        let mut bytes = std::fs::read(&entry).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&entry, bytes).unwrap();
        let a = assemble_in(&cache, "ptx", "sm_90", "V", ptxas).unwrap();
        assert_eq!((runs.get(), a.cubin), (2, fake_assembly("sm_90").cubin));
        assemble_in(&cache, "ptx", "sm_90", "V", ptxas).unwrap();
        assert_eq!(runs.get(), 2, "the replaced entry is a hit");
    }

    #[test]
    fn architectures_are_checked_before_they_reach_a_command_line() {
        for ok in ["sm_80", "sm_90", "sm_90a", "sm_100f"] {
            check_arch(ok).unwrap();
        }
        for bad in ["sm90", "sm_", "compute_90", "sm_9x0", "sm_90 -o /x"] {
            assert!(check_arch(bad).is_err(), "{bad}");
        }
    }
}
