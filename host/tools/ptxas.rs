//! PTX → cubin with `ptxas -arch=<arch> -v`, and its per-function resource report.

use super::discover::{self, Tool};
use super::tempdir::TempDir;
use crate::error::{Error, Result};
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
    check_arch(arch)?;
    let ptxas = discover::find(Tool::Ptxas)?;
    let dir = TempDir::new()?;
    let input = dir.write("kernels.ptx", ptx.as_bytes())?;
    let output = dir.path().join("kernels.cubin");
    let arch_flag = format!("-arch={arch}");
    let (stdout, stderr) = discover::run(
        Tool::Ptxas,
        &ptxas,
        &[
            arch_flag.as_ref(),
            "-v".as_ref(),
            "-o".as_ref(),
            output.as_os_str(),
            input.as_os_str(),
        ],
    )?;
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

/// ptxas's version line (`Cuda compilation tools, release 13.5, V13.5.xx`).
pub fn version() -> Result<String> {
    let ptxas = discover::find(Tool::Ptxas)?;
    let (out, _) = discover::run(Tool::Ptxas, &ptxas, &["--version".as_ref()])?;
    Ok(out
        .lines()
        .find(|l| l.contains("release"))
        .unwrap_or_else(|| out.lines().last().unwrap_or(""))
        .trim()
        .to_string())
}

/// The embedded PTX module assembled for `arch`, once per process and architecture.
pub fn embedded(arch: &str) -> Result<Arc<Assembly>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Assembly>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(a) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(arch) {
        return Ok(a.clone());
    }
    let a = Arc::new(assemble(crate::ptx::PTX, arch)?);
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(arch.to_string(), a.clone());
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
    fn architectures_are_checked_before_they_reach_a_command_line() {
        for ok in ["sm_80", "sm_90", "sm_90a", "sm_100f"] {
            check_arch(ok).unwrap();
        }
        for bad in ["sm90", "sm_", "compute_90", "sm_9x0", "sm_90 -o /x"] {
            assert!(check_arch(bad).is_err(), "{bad}");
        }
    }
}
