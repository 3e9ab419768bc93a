//! A kernel's SASS at a glance: resources from ptxas and the instruction mix that matters
//! (memory instructions by space and width, FFMA, HMMA, SHFL, BAR, branches, atomics, MUFU,
//! local memory).

use super::sass::{Instr, KernelSass};
use std::collections::BTreeMap;

/// Instruction classes counted, in the order they are printed. `LDG.32` etc. carry the access
/// width in bits; `LD`/`ST` are generic (address space unknown to the hardware: a red flag for
/// shared memory) and `LDL`/`STL` local memory (spills or stack arrays).
pub const CLASSES: &[&str] = &[
    "LDG.8", "LDG.16", "LDG.32", "LDG.64", "LDG.128", "STG.8", "STG.16", "STG.32", "STG.64",
    "STG.128", "LDS.8", "LDS.16", "LDS.32", "LDS.64", "LDS.128", "STS.8", "STS.16", "STS.32",
    "STS.64", "STS.128", "LD", "ST", "LDL", "STL", "LDGSTS", "LDSM", "FFMA", "FMUL", "FADD",
    "FMNMX", "HMMA", "HGMMA", "SHFL", "BAR", "BRA", "ATOM", "ATOMG", "ATOMS", "RED", "MUFU",
];

/// The class of an instruction, if it is one of [`CLASSES`].
pub fn class_of(i: &Instr) -> Option<String> {
    let base = i.base();
    match base {
        "LDG" | "STG" | "LDS" | "STS" => Some(format!("{base}.{}", width_bits(&i.opcode))),
        "LD" | "ST" | "LDL" | "STL" | "LDGSTS" | "LDSM" | "FFMA" | "FMUL" | "FADD" | "FMNMX"
        | "HMMA" | "HGMMA" | "SHFL" | "BAR" | "BRA" | "ATOM" | "ATOMG" | "ATOMS" | "RED"
        | "REDG" | "MUFU" => Some(if base == "REDG" { "RED" } else { base }.to_string()),
        _ => None,
    }
}

/// Access width in bits from the opcode's modifiers: `.128`, `.64`, `.U8`/`.S8`,
/// `.U16`/`.S16`; 32 otherwise.
pub fn width_bits(opcode: &str) -> u32 {
    let mods: Vec<&str> = opcode.split('.').skip(1).collect();
    if mods.contains(&"128") {
        128
    } else if mods.contains(&"64") {
        64
    } else if mods.iter().any(|m| matches!(*m, "U16" | "S16")) {
        16
    } else if mods.iter().any(|m| matches!(*m, "U8" | "S8")) {
        8
    } else {
        32
    }
}

/// Instruction counts by class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mix {
    /// Every instruction, NOPs excluded.
    pub total: usize,
    /// Counts of the classes that occur.
    pub counts: BTreeMap<String, usize>,
}

impl Mix {
    /// Counts the instructions (NOP padding excluded).
    pub fn of(instrs: &[Instr]) -> Mix {
        let mut m = Mix::default();
        for i in instrs.iter().filter(|i| i.base() != "NOP") {
            m.total += 1;
            if let Some(c) = class_of(i) {
                *m.counts.entry(c).or_default() += 1;
            }
        }
        m
    }

    /// The count of a class (0 when absent).
    pub fn get(&self, class: &str) -> usize {
        self.counts.get(class).copied().unwrap_or(0)
    }

    /// The sum over classes whose name starts with `prefix` followed by `.` or the end
    /// (`"LDS"` counts every width).
    pub fn family(&self, prefix: &str) -> usize {
        self.counts
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(prefix)
                    .is_some_and(|r| r.is_empty() || r.starts_with('.'))
            })
            .map(|(_, v)| v)
            .sum()
    }

    /// `(class, count)` of the classes that occur, in [`CLASSES`] order.
    pub fn rows(&self) -> Vec<(&'static str, usize)> {
        CLASSES
            .iter()
            .filter_map(|c| self.counts.get(*c).map(|n| (*c, *n)))
            .collect()
    }
}

