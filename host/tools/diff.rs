//! A unified diff of two SASS listings, on normalised lines: offsets and encodings stripped,
//! whitespace collapsed, and branch labels renumbered alike in both listings (nvdisasm numbers
//! them across the whole module), so only the instructions themselves differ.

use std::collections::HashMap;

/// Normalises one listing line: `/*0150*/  @!P0 LDG.E R5, desc[UR8][R4.64] ; /* 0x.. */` becomes
/// `@!P0 LDG.E R5, desc[UR8][R4.64]`. Labels (`.L_x_17`) are left as they are.
pub fn normalise(line: &str) -> String {
    let mut t = line.trim();
    if let Some(rest) = t.strip_prefix("/*")
        && let Some((_, after)) = rest.split_once("*/")
    {
        t = after;
    }
    let t = t.split("/*").next().unwrap_or(t);
    let t = t.trim().trim_end_matches(';').trim();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// nvdisasm's branch labels: `.L_x_` and a number.
const LABEL: &str = ".L_x_";

/// `s` with every label `.L_x_N` replaced by `name(N)`.
fn map_labels(s: &str, mut name: impl FnMut(u32) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(LABEL) {
        out.push_str(&rest[..i]);
        let after = &rest[i + LABEL.len()..];
        let digits = after.len() - after.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        match after[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&name(n)),
            Err(_) => out.push_str(LABEL),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// The label a normalised line defines (`.L_x_4:` → 4).
fn label_defined(line: &str) -> Option<u32> {
    line.strip_prefix(LABEL)?.strip_suffix(':')?.parse().ok()
}

/// Both normalised listings with their labels renumbered `.L1`, `.L2`, ... in order, alike in
/// both: a label whose definition pairs up with one in the other listing (in a diff of the lines
/// with label numbers ignored) gets the same number there, one found in only one listing a
/// number of its own. Branches to paired labels then read the same, and a branch whose target
/// really differs shows up in the diff.
pub fn renumber_labels(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let unnumbered = |l: &[String]| -> Vec<String> {
        l.iter().map(|s| map_labels(s, |_| ".L".into())).collect()
    };
    let (mut in_a, mut in_b) = (HashMap::new(), HashMap::new());
    let mut next = 1u32;
    for e in edit_script(&unnumbered(a), &unnumbered(b)) {
        let (la, lb) = match e {
            Edit::Same(i, j) => (label_defined(&a[i]), label_defined(&b[j])),
            Edit::Del(i) => (label_defined(&a[i]), None),
            Edit::Add(j) => (None, label_defined(&b[j])),
        };
        if la.is_some() || lb.is_some() {
            la.map(|n| in_a.insert(n, next));
            lb.map(|n| in_b.insert(n, next));
            next += 1;
        }
    }
    // A label branched to but not defined in the listing (not in nvdisasm's output) keeps a
    // number of its own.
    let mut rename = |lines: &[String], map: &mut HashMap<u32, u32>| -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                map_labels(l, |n| {
                    let k = *map.entry(n).or_insert_with(|| {
                        next += 1;
                        next - 1
                    });
                    format!(".L{k}")
                })
            })
            .collect()
    };
    let a = rename(a, &mut in_a);
    let b = rename(b, &mut in_b);
    (a, b)
}

/// One line of an edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// In both: index in `a`, index in `b`.
    Same(usize, usize),
    /// Only in `a`.
    Del(usize),
    /// Only in `b`.
    Add(usize),
}

