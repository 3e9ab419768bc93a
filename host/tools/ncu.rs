//! Nsight Compute on one launch: the command line, its `--csv --page raw` output parsed, and a
//! compact summary (throughputs, occupancy, cache hit rates, top warp stall reasons).

use super::discover::{self, Tool};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The sections collected.
pub const SECTIONS: &[&str] = &[
    "SpeedOfLight",
    "MemoryWorkloadAnalysis",
    "Occupancy",
    "LaunchStats",
    "WarpStateStats",
];

/// ncu's `--kernel-name` filter for a step's kernels: the name itself when there is one, else
/// a regex of all of them (a tuned step launches one of several variants; a multi-kernel step
/// is profiled at its first launch).
pub fn kernel_filter(symbols: &[&str]) -> String {
    match symbols {
        [one] => one.to_string(),
        many => format!("regex:^({})$", many.join("|")),
    }
}

/// ncu's arguments to profile the first launch matching `filter` (see [`kernel_filter`]) in
/// `klab run <kernel> [--size S]`.
pub fn arguments(klab: &Path, filter: &str, kernel: &str, size: Option<&str>) -> Vec<String> {
    let mut args = Vec::new();
    for s in SECTIONS {
        args.push("--section".to_string());
        args.push(s.to_string());
    }
    args.extend(
        [
            "--kernel-name",
            filter,
            "--launch-count",
            "1",
            "--csv",
            "--page",
            "raw",
        ]
        .map(str::to_string),
    );
    args.push(klab.display().to_string());
    args.push("run".into());
    args.push(kernel.into());
    if let Some(s) = size {
        args.push("--size".into());
        args.push(s.into());
    }
    args
}

/// Runs ncu on `klab run` for the kernels `filter` matches and returns its combined output.
pub fn profile(filter: &str, kernel: &str, size: Option<&str>) -> Result<String> {
    let ncu = discover::find(Tool::Ncu)?;
    let klab = std::env::current_exe().map_err(|e| Error::Other(format!("current_exe: {e}")))?;
    let out = Command::new(&ncu)
        .args(arguments(&klab, filter, kernel, size))
        .output()
        .map_err(|e| Error::Tool {
            tool: "ncu".into(),
            why: format!("could not run {}: {e}", ncu.display()),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    check_output(&text, out.status.success())?;
    Ok(text)
}

/// Turns ncu's known failures into errors: no permission for the counters, no launch
/// profiled, a failing run.
pub fn check_output(text: &str, success: bool) -> Result<()> {
    if text.contains("ERR_NVGPUCTRPERM") {
        return Err(Error::Tool {
            tool: "ncu".into(),
            why: "no permission to read the GPU performance counters (ERR_NVGPUCTRPERM): run \
                  as root, or allow profiling for all users (driver option \
                  NVreg_RestrictProfilingToAdminUsers=0; \
                  https://developer.nvidia.com/ERR_NVGPUCTRPERM)"
                .into(),
        });
    }
    if !text.contains("\"ID\"") {
        let tail: Vec<&str> = text.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(Error::Tool {
            tool: "ncu".into(),
            why: format!(
                "no profile in ncu's output ({}): {}",
                if success {
                    "no launch matched"
                } else {
                    "ncu failed"
                },
                tail.join(" | ")
            ),
        });
    }
    Ok(())
}

/// One metric value with its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub unit: String,
    pub value: String,
}

impl Metric {
    /// The value as a number (`1,234.5` -> 1234.5), if it is one.
    pub fn number(&self) -> Option<f64> {
        self.value.replace(',', "").trim().parse().ok()
    }
}

/// The metrics of one profiled launch, by name (plus `Kernel Name`, `Block Size`, ... columns).
pub type Launch = BTreeMap<String, Metric>;

/// Parses ncu's CSV: `--page raw` (a header row of metric names, a units row, a row per
/// launch) or `--page details` (one row per metric with `Metric Name`/`Metric Unit`/
/// `Metric Value` columns). Lines before the header (`==PROF==`, the program's output) are
/// skipped.
pub fn parse_csv(text: &str) -> Result<Vec<Launch>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with("\"ID\""));
    let header = lines.next().ok_or_else(|| Error::Tool {
        tool: "ncu".into(),
        why: "no CSV header (\"ID\",...) in ncu's output".into(),
    })?;
    let header = split_csv_line(header);
    let rows: Vec<Vec<String>> = lines
        .filter(|l| l.starts_with('"'))
        .map(split_csv_line)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    if let (Some(name), Some(unit), Some(value)) =
        (col("Metric Name"), col("Metric Unit"), col("Metric Value"))
    {
        // details page: group rows by launch ID.
        let mut launches: BTreeMap<String, Launch> = BTreeMap::new();
        for r in &rows {
            let id = r.first().cloned().unwrap_or_default();
            let l = launches.entry(id).or_default();
            for (k, h) in header.iter().enumerate().take(name) {
                if let Some(v) = r.get(k) {
                    l.entry(h.clone()).or_insert(Metric {
                        unit: String::new(),
                        value: v.clone(),
                    });
                }
            }
            if let (Some(n), Some(u), Some(v)) = (r.get(name), r.get(unit), r.get(value)) {
                l.insert(
                    n.clone(),
                    Metric {
                        unit: u.clone(),
                        value: v.clone(),
                    },
                );
            }
        }
        return Ok(launches.into_values().collect());
    }
    // raw page: the first row after the header holds units (its ID cell is empty).
    let (units, data): (Vec<&Vec<String>>, Vec<&Vec<String>>) = rows
        .iter()
        .partition(|r| r.first().is_some_and(|c| c.is_empty()));
    let units = units.first();
    Ok(data
        .into_iter()
        .map(|r| {
            header
                .iter()
                .enumerate()
                .map(|(k, h)| {
                    (
                        h.clone(),
                        Metric {
                            unit: units.and_then(|u| u.get(k)).cloned().unwrap_or_default(),
                            value: r.get(k).cloned().unwrap_or_default(),
                        },
                    )
                })
                .collect()
        })
        .collect())
}

