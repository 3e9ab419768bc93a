//! `klab doctor`: whether this machine can build, inspect and run kernel-lab, and how to fix
//! what it cannot.
//!
//! Each [`Check`] is one fact (a tool and its version, the driver, a device) with what needs it
//! and, when it is missing, how to get it. The [`Verdict`]s say whether the README's two
//! commands can run here: the tests (`cargo test`: the kernel toolchain, ptxas and a
//! disassembler; the GPU tests skip without a device) and the main job
//! (`cargo run --release -- bench --json results.json`: the toolchain, the NVIDIA driver, a
//! device the PTX runs on, cuBLAS and NVRTC for the baselines). Nothing here needs a GPU: the
//! driver is only asked after [`crate::runtime::driver_present`] says it can be loaded.

pub mod compat;
mod toolchain;

use crate::ptx;
use crate::registry;
use crate::runtime::{self, DriverProbe};
use crate::tools::discover::{self, Tool};
use serde::Serialize;

/// `tests/snapshots/PTXAS_VERSION`: the ptxas the SASS snapshots were blessed with.
pub const BLESSED_PTXAS: &str = include_str!("../../tests/snapshots/PTXAS_VERSION");

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// There and usable.
    Ok,
    /// Missing or unusable, and something needs it.
    Fail,
    /// Usable, with a caveat.
    Warn,
    /// Not there but optional, or not checked (no driver to ask).
    Skip,
}

impl Status {
    /// The mark in the text table.
    pub fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Fail => "✗",
            Status::Warn => "!",
            Status::Skip => "-",
        }
    }
}

/// What a check is needed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// `cargo test`.
    Tests,
    /// `cargo run --release -- bench --json results.json`.
    MainJob,
    /// `klab sass` / `klab occupancy`.
    Inspect,
    /// `klab profile`.
    Profile,
    /// `compute-sanitizer` runs of `klab run`.
    MemoryChecks,
}

impl Need {
    /// How the text table names it.
    pub fn label(self) -> &'static str {
        match self {
            Need::Tests => "cargo test",
            Need::MainJob => "the main job",
            Need::Inspect => "klab sass/occupancy",
            Need::Profile => "klab profile",
            Need::MemoryChecks => "memory checks",
        }
    }
}

/// Which part of the work a check belongs to (the text table's sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    Build,
    Inspect,
    Run,
}

/// One fact about this machine.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub group: Group,
    pub status: Status,
    /// What was found (a version, a device), or what is wrong.
    pub found: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How to fix it, when it is not [`Status::Ok`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub needed_by: Vec<Need>,
}

impl Check {
    fn new(name: impl Into<String>, group: Group, status: Status, found: String) -> Self {
        Self {
            name: name.into(),
            group,
            status,
            found,
            path: None,
            fix: None,
            needed_by: Vec::new(),
        }
    }

    fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    fn needed_by(mut self, needs: &[Need]) -> Self {
        self.needed_by = needs.to_vec();
        self
    }
}

/// Whether one of the README's commands can run here.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `tests` or `main job`.
    pub name: &'static str,
    pub command: &'static str,
    pub ready: bool,
    /// The failed checks it needs.
    pub blocked_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The embedded module's facts the checks compare against.
#[derive(Debug, Clone, Serialize)]
pub struct PtxFacts {
    /// `.target` (`sm_80`).
    pub target: String,
    /// `.version` (`7.0`).
    pub isa: String,
    pub kernels: usize,
    /// Every ladder with the architecture it needs (today the module's target for all: the
    /// ladders share one PTX module).
    pub ladders: Vec<LadderNeed>,
}

/// A ladder and the oldest architecture it runs on.
#[derive(Debug, Clone, Serialize)]
pub struct LadderNeed {
    pub ladder: &'static str,
    pub min_arch: String,
}

impl PtxFacts {
    /// The facts of the embedded PTX.
    pub fn embedded() -> Self {
        let target = ptx::target(ptx::PTX).unwrap_or(ptx::PTX_ARCH).to_string();
        Self {
            isa: ptx::isa_version(ptx::PTX).unwrap_or("?").to_string(),
            kernels: ptx::entry_names(ptx::PTX).len(),
            ladders: registry::all_ladders()
                .iter()
                .map(|l| LadderNeed {
                    ladder: l.name(),
                    min_arch: target.clone(),
                })
                .collect(),
            target,
        }
    }
}

