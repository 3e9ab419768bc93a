//! The docs' measured tables, generated from a benchmark run (`klab report R.json --docs docs`).
//!
//! A markdown file opts in with a marker block per ladder:
//!
//! ```text
//! <!-- klab:measured ladder=gemm -->
//! (replaced by a generated table)
//! <!-- /klab:measured -->
//! ```
//!
//! and optionally `<!-- klab:sass ladder=gemm -->` … `<!-- /klab:sass -->` for a one-line
//! instruction-mix summary per step, and `<!-- klab:summary device=nvidia-h200 -->` …
//! `<!-- /klab:summary -->` for the README's table of each ladder's best step on one device
//! (the device's name in lower case, runs of other characters as `-`: [`device_slug`]); a
//! summary block of another device is left as it is. The markers stay; only what lies between them is
//! rewritten, so running it twice gives the same file. A ladder the run has no rows for is
//! left as it is. Registers, shared memory and occupancy come from ptxas for the run's
//! architecture ([`KernelFacts`]); without the tools those columns show `-` and a note.

use super::results::{BenchReport, LaunchRecord, ResultRow, RowKind};
use crate::error::{Error, Result};
use crate::ladder::{BaselineKind, Ceiling};
use crate::npy::write_atomic;
use crate::tools::occupancy::{self, Request};
use crate::tools::ptxas::Resources;
use crate::tools::summary::Summary;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What the tables need to know about a kernel beyond its timing: its ptxas resources and
/// its SASS summary, for the run's architecture. `None` when unknown.
pub trait KernelFacts {
    fn resources(&self, symbol: &str) -> Option<Resources>;
    fn sass(&self, symbol: &str) -> Option<Summary>;
    /// Lines to print under the tables (a missing tool, say).
    fn notes(&self) -> Vec<String>;
}

/// [`KernelFacts`] from ptxas and nvdisasm on the embedded PTX, for `arch`.
pub struct ToolFacts {
    arch: String,
    assembly: std::result::Result<std::sync::Arc<crate::tools::ptxas::Assembly>, String>,
    sass_error: std::sync::Mutex<Option<String>>,
}

impl ToolFacts {
    /// Assembles the embedded PTX for `arch` (once); a failure is kept as a note.
    pub fn new(arch: &str) -> Self {
        let assembly = if arch.is_empty() {
            Err("the results name no device architecture".to_string())
        } else {
            crate::tools::ptxas::embedded(arch).map_err(|e| e.to_string())
        };
        Self {
            arch: arch.to_string(),
            assembly,
            sass_error: std::sync::Mutex::new(None),
        }
    }
}

impl ToolFacts {
    /// Whether `symbol` is a kernel of the sm_90a module, which runs (and is assembled) only as
    /// sm_90a: on an sm_90 device of the run.
    fn sm90a(&self, symbol: &str) -> bool {
        crate::ptx::module_of(symbol) == Some(crate::registry::Arch::Sm90a)
    }
}

impl KernelFacts for ToolFacts {
    fn resources(&self, symbol: &str) -> Option<Resources> {
        if self.sm90a(symbol) {
            let sm90a = crate::registry::Arch::Sm90a;
            let a = crate::tools::ptxas::embedded_module(sm90a, sm90a.name()).ok()?;
            return a.resources_of(symbol).ok().cloned();
        }
        let a = self.assembly.as_ref().ok()?;
        a.resources_of(symbol).ok().cloned()
    }
    fn sass(&self, symbol: &str) -> Option<Summary> {
        if self.sm90a(symbol) {
            let k = crate::tools::sass::kernel_sass(symbol, crate::registry::Arch::Sm90a.name());
            return k.ok().map(|k| Summary::of(&k));
        }
        self.assembly.as_ref().ok()?;
        match crate::tools::sass::ModuleSass::embedded(&self.arch).and_then(|m| m.kernel(symbol)) {
            Ok(k) => Some(Summary::of(&k)),
            Err(e) => {
                let mut slot = self.sass_error.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert_with(|| e.to_string());
                None
            }
        }
    }
    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Err(e) = &self.assembly {
            notes.push(format!(
                "registers, shared memory and occupancy not available ({e})"
            ));
        }
        if let Some(e) = &*self.sass_error.lock().unwrap_or_else(|e| e.into_inner()) {
            notes.push(format!("SASS summaries not available ({e})"));
        }
        notes
    }
}

/// How the generated header line names the commands that made the table.
#[derive(Debug, Clone)]
pub struct Provenance {
    /// The results file as given to `klab bench --json` / `klab report`.
    pub results: String,
    /// `--out` of `klab report`.
    pub out: String,
    /// `--docs` of `klab report`.
    pub docs: String,
}

const MEASURED: &str = "klab:measured";
const SASS: &str = "klab:sass";
const SUMMARY: &str = "klab:summary";

/// A device name as a marker attribute: `NVIDIA H100 80GB HBM3` → `nvidia-h100-80gb-hbm3`.
pub fn device_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// One file rewritten: its path and the blocks it got (`measured gemm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Updated {
    pub path: PathBuf,
    pub blocks: Vec<String>,
}