/// Splits one CSV line with `"`-quoted fields (`""` inside quotes is a quote).
pub fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The numbers `klab profile` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSummary {
    pub kernel: String,
    pub block: String,
    pub grid: String,
    pub duration: Option<(f64, String)>,
    pub dram_pct: Option<f64>,
    /// DRAM bandwidth used, GB/s.
    pub dram_gbps: Option<f64>,
    pub sm_pct: Option<f64>,
    pub memory_pct: Option<f64>,
    pub achieved_occupancy_pct: Option<f64>,
    pub theoretical_occupancy_pct: Option<f64>,
    pub l1_hit_pct: Option<f64>,
    pub l2_hit_pct: Option<f64>,
    pub registers: Option<f64>,
    /// Warp stall reasons, largest first: (reason, value, metric family).
    pub stalls: Vec<(String, f64)>,
    /// What the stall values are (`cycles per issued instruction`, ...).
    pub stall_unit: &'static str,
}

/// Families of stall metrics, most useful first: `<prefix><reason><suffix>`.
const STALL_FAMILIES: &[(&str, &str, &str)] = &[
    (
        "smsp__average_warps_issue_stalled_",
        "_per_issue_active.ratio",
        "stall cycles per issued instruction",
    ),
    (
        "smsp__average_warp_latency_issue_stalled_",
        ".ratio",
        "warp latency cycles (stall reason)",
    ),
    ("smsp__pcsamp_warps_issue_stalled_", "", "PC samples"),
];

impl ProfileSummary {
    /// Picks the summary's metrics out of one launch.
    pub fn of(l: &Launch) -> ProfileSummary {
        let num = |names: &[&str]| names.iter().find_map(|n| l.get(*n)?.number());
        let text = |n: &str| l.get(n).map(|m| m.value.clone()).unwrap_or_default();
        let mut stalls = Vec::new();
        let mut stall_unit = "";
        for (prefix, suffix, unit) in STALL_FAMILIES {
            for (name, m) in l {
                let Some(reason) = name
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_suffix(suffix))
                else {
                    continue;
                };
                if reason.contains("not_issued") || reason.contains('.') || reason == "selected" {
                    continue;
                }
                if let Some(v) = m.number() {
                    stalls.push((reason.to_string(), v));
                }
            }
            if !stalls.is_empty() {
                stall_unit = unit;
                break;
            }
        }
        stalls.sort_by(|a, b| b.1.total_cmp(&a.1));
        ProfileSummary {
            kernel: text("Kernel Name"),
            block: text("Block Size"),
            grid: text("Grid Size"),
            duration: l
                .get("gpu__time_duration.sum")
                .and_then(|m| Some((m.number()?, m.unit.clone()))),
            dram_pct: num(&[
                "dram__throughput.avg.pct_of_peak_sustained_elapsed",
                "gpu__dram_throughput.avg.pct_of_peak_sustained_elapsed",
                "dram__cycles_active.avg.pct_of_peak_sustained_elapsed",
            ]),
            dram_gbps: num(&["dram__bytes.sum.per_second"]).map(|b| b / 1e9),
            sm_pct: num(&["sm__throughput.avg.pct_of_peak_sustained_elapsed"]),
            memory_pct: num(&["gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed"]),
            achieved_occupancy_pct: num(&["sm__warps_active.avg.pct_of_peak_sustained_active"]),
            theoretical_occupancy_pct: num(&["sm__maximum_warps_per_active_cycle_pct"]),
            l1_hit_pct: num(&["l1tex__t_sector_hit_rate.pct"]),
            l2_hit_pct: num(&["lts__t_sector_hit_rate.pct"]),
            registers: num(&["launch__registers_per_thread"]),
            stalls,
            stall_unit,
        }
    }
}

