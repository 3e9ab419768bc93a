// Launch bounds for Rust kernels: rustc has no `__launch_bounds__`, so `kernel!` with
// `#[launch_bounds(T, B)]` emits a module-level comment `// klab:launch_bounds NAME T B` into the
// PTX (`core::arch::global_asm!`), and build.rs turns each into the PTX performance-tuning
// directives of that entry, between its parameter list and its body:
//
//     .visible .entry NAME(
//         .param .align 8 .b8 NAME_param_0[48]
//     )
//     .maxntid T, 1, 1
//     .minnctapersm B
//     {
//
// (the layout LLVM itself emits for CUDA's `__launch_bounds__`). ptxas and the driver's JIT then
// cap the registers so that B blocks of T threads fit on an SM. Included by build.rs and by
// tests/build_pipeline.rs (tested on sample PTX).

/// The comment marker `kernel!` emits, followed by `NAME T [B]`.
pub const LAUNCH_BOUNDS_MARKER: &str = "// klab:launch_bounds ";

/// One `// klab:launch_bounds NAME T [B]` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchBounds {
    pub entry: String,
    pub max_threads: u32,
    /// `None` (or a 0 in the marker): `.maxntid` alone.
    pub min_blocks: Option<u32>,
}

/// Every marker in `ptx`, in order; an error names a malformed one.
pub fn launch_bounds_requests(ptx: &str) -> Result<Vec<LaunchBounds>, String> {
    let mut out: Vec<LaunchBounds> = Vec::new();
    for line in ptx.lines() {
        let Some(rest) = line.trim().strip_prefix(LAUNCH_BOUNDS_MARKER) else {
            continue;
        };
        let bad = || format!("malformed launch-bounds marker {:?}", line.trim());
        let words: Vec<&str> = rest.split_whitespace().collect();
        let (entry, threads, blocks) = match words[..] {
            [e, t] => (e, t, None),
            [e, t, b] => (e, t, Some(b)),
            _ => return Err(bad()),
        };
        let max_threads: u32 = threads.parse().map_err(|_| bad())?;
        let min_blocks = match blocks {
            None => None,
            Some(b) => Some(b.parse::<u32>().map_err(|_| bad())?).filter(|&b| b > 0),
        };
        if max_threads == 0 || max_threads > 1024 {
            return Err(format!(
                "launch bounds of {entry}: {max_threads} threads per block (1..=1024)"
            ));
        }
        if out.iter().any(|r| r.entry == entry) {
            return Err(format!("launch bounds of {entry} given twice"));
        }
        out.push(LaunchBounds {
            entry: entry.to_string(),
            max_threads,
            min_blocks,
        });
    }
    Ok(out)
}

/// The byte offset of the `(` that opens entry `name`'s parameter list (`.entry name(`).
fn entry_open_paren(ptx: &str, name: &str) -> Option<usize> {
    let mut offset = 0;
    for line in ptx.split_inclusive('\n') {
        let t = line.trim_start();
        let rest = t
            .strip_prefix(".visible .entry ")
            .or_else(|| t.strip_prefix(".entry "));
        if let Some(rest) = rest
            && let Some(after) = rest.strip_prefix(name)
            && after.trim_start().starts_with('(')
        {
            let lead = line.len() - t.len();
            let head = t.len() - rest.len() + name.len() + (after.len() - after.trim_start().len());
            return Some(offset + lead + head);
        }
        offset += line.len();
    }
    None
}

/// `ptx` with the directives of every launch-bounds marker inserted into its entry, or an error
/// that names the entry (missing, no parameter list, no body, or directives already there).
pub fn apply_launch_bounds(ptx: &str) -> Result<String, String> {
    let mut out = ptx.to_string();
    for lb in launch_bounds_requests(ptx)? {
        let name = &lb.entry;
        let open = entry_open_paren(&out, name).ok_or_else(|| {
            format!(
                "`#[launch_bounds]` names kernel {name}, but the PTX has no `.entry {name}(` \
                 (renamed, or not a kernel?)"
            )
        })?;
        let close = out[open..]
            .find(')')
            .map(|k| open + k + 1)
            .ok_or_else(|| format!("entry {name}: no end of its parameter list"))?;
        let body = out[close..]
            .find('{')
            .map(|k| close + k)
            .ok_or_else(|| format!("entry {name}: no body after its parameter list"))?;
        let between = &out[close..body];
        if !between.trim().is_empty() {
            return Err(format!(
                "entry {name} already has directives before its body: {:?}",
                between.trim()
            ));
        }
        let mut directives = format!("\n.maxntid {}, 1, 1", lb.max_threads);
        if let Some(b) = lb.min_blocks {
            directives.push_str(&format!("\n.minnctapersm {b}"));
        }
        out.insert_str(close, &directives);
    }
    Ok(out)
}
