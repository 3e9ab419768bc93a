//! SASS interleaved with the Rust source lines it came from (`klab sass K --source`).
//!
//! rustc's NVPTX backend emits line tables with `-C debuginfo=line-tables-only`: `.file N
//! "path"` directives and a `.loc FILE LINE COL` before the instructions of each source
//! line. ptxas rejects that PTX as it is (`.target sm_80, debug` asks for the full DWARF
//! sections LLVM writes, and it cannot parse them: "Parsing error near '$L__sec_end0'"), and
//! the `$L__tmp`/`$L__func_*` labels the line tables need change ptxas's scheduling of some
//! kernels (reduce_sum/5 gets other registers). So the line-info PTX is cleaned ([`clean`]):
//! the `debug` target flag, the `.section .debug_*` blocks and those labels removed, the
//! `.file`/`.loc` directives kept. Assembled with `ptxas -lineinfo` and disassembled with
//! `nvdisasm -c -g`, it gives the same SASS as the embedded PTX (the tests check it), with
//! the source line of each instruction.
//!
//! The main build is not touched (every kernel's PTX stays what it was): the line-info PTX is
//! a second build of kernels-gpu, made on demand by [`module_ptx`] in its own target folder,
//! `target/kernels-nvptx-lineinfo` (the first build compiles `core` for nvptx: about a
//! minute; later ones are incremental). Before use, each kernel's line-info PTX, without the
//! `.loc`s, is compared with the embedded PTX: a kernel edited since `klab` was built is an
//! error, not a listing of other code. The lines are the innermost ones: the PTX carries no
//! inlining chain, so an instruction of an inlined device-API function (`gpu::global`) shows
//! that function's line, not the kernel's call.

use super::ptxas;
use super::sass;
use crate::error::{Error, Result};
use kernels_gpu::step::Arch;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[allow(dead_code)]
#[path = "../../build/launch_bounds.rs"]
mod launch_bounds;