/// Resources and instruction mix of one kernel.
#[derive(Debug, Clone)]
pub struct Summary {
    pub symbol: String,
    pub arch: String,
    pub registers: u32,
    pub smem_bytes: u64,
    pub stack_frame: u64,
    pub spill_stores: u64,
    pub spill_loads: u64,
    pub barriers: u32,
    pub mix: Mix,
}

impl Summary {
    /// Summarises a kernel's SASS.
    pub fn of(k: &KernelSass) -> Summary {
        let r = &k.resources;
        Summary {
            symbol: k.symbol.clone(),
            arch: k.arch.clone(),
            registers: r.registers,
            smem_bytes: r.smem_bytes,
            stack_frame: r.stack_frame,
            spill_stores: r.spill_stores,
            spill_loads: r.spill_loads,
            barriers: r.barriers,
            mix: Mix::of(&k.instructions()),
        }
    }

    /// `(label, value)` rows: resources first, then the instruction mix.
    pub fn rows(&self) -> Vec<(String, String)> {
        let mut rows = vec![
            ("registers".to_string(), self.registers.to_string()),
            (
                "shared memory".into(),
                format!("{} B static", self.smem_bytes),
            ),
            (
                "spills".into(),
                format!(
                    "{} B stores, {} B loads",
                    self.spill_stores, self.spill_loads
                ),
            ),
            ("stack frame".into(), format!("{} B", self.stack_frame)),
            ("barriers".into(), self.barriers.to_string()),
            ("instructions".into(), self.mix.total.to_string()),
        ];
        rows.extend(
            self.mix
                .rows()
                .into_iter()
                .map(|(c, n)| (format!("  {c}"), n.to_string())),
        );
        rows
    }

    /// Warnings worth a line: generic loads/stores, local memory, spills.
    pub fn red_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        let generic = self.mix.get("LD") + self.mix.get("ST");
        if generic > 0 {
            flags.push(format!(
                "{generic} generic LD/ST: the hardware resolves the address space at run time \
                 (shared memory through a generic pointer?)"
            ));
        }
        let local = self.mix.get("LDL") + self.mix.get("STL");
        if local > 0 {
            flags.push(format!(
                "{local} local-memory LDL/STL (register spills or a stack array)"
            ));
        }
        if self.spill_stores + self.spill_loads > 0 {
            flags.push(format!(
                "register spills: {} B stores, {} B loads",
                self.spill_stores, self.spill_loads
            ));
        }
        flags
    }

    /// The instruction-mix snapshot that tests compare (stable across register allocation:
    /// no register count, no total).
    pub fn snapshot(&self) -> String {
        let mut s = format!(
            "{} ({})\nshared memory: {} B static\nspills: {} B stores, {} B loads\n",
            self.symbol, self.arch, self.smem_bytes, self.spill_stores, self.spill_loads
        );
        for (c, n) in self.mix.rows() {
            s.push_str(&format!("{c}: {n}\n"));
        }
        s
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{} ({})", self.symbol, self.arch)?;
        for (k, v) in self.rows() {
            writeln!(f, "  {k:<16} {v}")?;
        }
        for flag in self.red_flags() {
            writeln!(f, "  warning: {flag}")?;
        }
        Ok(())
    }
}

