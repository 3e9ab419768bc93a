//! SASS listings: the cubin disassembled with `nvdisasm -c` (or `cuobjdump -sass` when
//! nvdisasm is missing), one function's listing cut out, and its instructions parsed.
//! Disassemblies go through the user's cache like assemblies ([`super::cache`]).

use super::cache::{Cache, Key};
use super::discover::{self, Tool};
use super::ptxas::{self, Assembly, Resources};
use super::tempdir::TempDir;
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One SASS instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instr {
    /// Byte offset in the function.
    pub offset: u32,
    /// Guard predicate (`@P0`, `@!P1`), if any.
    pub predicate: Option<String>,
    /// Opcode with its modifiers (`LDG.E.128`).
    pub opcode: String,
    /// Operands, as written.
    pub operands: String,
}

impl Instr {
    /// The opcode without modifiers (`LDG`).
    pub fn base(&self) -> &str {
        self.opcode.split('.').next().unwrap_or(&self.opcode)
    }
}

/// Parses one listing line into an instruction: `/*0150*/  @!P1 LDG.E R5, desc[UR8][R4.64] ;`
/// (with an optional trailing `/* 0x... */` encoding). Labels, directives, `.other` lines and
/// encoding-only lines are not instructions.
pub fn parse_instr(line: &str) -> Option<Instr> {
    let rest = line.trim_start().strip_prefix("/*")?;
    let (addr, rest) = rest.split_once("*/")?;
    if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let offset = u32::from_str_radix(addr, 16).ok()?;
    // Drop a trailing encoding comment and the `;`.
    let body = rest.split("/*").next().unwrap_or(rest).trim();
    let body = body.trim_end_matches(';').trim();
    let (predicate, body) = match body.strip_prefix('@') {
        Some(p) => {
            let (pred, after) = p.split_once(char::is_whitespace)?;
            (Some(format!("@{pred}")), after.trim_start())
        }
        None => (None, body),
    };
    let (opcode, operands) = match body.split_once(char::is_whitespace) {
        Some((op, ops)) => (op, ops.trim()),
        None => (body, ""),
    };
    if opcode.is_empty() {
        return None;
    }
    Some(Instr {
        offset,
        predicate,
        opcode: opcode.to_string(),
        operands: operands.to_string(),
    })
}

/// One kernel's SASS: its resources and its listing (instructions and branch labels).
#[derive(Debug, Clone)]
pub struct KernelSass {
    pub symbol: String,
    pub arch: String,
    pub resources: Resources,
    /// Listing lines: instructions (with offsets) and `.L_x_N:` labels, as nvdisasm prints them.
    pub lines: Vec<String>,
}

impl KernelSass {
    /// The instructions of the listing.
    pub fn instructions(&self) -> Vec<Instr> {
        self.lines.iter().filter_map(|l| parse_instr(l)).collect()
    }

    /// `symbol`'s listing and resources, out of an assembly and its disassembly.
    pub fn cut(assembly: &Assembly, disasm: &str, symbol: &str) -> Result<Self> {
        let arch = &assembly.arch;
        let lines = function_listing(disasm, symbol).ok_or_else(|| Error::Tool {
            tool: "nvdisasm".into(),
            why: format!("no function {symbol} in the disassembly for {arch}"),
        })?;
        if !lines.iter().any(|l| parse_instr(l).is_some()) {
            return Err(Error::Tool {
                tool: "nvdisasm".into(),
                why: format!(
                    "no instructions parsed for {symbol} ({arch}): unknown listing format?"
                ),
            });
        }
        Ok(Self {
            symbol: symbol.to_string(),
            arch: arch.to_string(),
            resources: assembly.resources_of(symbol)?.clone(),
            lines,
        })
    }
}

/// The disassembler: nvdisasm, or cuobjdump when nvdisasm is not installed.
fn disassembler() -> Result<(Tool, PathBuf)> {
    match discover::find(Tool::Nvdisasm) {
        Ok(nvdisasm) => Ok((Tool::Nvdisasm, nvdisasm)),
        Err(missing) => discover::find(Tool::Cuobjdump)
            .map(|cuobjdump| (Tool::Cuobjdump, cuobjdump))
            .map_err(|_| missing),
    }
}

/// Disassembles a cubin: `nvdisasm -c`, or `cuobjdump -sass` when nvdisasm is not installed.
pub fn disassemble(cubin: &[u8]) -> Result<String> {
    let (tool, path) = disassembler()?;
    disassemble_with(tool, &path, cubin)
}

