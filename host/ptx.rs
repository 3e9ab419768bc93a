//! The PTX modules built by `build.rs` from `kernels-gpu`, embedded in the binary: the base
//! module ([`PTX`], for [`PTX_ARCH`]) with every kernel but the sm_90a ones, and the sm_90a
//! module ([`PTX_SM90A`]) with the kernels declared `kernel! { #[arch(sm_90a)] ... }`. Each
//! entry point is in exactly one of them; [`module_of`] says which.

use kernels_gpu::step::Arch;

/// PTX of every kernel of the base module (all but the sm_90a ones), compiled for
/// [`PTX_ARCH`].
pub static PTX: &str = include_str!(concat!(env!("OUT_DIR"), "/kernels.ptx"));

/// PTX of the sm_90a kernels (`-C target-cpu=sm_90a`, `.target sm_90a`, PTX ISA 8.0): loaded
/// only on devices of compute capability 9.0.
pub static PTX_SM90A: &str = include_str!(concat!(env!("OUT_DIR"), "/kernels_sm90a.ptx"));

/// The PTX module of kernels of architecture `arch`.
pub fn module(arch: Arch) -> &'static str {
    match arch {
        Arch::Sm80 => PTX,
        Arch::Sm90a => PTX_SM90A,
    }
}

/// The entry points of each embedded module, found once.
fn module_entries() -> &'static [(Arch, std::collections::HashSet<&'static str>)] {
    static ENTRIES: std::sync::OnceLock<Vec<(Arch, std::collections::HashSet<&'static str>)>> =
        std::sync::OnceLock::new();
    ENTRIES.get_or_init(|| {
        Arch::ALL
            .into_iter()
            .map(|a| (a, entry_names(module(a)).into_iter().collect()))
            .collect()
    })
}

/// The architecture of the module that defines entry point `symbol`, if one does.
pub fn module_of(symbol: &str) -> Option<Arch> {
    module_entries()
        .iter()
        .find(|(_, e)| e.contains(symbol))
        .map(|(a, _)| *a)
}

/// The PTX text of the module that defines entry point `symbol`, if one does.
pub fn module_text_of(symbol: &str) -> Option<&'static str> {
    module_of(symbol).map(module)
}

/// The entry points of both modules, base module first.
pub fn all_entry_names() -> Vec<&'static str> {
    Arch::ALL
        .into_iter()
        .flat_map(|a| entry_names(module(a)))
        .collect()
}

/// The architecture the PTX targets (`KLAB_PTX_ARCH` at build time; default `sm_80`).
pub const PTX_ARCH: &str = env!("KLAB_PTX_ARCH");

/// The rustc that compiled the kernels, and how build.rs found it.
pub const KERNEL_RUSTC: &str = env!("KLAB_KERNEL_RUSTC");
/// `rustc --version` of [`KERNEL_RUSTC`].
pub const KERNEL_RUSTC_VERSION: &str = env!("KLAB_KERNEL_RUSTC_VERSION");
/// Which rule of build.rs's search found the kernel toolchain.
pub const KERNEL_TOOLCHAIN_ORIGIN: &str = env!("KLAB_KERNEL_TOOLCHAIN_ORIGIN");

/// Names of the kernel entry points (`.entry NAME(`) in a PTX text.
pub fn entry_names(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .filter_map(|l| {
            let rest = l
                .trim_start()
                .strip_prefix(".visible .entry ")
                .or_else(|| l.trim_start().strip_prefix(".entry "))?;
            Some(rest.split(['(', ' ']).next().unwrap_or(rest).trim())
        })
        .collect()
}

/// The symbols of `wanted` that `ptx` does not define, in order.
pub fn missing_entries<'a>(ptx: &str, wanted: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let have = entry_names(ptx);
    wanted
        .into_iter()
        .filter(|w| !have.contains(w))
        .map(str::to_string)
        .collect()
}

/// The launch bounds of entry `symbol` (from `kernel!`'s `#[launch_bounds(T, B)]`, which
/// build.rs writes as `.maxntid T, 1, 1` / `.minnctapersm B` between its parameters and its
/// body): `Some((T, B))`, `B` 0 without `.minnctapersm`; `None` for an unbounded kernel.
pub fn launch_bounds(ptx: &str, symbol: &str) -> Option<(u32, u32)> {
    let text = kernel_text(ptx, symbol)?;
    let header = &text[text.find(".entry ")?..];
    let header = &header[..header.find('{')?];
    let value = |directive: &str| {
        header.lines().find_map(|l| {
            l.trim()
                .strip_prefix(directive)
                .map(|v| v.split(',').map(|x| x.trim().parse::<u32>().unwrap_or(0)))
                .map(|v| v.product::<u32>())
        })
    };
    Some((value(".maxntid ")?, value(".minnctapersm ").unwrap_or(0)))
}