/// Everything `klab doctor` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub klab: &'static str,
    pub ptx: PtxFacts,
    pub checks: Vec<Check>,
    pub commands: Vec<Verdict>,
    /// Both commands can run.
    pub ready: bool,
}

/// Runs every check on this machine.
pub fn diagnose() -> Report {
    let facts = PtxFacts::embedded();
    let mut checks = vec![built_by(), toolchain_now()];
    checks.extend(tool_checks());
    let probe = runtime::driver_present().then(runtime::probe);
    let selected = selected_device();
    // What `Gpu::open_default` needs, so the GPU tests run rather than skip.
    let gpu = matches!(&probe, Some(Ok(p)) if selected
        .and_then(|i| p.devices.get(i))
        .is_some_and(|d| compat::target_runs_on(&facts.target, d.compute_capability) == Some(true)));
    checks.extend(driver_checks(&facts, probe, selected));
    checks.push(library_check(
        "cuBLAS",
        // SAFETY: only tries to dlopen libcublas.
        unsafe { cudarc::cublas::sys::is_culib_present() },
        "libcublas",
        "the benchmark's cuBLAS SGEMM baseline",
        "nvidia-cublas",
    ));
    checks.push(library_check(
        "NVRTC",
        // SAFETY: only tries to dlopen libnvrtc.
        unsafe { cudarc::nvrtc::sys::is_culib_present() },
        "libnvrtc",
        "the benchmark's CUDA C++ twins",
        "nvidia-cuda-nvrtc",
    ));
    let allow_no_tools = std::env::var("KLAB_ALLOW_NO_CUDA_TOOLS").is_ok_and(|v| v == "1");
    report(facts, checks, gpu, allow_no_tools)
}

/// The report of `checks`: the verdicts follow from the failed checks each command needs.
/// `gpu`: the device the tests open is usable (else the GPU tests skip). With
/// `allow_no_tools` (`KLAB_ALLOW_NO_CUDA_TOOLS=1`) the SASS tests skip without the tools, so
/// the tests do not need them.
pub fn report(ptx: PtxFacts, checks: Vec<Check>, gpu: bool, allow_no_tools: bool) -> Report {
    let blocked = |need: Need| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c.status == Status::Fail && c.needed_by.contains(&need))
            .filter(|c| !(allow_no_tools && need == Need::Tests && c.group == Group::Inspect))
            .map(|c| c.name.clone())
            .collect()
    };
    let (tests, main) = (blocked(Need::Tests), blocked(Need::MainJob));
    let mut test_notes = Vec::new();
    if !gpu {
        test_notes.push("the GPU tests skip with one line each: no usable CUDA device");
    }
    if allow_no_tools {
        test_notes.push("KLAB_ALLOW_NO_CUDA_TOOLS=1: the SASS tests skip without the tools");
    }
    let main_note = (main == ["kernel toolchain"]).then(|| {
        "this klab binary runs it without a rebuild: klab bench --json results.json".to_string()
    });
    let commands = vec![
        Verdict {
            name: "tests",
            command: "cargo test",
            ready: tests.is_empty(),
            blocked_by: tests,
            note: (!test_notes.is_empty()).then(|| test_notes.join("; ")),
        },
        Verdict {
            name: "main job",
            command: "cargo run --release -- bench --json results.json",
            ready: main.is_empty(),
            blocked_by: main,
            note: main_note,
        },
    ];
    Report {
        klab: env!("CARGO_PKG_VERSION"),
        ready: commands.iter().all(|c| c.ready),
        ptx,
        checks,
        commands,
    }
}

/// The toolchain that compiled the embedded kernels (recorded by build.rs).
fn built_by() -> Check {
    Check::new(
        "kernels built by",
        Group::Build,
        Status::Ok,
        format!(
            "{} ({})",
            short_rustc(ptx::KERNEL_RUSTC_VERSION),
            ptx::KERNEL_TOOLCHAIN_ORIGIN
        ),
    )
    .path(ptx::KERNEL_RUSTC)
}