fn disassemble_with(tool: Tool, path: &Path, cubin: &[u8]) -> Result<String> {
    let dir = TempDir::new()?;
    let file = dir.write("kernels.cubin", cubin)?;
    let flag = match tool {
        Tool::Cuobjdump => "-sass",
        _ => "-c",
    };
    discover::run(tool, path, &[flag.as_ref(), file.as_os_str()]).map(|(out, _)| out)
}

/// `nvdisasm -c -g`: the listing annotated with the source lines of the cubin's line table
/// (`//## File "...", line N` before the instructions of each line), for a cubin from
/// `ptxas -lineinfo`. Needs nvdisasm (cuobjdump has no such option).
pub fn disassemble_line_info(cubin: &[u8]) -> Result<String> {
    let path = discover::find(Tool::Nvdisasm)?;
    let dir = TempDir::new()?;
    let file = dir.write("kernels.cubin", cubin)?;
    discover::run(
        Tool::Nvdisasm,
        &path,
        &["-c".as_ref(), "-g".as_ref(), file.as_os_str()],
    )
    .map(|(out, _)| out)
}

/// [`disassemble`], through the user's cache ([`super::cache`]), keyed by the cubin and the
/// disassembler's name and version: nvdisasm takes a quarter of a second even for a tiny cubin.
pub fn disassemble_cached(cubin: &[u8]) -> Result<String> {
    let (tool, path) = disassembler()?;
    let (Some(cache), Ok(version)) = (Cache::user(), discover::version(tool, &path)) else {
        return disassemble_with(tool, &path, cubin);
    };
    let key = Key::of(&[tool.exe().as_bytes(), version.as_bytes(), cubin]);
    let (parts, _) = cache.get_or_insert_with(tool.exe(), &key, || {
        Ok(vec![disassemble_with(tool, &path, cubin)?.into_bytes()])
    })?;
    parts
        .into_iter()
        .next()
        .and_then(|text| String::from_utf8(text).ok())
        .ok_or_else(|| Error::File {
            path: cache.entry_path(tool.exe(), &key).display().to_string(),
            why: "a disassembly cache entry that is not one UTF-8 text".into(),
        })
}

/// The SASS of one kernel of the embedded PTX, assembled for `arch` on its own
/// ([`ptxas::kernel`]: fast, and the same SASS and resources as in the module).
pub fn kernel_sass(symbol: &str, arch: &str) -> Result<KernelSass> {
    let assembly = ptxas::kernel(symbol, arch)?;
    let disasm = disassemble_cached(&assembly.cubin)?;
    KernelSass::cut(&assembly, &disasm, symbol)
}

/// The whole embedded module assembled and disassembled for one architecture: for going
/// through every kernel (the benchmark tables, the tests), where one ptxas and one nvdisasm
/// run beat one per kernel.
pub struct ModuleSass {
    pub assembly: Arc<Assembly>,
    pub disassembly: Arc<String>,
}

impl ModuleSass {
    /// The embedded module for `arch`, assembled and disassembled once per process and
    /// architecture (and through the user's cache across processes).
    pub fn embedded(arch: &str) -> Result<Self> {
        static DISASSEMBLED: OnceLock<Mutex<HashMap<String, Arc<String>>>> = OnceLock::new();
        let assembly = ptxas::embedded(arch)?;
        let done = DISASSEMBLED.get_or_init(Default::default);
        if let Some(d) = done.lock().unwrap_or_else(|e| e.into_inner()).get(arch) {
            return Ok(Self {
                assembly,
                disassembly: d.clone(),
            });
        }
        let d = Arc::new(disassemble_cached(&assembly.cubin)?);
        done.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(arch.to_string(), d.clone());
        Ok(Self {
            assembly,
            disassembly: d,
        })
    }

    /// One kernel's SASS, cut out of the module's.
    pub fn kernel(&self, symbol: &str) -> Result<KernelSass> {
        KernelSass::cut(&self.assembly, &self.disassembly, symbol)
    }
}