/// Rewrites every marker block of every `.md` file under `docs` (recursively; or of the one
/// file `docs`, such as the README). Files whose
/// text does not change are not written. Returns the files written, and notes (missing tools,
/// ladders the run has no rows for).
pub fn update_docs(
    rep: &BenchReport,
    docs: &Path,
    facts: &dyn KernelFacts,
    prov: &Provenance,
) -> Result<(Vec<Updated>, Vec<String>)> {
    let mut files = Vec::new();
    collect_markdown(docs, &mut files)?;
    files.sort();
    let mut updated = Vec::new();
    let mut notes = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Other(format!("{}: cannot read: {e}", path.display())))?;
        let (new, blocks, skipped) = rewrite(&text, rep, facts, prov)
            .map_err(|why| Error::Other(format!("{}: {why}", path.display())))?;
        for l in skipped {
            notes.push(format!(
                "{}: no results for ladder {l}, block left as it is",
                path.display()
            ));
        }
        if new != text {
            write_atomic(&path, new.as_bytes())?;
            updated.push(Updated { path, blocks });
        }
    }
    notes.extend(facts.notes());
    Ok((updated, notes))
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Other(format!("{}: cannot list: {e}", dir.display())))?;
    for e in entries {
        let e = e.map_err(|e| Error::Other(format!("{}: {e}", dir.display())))?;
        let p = e.path();
        if p.is_dir() {
            collect_markdown(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
    Ok(())
}

/// `<!-- klab:KIND ladder=NAME -->` (or `device=SLUG` for a summary) → `(KIND, NAME)`.
fn open_marker(line: &str) -> Option<(&'static str, String)> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    for (kind, key) in [
        (MEASURED, "ladder="),
        (SASS, "ladder="),
        (SUMMARY, "device="),
    ] {
        if let Some(rest) = inner.strip_prefix(kind)
            && let Some(name) = rest.trim().strip_prefix(key)
        {
            let name = name.trim();
            if !name.is_empty() && !name.contains(char::is_whitespace) {
                return Some((kind, name.to_string()));
            }
        }
    }
    None
}

fn is_close_marker(line: &str, kind: &str) -> bool {
    line.trim()
        .strip_prefix("<!--")
        .and_then(|s| s.strip_suffix("-->"))
        .is_some_and(|s| s.trim() == format!("/{kind}"))
}

/// The text with every known block regenerated; the blocks written (`measured gemm`); the
/// ladders with no results. An unclosed block is an error naming its line.
pub fn rewrite(
    text: &str,
    rep: &BenchReport,
    facts: &dyn KernelFacts,
    prov: &Provenance,
) -> std::result::Result<(String, Vec<String>, Vec<String>), String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::with_capacity(text.len());
    let (mut blocks, mut skipped) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push_str(line);
        let Some((kind, ladder)) = open_marker(line) else {
            i += 1;
            continue;
        };
        let close = (i + 1..lines.len())
            .find(|&j| is_close_marker(lines[j], kind))
            .ok_or_else(|| format!("line {}: <!-- {kind} --> block is not closed", i + 1))?;
        let rows: Vec<&ResultRow> = if kind == SUMMARY {
            if ladder == device_slug(&rep.device.name) {
                rep.results.iter().collect()
            } else {
                Vec::new()
            }
        } else {
            rep.results.iter().filter(|r| r.ladder == ladder).collect()
        };
        if rows.is_empty() && kind == SUMMARY {
            for l in &lines[i + 1..close] {
                out.push_str(l);
            }
        } else if rows.is_empty() {
            skipped.push(ladder);
            for l in &lines[i + 1..close] {
                out.push_str(l);
            }
        } else {
            if !line.ends_with('\n') {
                out.push('\n');
            }
            let body = match kind {
                MEASURED => measured_block(rep, &rows, facts, prov),
                SUMMARY => summary_block(rep, prov),
                _ => sass_block(rep, &rows, facts),
            };
            out.push('\n');
            out.push_str(&body);
            out.push('\n');
            blocks.push(format!("{} {ladder}", kind.trim_start_matches("klab:")));
        }
        out.push_str(lines[close]);
        i = close + 1;
    }
    Ok((out, blocks, skipped))
}

/// The rows of a ladder in table order: shapes in order of first appearance; per shape the
/// steps by number, then the baselines (library first).
fn ordered<'a>(rows: &[&'a ResultRow]) -> Vec<&'a ResultRow> {
    let mut shapes: Vec<&str> = Vec::new();
    for r in rows {
        if !shapes.contains(&r.shape.as_str()) {
            shapes.push(&r.shape);
        }
    }
    let mut out: Vec<&ResultRow> = rows.to_vec();
    out.sort_by_key(|r| {
        let shape = shapes.iter().position(|s| *s == r.shape).unwrap_or(0);
        (shape, r.kind == RowKind::Baseline, r.step)
    });
    out
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or_else(|| "-".to_string(), f)
}

fn fmt_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.4}")
    } else if ms < 100.0 {
        format!("{ms:.3}")
    } else {
        format!("{ms:.1}")
    }
}