/// The toolchain a rebuild would use now.
fn toolchain_now() -> Check {
    let needs = [Need::Tests, Need::MainJob];
    match toolchain::find_now() {
        Ok((tc, version)) => Check::new(
            "kernel toolchain",
            Group::Build,
            Status::Ok,
            format!(
                "{} ({}) with the library source: can rebuild the kernels",
                short_rustc(&version),
                tc.origin
            ),
        )
        .path(tc.rustc.display().to_string()),
        Err(tried) => Check::new(
            "kernel toolchain",
            Group::Build,
            Status::Fail,
            format!(
                "no rustc with the standard library source, so the kernels cannot be rebuilt \
                 (tried {})",
                tried.join("; ")
            ),
        )
        .fix(fixes(&toolchain::missing_toolchain_message(&tried))),
    }
    .needed_by(&needs)
}

/// The fixes out of build.rs's message (the lines after `Fix it with one of:`), one a line.
fn fixes(message: &str) -> String {
    const HEAD: &str = "Fix it with one of:";
    match message.find(HEAD) {
        Some(i) => format!(
            "one of\n{}",
            message[i + HEAD.len()..]
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        ),
        None => message.to_string(),
    }
}

/// `rustc 1.96.0` out of `rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)`.
fn short_rustc(version: &str) -> String {
    version
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `13.5.37` out of `Cuda compilation tools, release 13.5, V13.5.37`, `2025.3.1.0` out of
/// `Version 2025.3.1.0 (build 36398880)`; else the line itself.
pub fn short_version(line: &str) -> String {
    let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    let tagged = words.iter().rev().find_map(|w| {
        w.strip_prefix('V')
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
    });
    let after_version = words
        .iter()
        .position(|w| *w == "Version")
        .and_then(|i| words.get(i + 1).copied());
    tagged
        .or(after_version)
        .map_or_else(|| line.trim().to_string(), str::to_string)
}

/// The tools: found, version and path, or how to install them; and whether ptxas is the one
/// the SASS snapshots were blessed with.
fn tool_checks() -> Vec<Check> {
    let [ptxas, nvdisasm, cuobjdump] =
        [Tool::Ptxas, Tool::Nvdisasm, Tool::Cuobjdump].map(discover::find);
    let sass = [Need::Tests, Need::Inspect];
    let mut checks = vec![
        tool_check(Tool::Ptxas, &ptxas, Status::Fail, "", &sass),
        snapshot_check(ptxas.as_deref().ok()),
    ];
    // The disassembler is nvdisasm, or cuobjdump when nvdisasm is missing.
    checks.push(match (&nvdisasm, &cuobjdump) {
        (Err(_), Ok(_)) => tool_check(
            Tool::Nvdisasm,
            &nvdisasm,
            Status::Warn,
            "cuobjdump is used instead",
            &[],
        ),
        _ => tool_check(Tool::Nvdisasm, &nvdisasm, Status::Fail, "", &sass),
    });
    checks.push(match (&nvdisasm, &cuobjdump) {
        (Ok(_), Err(_)) => tool_check(
            Tool::Cuobjdump,
            &cuobjdump,
            Status::Skip,
            "only used without nvdisasm",
            &[],
        ),
        _ => tool_check(Tool::Cuobjdump, &cuobjdump, Status::Fail, "", &sass),
    });
    for (tool, need) in [
        (Tool::Ncu, Need::Profile),
        (Tool::ComputeSanitizer, Need::MemoryChecks),
    ] {
        checks.push(tool_check(
            tool,
            &discover::find(tool),
            Status::Skip,
            "",
            &[need],
        ));
    }
    checks
}

/// One tool: `missing` is the status when it is not found, `why` says why that is fine.
fn tool_check(
    tool: Tool,
    found: &crate::Result<std::path::PathBuf>,
    missing: Status,
    why: &str,
    needs: &[Need],
) -> Check {
    let path = match found {
        Ok(path) => path,
        Err(e) => {
            let found = match e {
                // A wrong override says so; a plain miss is just that.
                crate::Error::Tool { why, .. }
                    if std::env::var_os(tool.env_override()).is_some() =>
                {
                    why.clone()
                }
                _ if why.is_empty() => "not found".to_string(),
                _ => format!("not found ({why})"),
            };
            return Check::new(tool.exe(), Group::Inspect, missing, found)
                .fix(tool.install_hint())
                .needed_by(needs);
        }
    };
    let (status, version) = match discover::version(tool, path) {
        Ok(line) => (Status::Ok, short_version(&line)),
        Err(e) => (Status::Warn, format!("found, but `--version` failed: {e}")),
    };
    Check::new(tool.exe(), Group::Inspect, status, version)
        .path(path.display().to_string())
        .needed_by(needs)
}

/// Whether ptxas is the one `tests/snapshots` was blessed with: another one makes the snapshot
/// test skip (and fail under `CI=true`).
fn snapshot_check(ptxas: Option<&std::path::Path>) -> Check {
    let blessed = BLESSED_PTXAS.trim();
    let name = "SASS snapshots";
    let Some(path) = ptxas else {
        return Check::new(
            name,
            Group::Inspect,
            Status::Skip,
            format!(
                "blessed with ptxas {}; no ptxas to compare",
                short_version(blessed)
            ),
        );
    };
    let Ok(line) = discover::version(Tool::Ptxas, path) else {
        return Check::new(
            name,
            Group::Inspect,
            Status::Skip,
            "ptxas did not say its version".into(),
        );
    };
    if line == blessed {
        return Check::new(
            name,
            Group::Inspect,
            Status::Ok,
            format!("blessed with this ptxas ({})", short_version(blessed)),
        );
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    Check::new(
        name,
        Group::Inspect,
        if ci { Status::Fail } else { Status::Warn },
        format!(
            "blessed with ptxas {}, this is {}: the snapshot comparison is skipped{}",
            short_version(blessed),
            short_version(&line),
            if ci { " (a failure with CI=true)" } else { "" }
        ),
    )
    .fix(format!(
        "python3 -m pip install nvidia-cuda-nvcc=={v} nvidia-cuda-nvdisasm=={v} \
         nvidia-cuda-cuobjdump=={v}, or re-bless: KLAB_BLESS=1 cargo test --test sass_snapshots",
        v = short_version(blessed)
    ))
    .needed_by(if ci { &[Need::Tests] } else { &[] })
}

/// The oldest driver the host runtime supports, whatever the PTX needs: cudarc is built with
/// the CUDA 13 bindings and loads driver functions as they are first called, and kernel-lab
/// runs on CUDA 12 and 13 drivers (README, Prerequisites).
pub const HOST_MIN_CUDA: compat::Version = (12, 0);

/// The device `klab bench` opens: `KLAB_DEVICE`, else 0 (`None` when it is not a number).
fn selected_device() -> Option<usize> {
    match std::env::var("KLAB_DEVICE") {
        Ok(v) => v.trim().parse().ok(),
        Err(_) => Some(0),
    }
}

/// The driver, the PTX ISA against its CUDA version, and each device against the PTX target.
/// `probe` is `None` when no driver library can be loaded.
pub fn driver_checks(
    ptx: &PtxFacts,
    probe: Option<crate::Result<DriverProbe>>,
    selected: Option<usize>,
) -> Vec<Check> {
    let main = [Need::MainJob];
    let isa = compat::parse_version(&ptx.isa);
    let needs = isa.and_then(compat::cuda_for_ptx_isa);
    let needs_text = needs.map_or_else(
        || "a driver newer than klab knows".to_string(),
        |v| format!("a driver for CUDA {} or newer", compat::show(v)),
    );
    let isa_name = format!("PTX ISA {}", ptx.isa);
    let ladders = format!(
        "the {} ladders need {} or newer (the PTX .target)",
        ptx.ladders.len(),
        ptx.target
    );
    let probe = match probe {
        None => {
            return vec![
                Check::new(
                    "NVIDIA driver",
                    Group::Run,
                    Status::Fail,
                    "libcuda cannot be loaded".into(),
                )
                .fix(format!(
                    "install the NVIDIA driver, one for CUDA {} or newer ({isa_name} needs \
                     {needs_text}); on a machine without a GPU, build here and run on a GPU \
                     host: bash scripts/gpu-bundle.sh (README, \"On a GPU host without Rust\")",
                    compat::show(HOST_MIN_CUDA)
                ))
                .needed_by(&main),
                Check::new(
                    isa_name,
                    Group::Run,
                    Status::Skip,
                    format!("needs {needs_text} (no driver to compare)"),
                ),
                Check::new(
                    "devices",
                    Group::Run,
                    Status::Skip,
                    format!("not checked without a driver; {ladders}"),
                ),
            ];
        }
        Some(Err(e)) => {
            return vec![
                Check::new(
                    "NVIDIA driver",
                    Group::Run,
                    Status::Fail,
                    format!("libcuda loads, but {e}"),
                )
                .fix("check the driver installation with nvidia-smi")
                .needed_by(&main),
            ];
        }
        Some(Ok(p)) => p,
    };
    let driver = if probe.cuda >= HOST_MIN_CUDA {
        Check::new(
            "NVIDIA driver",
            Group::Run,
            Status::Ok,
            format!("CUDA {}", compat::show(probe.cuda)),
        )
    } else {
        Check::new(
            "NVIDIA driver",
            Group::Run,
            Status::Fail,
            format!(
                "CUDA {}: the host runtime needs a driver for CUDA {} or newer",
                compat::show(probe.cuda),
                compat::show(HOST_MIN_CUDA)
            ),
        )
        .fix(format!(
            "update the NVIDIA driver to one for CUDA {} or newer",
            compat::show(HOST_MIN_CUDA)
        ))
    };
    let mut checks = vec![driver.needed_by(&main)];
    checks.push(
        match isa.map(|i| compat::driver_fit(probe.cuda, i)) {
            Some(compat::DriverFit::Loads { needs }) => Check::new(
                isa_name,
                Group::Run,
                Status::Ok,
                format!(
                    "needs CUDA {}+, the driver has {}",
                    compat::show(needs),
                    compat::show(probe.cuda)
                ),
            ),
            Some(compat::DriverFit::TooOld { needs }) => Check::new(
                isa_name,
                Group::Run,
                Status::Fail,
                format!(
                    "needs CUDA {}+, the driver has only {}: it cannot load the kernels",
                    compat::show(needs),
                    compat::show(probe.cuda)
                ),
            )
            .fix(format!(
                "update the NVIDIA driver to one for CUDA {} or newer",
                compat::show(needs)
            )),
            _ => Check::new(
                isa_name,
                Group::Run,
                Status::Warn,
                "not in klab's table of PTX ISA versions: cannot say which driver loads it".into(),
            ),
        }
        .needed_by(&main),
    );
    if probe.devices.is_empty() {
        checks.push(
            Check::new(
                "devices",
                Group::Run,
                Status::Fail,
                format!("the driver reports none; {ladders}"),
            )
            .fix("check nvidia-smi, and CUDA_VISIBLE_DEVICES if it is set")
            .needed_by(&main),
        );
        return checks;
    }
    match selected {
        Some(i) if i < probe.devices.len() => {}
        _ => checks.push(
            Check::new(
                "KLAB_DEVICE",
                Group::Run,
                Status::Fail,
                format!(
                    "names no device: the driver reports {} (0 to {})",
                    probe.devices.len(),
                    probe.devices.len() - 1
                ),
            )
            .fix("unset KLAB_DEVICE, or set it to one of the device numbers below")
            .needed_by(&main),
        ),
    }
    for d in &probe.devices {
        let used = selected == Some(d.ordinal);
        let runs = compat::target_runs_on(&ptx.target, d.compute_capability).unwrap_or(false);
        let what = format!(
            "{}, {}, {:.0} GiB",
            d.name,
            d.arch(),
            d.memory_bytes as f64 / f64::from(1u32 << 30)
        );
        let c = if runs {
            Check::new(
                format!("device {}", d.ordinal),
                Group::Run,
                Status::Ok,
                format!("{what}: runs all {} ladders", ptx.ladders.len()),
            )
        } else {
            Check::new(
                format!("device {}", d.ordinal),
                Group::Run,
                if used { Status::Fail } else { Status::Warn },
                format!("{what}: runs no ladder ({ladders})"),
            )
            .fix(format!(
                "use a GPU of compute capability {} or newer{}",
                ptx.target.trim_start_matches("sm_"),
                if probe.devices.len() > 1 {
                    " (KLAB_DEVICE picks one)"
                } else {
                    ""
                }
            ))
        };
        checks.push(if used { c.needed_by(&main) } else { c });
    }
    checks
}

/// A CUDA library the benchmark loads at run time.
fn library_check(name: &str, present: bool, lib: &str, used_for: &str, wheel: &str) -> Check {
    if present {
        Check::new(name, Group::Run, Status::Ok, format!("{lib} loads"))
    } else {
        Check::new(
            name,
            Group::Run,
            Status::Fail,
            format!("{lib} cannot be loaded ({used_for})"),
        )
        .fix(format!(
            "install the CUDA toolkit's libraries, or `python3 -m pip install {wheel}` and put \
             its lib folder on LD_LIBRARY_PATH"
        ))
    }
    .needed_by(&[Need::MainJob])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::DeviceSummary;

    fn facts(target: &str, isa: &str) -> PtxFacts {
        PtxFacts {
            target: target.into(),
            isa: isa.into(),
            kernels: 2,
            ladders: ["saxpy", "gemm"]
                .into_iter()
                .map(|ladder| LadderNeed {
                    ladder,
                    min_arch: target.into(),
                })
                .collect(),
        }
    }

    fn device(ordinal: usize, cc: (i32, i32)) -> DeviceSummary {
        DeviceSummary {
            ordinal,
            name: format!("GPU {ordinal}"),
            compute_capability: cc,
            memory_bytes: 80 << 30,
        }
    }

    fn driver(
        cuda: compat::Version,
        devices: Vec<DeviceSummary>,
    ) -> Option<crate::Result<DriverProbe>> {
        Some(Ok(DriverProbe { cuda, devices }))
    }

    fn status_of<'a>(checks: &'a [Check], name: &str) -> &'a Check {
        checks
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name} in {checks:?}"))
    }

    #[test]
    fn without_a_driver_the_main_job_is_blocked_and_the_requirements_are_named() {
        let checks = driver_checks(&facts("sm_80", "7.0"), None, Some(0));
        let d = status_of(&checks, "NVIDIA driver");
        assert_eq!(d.status, Status::Fail);
        let fix = d.fix.as_ref().unwrap();
        assert!(
            fix.contains("CUDA 12.0 or newer") && fix.contains("CUDA 11.0"),
            "{d:?}"
        );
        let isa = status_of(&checks, "PTX ISA 7.0");
        assert_eq!(isa.status, Status::Skip);
        assert!(isa.found.contains("CUDA 11.0"), "{isa:?}");
        let devices = status_of(&checks, "devices");
        assert!(devices.found.contains("sm_80"), "{devices:?}");
        let r = report(facts("sm_80", "7.0"), checks, false, false);
        assert!(!r.ready);
        assert_eq!(r.commands[0].name, "tests");
        assert!(r.commands[0].ready, "a driver is not needed for the tests");
        assert!(r.commands[0].note.as_ref().unwrap().contains("skip"));
        assert_eq!(r.commands[1].blocked_by, vec!["NVIDIA driver"]);
    }

    #[test]
    fn the_driver_must_be_as_new_as_the_ptx_isa() {
        let ok = driver_checks(
            &facts("sm_80", "7.8"),
            driver((12, 0), vec![device(0, (9, 0))]),
            Some(0),
        );
        assert_eq!(status_of(&ok, "PTX ISA 7.8").status, Status::Ok);
        assert_eq!(status_of(&ok, "device 0").status, Status::Ok);
        assert!(report(facts("sm_80", "7.8"), ok, true, false).commands[1].ready);

        let old = driver_checks(
            &facts("sm_80", "8.5"),
            driver((12, 4), vec![device(0, (9, 0))]),
            Some(0),
        );
        let isa = status_of(&old, "PTX ISA 8.5");
        assert_eq!(isa.status, Status::Fail);
        assert!(isa.fix.as_ref().unwrap().contains("CUDA 12.5 or newer"));
        let r = report(facts("sm_80", "8.5"), old, true, false);
        assert_eq!(r.commands[1].blocked_by, vec!["PTX ISA 8.5"]);

        // The PTX would load, but the host runtime needs CUDA 12.
        let host = driver_checks(
            &facts("sm_80", "7.0"),
            driver((11, 8), vec![device(0, (8, 0))]),
            Some(0),
        );
        assert_eq!(status_of(&host, "PTX ISA 7.0").status, Status::Ok);
        assert_eq!(status_of(&host, "NVIDIA driver").status, Status::Fail);
        let r = report(facts("sm_80", "7.0"), host, false, false);
        assert_eq!(r.commands[1].blocked_by, vec!["NVIDIA driver"]);

        let unknown = driver_checks(&facts("sm_80", "10.1"), driver((13, 0), vec![]), Some(0));
        assert_eq!(status_of(&unknown, "PTX ISA 10.1").status, Status::Warn);
    }

    #[test]
    fn each_device_is_checked_against_the_ptx_target() {
        let checks = driver_checks(
            &facts("sm_80", "7.0"),
            driver((13, 0), vec![device(0, (7, 5)), device(1, (8, 6))]),
            Some(1),
        );
        let old = status_of(&checks, "device 0");
        assert_eq!(old.status, Status::Warn, "not the one the benchmark uses");
        assert!(old.found.contains("sm_75") && old.found.contains("runs no ladder"));
        assert!(old.fix.as_ref().unwrap().contains("KLAB_DEVICE"));
        assert_eq!(status_of(&checks, "device 1").status, Status::Ok);
        assert!(report(facts("sm_80", "7.0"), checks, true, false).commands[1].ready);

        // The device the benchmark opens is too old: blocked.
        let checks = driver_checks(
            &facts("sm_90a", "8.0"),
            driver((13, 0), vec![device(0, (10, 0))]),
            Some(0),
        );
        assert_eq!(status_of(&checks, "device 0").status, Status::Fail);
        // KLAB_DEVICE out of range, and no device at all.
        let checks = driver_checks(
            &facts("sm_80", "7.0"),
            driver((13, 0), vec![device(0, (9, 0))]),
            Some(3),
        );
        assert_eq!(status_of(&checks, "KLAB_DEVICE").status, Status::Fail);
        let none = driver_checks(&facts("sm_80", "7.0"), driver((13, 0), vec![]), Some(0));
        assert_eq!(status_of(&none, "devices").status, Status::Fail);
    }

    #[test]
    fn the_verdicts_follow_the_failed_checks_each_command_needs() {
        let fail = |name: &str, group: Group, needs: &[Need]| {
            Check::new(name, group, Status::Fail, "missing".into()).needed_by(needs)
        };
        let checks = vec![
            fail("ptxas", Group::Inspect, &[Need::Tests, Need::Inspect]),
            fail("ncu", Group::Inspect, &[Need::Profile]),
            Check::new("device 0", Group::Run, Status::Ok, "GPU".into()),
        ];
        let r = report(facts("sm_80", "7.0"), checks.clone(), true, false);
        assert_eq!(r.commands[0].blocked_by, vec!["ptxas"]);
        assert!(
            r.commands[0].note.is_none(),
            "a usable device: no skip note"
        );
        assert!(r.commands[1].ready && !r.ready);
        let r = report(facts("sm_80", "7.0"), checks, true, true);
        assert!(
            r.commands[0].ready,
            "KLAB_ALLOW_NO_CUDA_TOOLS=1 skips the SASS tests"
        );

        let only_toolchain = vec![fail(
            "kernel toolchain",
            Group::Build,
            &[Need::Tests, Need::MainJob],
        )];
        let r = report(facts("sm_80", "7.0"), only_toolchain, false, false);
        assert!(!r.commands[0].ready && !r.commands[1].ready);
        assert!(r.commands[1].note.as_ref().unwrap().contains("klab bench"));
    }

    #[test]
    fn versions_are_shortened_to_their_number() {
        assert_eq!(
            short_version("Cuda compilation tools, release 13.5, V13.5.37"),
            "13.5.37"
        );
        assert_eq!(
            short_version("Version 2025.3.1.0 (build 36398880) (public-release)"),
            "2025.3.1.0"
        );
        assert_eq!(short_version("something else"), "something else");
        assert_eq!(short_version(BLESSED_PTXAS.trim()).split('.').count(), 3);
    }

    #[test]
    fn the_embedded_facts_come_from_the_ptx_header() {
        let f = PtxFacts::embedded();
        assert_eq!(f.target, ptx::PTX_ARCH);
        assert_eq!(Some(f.isa.as_str()), ptx::isa_version(ptx::PTX));
        assert_eq!(f.ladders.len(), registry::all_ladders().len());
        assert!(f.ladders.iter().all(|l| l.min_arch == f.target));
        let isa = compat::parse_version(&f.isa).unwrap();
        assert!(
            compat::cuda_for_ptx_isa(isa).is_some(),
            "the table must know the ISA the kernels are built with ({})",
            f.isa
        );
    }
}