/// The source tree this `klab` was built from.
const SOURCE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The line-info PTX with what ptxas cannot take removed (see the module docs): the `, debug`
/// of `.target`, everything from the first `.section .debug_*` on (LLVM writes the DWARF
/// sections after the code) except `.file` lines, and the `$L__tmp`, `$L__func_begin`,
/// `$L__func_end` labels.
pub fn clean(ptx: &str) -> String {
    let mut out = String::with_capacity(ptx.len());
    let mut in_debug = false;
    for line in ptx.lines() {
        let t = line.trim();
        if t.starts_with(".section") && t[".section".len()..].trim_start().starts_with(".debug") {
            in_debug = true;
        }
        let keep = if in_debug {
            t.starts_with(".file")
        } else {
            !is_debug_label(t)
        };
        if !keep {
            continue;
        }
        if let Some(target) = t.strip_prefix(".target") {
            let archs: Vec<&str> = target
                .split(',')
                .map(str::trim)
                .filter(|a| *a != "debug")
                .collect();
            out.push_str(&format!(".target {}\n", archs.join(", ")));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn is_debug_label(t: &str) -> bool {
    let Some(name) = t.strip_suffix(':') else {
        return false;
    };
    ["$L__tmp", "$L__func_begin", "$L__func_end", "$L__sec_end"]
        .iter()
        .any(|p| {
            name.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
}

/// A kernel's PTX text compared line by line without line-table directives (`.loc`, `.file`)
/// and with `$L__BB` labels numbered in order of appearance.
pub fn code_only(ptx: &str) -> Vec<String> {
    let mut names: HashMap<String, usize> = HashMap::new();
    ptx.lines()
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.starts_with(".loc") && !t.starts_with(".file"))
        .map(|t| {
            let mut out = String::new();
            let mut rest = t;
            while let Some(i) = rest.find("$L__BB") {
                out.push_str(&rest[..i]);
                let after = &rest[i..];
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(after.len());
                let n = names.len();
                let k = *names.entry(after[..end].to_string()).or_insert(n);
                out.push_str(&format!("$BB{k}"));
                rest = &after[end..];
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// The folder of the line-info build: `$KLAB_LINEINFO_DIR`, else
/// `target/kernels-nvptx-lineinfo` in the source tree.
pub fn build_dir() -> PathBuf {
    std::env::var_os("KLAB_LINEINFO_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(SOURCE_DIR).join("target/kernels-nvptx-lineinfo"))
}

/// The line-info PTX of one of the embedded modules, built (or brought up to date) with the
/// toolchain that built the embedded PTX, cleaned ([`clean`]) and with its launch bounds
/// applied as in build.rs.
pub fn module_ptx(module: Arch) -> Result<String> {
    let manifest = Path::new(SOURCE_DIR).join("kernels-gpu/Cargo.toml");
    if !manifest.is_file() {
        return Err(Error::Other(format!(
            "--source builds the kernels with line tables from their sources, and {} is not \
             there (run klab from the source tree it was built from)",
            manifest.display()
        )));
    }
    let arch = match module {
        Arch::Sm90a => "sm_90a",
        _ => env!("KLAB_PTX_ARCH"),
    };
    let rustc = PathBuf::from(env!("KLAB_KERNEL_RUSTC"));
    let cargo = rustc
        .parent()
        .map(|d| d.join("cargo"))
        .filter(|c| c.is_file())
        .unwrap_or_else(|| PathBuf::from("cargo"));
    let dir = build_dir();
    let emitted = dir.join(format!("kernels_gpu-{arch}.ptx"));
    let mut cmd = Command::new(&cargo);
    cmd.env_clear();
    for keep in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "TMPDIR",
        "CARGO_NET_OFFLINE",
    ] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("RUSTC", &rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &dir)
        .env(
            "RUSTFLAGS",
            "-Zunstable-options -Cpanic=immediate-abort -Cdebuginfo=line-tables-only",
        )
        .args(["rustc", "--release", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .args(["--target", "nvptx64-nvidia-cuda", "-Zbuild-std=core", "--"])
        .arg(format!("--emit=asm={}", emitted.display()))
        .args(["-C", &format!("target-cpu={arch}"), "-A", "warnings"]);
    if !dir.join("nvptx64-nvidia-cuda").exists() {
        eprintln!(
            "klab: building the kernels with line tables into {} (once: about a minute)",
            dir.display()
        );
    }
    let out = cmd.output().map_err(|e| Error::Tool {
        tool: "cargo".into(),
        why: format!("could not run {}: {e}", cargo.display()),
    })?;
    if !out.status.success() {
        return Err(Error::Tool {
            tool: "cargo".into(),
            why: format!(
                "building the line-info PTX failed:\n{}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    let ptx = std::fs::read_to_string(&emitted).map_err(|e| Error::File {
        path: emitted.display().to_string(),
        why: e.to_string(),
    })?;
    launch_bounds::apply_launch_bounds(&clean(&ptx)).map_err(Error::Other)
}

/// One kernel's own PTX from the line-info module, with the module's `.file` directives, after
/// checking that its code is the embedded kernel's.
pub fn kernel_ptx(module_ptx: &str, symbol: &str) -> Result<String> {
    let missing = || Error::MissingSymbols(vec![symbol.to_string()]);
    let text = crate::ptx::kernel_text(module_ptx, symbol).ok_or_else(missing)?;
    let embedded = crate::ptx::module_text_of(symbol)
        .and_then(|m| crate::ptx::kernel_text(m, symbol))
        .ok_or_else(missing)?;
    if code_only(&text) != code_only(&embedded) {
        return Err(Error::Other(format!(
            "{symbol}: the kernel sources differ from the PTX this klab embeds (edited since \
             it was built?): run `cargo build` and try again"
        )));
    }
    let files: Vec<&str> = module_ptx
        .lines()
        .filter(|l| l.trim_start().starts_with(".file"))
        .collect();
    // After the header (`.version`, `.target`, `.address_size`: the first three lines).
    let mut lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with(".address_size"))
        .map_or(0, |k| k + 1);
    lines.splice(at..at, files);
    Ok(lines.join("\n") + "\n")
}

/// One instruction or label of a listing, with the source line it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLine {
    pub file: String,
    pub line: u32,
}

/// Cuts `symbol`'s listing out of `nvdisasm -c -g` output: `(source line, listing line)` for
/// each instruction and label, the source line being the last `//## File "...", line N` seen.
pub fn annotated_listing(disasm: &str, symbol: &str) -> Option<Vec<(Option<SourceLine>, String)>> {
    let mut inside = false;
    let mut found = false;
    let mut current: Option<SourceLine> = None;
    let mut out = Vec::new();
    for line in disasm.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix(".section") {
            let name = rest.trim_start().strip_prefix(".text.");
            inside = name.is_some_and(|n| n.split([',', ' ', '\t']).next() == Some(symbol));
            found |= inside;
            current = None;
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(rest) = t.strip_prefix("//## File \"") {
            if let Some((file, after)) = rest.split_once('"') {
                let line = after
                    .trim_start_matches(',')
                    .trim()
                    .strip_prefix("line")
                    .and_then(|n| n.trim().split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok());
                current = line.map(|line| SourceLine {
                    file: file.to_string(),
                    line,
                });
            }
        } else if sass::parse_instr(t).is_some() {
            out.push((
                current.clone(),
                t.split(';').next().unwrap_or(t).to_string() + ";",
            ));
        } else if t.starts_with(".L") && t.ends_with(':') {
            out.push((current.clone(), t.to_string()));
        }
    }
    found.then_some(out)
}

/// `symbol`'s SASS for `arch` with source lines: assembled with `ptxas -lineinfo` from the
/// line-info build, disassembled with `nvdisasm -c -g`.
pub fn kernel_listing(symbol: &str, arch: &str) -> Result<Vec<(Option<SourceLine>, String)>> {
    let module = crate::ptx::module_of(symbol)
        .ok_or_else(|| Error::MissingSymbols(vec![symbol.to_string()]))?;
    let text = kernel_ptx(&module_ptx(module)?, symbol)?;
    let a = ptxas::assemble_with(&text, arch, &["-lineinfo"])?;
    let disasm = sass::disassemble_line_info(&a.cubin)?;
    annotated_listing(&disasm, symbol).ok_or_else(|| Error::Tool {
        tool: "nvdisasm".into(),
        why: format!("no function {symbol} in the line-info disassembly for {arch}"),
    })
}

/// A source path as shown: relative to the source tree, the Rust library's from `core/`.
pub fn short_path(path: &str) -> String {
    if let Some(rest) = path.strip_prefix(SOURCE_DIR) {
        return rest.trim_start_matches('/').to_string();
    }
    match path.find("/library/") {
        Some(i) => path[i + "/library/".len()..].to_string(),
        None => path.to_string(),
    }
}

/// The listing with a `// file:line  source text` line wherever the source line changes.
pub fn render(listing: &[(Option<SourceLine>, String)]) -> String {
    let mut files: HashMap<String, Option<Vec<String>>> = HashMap::new();
    let mut out = String::new();
    let mut last: Option<&SourceLine> = None;
    for (src, line) in listing {
        if let Some(s) = src
            && last != Some(s)
        {
            let text = files
                .entry(s.file.clone())
                .or_insert_with(|| {
                    std::fs::read_to_string(&s.file)
                        .ok()
                        .map(|t| t.lines().map(str::to_string).collect())
                })
                .as_ref()
                .and_then(|l| l.get(s.line.saturating_sub(1) as usize))
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            out.push_str(&format!(
                "    // {}:{}  {text}\n",
                short_path(&s.file),
                s.line
            ));
            last = Some(s);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of rustc's line-info PTX (abridged from kernels-gpu with
    /// `-C debuginfo=line-tables-only`).
    const PTX: &str = "\
.version 7.0
.target sm_80, debug
.address_size 64

\t// .globl\tk
.visible .entry k(
\t.param .align 8 .b8 k_param_0[24]
)
{
\t.reg .b32 \t%r<3>;
$L__func_begin0:
\t.loc\t1 21 0
\tld.param.u32 \t%r1, [k_param_0];
$L__tmp0:
\t.loc\t1 22 5
\t@%p1 bra \t$L__BB0_2;
$L__BB0_2:
\tret;
$L__tmp1:
$L__func_end0:

}
\t.file\t1 \"/src/k.rs\"
\t.section\t.debug_abbrev
\t{
.b8 1
\t}
\t.section\t.debug_info
\t{
.b64 $L__tmp1
\t}
$L__sec_end0:
\t.section\t.debug_macinfo\t{\t}
";

    #[test]
    fn cleaning_keeps_the_line_table_and_drops_what_ptxas_rejects() {
        let c = clean(PTX);
        assert!(c.contains(".target sm_80\n"), "{c}");
        assert!(c.contains("\t.loc\t1 22 5\n"));
        assert!(c.contains("\t.file\t1 \"/src/k.rs\"\n"));
        assert!(c.contains("$L__BB0_2:\n"));
        for gone in [
            "$L__tmp",
            "$L__func",
            "$L__sec_end",
            ".debug_",
            ".b8 1",
            "debug",
        ] {
            assert!(!c.contains(gone), "{gone} left in:\n{c}");
        }
    }

    #[test]
    fn code_only_ignores_line_directives_and_label_numbers() {
        let with = clean(PTX);
        let without = with
            .replace("\t.loc\t1 21 0\n", "")
            .replace("\t.loc\t1 22 5\n", "")
            .replace("$L__BB0_2", "$L__BB7_9");
        assert_eq!(code_only(&with)[..9], code_only(&without)[..9]);
        assert_ne!(code_only(&with), code_only(&with.replace("ret;", "exit;")));
    }

    #[test]
    fn a_kernel_edited_since_the_build_is_refused() {
        let symbol = "saxpy_s01_naive";
        let embedded = crate::ptx::module_text_of(symbol).unwrap();
        // The embedded module with line directives added: accepted, `.file`s carried along.
        let with_lines = embedded.replace(
            &format!(".visible .entry {symbol}("),
            &format!("\t.file\t1 \"/src/k.rs\"\n.visible .entry {symbol}("),
        );
        let with_lines = with_lines.replacen("\tret;", "\t.loc\t1 7 0\n\tret;", 1);
        let text = kernel_ptx(&with_lines, symbol).unwrap();
        assert!(text.contains(".file\t1 \"/src/k.rs\""), "{text}");
        // Another instruction in the kernel: refused with the rebuild hint.
        let body = crate::ptx::kernel_text(embedded, symbol).unwrap();
        let edited = embedded.replacen(
            &body[body.find(".visible").unwrap()..],
            &body[body.find(".visible").unwrap()..].replacen("ret;", "trap;\n\tret;", 1),
            1,
        );
        let e = kernel_ptx(&edited, symbol).unwrap_err().to_string();
        assert!(e.contains("cargo build"), "{e}");
    }

    #[test]
    fn the_listing_carries_the_line_of_each_instruction() {
        let disasm = "\
\t.section\t.text.k,\"ax\",@progbits
k:
.text.k:
\t//## File \"/src/k.rs\", line 21
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/                   S2R R0, SR_TID.X ;
.L_x_1:
\t//## File \"/src/k.rs\", line 22 inlined at \"/src/k.rs\", line 30
        /*0020*/                   EXIT ;
\t.section\t.text.other,\"ax\",@progbits
        /*0000*/                   EXIT ;
";
        let l = annotated_listing(disasm, "k").unwrap();
        assert_eq!(l.len(), 4, "{l:?}");
        let line = |k: usize| l[k].0.as_ref().map(|s| s.line);
        assert_eq!(
            (line(0), line(1), line(2), line(3)),
            (Some(21), Some(21), Some(21), Some(22))
        );
        assert_eq!(l[3].1, "/*0020*/                   EXIT ;");
        assert!(annotated_listing(disasm, "missing").is_none());
        let r = render(&l);
        assert_eq!(r.matches("// /src/k.rs:").count(), 2, "{r}");
    }
}