/// The header line: device, software, commit, date, ceilings, commands.
pub fn provenance_line(rep: &BenchReport, prov: &Provenance) -> String {
    let d = &rep.device;
    let c = &rep.ceilings;
    // cuBLAS bf16 is named only where it was measured (runs before it have no such field).
    let bf16 = c
        .cublas_bf16_tflops
        .map(|v| ("cuBLAS bf16", Some(v), "TFLOP/s"));
    let ceilings = [
        ("copy", c.copy_gbps, "GB/s"),
        ("read", c.read_gbps, "GB/s"),
        ("FP32 FMA", c.fma_tflops, "TFLOP/s"),
        ("cuBLAS SGEMM", c.cublas_sgemm_tflops, "TFLOP/s"),
    ]
    .into_iter()
    .chain(bf16)
    .collect::<Vec<_>>();
    let ceilings = ceilings
        .iter()
        .map(|(name, v, unit)| match v {
            Some(v) if *unit == "GB/s" => format!("{name} {v:.0} {unit}"),
            Some(v) => format!("{name} {v:.1} {unit}"),
            None => format!("{name} not measured"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let merged = prov.results.contains(' ');
    let generated = if merged {
        format!(
            "Merged from the runs `{}` (each row from the newest run that has it; the device \
             record and ceilings above are the newest run's, each row's percentages its own \
             run's) by `klab report {} --out {} --docs {}`",
            prov.results, prov.results, prov.out, prov.docs
        )
    } else {
        format!(
            "Generated by `klab bench --json {}` then `klab report {} --out {} --docs {}`",
            prov.results, prov.results, prov.out, prov.docs
        )
    };
    format!(
        "Measured on {} ({}, {} SMs), driver {}, CUDA {}, commit `{}`, {}{}; ceilings measured in \
         the same run: {ceilings}. {generated}; do not edit by hand.",
        d.name,
        d.arch,
        d.sm_count,
        d.driver,
        d.cuda,
        d.commit,
        d.time,
        if d.quick {
            " (a `--quick` run: not for comparisons)"
        } else {
            ""
        },
    )
}

/// Whether `r` is a baseline row of kind `kind`.
fn is_baseline(r: &ResultRow, kind: BaselineKind) -> bool {
    r.kind == RowKind::Baseline && r.baseline_kind == Some(kind)
}

fn step_label(r: &ResultRow) -> String {
    match (r.kind, r.baseline_kind) {
        (RowKind::Step, _) => r.step.to_string(),
        (RowKind::Baseline, Some(BaselineKind::Cublas)) => "cuBLAS".into(),
        (RowKind::Baseline, Some(BaselineKind::CudaCppTwin)) if r.step > 0 => {
            format!("C++ twin of {}", r.step)
        }
        (RowKind::Baseline, kind) => kind.map_or("baseline", BaselineKind::name).into(),
    }
}

/// What ptxas and the launch say about a row: registers, shared memory, occupancy.
fn resource_cells(r: &ResultRow, arch: &str, facts: &dyn KernelFacts) -> (String, String, String) {
    let symbol = r
        .launch
        .as_ref()
        .map_or(r.kernel.as_str(), |l| l.symbol_or(&r.kernel));
    let res = (r.kind == RowKind::Step)
        .then(|| facts.resources(symbol))
        .flatten();
    let Some(res) = res else {
        return ("-".into(), "-".into(), "-".into());
    };
    let regs = res.registers.to_string();
    let smem = match &r.launch {
        Some(l) => format!("{} + {} B", res.smem_bytes, l.smem),
        None => format!("{} B + ?", res.smem_bytes),
    };
    let occ = r
        .launch
        .as_ref()
        .and_then(|l| occupancy_cell(arch, &res, l))
        .unwrap_or_else(|| "-".into());
    (regs, smem, occ)
}

fn occupancy_cell(arch: &str, res: &Resources, l: &LaunchRecord) -> Option<String> {
    let limits = occupancy::arch_limits(arch).ok()?;
    let o = occupancy::theoretical(
        limits,
        Request {
            block_threads: l.threads(),
            registers: res.registers,
            static_smem: res.smem_bytes,
            dynamic_smem: u64::from(l.smem),
        },
    );
    if o.blocks_per_sm == 0 {
        return Some("0% (does not fit)".into());
    }
    Some(format!(
        "{:.0}% ({} × {} thr)",
        100.0 * o.fraction(),
        o.blocks_per_sm,
        l.threads()
    ))
}

/// The generated table of one ladder, with its header line and notes.
pub fn measured_block(
    rep: &BenchReport,
    rows: &[&ResultRow],
    facts: &dyn KernelFacts,
    prov: &Provenance,
) -> String {
    let rows = ordered(rows);
    let ceiling = rows.first().map_or(Ceiling::CopyGbps, |r| r.ceiling);
    let bw = ceiling.is_bandwidth();
    let fp32_column = !bw && ceiling != Ceiling::FmaTflops;
    let has_cublas = rows.iter().any(|r| is_baseline(r, BaselineKind::Cublas));
    let twin = rows
        .iter()
        .find(|r| is_baseline(r, BaselineKind::CudaCppTwin))
        .map(|r| r.step);
    // A row's baseline of `kind` at its shape; a twin only of the row's element type.
    let baseline_ms = |r: &ResultRow, kind: BaselineKind| {
        rows.iter()
            .find(|b| {
                is_baseline(b, kind)
                    && b.shape == r.shape
                    && (kind == BaselineKind::Cublas || b.dtype == r.dtype)
            })
            .map(|b| (b.kernel.clone(), b.median_ms))
    };

    let mut header = vec![
        "step".to_string(),
        "kernel".into(),
        "shape".into(),
        "median ms".into(),
        if bw { "GB/s" } else { "TFLOP/s" }.into(),
        format!("% of {}", ceiling.label()),
    ];
    if fp32_column {
        header.push("% of FP32 peak".into());
    }
    header.push("vs step 1".into());
    header.push("vs previous".into());
    if has_cublas {
        header.push("% of cuBLAS".into());
    }
    if let Some(s) = twin {
        header.push(if s > 0 {
            format!("Rust/C++ time (twin of step {s})")
        } else {
            "Rust/C++ time".into()
        });
    }
    header.extend(
        [
            "regs/thread",
            "smem/block (static + dynamic)",
            "occupancy",
            "verified",
        ]
        .map(String::from),
    );

    let mut lines = vec![
        provenance_line(rep, prov),
        String::new(),
        format!("| {} |", header.join(" | ")),
        format!("|{}", " --- |".repeat(header.len())),
    ];
    let mut prev: HashMap<&str, f64> = HashMap::new();
    for r in &rows {
        let mut cells = vec![
            step_label(r),
            format!("`{}`", r.kernel),
            r.shape.clone(),
            fmt_ms(r.median_ms),
            if bw {
                opt(r.gbps, |v| format!("{v:.0}"))
            } else {
                opt(r.tflops, |v| format!("{v:.2}"))
            },
            opt(r.pct_of_ceiling, |v| format!("{v:.1}")),
        ];
        if fp32_column {
            let peak = rep.ceilings.fma_tflops.filter(|p| *p > 0.0);
            cells.push(opt(r.tflops.zip(peak).map(|(t, p)| 100.0 * t / p), |v| {
                format!("{v:.1}")
            }));
        }
        cells.push(opt(r.speedup_vs_step1, |v| format!("{v:.2}×")));
        let vs_prev = match r.kind {
            RowKind::Step => {
                let p = prev.insert(r.shape.as_str(), r.median_ms);
                p.filter(|_| r.median_ms > 0.0).map(|p| p / r.median_ms)
            }
            RowKind::Baseline => None,
        };
        cells.push(opt(vs_prev, |v| format!("{v:.2}×")));
        if has_cublas {
            let v = baseline_ms(r, BaselineKind::Cublas)
                .filter(|(k, ms)| *k != r.kernel && r.median_ms > 0.0 && *ms > 0.0)
                .map(|(_, ms)| 100.0 * ms / r.median_ms);
            cells.push(opt(v, |v| format!("{v:.1}")));
        }
        if twin.is_some() {
            let v = baseline_ms(r, BaselineKind::CudaCppTwin)
                .filter(|(k, ms)| *k != r.kernel && r.kind == RowKind::Step && *ms > 0.0)
                .map(|(_, ms)| r.median_ms / ms);
            cells.push(opt(v, |v| format!("{v:.2}")));
        }
        let (regs, smem, occ) = resource_cells(r, &rep.device.arch, facts);
        cells.extend([
            regs,
            smem,
            occ,
            if r.verified { "yes" } else { "**no**" }.into(),
        ]);
        lines.push(format!("| {} |", cells.join(" | ")));
    }
    lines.push(String::new());
    let mut notes = vec![format!(
        "% of {}: against `{}` measured in the same run. vs step 1 / vs previous: \
         speed-up in time at the same shape.",
        ceiling.label(),
        ceiling.key()
    )];
    if has_cublas {
        notes.push("% of cuBLAS: cuBLAS time / our time (100 = as fast as cuBLAS).".into());
    }
    if twin.is_some() {
        notes.push(
            "Rust/C++ time: our time / the CUDA C++ twin's time (≤ 1: Rust no slower).".into(),
        );
    }
    notes.push(
        "Registers and static shared memory from ptxas for the run's architecture; dynamic \
         shared memory and block size from the launch recorded in the run; occupancy is \
         theoretical (active warps / maximum), with resident blocks × threads per block. \
         Baselines: `-`."
            .into(),
    );
    let tools = facts.notes();
    if rows
        .iter()
        .any(|r| r.kind == RowKind::Step && r.launch.is_none())
    {
        notes.push("Launch not recorded in these results: occupancy `-`.".into());
    }
    notes.extend(tools.into_iter().map(|n| format!("Note: {n}.")));
    lines.push(notes.join(" "));
    lines.join("\n")
}

/// The README's table for one run: per ladder and shape, the fastest verified step, its
/// throughput against the ceiling, and its time against the CUDA C++ twin and cuBLAS measured
/// in the same run.
pub fn summary_block(rep: &BenchReport, prov: &Provenance) -> String {
    let mut keys: Vec<(&str, &str, &str)> = Vec::new();
    for r in &rep.results {
        let key = (r.ladder.as_str(), r.shape.as_str(), r.dtype.as_str());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut lines = vec![
        provenance_line(rep, prov),
        String::new(),
        "| ladder | shape | dtype | best step | result | % of ceiling | Rust/C++ twin time | % of cuBLAS |"
            .to_string(),
        "| --- | --- | --- | --- | --- | --- | --- | --- |".to_string(),
    ];
    for (ladder, shape, dtype) in keys {
        // The rows of one element type; cuBLAS (f32) stands for the f32 rows.
        let at: Vec<&ResultRow> = rep
            .results
            .iter()
            .filter(|r| r.ladder == ladder && r.shape == shape && r.dtype == dtype)
            .collect();
        let Some(best) = at
            .iter()
            .filter(|r| r.kind == RowKind::Step && r.verified)
            .min_by(|a, b| a.median_ms.total_cmp(&b.median_ms))
        else {
            continue;
        };
        let baseline = |kind: BaselineKind| {
            at.iter()
                .find(|b| is_baseline(b, kind) && b.median_ms > 0.0)
                .map(|b| (b.step, b.median_ms))
        };
        let result = match (best.gbps, best.tflops, best.ceiling.is_bandwidth()) {
            (Some(g), _, true) => format!("{g:.0} GB/s"),
            (_, Some(t), _) => format!("{t:.1} TFLOP/s"),
            _ => "-".into(),
        };
        // The twin of the best step where the ladder has one (layernorm_backward has a twin
        // per step of several), else the dtype's first twin, named.
        let twin = at
            .iter()
            .filter(|b| is_baseline(b, BaselineKind::CudaCppTwin) && b.median_ms > 0.0)
            .min_by_key(|b| b.step != best.step)
            .map(|b| (b.step, b.median_ms))
            .map(|(of, ms)| {
                let r = best.median_ms / ms;
                if of == best.step {
                    format!("{r:.3}")
                } else {
                    format!("{r:.3} (twin of step {of})")
                }
            });
        let cublas = baseline(BaselineKind::Cublas).map(|(_, ms)| 100.0 * ms / best.median_ms);
        lines.push(format!(
            "| {ladder} | {shape} | {dtype} | `{}/{}` | {result} | {} | {} | {} |",
            best.ladder,
            best.step,
            opt(best.pct_of_ceiling, |v| format!(
                "{v:.1}% of {}",
                best.ceiling.label()
            )),
            twin.unwrap_or_else(|| "-".into()),
            opt(cublas, |v| format!("{v:.1}%")),
        ));
    }
    let verified = rep.results.iter().filter(|r| r.verified).count();
    lines.push(String::new());
    lines.push(format!(
        "{verified} of {} rows of the run verified against the float64 reference. Rust/C++ twin time: our time / the CUDA C++ twin's (≤ 1: Rust no slower).",
        rep.results.len()
    ));
    lines.join("\n")
}

/// One line per step: resources and the instruction mix that matters.
pub fn sass_line(s: &Summary) -> String {
    let mut parts = vec![format!("{} regs", s.registers)];
    let mem: Vec<String> = s
        .mix
        .rows()
        .into_iter()
        .filter(|(c, _)| {
            [
                "LDG", "STG", "LDS", "STS", "LDGSTS", "LDSM", "LDL", "STL", "LD", "ST",
            ]
            .iter()
            .any(|p| c.split('.').next() == Some(*p))
        })
        .map(|(c, n)| format!("{n}× {c}"))
        .collect();
    if !mem.is_empty() {
        parts.push(mem.join(", "));
    }
    let ffma = s.mix.get("FFMA");
    if ffma > 0 {
        parts.push(format!(
            "{ffma} FFMA of {} instructions ({:.0}%)",
            s.mix.total,
            100.0 * ffma as f64 / s.mix.total.max(1) as f64
        ));
    } else {
        parts.push(format!("{} instructions", s.mix.total));
    }
    parts.push(format!("spills {} B / {} B", s.spill_stores, s.spill_loads));
    parts.join("; ")
}

/// The SASS block of one ladder: a line per step (first shape's launch picks the symbol).
pub fn sass_block(rep: &BenchReport, rows: &[&ResultRow], facts: &dyn KernelFacts) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut lines = vec![format!(
        "SASS per step ({}, ptxas; `klab sass <kernel>` for the listing):",
        if rep.device.arch.is_empty() {
            "-"
        } else {
            &rep.device.arch
        }
    )];
    lines.push(String::new());
    for r in ordered(rows) {
        if r.kind != RowKind::Step {
            continue;
        }
        let symbol = r
            .launch
            .as_ref()
            .map_or(r.kernel.as_str(), |l| l.symbol_or(&r.kernel))
            .to_string();
        if seen.contains(&symbol) {
            continue;
        }
        let summary = facts
            .sass(&symbol)
            .map_or_else(|| "-".to_string(), |s| sass_line(&s));
        lines.push(format!("- step {} `{symbol}`: {summary}", r.step));
        seen.push(symbol);
    }
    let notes = facts.notes();
    if !notes.is_empty() {
        lines.push(String::new());
        lines.push(
            notes
                .into_iter()
                .map(|n| format!("Note: {n}."))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::summary::Mix;

    const SAMPLE: &str = include_str!("testdata/sample-h100.json");

    /// The sample H100 run, with launches recorded for two rows (files of older runs have none).
    fn sample() -> BenchReport {
        let mut rep = BenchReport::from_json(SAMPLE).unwrap();
        for r in &mut rep.results {
            if r.kernel == "reduce_sum_s08_single_pass" {
                r.launch = Some(LaunchRecord {
                    grid: [264, 1, 1],
                    block: [512, 1, 1],
                    smem: 0,
                    symbol: None,
                    cluster: None,
                    programmatic: false,
                });
            }
            if r.kernel == "gemm_s09_autotuned" && r.shape == "1024x1024x1024" {
                r.launch = Some(LaunchRecord {
                    grid: [16, 8, 1],
                    block: [128, 1, 1],
                    smem: 0,
                    symbol: Some("gemm_s09_autotuned_128x64x8_w64x32".into()),
                    cluster: None,
                    programmatic: false,
                });
            }
        }
        rep
    }

    /// Fixed resources for every symbol (32 registers, 1 KiB static shared memory; the tuned
    /// variant 128 registers, 16 KiB) and a small instruction mix.
    struct Fake;
    impl KernelFacts for Fake {
        fn resources(&self, symbol: &str) -> Option<Resources> {
            let variant = symbol.ends_with("w64x32");
            Some(Resources {
                function: symbol.into(),
                registers: if variant { 128 } else { 32 },
                smem_bytes: if variant { 16384 } else { 1024 },
                ..Default::default()
            })
        }
        fn sass(&self, symbol: &str) -> Option<Summary> {
            let mut mix = Mix {
                total: 100,
                ..Default::default()
            };
            mix.counts.insert("LDS.128".into(), 8);
            mix.counts.insert("FFMA".into(), 64);
            Some(Summary {
                symbol: symbol.into(),
                arch: "sm_90".into(),
                registers: 40,
                smem_bytes: 0,
                stack_frame: 0,
                spill_stores: 0,
                spill_loads: 0,
                barriers: 1,
                mix,
            })
        }
        fn notes(&self) -> Vec<String> {
            Vec::new()
        }
    }

    /// No tools: nothing known.
    struct NoTools;
    impl KernelFacts for NoTools {
        fn resources(&self, _: &str) -> Option<Resources> {
            None
        }
        fn sass(&self, _: &str) -> Option<Summary> {
            None
        }
        fn notes(&self) -> Vec<String> {
            vec!["ptxas not found".into()]
        }
    }

    #[test]
    fn the_summary_block_fills_only_its_own_devices_marker() {
        let rep = sample();
        let slug = device_slug(&rep.device.name);
        assert_eq!(
            device_slug("NVIDIA H100 80GB HBM3"),
            "nvidia-h100-80gb-hbm3"
        );
        assert_eq!(device_slug(" NVIDIA  H200 "), "nvidia-h200");
        let text = format!(
            "# R\n<!-- klab:summary device={slug} -->\nold\n<!-- /klab:summary -->\n\
             <!-- klab:summary device=another-gpu -->\nkept\n<!-- /klab:summary -->\n"
        );
        let (out, blocks, _) = rewrite(&text, &rep, &NoTools, &prov()).unwrap();
        assert_eq!(blocks, [format!("summary {slug}")]);
        assert!(
            !out.contains("\nold\n") && out.contains("\nkept\n"),
            "{out}"
        );
        // The fastest verified step of each ladder and shape, with its twin ratio.
        let row = out
            .lines()
            .find(|l| l.starts_with("| reduce_sum |"))
            .expect("a reduce_sum row");
        assert!(row.contains("`reduce_sum/8`"), "{row}");
        let gemm_rows = out.lines().filter(|l| l.starts_with("| gemm |")).count();
        assert_eq!(gemm_rows, 2, "one row per benchmark shape");
        assert_eq!(rewrite(&out, &rep, &NoTools, &prov()).unwrap().0, out);
    }

    /// A ladder with a twin per step (layernorm_backward: twins of 2, 4, 6 and 8 for f32):
    /// the summary's Rust/C++ column divides by the best step's own twin (H200 run a4328c4 at
    /// 8192 × 32000: step 6 1.1771 ms, its twin 1.1702 ms), not the dtype's first one.
    #[test]
    fn the_summary_compares_the_best_step_with_its_own_twin() {
        let rep = BenchReport::from_json(include_str!(
            "../../docs/results/h200-2026-12-01-a4328c4-layernorm_backward-8192x32000.json"
        ))
        .unwrap();
        let out = summary_block(&rep, &prov());
        let row = |dtype: &str| {
            out.lines()
                .find(|l| l.starts_with(&format!("| layernorm_backward | 8192x32000 | {dtype} |")))
                .unwrap_or_else(|| panic!("no {dtype} row in {out}"))
                .to_string()
        };
        let f32 = row("f32");
        assert!(
            f32.contains("`layernorm_backward/6`") && f32.contains("| 1.006 |"),
            "{f32}"
        );
        let bf16 = row("bf16");
        assert!(
            bf16.contains("`layernorm_backward/7`") && bf16.contains("| 1.019 |"),
            "{bf16}"
        );
    }

    /// Merged runs keep every twin of a ladder with a twin per step: a run's rows share the
    /// kernel label `layernorm_backward_cuda_cpp_twin` and differ by step (H200 runs 1a24c3b at
    /// 4096²: step 10 0.0586 ms, its twin 0.0588 ms; a38c0a8 older, with twins of 2–5 only).
    #[test]
    fn merged_runs_keep_each_twin_and_the_summary_takes_the_best_steps_own() {
        let read = |json: &str| BenchReport::from_json(json).unwrap();
        let newer = read(include_str!(
            "../../docs/results/h200-2026-12-01-1a24c3b-dirty-layernorm_backward-4096x4096.json"
        ));
        let older = read(include_str!(
            "../../docs/results/h200-2026-12-01-a38c0a8-layernorm_backward.json"
        ));
        let rep = crate::cli::compare::merge_runs(vec![older, newer]);
        let twins: Vec<u32> = rep
            .results
            .iter()
            .filter(|r| r.kind == RowKind::Baseline && r.shape == "4096x4096" && r.dtype == "f32")
            .map(|r| r.step)
            .collect();
        assert_eq!(twins, [2, 4, 6, 8, 10], "the newer run's twins, each kept");
        let out = summary_block(&rep, &prov());
        let f32 = out
            .lines()
            .find(|l| l.starts_with("| layernorm_backward | 4096x4096 | f32 |"))
            .unwrap();
        assert!(
            f32.contains("`layernorm_backward/10`") && f32.contains("| 0.998 |"),
            "{f32}"
        );
    }

    fn prov() -> Provenance {
        Provenance {
            results: "h100.json".into(),
            out: "charts".into(),
            docs: "docs".into(),
        }
    }

    const DOC: &str = "# Reduction\n\nProse before.\n\n## Measured (H100)\n\n\
        <!-- klab:measured ladder=reduce_sum -->\n<!-- /klab:measured -->\n\nBetween.\n\n\
        <!-- klab:measured ladder=no_such_ladder -->\nkept as it is\n<!-- /klab:measured -->\n\n\
        <!-- klab:measured ladder=gemm -->\nold table\n<!-- /klab:measured -->\n\
        <!-- klab:sass ladder=gemm -->\n<!-- /klab:sass -->\n\nProse after.\n";

    fn row_of<'a>(text: &'a str, kernel: &str, shape: &str) -> Vec<&'a str> {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("`{kernel}`")) && l.contains(&format!("| {shape} |")))
            .unwrap_or_else(|| panic!("no row for {kernel} {shape}"));
        line.trim_matches('|').split(" | ").map(str::trim).collect()
    }

    #[test]
    fn tables_from_the_sample_run() {
        let rep = sample();
        let (out, blocks, skipped) = rewrite(DOC, &rep, &Fake, &prov()).unwrap();
        assert_eq!(
            blocks,
            ["measured reduce_sum", "measured gemm", "sass gemm"].map(String::from)
        );
        assert_eq!(skipped, ["no_such_ladder"]);
        // The header line names the device, software, commit, date, ceilings and commands.
        let head = out.lines().find(|l| l.starts_with("Measured on")).unwrap();
        for want in [
            "NVIDIA H100 80GB HBM3",
            "sm_90",
            "driver 580.159.04",
            "CUDA 13.0",
            "`0cf8459`",
            "2026-11-24T21:20:56Z",
            "copy 3067 GB/s",
            "cuBLAS SGEMM 50.9 TFLOP/s",
            "`klab bench --json h100.json`",
            "`klab report h100.json --out charts --docs docs`",
        ] {
            assert!(head.contains(want), "{want} missing from {head}");
        }
        // Reduction: GB/s, % of copy, the twin ratio; launch recorded → occupancy.
        assert!(out.contains("| step | kernel | shape | median ms | GB/s | % of copy bandwidth |"));
        assert!(out.contains("Rust/C++ time (twin of step 8)"));
        let s8 = row_of(&out, "reduce_sum_s08_single_pass", "67108864");
        assert_eq!(s8[0], "8");
        assert_eq!(s8[3], "0.0934");
        // 0.0934 ms vs the twin's 0.0927 ms.
        assert!(s8[8].starts_with("1.0"), "{s8:?}");
        assert_eq!(s8[9], "32");
        assert_eq!(s8[10], "1024 + 0 B");
        // 512 threads, 32 registers: 4 blocks = 64 warps.
        assert_eq!(s8[11], "100% (4 × 512 thr)");
        assert_eq!(s8[12], "yes");
        // No launch recorded (older files): occupancy unknown, static smem known.
        let s1 = row_of(&out, "reduce_sum_s01_interleaved", "67108864");
        assert_eq!((s1[6], s1[11]), ("1.00×", "-"));
        assert_eq!(s1[10], "1024 B + ?");
        let twin = row_of(&out, "reduce_sum_cuda_cpp_twin", "67108864");
        assert_eq!(twin[0], "C++ twin of 8");
        assert_eq!((twin[8], twin[9]), ("-", "-"));
        // GEMM: TFLOP/s, % of cuBLAS SGEMM and of FP32 peak, % of cuBLAS, both shapes.
        assert!(out.contains(
            "| step | kernel | shape | median ms | TFLOP/s | % of cuBLAS SGEMM | % of FP32 peak | \
             vs step 1 | vs previous | % of cuBLAS | Rust/C++ time (twin of step 9) |"
        ));
        let g9 = row_of(&out, "gemm_s09_autotuned", "4096x4096x4096");
        let tflops: f64 = g9[4].parse().unwrap();
        assert!(
            (tflops - 137.44e9 / 3.1861e-3 / 1e12).abs() < 0.01,
            "{g9:?}"
        );
        let fp32: f64 = g9[6].parse().unwrap();
        assert!((fp32 - 100.0 * tflops / 65.673).abs() < 0.1);
        let of_cublas: f64 = g9[9].parse().unwrap();
        assert!((of_cublas - 100.0 * 2.6819 / 3.1861).abs() < 0.1);
        // The tuned variant's launch picks its resources and occupancy.
        let g9s = row_of(&out, "gemm_s09_autotuned", "1024x1024x1024");
        assert_eq!((g9s[11], g9s[12]), ("128", "16384 + 0 B"));
        assert_eq!(g9s[13], "25% (4 × 128 thr)");
        let cublas = row_of(&out, "gemm_cublas", "4096x4096x4096");
        assert_eq!((cublas[0], cublas[9]), ("cuBLAS", "-"));
        // Steps come before baselines, 4096³ (first in the file) before 1024³.
        let order: Vec<usize> = ["gemm_s01_naive", "gemm_s09_autotuned", "gemm_cublas"]
            .iter()
            .map(|k| out.find(&format!("`{k}` | 4096")).unwrap())
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]));
        assert!(out.find("| 4096x4096x4096 |").unwrap() < out.find("| 1024x1024x1024 |").unwrap());
        // SASS block: one line per distinct symbol launched.
        assert!(out.contains("- step 3 `gemm_s03_smem_tiled`: 40 regs; 8× LDS.128; 64 FFMA of 100 instructions (64%); spills 0 B / 0 B"));
        assert!(out.contains("- step 9 `gemm_s09_autotuned_128x64x8_w64x32`"));
    }

    #[test]
    fn markers_and_prose_are_kept_and_unknown_ladders_untouched() {
        let (out, _, _) = rewrite(DOC, &sample(), &Fake, &prov()).unwrap();
        for line in DOC
            .lines()
            .filter(|l| l.starts_with("<!--") || l.contains("Prose"))
        {
            assert!(out.lines().any(|l| l == line), "{line} lost");
        }
        assert!(out.contains(
            "<!-- klab:measured ladder=no_such_ladder -->\nkept as it is\n<!-- /klab:measured -->"
        ));
        assert!(!out.contains("old table"));
        assert!(
            out.starts_with("# Reduction\n\nProse before.\n") && out.ends_with("Prose after.\n")
        );
        // An unclosed block is an error naming its line.
        let bad = "a\n<!-- klab:measured ladder=gemm -->\nb\n";
        let e = rewrite(bad, &sample(), &Fake, &prov()).unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        // No markers: nothing changes.
        let plain = "# Title\n\n<!-- a comment -->\n";
        assert_eq!(rewrite(plain, &sample(), &Fake, &prov()).unwrap().0, plain);
    }

    #[test]
    fn writing_docs_is_idempotent_and_skips_unchanged_files() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("ladders");
        std::fs::create_dir(&sub).unwrap();
        let doc = sub.join("reduction.md");
        let other = dir.path().join("other.md");
        std::fs::write(&doc, DOC).unwrap();
        std::fs::write(&other, "# no markers\n").unwrap();
        let rep = sample();
        let (up, notes) = update_docs(&rep, dir.path(), &Fake, &prov()).unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].path, doc);
        assert!(notes.iter().any(|n| n.contains("no_such_ladder")));
        let first = std::fs::read_to_string(&doc).unwrap();
        assert!(first.contains("`reduce_sum_s05_warp_shuffle`"));
        let (again, _) = update_docs(&rep, dir.path(), &Fake, &prov()).unwrap();
        assert!(again.is_empty());
        assert_eq!(std::fs::read_to_string(&doc).unwrap(), first);
        assert_eq!(std::fs::read_to_string(&other).unwrap(), "# no markers\n");
        // Only the two documents remain: no temporary files left behind.
        let mut names: Vec<_> = std::fs::read_dir(&sub)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["reduction.md"]);
    }

    #[test]
    fn without_tools_the_resource_columns_are_dashes_with_a_note() {
        let (out, _, _) = rewrite(DOC, &sample(), &NoTools, &prov()).unwrap();
        let s8 = row_of(&out, "reduce_sum_s08_single_pass", "67108864");
        assert_eq!((s8[9], s8[10], s8[11]), ("-", "-", "-"));
        assert!(out.contains("Note: ptxas not found."));
        assert!(out.contains("- step 1 `gemm_s01_naive`: -"));
        // ToolFacts for a file without an architecture says so instead of failing.
        let t = ToolFacts::new("");
        assert!(t.resources("gemm_s01_naive").is_none());
        assert!(t.notes()[0].contains("no device architecture"));
    }
}