/// A shortest edit script from `a` to `b` by longest common subsequence (O(n·m) table; SASS
/// listings are at most a few thousand lines).
pub fn edit_script<T: PartialEq>(a: &[T], b: &[T]) -> Vec<Edit> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j] = LCS length of a[i..] and b[j..].
    let w = m + 1;
    let mut lcs = vec![0u32; (n + 1) * w];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i * w + j] = if a[i] == b[j] {
                lcs[(i + 1) * w + j + 1] + 1
            } else {
                lcs[(i + 1) * w + j].max(lcs[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Edit::Same(i, j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
            out.push(Edit::Del(i));
            i += 1;
        } else {
            out.push(Edit::Add(j));
            j += 1;
        }
    }
    out
}

/// A unified diff from `a` to `b` (`--- a_name`/`+++ b_name` headers, `@@ -a,n +b,m @@` hunks
/// with `context` lines around each change; `-` lines only in `a`, `+` lines only in `b`) of
/// two listings after [`normalise`] and [`renumber_labels`], NOP padding left out (line numbers
/// count the normalised lines). Empty when they are the same.
pub fn unified(a_name: &str, a: &[String], b_name: &str, b: &[String], context: usize) -> String {
    let keep = |l: &String| {
        let n = normalise(l);
        (n != "NOP").then_some(n)
    };
    let na: Vec<String> = a.iter().filter_map(keep).collect();
    let nb: Vec<String> = b.iter().filter_map(keep).collect();
    let (na, nb) = renumber_labels(&na, &nb);
    let script = edit_script(&na, &nb);
    let changed: Vec<usize> = script
        .iter()
        .enumerate()
        .filter(|(_, e)| !matches!(e, Edit::Same(..)))
        .map(|(k, _)| k)
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    // Group changes whose context overlaps into hunks of script indices.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let lo = k.saturating_sub(context);
        let hi = (k + context + 1).min(script.len());
        match hunks.last_mut() {
            Some(h) if lo <= h.1 => h.1 = hi,
            _ => hunks.push((lo, hi)),
        }
    }
    let mut out = format!("--- {a_name}\n+++ {b_name}\n");
    for (lo, hi) in hunks {
        let part = &script[lo..hi];
        // 1-based starting lines and lengths in a and b.
        let a_start = part.iter().find_map(|e| match e {
            Edit::Same(i, _) | Edit::Del(i) => Some(*i),
            Edit::Add(_) => None,
        });
        let b_start = part.iter().find_map(|e| match e {
            Edit::Same(_, j) | Edit::Add(j) => Some(*j),
            Edit::Del(_) => None,
        });
        let a_len = part.iter().filter(|e| !matches!(e, Edit::Add(_))).count();
        let b_len = part.iter().filter(|e| !matches!(e, Edit::Del(_))).count();
        let start = |s: Option<usize>, len: usize| match s {
            Some(s) => s + 1,
            None if len == 0 => 0,
            None => 1,
        };
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n",
            start(a_start, a_len),
            start(b_start, b_len)
        ));
        for e in part {
            match *e {
                Edit::Same(i, _) => out.push_str(&format!(" {}\n", na[i])),
                Edit::Del(i) => out.push_str(&format!("-{}\n", na[i])),
                Edit::Add(j) => out.push_str(&format!("+{}\n", nb[j])),
            }
        }
    }
    out
}

/// How a row of [`aligned`] pairs the two listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// The same line on both sides.
    Same,
    /// A line replaced by another (a deleted and an added line facing each other).
    Changed,
    /// A line only on the left (in `a`).
    Left,
    /// A line only on the right (in `b`).
    Right,
}

/// Two listings aligned for reading side by side, normalised and with their labels renumbered
/// as for [`unified`] (NOP padding left out): one row per line in both, and where the listings
/// differ, the lines only in `a` facing the lines only in `b` (`Changed` rows) until one side
/// runs out.
pub fn aligned(a: &[String], b: &[String]) -> Vec<(Row, String, String)> {
    let keep = |l: &String| {
        let n = normalise(l);
        (n != "NOP").then_some(n)
    };
    let na: Vec<String> = a.iter().filter_map(keep).collect();
    let nb: Vec<String> = b.iter().filter_map(keep).collect();
    let (na, nb) = renumber_labels(&na, &nb);
    let mut rows = Vec::new();
    let (mut dels, mut adds): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
    let flush =
        |rows: &mut Vec<(Row, String, String)>, dels: &mut Vec<usize>, adds: &mut Vec<usize>| {
            for k in 0..dels.len().max(adds.len()) {
                let (l, r) = (dels.get(k), adds.get(k));
                let row = match (l, r) {
                    (Some(_), Some(_)) => Row::Changed,
                    (Some(_), None) => Row::Left,
                    _ => Row::Right,
                };
                rows.push((
                    row,
                    l.map(|&i| na[i].clone()).unwrap_or_default(),
                    r.map(|&j| nb[j].clone()).unwrap_or_default(),
                ));
            }
            dels.clear();
            adds.clear();
        };
    for e in edit_script(&na, &nb) {
        match e {
            Edit::Same(i, j) => {
                flush(&mut rows, &mut dels, &mut adds);
                rows.push((Row::Same, na[i].clone(), nb[j].clone()));
            }
            Edit::Del(i) => dels.push(i),
            Edit::Add(j) => adds.push(j),
        }
    }
    flush(&mut rows, &mut dels, &mut adds);
    rows
}