/// Two summaries side by side: `from` in the first column, `to` in the second (headed by
/// `names.0` and `names.1`), and in the third, headed `to - from`, how each number changed
/// from the first column to the second, with its sign.
pub fn side_by_side(from: &Summary, to: &Summary, names: (&str, &str)) -> String {
    let (a, b) = (from, to);
    let ra = a.rows();
    let rb = b.rows();
    let mut labels: Vec<String> = ra.iter().map(|(k, _)| k.clone()).collect();
    for (k, _) in &rb {
        if !labels.contains(k) {
            labels.push(k.clone());
        }
    }
    // Keep instruction classes in CLASSES order after the resource rows.
    let (res, mut classes): (Vec<String>, Vec<String>) =
        labels.into_iter().partition(|k| !k.starts_with("  "));
    classes.sort_by_key(|k| CLASSES.iter().position(|c| *c == k.trim()));
    let get = |rows: &[(String, String)], k: &str| {
        rows.iter()
            .find(|(l, _)| l == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| {
                if k.starts_with("  ") {
                    "0".into()
                } else {
                    "-".into()
                }
            })
    };
    let width = |name: &str, rows: &[(String, String)]| {
        rows.iter()
            .map(|(_, v)| v.chars().count())
            .chain([name.chars().count()])
            .max()
            .unwrap_or(0)
    };
    let wa = width(names.0, &ra);
    let wb = width(names.1, &rb);
    let line = |k: &str, va: &str, vb: &str, delta: &str| {
        format!("  {k:<16} {va:<wa$} {vb:<wb$} {delta}")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(
        &format!("({})", a.arch),
        names.0,
        names.1,
        &format!("{} - {}", names.1, names.0),
    );
    for k in res.iter().chain(classes.iter()) {
        let (va, vb) = (get(&ra, k), get(&rb, k));
        out.push_str(&line(k, &va, &vb, &delta(&va, &vb)));
    }
    out
}

/// How `to` differs from `from` when both are the same text around numbers (`12`, `4096 B
/// static`, `0 B stores, 8 B loads`): that text with each number replaced by its change,
/// signed (`+8`, `-4`; `0` when unchanged). Empty when nothing changed or the texts differ
/// otherwise.
pub fn delta(from: &str, to: &str) -> String {
    /// The text split into runs of digits and runs of anything else.
    fn runs(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, c) in s.char_indices().skip(1) {
            let prev = s[..i]
                .chars()
                .next_back()
                .is_some_and(|p| p.is_ascii_digit());
            if prev != c.is_ascii_digit() {
                out.push(&s[start..i]);
                start = i;
            }
        }
        if start < s.len() {
            out.push(&s[start..]);
        }
        out
    }
    let (ra, rb) = (runs(from), runs(to));
    if from == to || ra.len() != rb.len() {
        return String::new();
    }
    let mut out = String::new();
    for (x, y) in ra.iter().zip(&rb) {
        match (x.parse::<i64>(), y.parse::<i64>()) {
            (Ok(x), Ok(y)) if x == y => out.push('0'),
            (Ok(x), Ok(y)) => out.push_str(&format!("{:+}", y - x)),
            _ if x == y => out.push_str(x),
            _ => return String::new(),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::sass::parse_instr;

    fn mix(lines: &[&str]) -> Mix {
        let instrs: Vec<Instr> = lines
            .iter()
            .map(|l| parse_instr(&format!("/*0000*/ {l} ;")).unwrap())
            .collect();
        Mix::of(&instrs)
    }

    #[test]
    fn counts_memory_instructions_by_space_and_width() {
        let m = mix(&[
            "LDG.E.128 R4, desc[UR4][R2.64]",
            "@!P1 LDG.E.CONSTANT R6, desc[UR8][R2.64]",
            "LDG.E.64 R4, desc[UR4][R2.64]",
            "STG.E desc[UR4][R2.64], R9",
            "LDS.128 R8, [R2]",
            "@P0 STS [R7], R6",
            "LD.E R3, [R4.64]",
            "ST.E.U8 [R4.64], R3",
            "LDL R3, [R1+0x8]",
            "LDGSTS.E.BYPASS.128 [R1], desc[UR4][R2.64]",
            "FFMA R1, R2, R3, R4",
            "SHFL.BFLY PT, R0, R3, 0x10, 0x1f",
            "BAR.SYNC.DEFER_BLOCKING 0x0",
            "@P1 BRA `(.L_x_5)",
            "MUFU.EX2 R3, R3",
            "RED.E.ADD.F32.FTZ.RN.STRONG.GPU desc[UR4][R2.64], R5",
            "ATOMS.ADD R3, [R2], R4",
            "NOP",
            "EXIT",
        ]);
        assert_eq!(m.total, 18);
        assert_eq!(
            (m.get("LDG.128"), m.get("LDG.32"), m.get("LDG.64")),
            (1, 1, 1)
        );
        assert_eq!(
            (m.get("STG.32"), m.get("LDS.128"), m.get("STS.32")),
            (1, 1, 1)
        );
        assert_eq!((m.get("LD"), m.get("ST"), m.get("LDL")), (1, 1, 1));
        assert_eq!(m.get("LDGSTS"), 1, "cp.async is not an LDG");
        assert_eq!(m.family("LDG"), 3);
        for c in ["FFMA", "SHFL", "BAR", "BRA", "MUFU", "RED", "ATOMS"] {
            assert_eq!(m.get(c), 1, "{c}");
        }
        assert_eq!(width_bits("ST.E.U8"), 8);
    }

    #[test]
    fn deltas_are_second_minus_first_with_their_sign() {
        assert_eq!(delta("236", "228"), "-8");
        assert_eq!(delta("228", "236"), "+8");
        assert_eq!(delta("12", "12"), "");
        assert_eq!(delta("0 B static", "4096 B static"), "+4096 B static");
        assert_eq!(
            delta("0 B stores, 8 B loads", "4 B stores, 8 B loads"),
            "+4 B stores, 0 B loads"
        );
        assert_eq!(delta("-", "12"), "");
        assert_eq!(delta("1 B", "2 KiB"), "");
    }

    #[test]
    fn summaries_flag_generic_and_local_memory_and_line_up_side_by_side() {
        let s = Summary {
            symbol: "a".into(),
            arch: "sm_90".into(),
            registers: 10,
            smem_bytes: 0,
            stack_frame: 0,
            spill_stores: 4,
            spill_loads: 4,
            barriers: 0,
            mix: mix(&["LD.E R3, [R4.64]", "STL [R1], R3", "FFMA R1, R2, R3, R4"]),
        };
        let flags = s.red_flags();
        assert_eq!(flags.len(), 3, "{flags:?}");
        let mut t = s.clone();
        t.symbol = "b".into();
        t.registers = 16;
        t.mix = mix(&[
            "FFMA R1, R2, R3, R4",
            "FFMA R1, R2, R3, R4",
            "SHFL.IDX PT, R0, R3, 0x10, 0x1f",
        ]);
        let sbs = side_by_side(&s, &t, ("old/1", "new/2"));
        let header = sbs.lines().next().unwrap();
        assert!(
            header.contains("old/1") && header.ends_with("new/2 - old/1"),
            "{sbs}"
        );
        assert!(
            header.find("old/1") < header.find("new/2"),
            "first column first: {sbs}"
        );
        let regs = sbs.lines().find(|l| l.contains("registers")).unwrap();
        let regs: Vec<&str> = regs.split_whitespace().collect();
        assert_eq!(regs, ["registers", "10", "16", "+6"], "16 - 10: {sbs}");
        let ffma = sbs.lines().find(|l| l.contains("FFMA")).unwrap();
        assert!(ffma.trim_end().ends_with("+1"), "{sbs}");
        let shfl = sbs.lines().find(|l| l.contains("SHFL")).unwrap();
        assert!(shfl.contains(" 0 ") && shfl.ends_with("+1"), "{sbs}");
        let spills = sbs.lines().find(|l| l.contains("spills")).unwrap();
        assert!(
            spills.ends_with("4 B stores, 4 B loads"),
            "unchanged: no delta: {sbs}"
        );
        assert!(sbs.lines().all(|l| l == l.trim_end()), "{sbs}");
        assert!(
            s.snapshot().contains("LD: 1\nSTL: 1\nFFMA: 1\n"),
            "{}",
            s.snapshot()
        );
    }
}