/// The PTX `.version` directive's value.
pub fn isa_version(ptx: &str) -> Option<&str> {
    ptx.lines()
        .find_map(|l| l.trim().strip_prefix(".version "))
        .map(str::trim)
}

/// The PTX `.target` directive's architecture (`sm_80`; without options such as `, debug`).
pub fn target(ptx: &str) -> Option<&str> {
    ptx.lines()
        .find_map(|l| l.trim().strip_prefix(".target "))
        .and_then(|t| t.split(',').next())
        .map(str::trim)
}

/// The text of one kernel: from its `.entry` line through the closing brace of its body,
/// with the module header (`.version`, `.target`, `.address_size`) in front so it stands alone.
pub fn kernel_text(ptx: &str, symbol: &str) -> Option<String> {
    let lines: Vec<&str> = ptx.lines().collect();
    let start = lines.iter().position(|l| {
        let t = l.trim_start();
        (t.starts_with(".visible .entry ") || t.starts_with(".entry "))
            && entry_names(t).first() == Some(&symbol)
    })?;
    let mut depth = 0i32;
    let mut end = start;
    let mut opened = false;
    for (k, l) in lines.iter().enumerate().skip(start) {
        depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
        opened |= l.contains('{');
        if opened && depth == 0 {
            end = k;
            break;
        }
    }
    let header: Vec<&str> = lines
        .iter()
        .take(start)
        .filter(|l| {
            let t = l.trim_start();
            t.starts_with(".version") || t.starts_with(".target") || t.starts_with(".address_size")
        })
        .copied()
        .collect();
    let body = lines[start..=end].join("\n");
    // Device functions (`.func`) the kernel calls, transitively, in module order.
    let funcs = module_functions(ptx);
    let mut used = vec![false; funcs.len()];
    let mut reach = body.clone();
    loop {
        let mut grew = false;
        for (k, (name, text)) in funcs.iter().enumerate() {
            if !used[k] && mentions(&reach, name) {
                used[k] = true;
                reach.push('\n');
                reach.push_str(text);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let mut parts: Vec<String> = vec![header.join("\n")];
    let decls: Vec<&str> = module_declarations(ptx)
        .into_iter()
        .filter(|(name, _)| mentions(&reach, name))
        .map(|(_, line)| line)
        .collect();
    if !decls.is_empty() {
        parts.push(decls.join("\n"));
    }
    parts.extend(
        funcs
            .iter()
            .zip(&used)
            .filter(|(_, u)| **u)
            .map(|((_, text), _)| text.clone()),
    );
    parts.push(body);
    Some(format!("{}\n", parts.join("\n\n")))
}

/// Module-level device functions (`.func`, with or without a body), as `(name, text)`.
fn module_functions(ptx: &str) -> Vec<(&str, String)> {
    let lines: Vec<&str> = ptx.lines().collect();
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut k = 0;
    while k < lines.len() {
        let t = lines[k].trim();
        let mut rest = t;
        for p in [".visible ", ".weak ", ".extern "] {
            rest = rest.strip_prefix(p).unwrap_or(rest).trim_start();
        }
        if depth == 0
            && let Some(after) = rest.strip_prefix(".func")
            && let Some(name) = func_name(after)
        {
            // Through the closing brace of the body, or the `;` of a prototype.
            let (mut d, mut opened, mut j) = (0i32, false, k);
            while j < lines.len() {
                let l = lines[j];
                d += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if (opened && d == 0) || (!opened && l.trim_end().ends_with(';')) {
                    break;
                }
                j += 1;
            }
            let end = j.min(lines.len() - 1);
            out.push((name, lines[k..=end].join("\n")));
            k = end + 1;
            continue;
        }
        depth += lines[k].matches('{').count() as i32 - lines[k].matches('}').count() as i32;
        k += 1;
    }
    out
}

/// The name in `.func [(.param ... retval)] NAME(`.
fn func_name(after_func: &str) -> Option<&str> {
    let mut rest = after_func.trim_start();
    if rest.starts_with('(') {
        let close = rest.find(')')?;
        rest = rest[close + 1..].trim_start();
    }
    let name = rest
        .split(|c: char| c == '(' || c == ';' || c.is_whitespace())
        .next()?;
    (!name.is_empty()).then_some(name)
}

/// Module-level variable declarations (`.shared`, `.extern .shared`, `.global`, `.const`
/// outside any function), as `(name, line)`.
fn module_declarations(ptx: &str) -> Vec<(&str, &str)> {
    let mut depth = 0i32;
    let mut out = Vec::new();
    for l in ptx.lines() {
        let t = l.trim();
        if depth == 0 {
            let decl = t.strip_prefix(".extern ").unwrap_or(t);
            let decl = decl.strip_prefix(".visible ").unwrap_or(decl);
            if [".shared ", ".global ", ".const "]
                .iter()
                .any(|p| decl.starts_with(p))
                && t.ends_with(';')
            {
                let name = t
                    .split('=')
                    .next()
                    .unwrap_or(t)
                    .trim_end_matches(';')
                    .split(['[', ' ', '\t'])
                    .filter(|w| !w.is_empty())
                    .take_while(|w| !w.contains(']'))
                    .last();
                if let Some(name) = name.filter(|n| !n.starts_with('.')) {
                    out.push((name, l));
                }
            }
        }
        depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
    }
    out
}

/// Whether `name` occurs in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = ".version 7.0\n.target sm_80\n.address_size 64\n\n.visible .entry foo(\n\t.param .align 8 .b8 foo_param_0[16]\n)\n{\n\tret;\n}\n\n.visible .entry bar_baz(\n)\n{\n\t{ .reg .b32 t; }\n\tret;\n}\n";

    #[test]
    fn finds_entries_and_missing_ones() {
        assert_eq!(entry_names(SAMPLE), vec!["foo", "bar_baz"]);
        assert_eq!(
            missing_entries(SAMPLE, ["foo", "nope", "bar_baz"]),
            vec!["nope".to_string()]
        );
        assert_eq!(isa_version(SAMPLE), Some("7.0"));
        assert_eq!(target(SAMPLE), Some("sm_80"));
        assert_eq!(
            target(".version 8.0\n.target sm_90a, debug\n"),
            Some("sm_90a")
        );
        assert_eq!(target(".version 8.0\n"), None);
    }

    #[test]
    fn extracts_one_kernel_with_nested_braces() {
        let k = kernel_text(SAMPLE, "bar_baz").unwrap();
        assert!(k.starts_with(".version 7.0\n.target sm_80"));
        assert!(k.contains("{ .reg .b32 t; }"));
        assert!(!k.contains("foo"));
        assert!(kernel_text(SAMPLE, "bar").is_none());
    }

    #[test]
    fn a_kernel_keeps_the_device_functions_it_calls_transitively() {
        let ptx = ".version 7.0\n.target sm_80\n.address_size 64\n\n.func (.param .b32 func_retval0) helper(\n\t.param .b32 helper_param_0\n)\n{\n\tcall.uni inner, ();\n\tret;\n}\n\n.func inner()\n{\n\tret;\n}\n\n.func unused()\n{\n\tret;\n}\n\n.visible .entry k(\n)\n{\n\tcall.uni (r), helper, (a);\n\tret;\n}\n";
        let k = kernel_text(ptx, "k").unwrap();
        let (h, i, e) = (
            k.find("helper(").unwrap(),
            k.find(".func inner()").unwrap(),
            k.find(".entry k(").unwrap(),
        );
        assert!(h < i && i < e, "{k}");
        assert!(!k.contains("unused"), "{k}");
        assert_eq!(func_name(" (.param .b32 r) helper(").unwrap(), "helper");
        assert_eq!(func_name(" inner()").unwrap(), "inner");
    }

    #[test]
    fn a_kernel_keeps_the_module_variables_it_uses() {
        let ptx = ".version 7.0\n.target sm_80\n.address_size 64\n\n.extern .shared .align 16 .b8 DYN[];\n.shared .align 16 .b8 tile[4096];\n.shared .align 4 .b8 tile2[16];\n\n.visible .entry k(\n)\n{\n\tmov.u32 %r1, tile;\n\tret;\n}\n";
        let k = kernel_text(ptx, "k").unwrap();
        assert!(
            k.contains(".shared .align 16 .b8 tile[4096];\n\n.visible .entry k("),
            "{k}"
        );
        assert!(!k.contains("DYN") && !k.contains("tile2"), "{k}");
    }

    #[test]
    fn the_sm90a_module_is_for_sm_90a_with_ptx_isa_8_or_later() {
        assert_eq!(target(PTX_SM90A), Some("sm_90a"));
        let isa = isa_version(PTX_SM90A).expect(".version");
        let major: u32 = isa.split('.').next().unwrap().parse().unwrap();
        assert!(major >= 8, "sm_90a needs PTX ISA 8.0: {isa}");
        assert!(!PTX_SM90A.contains(".extern .func"));
        for e in entry_names(PTX_SM90A) {
            assert!(!entry_names(PTX).contains(&e), "{e} is in both modules");
            assert_eq!(module_of(e), Some(Arch::Sm90a));
        }
        for e in entry_names(PTX) {
            assert_eq!(module_of(e), Some(Arch::Sm80));
        }
        assert_eq!(module_of("no_such_kernel"), None);
    }

    #[test]
    fn embedded_ptx_is_for_the_configured_arch() {
        assert!(
            PTX.contains(&format!(".target {PTX_ARCH}")),
            "PTX header does not name {PTX_ARCH}"
        );
        assert_eq!(target(PTX), Some(PTX_ARCH));
    }
}
