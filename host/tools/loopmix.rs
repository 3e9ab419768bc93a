//! The instruction mix of a kernel's loops, read from its SASS listing (`klab sass K --mix`).
//!
//! A loop is a backward branch: a `BRA` whose target label comes before it; its body is the
//! instructions from the label through the branch. The **main loop** is the one whose body
//! holds the most math (`FFMA`, `HMMA`, `HGMMA`), then loads the most bytes from global memory
//! (the streaming loop of a memory-bound kernel), then has the most memory instructions, the
//! first of equals. Its static mix counts every instruction of the body, edge paths included, so the
//! **hot path** is counted too: the path through the body's control-flow graph that an interior
//! iteration takes, from the label to the back edge, the most math, then the most 128-bit
//! global loads, then the fewest instructions; when the body has 128-bit global loads, blocks
//! with a scalar read-only global load (`LDG.E.CONSTANT`, the zero-filling edge path of a
//! tiled GEMM) are left out if a path remains without them. On gemm/8-9 these are the figures
//! of docs/ladders/gemm.md.

use super::sass::{Instr, parse_instr};
use super::summary::{Mix, class_of};

/// A listing's instructions and where each label points (index of the next instruction).
#[derive(Debug, Clone, Default)]
pub struct Flow {
    instrs: Vec<Instr>,
    labels: Vec<(String, usize)>,
}

impl Flow {
    /// Parses listing lines (instructions and `.L_x_N:` labels, as in [`super::sass::KernelSass`]).
    pub fn of(lines: &[String]) -> Flow {
        let mut f = Flow::default();
        for l in lines {
            let t = l.trim();
            if let Some(name) = t.strip_suffix(':').filter(|n| n.starts_with(".L")) {
                f.labels.push((name.to_string(), f.instrs.len()));
            } else if let Some(instr) = parse_instr(t) {
                f.instrs.push(instr);
            }
        }
        f
    }

    fn label(&self, name: &str) -> Option<usize> {
        self.labels.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
    }