/// Cuts one function's listing out of a whole-module disassembly, in nvdisasm's format
/// (`.section .text.NAME,...`) or cuobjdump's (`Function : NAME`). Keeps instruction lines
/// and `.L` labels; drops directives (`.align`, `.other ... STO_CUDA_ENTRY`, ...).
pub fn function_listing(disasm: &str, symbol: &str) -> Option<Vec<String>> {
    let mut current: Option<&str> = None;
    let mut found = false;
    let mut out = Vec::new();
    for line in disasm.lines() {
        let t = line.trim();
        if let Some(rest) = t
            .strip_prefix(".section")
            .filter(|r| r.starts_with(char::is_whitespace))
        {
            let rest = rest.trim_start();
            current = rest
                .strip_prefix(".text.")
                .map(|r| r.split([',', ' ', '\t']).next().unwrap_or(r));
        } else if let Some(name) = t.strip_prefix("Function :") {
            current = Some(name.trim());
        } else if t.starts_with("//----") || t.starts_with(".....") {
            current = None;
        }
        if current != Some(symbol) {
            continue;
        }
        found = true;
        if parse_instr(t).is_some() {
            out.push(strip_encoding(t));
        } else if t.starts_with(".L") && t.ends_with(':') {
            out.push(t.to_string());
        }
    }
    found.then_some(out)
}

fn strip_encoding(line: &str) -> String {
    // `/*0000*/ LDC R1, c[0x0][0x28] ; /* 0x... */` -> keep through the `;`.
    match line.find(';') {
        Some(i) => line[..=i].to_string(),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NVDISASM: &str = r#"	.target	sm_90

//--------------------- .text.foo --------------------------
	.section	.text.foo,"ax",@progbits
	.sectioninfo	@"SHI_REGISTERS=14"
	.align	128
        .global         foo
        .type           foo,@function
        .other          foo,@"STO_CUDA_ENTRY STV_DEFAULT"
foo:
.text.foo:
        /*0000*/                   LDC R1, c[0x0][0x28] ;
        /*0010*/              @!P1 LDG.E.128 R4, desc[UR8][R2.64] ;
.L_x_4:
        /*0020*/               @P0 BRA `(.L_x_4) ;
        /*0030*/                   EXIT ;

//--------------------- .text.bar --------------------------
	.section	.text.bar,"ax",@progbits
        /*0000*/                   STS [R7], R6 ;
"#;

    const CUOBJDUMP: &str = r#"
	code for sm_90
		Function : foo
	.headerflags	@"EF_CUDA_TEXMODE_UNIFIED EF_CUDA_64BIT_ADDRESS EF_CUDA_SM90 EF_CUDA_VIRTUAL_SM(EF_CUDA_SM90)"
        /*0000*/                   LDC R1, c[0x0][0x28] ;                    /* 0x00000a00ff017b82 */
                                                                             /* 0x000fe40000000800 */
        /*0010*/                   EXIT ;                                    /* 0x000000000000794d */
        ..........

		Function : bar
        /*0000*/                   STS [R7], R6 ;
"#;

    #[test]
    fn parses_predicates_opcodes_and_operands() {
        let i = parse_instr("        /*0010*/              @!P1 LDG.E.128 R4, desc[UR8][R2.64] ;")
            .unwrap();
        assert_eq!(i.offset, 0x10);
        assert_eq!(i.predicate.as_deref(), Some("@!P1"));
        assert_eq!((i.opcode.as_str(), i.base()), ("LDG.E.128", "LDG"));
        assert_eq!(i.operands, "R4, desc[UR8][R2.64]");
        let e = parse_instr("/*0150*/ EXIT ; /* 0x000000000000794d */").unwrap();
        assert_eq!((e.opcode.as_str(), e.operands.as_str()), ("EXIT", ""));
        for not in [
            "        .other          foo,@\"STO_CUDA_ENTRY STV_DEFAULT\"",
            "/* 0x000fe40000000800 */",
            ".L_x_4:",
            "foo:",
        ] {
            assert_eq!(parse_instr(not), None, "{not}");
        }
    }

    #[test]
    fn cuts_one_function_out_of_nvdisasm_and_cuobjdump_output() {
        let foo = function_listing(NVDISASM, "foo").unwrap();
        assert_eq!(foo.len(), 5, "{foo:?}");
        assert_eq!(foo[2], ".L_x_4:");
        assert!(foo.iter().all(|l| !l.contains("STO_CUDA_ENTRY")));
        assert_eq!(function_listing(NVDISASM, "bar").unwrap().len(), 1);
        assert!(function_listing(NVDISASM, "fo").is_none());

        let foo = function_listing(CUOBJDUMP, "foo").unwrap();
        assert_eq!(
            foo,
            vec![
                "/*0000*/                   LDC R1, c[0x0][0x28] ;",
                "/*0010*/                   EXIT ;"
            ]
        );
        assert_eq!(function_listing(CUOBJDUMP, "bar").unwrap().len(), 1);
    }
}