impl std::fmt::Display for ProfileSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.1}%"));
        writeln!(
            f,
            "{} (block {}, grid {})",
            self.kernel, self.block, self.grid
        )?;
        if let Some((d, unit)) = &self.duration {
            writeln!(f, "  duration               {d} {unit}")?;
        }
        match self.dram_gbps {
            Some(g) => writeln!(
                f,
                "  DRAM throughput        {} of peak ({g:.0} GB/s)",
                pct(self.dram_pct)
            )?,
            None => writeln!(f, "  DRAM throughput        {}", pct(self.dram_pct))?,
        }
        writeln!(f, "  memory throughput      {}", pct(self.memory_pct))?;
        writeln!(f, "  SM throughput          {}", pct(self.sm_pct))?;
        writeln!(
            f,
            "  occupancy              {} achieved, {} theoretical",
            pct(self.achieved_occupancy_pct),
            pct(self.theoretical_occupancy_pct)
        )?;
        if let Some(r) = self.registers {
            writeln!(f, "  registers/thread       {r}")?;
        }
        writeln!(f, "  L1 hit rate            {}", pct(self.l1_hit_pct))?;
        writeln!(f, "  L2 hit rate            {}", pct(self.l2_hit_pct))?;
        if self.stalls.is_empty() {
            writeln!(f, "  warp stalls            n/a")?;
        } else {
            writeln!(f, "  top warp stalls ({}):", self.stall_unit)?;
            for (reason, v) in self.stalls.iter().take(5) {
                writeln!(f, "    {reason:<22} {v:.2}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-written in the shape of `ncu --csv --page raw`: program output and `==PROF==`
    /// lines first, a header of column and metric names, a units row, one row per launch.
    const RAW: &str = r#"==PROF== Connected to process 4242 (/opt/klab/klab)
saxpy_s02_grid_stride (saxpy/2) on NVIDIA H100 80GB HBM3, shape 16777216, seed 7
==PROF== Profiling "saxpy_s02_grid_stride": 0%....50%....100% - 38 passes
verified:  max |d| = 0.000e0, ||d||/||ref|| = 0.000e0 (tolerance 1.0e-6 + 1.0e-5*|ref|)
==PROF== Disconnected from process 4242
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","dram__throughput.avg.pct_of_peak_sustained_elapsed","gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed","gpu__time_duration.sum","l1tex__t_sector_hit_rate.pct","launch__registers_per_thread","lts__t_sector_hit_rate.pct","sm__maximum_warps_per_active_cycle_pct","sm__throughput.avg.pct_of_peak_sustained_elapsed","sm__warps_active.avg.pct_of_peak_sustained_active","smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio","smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio","smsp__average_warps_issue_stalled_lg_throttle_per_issue_active.ratio","smsp__average_warps_issue_stalled_not_selected_per_issue_active.ratio","smsp__average_warps_issue_stalled_selected_per_issue_active.ratio","smsp__average_warp_latency_issue_stalled_long_scoreboard.ratio"
"","","","","","","","","","","","%","%","usecond","%","register/thread","%","%","%","%","ratio","ratio","ratio","ratio","ratio","ratio"
"0","4242","klab","gpu-host","saxpy_s02_grid_stride","1","7","(256, 1, 1)","(2112, 1, 1)","0","9.0","91.37","91.37","68.48","0","16","33.41","100","18.62","83.75","0","28.67","3.04","0.45","1","431.2"
"#;

    #[test]
    fn parses_the_raw_page_and_summarises_it() {
        let launches = parse_csv(RAW).unwrap();
        assert_eq!(launches.len(), 1);
        let l = &launches[0];
        assert_eq!(l["gpu__time_duration.sum"].unit, "usecond");
        let s = ProfileSummary::of(l);
        assert_eq!(s.kernel, "saxpy_s02_grid_stride");
        assert_eq!(s.block, "(256, 1, 1)");
        assert_eq!(s.dram_pct, Some(91.37));
        assert_eq!(s.sm_pct, Some(18.62));
        assert_eq!(s.achieved_occupancy_pct, Some(83.75));
        assert_eq!(s.theoretical_occupancy_pct, Some(100.0));
        assert_eq!((s.l1_hit_pct, s.l2_hit_pct), (Some(0.0), Some(33.41)));
        assert_eq!(s.duration, Some((68.48, "usecond".to_string())));
        let reasons: Vec<&str> = s.stalls.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            reasons,
            ["long_scoreboard", "lg_throttle", "not_selected", "barrier"]
        );
        let text = s.to_string();
        assert!(text.contains("DRAM throughput        91.4%"), "{text}");
        assert!(text.contains("long_scoreboard        28.67"), "{text}");
    }

    /// Captured on the H100 (ncu of the CUDA 13.0 toolkit, driver 580):
    /// `ncu <the five sections> --kernel-name saxpy_s02_grid_stride --launch-count 1 --csv
    /// --page raw klab run saxpy/2 --size 16M`.
    const CAPTURED: &str = include_str!("testdata/ncu_saxpy_s02_h100_raw.csv");

    #[test]
    fn parses_a_real_capture() {
        let launches = parse_csv(CAPTURED).unwrap();
        assert_eq!(launches.len(), 1);
        let s = ProfileSummary::of(&launches[0]);
        assert_eq!(s.kernel, "saxpy_s02_grid_stride");
        assert_eq!(
            (s.block.as_str(), s.grid.as_str()),
            ("(256, 1, 1)", "(1056, 1, 1)")
        );
        assert_eq!(s.duration, Some((71104.0, "ns".to_string())));
        assert_eq!(s.dram_pct, Some(77.53));
        assert!((s.dram_gbps.unwrap() - 2597.5).abs() < 0.1, "{s:?}");
        assert_eq!(s.sm_pct, Some(15.76));
        assert_eq!(s.achieved_occupancy_pct, Some(95.55));
        assert_eq!(s.theoretical_occupancy_pct, Some(100.0));
        assert_eq!((s.l1_hit_pct, s.l2_hit_pct), (Some(32.5), Some(33.98)));
        assert_eq!(s.registers, Some(16.0));
        assert_eq!(s.stall_unit, "stall cycles per issued instruction");
        assert_eq!(s.stalls[0], ("long_scoreboard".to_string(), 98.45));
        assert_eq!(s.stalls[1].0, "wait");
        assert!(s.stalls.iter().all(|(r, _)| r != "selected"));
    }

    #[test]
    fn parses_the_details_page_too() {
        let csv = "\"ID\",\"Process ID\",\"Process Name\",\"Host Name\",\"Kernel Name\",\"Context\",\"Stream\",\"Block Size\",\"Grid Size\",\"Device\",\"CC\",\"Section Name\",\"Metric Name\",\"Metric Unit\",\"Metric Value\"\n\
\"0\",\"1\",\"klab\",\"h\",\"k\",\"1\",\"7\",\"(256, 1, 1)\",\"(8, 1, 1)\",\"0\",\"9.0\",\"GPU Speed Of Light Throughput\",\"dram__throughput.avg.pct_of_peak_sustained_elapsed\",\"%\",\"1,234.5\"\n";
        let l = parse_csv(csv).unwrap();
        assert_eq!(l.len(), 1);
        let s = ProfileSummary::of(&l[0]);
        assert_eq!((s.kernel.as_str(), s.dram_pct), ("k", Some(1234.5)));
        assert!(s.stalls.is_empty());
    }

    #[test]
    fn known_failures_are_clear_errors() {
        let perm = "==PROF== Connected to process 1\n==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access NVIDIA GPU Performance Counters on the target device 0.";
        let e = check_output(perm, false).unwrap_err().to_string();
        assert!(e.contains("ERR_NVGPUCTRPERM") && e.contains("root"), "{e}");
        let none = "==PROF== Connected to process 1\n==WARNING== No kernels were profiled.\n";
        let e = check_output(none, true).unwrap_err().to_string();
        assert!(e.contains("no launch matched"), "{e}");
        check_output(RAW, true).unwrap();
        assert!(parse_csv("nothing").is_err());
        assert_eq!(
            split_csv_line(r#""a","b,c","""q""",""#),
            vec!["a", "b,c", "\"q\"", ""]
        );
    }

    #[test]
    fn the_command_line_profiles_one_launch_of_the_kernel() {
        let a = arguments(
            Path::new("/x/klab"),
            "saxpy_s01_naive",
            "saxpy/1",
            Some("1M"),
        );
        let s = a.join(" ");
        assert!(s.starts_with("--section SpeedOfLight --section MemoryWorkloadAnalysis"));
        assert!(s.contains("--kernel-name saxpy_s01_naive --launch-count 1 --csv --page raw"));
        assert_eq!(
            kernel_filter(&["a_s09", "a_s09_v2"]),
            "regex:^(a_s09|a_s09_v2)$"
        );
        assert!(s.ends_with("/x/klab run saxpy/1 --size 1M"), "{s}");
    }
}