    /// The label a branch instruction jumps to (`BRA `(.L_x_4)`, `@P0 BRA.U ...`).
    fn target(&self, i: &Instr) -> Option<usize> {
        if i.base() != "BRA" {
            return None;
        }
        let ops = &i.operands;
        let at = ops.find(".L")?;
        let name: String = ops[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
            .collect();
        self.label(&name)
    }

    /// Every loop (backward branch), in listing order; not the `BRA` to itself that pads the
    /// end of every kernel.
    pub fn loops(&self) -> Vec<Loop> {
        let mut out = Vec::new();
        for (idx, i) in self.instrs.iter().enumerate() {
            if let Some(s) = self.target(i).filter(|&s| s < idx) {
                let body = &self.instrs[s..=idx];
                out.push(Loop {
                    start: s,
                    end: idx,
                    label: self
                        .labels
                        .iter()
                        .find(|(_, at)| *at == s)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default(),
                    first_offset: body[0].offset,
                    last_offset: i.offset,
                    mix: Mix::of(body),
                });
            }
        }
        out
    }

    /// The main loop (see the module docs), if there is a loop.
    pub fn main_loop(&self) -> Option<Loop> {
        let mut best: Option<((usize, usize, usize), Loop)> = None;
        for l in self.loops() {
            let key = (math(&l.mix), global_load_bytes(&l.mix), memory(&l.mix));
            if best.as_ref().is_none_or(|(k, _)| key > *k) {
                best = Some((key, l));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The hot path of a loop (see the module docs): its instructions' mix, or `None` when no
    /// path reaches the back edge.
    pub fn hot_path(&self, l: &Loop) -> Option<Mix> {
        let vector_loop = self.instrs[l.start..=l.end]
            .iter()
            .any(is_vector_global_load);
        // Without the scalar read-only loads when that leaves a path (the GEMM's edge tiles);
        // else with them (bias_gelu/3 loads its bias that way on every iteration).
        self.best_path(l, vector_loop)
            .or_else(|| vector_loop.then(|| self.best_path(l, false)).flatten())
    }

    fn best_path(&self, l: &Loop, skip_scalar_constant: bool) -> Option<Mix> {
        let (s, e) = (l.start, l.end);
        let ins = &self.instrs;
        let mut leaders: Vec<usize> = vec![s, e + 1];
        leaders.extend(
            self.labels
                .iter()
                .map(|(_, at)| *at)
                .filter(|at| (s..=e).contains(at)),
        );
        for (k, i) in ins.iter().enumerate().take(e + 1).skip(s) {
            if i.base() == "BRA" || i.base() == "EXIT" {
                leaders.push(k + 1);
            }
        }
        leaders.sort_unstable();
        leaders.dedup();
        leaders.retain(|x| (s..=e + 1).contains(x));
        let ends: Vec<(usize, usize)> = leaders.windows(2).map(|w| (w[0], w[1])).collect();
        // best[k]: the best (math, vector loads, -instructions) path from block k to the back
        // edge, as the list of its blocks; computed from the last block backwards (edges only go
        // forward inside the body, the back edge excepted).
        type Best = Option<((usize, usize, i64), Vec<usize>)>;
        let mut best: Vec<Best> = vec![None; ends.len()];
        for k in (0..ends.len()).rev() {
            let (a, b) = ends[k];
            let body = &ins[a..b];
            if skip_scalar_constant && body.iter().any(|i| i.opcode == "LDG.E.CONSTANT") {
                continue;
            }
            let last = &ins[b - 1];
            let conditional = last.predicate.is_some();
            let mut succ: Vec<Option<usize>> = Vec::new(); // None: the back edge
            if b - 1 == e {
                succ.push(None);
            }
            if let Some(t) = self.target(last) {
                if b - 1 != e && t > a && t <= e {
                    succ.extend(ends.iter().position(|(x, _)| *x == t).map(Some));
                }
                if conditional && b <= e {
                    succ.extend(ends.iter().position(|(x, _)| *x == b).map(Some));
                }
            } else if last.base() == "EXIT" {
                if conditional && b <= e {
                    succ.extend(ends.iter().position(|(x, _)| *x == b).map(Some));
                }
            } else if b <= e {
                succ.extend(ends.iter().position(|(x, _)| *x == b).map(Some));
            }
            let here = (
                body.iter().filter(|i| is_math(i)).count(),
                body.iter().filter(|i| is_vector_global_load(i)).count(),
                -(body.iter().filter(|i| i.base() != "NOP").count() as i64),
            );
            let mut pick: Best = None;
            for t in succ {
                let tail = match t {
                    None => Some(((0, 0, 0), Vec::new())),
                    Some(t) => best[t].clone(),
                };
                if let Some((key, path)) = tail {
                    let key = (here.0 + key.0, here.1 + key.1, here.2 + key.2);
                    if pick.as_ref().is_none_or(|(p, _)| key > *p) {
                        let mut p = vec![k];
                        p.extend(path);
                        pick = Some((key, p));
                    }
                }
            }
            best[k] = pick;
        }
        let (_, path) = best.first()?.clone()?;
        let instrs: Vec<Instr> = path
            .iter()
            .flat_map(|&k| ins[ends[k].0..ends[k].1].iter().cloned())
            .collect();
        Some(Mix::of(&instrs))
    }
}

/// One loop of a listing.
#[derive(Debug, Clone)]
pub struct Loop {
    /// Indices of the first and last (the backward branch) instruction.
    pub start: usize,
    pub end: usize,
    /// The label the backward branch jumps to (nvdisasm's `.L_x_N`).
    pub label: String,
    /// Byte offsets of the first and the last instruction.
    pub first_offset: u32,
    pub last_offset: u32,
    /// The static mix of the body.
    pub mix: Mix,
}

fn is_math(i: &Instr) -> bool {
    matches!(i.base(), "FFMA" | "HMMA" | "HGMMA")
}

fn is_vector_global_load(i: &Instr) -> bool {
    class_of(i).as_deref() == Some("LDG.128")
}

fn math(m: &Mix) -> usize {
    m.get("FFMA") + m.get("HMMA") + m.get("HGMMA")
}

/// Bytes per thread the body loads from global memory (`LDG.128` = 16, ...).
fn global_load_bytes(m: &Mix) -> usize {
    [
        ("LDG.8", 1),
        ("LDG.16", 2),
        ("LDG.32", 4),
        ("LDG.64", 8),
        ("LDG.128", 16),
    ]
    .iter()
    .map(|(c, b)| m.get(c) * b)
    .sum()
}

fn memory(m: &Mix) -> usize {
    ["LDG", "STG", "LDS", "STS", "LDSM", "LDGSTS"]
        .iter()
        .map(|p| m.family(p))
        .sum()
}

/// A mix on one line: `190 instr: FFMA 128 (67.4%), LDS.128 32, BAR 1`.
pub fn mix_line(m: &Mix) -> String {
    let mut parts = Vec::new();
    for (class, n) in m.rows() {
        if matches!(class, "FFMA" | "HMMA" | "HGMMA") && m.total > 0 {
            parts.push(format!(
                "{class} {n} ({:.1}%)",
                100.0 * n as f64 / m.total as f64
            ));
        } else {
            parts.push(format!("{class} {n}"));
        }
    }
    if parts.is_empty() {
        format!("{} instr", m.total)
    } else {
        format!("{} instr: {}", m.total, parts.join(", "))
    }
}

/// The `--mix` report of one listing: every loop with its static mix (the main loop marked
/// `*`), then the main loop's hot path.
pub fn report(lines: &[String]) -> String {
    let f = Flow::of(lines);
    let loops = f.loops();
    if loops.is_empty() {
        return "loops: none (straight-line code: the mix above is the whole kernel)\n".into();
    }
    let main = f.main_loop();
    let mut out = format!("loops ({}; * = main loop):\n", loops.len());
    for l in &loops {
        let star = if main.as_ref().is_some_and(|m| m.end == l.end) {
            "*"
        } else {
            " "
        };
        out.push_str(&format!(
            "  {star} {:<10} /*{:04x}*/-/*{:04x}*/  {}\n",
            l.label,
            l.first_offset,
            l.last_offset,
            mix_line(&l.mix)
        ));
    }
    if let Some(m) = &main {
        match f.hot_path(m) {
            Some(p) => out.push_str(&format!("main loop, hot path: {}\n", mix_line(&p))),
            None => out.push_str("main loop, hot path: none reaches the back edge\n"),
        }
    }
    out
}

/// The two main loops' hot paths side by side: one row per instruction class, BASE's count,
/// KERNEL's, and the change (the loop-body counterpart of the summaries' table).
pub fn compare(base: &[String], kernel: &[String], names: (&str, &str)) -> String {
    let hot = |lines: &[String]| {
        let f = Flow::of(lines);
        f.main_loop().and_then(|l| f.hot_path(&l))
    };
    let (a, b) = (hot(base), hot(kernel));
    let (ma, mb) = (a.clone().unwrap_or_default(), b.clone().unwrap_or_default());
    let w = names.0.len().max(names.1.len()).max(8) + 2;
    let mut out = format!(
        "{:<21}{:<w$}{:<w$}{} - {}\n",
        "  main loop hot path", names.0, names.1, names.1, names.0
    );
    let cell = |m: &Option<Mix>, n: usize| match m {
        Some(_) => n.to_string(),
        None => "-".into(),
    };
    let mut rows = vec![("instructions".to_string(), ma.total, mb.total)];
    for c in super::summary::CLASSES {
        let (x, y) = (ma.get(c), mb.get(c));
        if x > 0 || y > 0 {
            rows.push((format!("  {c}"), x, y));
        }
    }
    for (label, x, y) in rows {
        let d = y as i64 - x as i64;
        let delta = if d == 0 || a.is_none() || b.is_none() {
            String::new()
        } else {
            format!("{d:+}")
        };
        out.push_str(
            format!(
                "    {label:<17}{:<w$}{:<w$}{delta}",
                cell(&a, x),
                cell(&b, y)
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    /// A loop with an interior path (LDG.128, 2 FFMA) and an edge path (scalar LDG.E.CONSTANT,
    /// 1 FFMA), and a second loop without math.
    const LISTING: &str = "\
/*0000*/ LDC R1, c[0x0][0x28] ;
.L_x_1:
/*0010*/ @P0 BRA `(.L_x_2) ;
/*0020*/ LDG.E.128.CONSTANT R4, desc[UR4][R2.64] ;
/*0030*/ FFMA R8, R4, R5, R8 ;
/*0040*/ FFMA R8, R6, R7, R8 ;
/*0050*/ BRA `(.L_x_3) ;
.L_x_2:
/*0060*/ LDG.E.CONSTANT R4, desc[UR4][R2.64] ;
/*0070*/ FFMA R8, R4, R4, R8 ;
.L_x_3:
/*0080*/ IADD3 R2, R2, 0x10, RZ ;
/*0090*/ @P1 BRA `(.L_x_1) ;
.L_x_4:
/*00a0*/ STG.E desc[UR4][R2.64], R8 ;
/*00b0*/ @P2 BRA `(.L_x_4) ;
/*00c0*/ EXIT ;
.L_x_5:
/*00d0*/ BRA `(.L_x_5) ;
";

    #[test]
    fn finds_the_loops_and_the_main_one() {
        let f = Flow::of(&lines(LISTING));
        let loops = f.loops();
        // The two loops, not the self-branch padding after EXIT.
        assert_eq!(loops.len(), 2, "{loops:?}");
        assert_eq!(loops[0].label, ".L_x_1");
        assert_eq!((loops[0].first_offset, loops[0].last_offset), (0x10, 0x90));
        assert_eq!(loops[0].mix.total, 9);
        assert_eq!(loops[0].mix.get("FFMA"), 3);
        let main = f.main_loop().unwrap();
        assert_eq!(main.label, ".L_x_1");
    }

    #[test]
    fn the_hot_path_takes_the_vector_path_and_skips_the_edge_path() {
        let f = Flow::of(&lines(LISTING));
        let p = f.hot_path(&f.main_loop().unwrap()).unwrap();
        // BRA, LDG.128, 2 FFMA, BRA, IADD3, BRA: the scalar block is left out.
        assert_eq!(p.total, 7, "{p:?}");
        assert_eq!(p.get("FFMA"), 2);
        assert_eq!(p.get("LDG.128"), 1);
        assert_eq!(p.get("LDG.32"), 0);
        let r = report(&lines(LISTING));
        assert!(r.contains("* .L_x_1"), "{r}");
        assert!(
            r.contains("main loop, hot path: 7 instr: LDG.128 1, FFMA 2 (28.6%), BRA 3"),
            "{r}"
        );
    }

    #[test]
    fn a_scalar_load_on_every_path_is_kept() {
        // bias_gelu/3's shape: a 128-bit load and a scalar read-only (bias) load per iteration.
        let l = lines(
            "/*0000*/ LDC R1, c[0x0][0x28] ;\n.L_x_1:\n/*0010*/ LDG.E.128 R4, desc[UR4][R2.64] ;\n\
             /*0020*/ LDG.E.CONSTANT R8, desc[UR4][R6.64] ;\n/*0030*/ FFMA R4, R4, R8, R4 ;\n\
             /*0040*/ @P1 BRA `(.L_x_1) ;\n/*0050*/ EXIT ;",
        );
        let f = Flow::of(&l);
        let p = f.hot_path(&f.main_loop().unwrap()).unwrap();
        assert_eq!((p.total, p.get("LDG.32"), p.get("LDG.128")), (4, 1, 1));
    }

    #[test]
    fn the_hot_paths_compare_class_by_class() {
        let base = lines(
            "/*0000*/ LDC R1, c[0x0][0x28] ;\n.L_x_1:\n/*0010*/ LDG.E R4, desc[UR4][R2.64] ;\n\
             /*0020*/ FFMA R4, R4, R4, R4 ;\n/*0030*/ @P1 BRA `(.L_x_1) ;\n/*0040*/ EXIT ;",
        );
        let t = compare(&base, &lines(LISTING), ("a", "b"));
        assert!(
            t.starts_with("  main loop hot path a         b         b - a\n"),
            "{t}"
        );
        assert!(
            t.contains("    instructions     3         7         +4\n"),
            "{t}"
        );
        assert!(
            t.contains("      LDG.32         1         0         -1\n"),
            "{t}"
        );
        assert!(
            t.contains("      FFMA           1         2         +1\n"),
            "{t}"
        );
        let none = compare(&lines("/*0000*/ EXIT ;\n"), &base, ("a", "b"));
        assert!(
            none.contains("    instructions     -         3\n"),
            "{none}"
        );
    }

    #[test]
    fn straight_line_code_has_no_loops() {
        let r = report(&lines("/*0000*/ EXIT ;\n"));
        assert!(r.starts_with("loops: none"), "{r}");
    }
}