/// [`aligned`] as text: two columns of `width` characters (longer lines cut with `~`) headed
/// by the names, and between them `|` for a changed line, `<` for one only on the left, `>`
/// only on the right (as `sdiff` marks them).
pub fn side_by_side(
    a_name: &str,
    a: &[String],
    b_name: &str,
    b: &[String],
    width: usize,
) -> String {
    let cell = |s: &str| {
        if s.chars().count() > width {
            let cut: String = s.chars().take(width.saturating_sub(1)).collect();
            format!("{cut}~")
        } else {
            format!("{s:<width$}")
        }
    };
    let mut out = format!("{}   {}\n", cell(a_name), b_name);
    out.push_str(&format!("{}   {}\n", "-".repeat(width), "-".repeat(width)));
    for (row, l, r) in aligned(a, b) {
        let mark = match row {
            Row::Same => ' ',
            Row::Changed => '|',
            Row::Left => '<',
            Row::Right => '>',
        };
        out.push_str(format!("{} {mark} {r}", cell(&l)).trim_end());
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

    #[test]
    fn normalising_strips_offsets_and_encodings() {
        assert_eq!(
            normalise("        /*0150*/              @!P0 LDG.E R5, desc[UR8][R4.64] ; /* 0x0 */"),
            "@!P0 LDG.E R5, desc[UR8][R4.64]"
        );
        assert_eq!(
            normalise("/*02a0*/ @P1 BRA `(.L_x_15) ;"),
            "@P1 BRA `(.L_x_15)"
        );
        assert_eq!(normalise(".L_x_4:"), ".L_x_4:");
    }

    #[test]
    fn labels_are_renumbered_alike_in_both_listings() {
        // The same loop, labelled 4 and 9 in one module and 17 and 20 in another; `b` adds an
        // early exit with a label of its own before the loop.
        let a = lines(
            "/*0000*/ ISETP P0 ;\n/*0010*/ @P0 BRA `(.L_x_9) ;\n.L_x_4:\n/*0020*/ FFMA R1 ;\n\
             /*0030*/ @P1 BRA `(.L_x_4) ;\n.L_x_9:\n/*0040*/ EXIT ;",
        );
        let b = lines(
            "/*0000*/ ISETP P0 ;\n/*0010*/ @P2 BRA `(.L_x_3) ;\n/*0020*/ @P0 BRA `(.L_x_20) ;\n\
             .L_x_17:\n/*0030*/ FFMA R1 ;\n/*0040*/ @P1 BRA `(.L_x_17) ;\n.L_x_20:\n\
             /*0050*/ EXIT ;\n.L_x_3:\n/*0060*/ EXIT ;",
        );
        let d = unified("a", &a, "b", &b, 1);
        assert_eq!(
            d,
            "--- a\n+++ b\n@@ -1,2 +1,3 @@\n ISETP P0\n+@P2 BRA `(.L3)\n @P0 BRA `(.L2)\n\
             @@ -7,1 +8,3 @@\n EXIT\n+.L3:\n+EXIT\n"
        );
        // Unpaired labels differ, paired ones read the same: only real changes light up.
        assert!(
            !d.contains(".L1"),
            "the loop's label is in no changed line: {d}"
        );
        let (ra, rb) = renumber_labels(&a.iter().map(|l| normalise(l)).collect::<Vec<_>>(), &[]);
        assert_eq!(ra[2], ".L1:");
        assert_eq!(ra[1], "@P0 BRA `(.L2)");
        assert!(rb.is_empty());
    }

    #[test]
    fn edit_script_is_a_shortest_one() {
        let a: Vec<char> = "ABCABBA".chars().collect();
        let b: Vec<char> = "CBABAC".chars().collect();
        let s = edit_script(&a, &b);
        let same = s.iter().filter(|e| matches!(e, Edit::Same(..))).count();
        assert_eq!(same, 4, "LCS of ABCABBA and CBABAC has length 4");
        assert_eq!(s.len(), a.len() + b.len() - same);
    }

    #[test]
    fn unified_diff_has_hunks_with_context() {
        let a = lines(
            "/*0000*/ A ;\n/*0010*/ B ;\n/*0020*/ C ;\n/*0030*/ D ;\n/*0040*/ E ;\n/*0050*/ F ;\n/*0060*/ G ;\n/*0070*/ H ;",
        );
        let b = lines(
            "/*0000*/ A ;\n/*0010*/ B ;\n/*0020*/ X ;\n/*0030*/ D ;\n/*0040*/ E ;\n/*0050*/ F ;\n/*0060*/ G ;\n/*0070*/ H ;\n/*0080*/ I ;",
        );
        let d = unified("a", &a, "b", &b, 1);
        assert_eq!(
            d,
            "--- a\n+++ b\n@@ -2,3 +2,3 @@\n B\n-C\n+X\n D\n@@ -8,1 +8,2 @@\n H\n+I\n"
        );
        assert_eq!(unified("a", &a, "a", &a, 3), "");
    }

    #[test]
    fn aligned_rows_pair_changed_lines_and_mark_the_rest() {
        let a = lines("/*0000*/ A ;\n/*0010*/ B ;\n/*0020*/ C ;\n/*0030*/ NOP ;\n/*0040*/ D ;");
        let b = lines(
            "/*0000*/ A ;\n/*0010*/ X ;\n/*0020*/ Y ;\n/*0030*/ Z ;\n/*0040*/ D ;\n/*0050*/ E ;",
        );
        let rows = aligned(&a, &b);
        let kinds: Vec<Row> = rows.iter().map(|r| r.0).collect();
        assert_eq!(
            kinds,
            [
                Row::Same,
                Row::Changed,
                Row::Changed,
                Row::Right,
                Row::Same,
                Row::Right
            ]
        );
        assert_eq!((rows[1].1.as_str(), rows[1].2.as_str()), ("B", "X"));
        assert_eq!(rows[3].1, "");
        let t = side_by_side("a", &a, "b", &b, 4);
        assert_eq!(
            t,
            "a      b\n----   ----\nA      A\nB    | X\nC    | Y\n     > Z\nD      D\n     > E\n"
        );
        let long = side_by_side("a", &lines("/*0000*/ LDG.E.128 R4 ;"), "b", &[], 6);
        assert!(long.contains("LDG.E~ <"), "{long}");
    }
}
