//! A unified diff of two SASS listings, on normalised lines: offsets, encodings and label
//! numbers stripped, whitespace collapsed, so only the instructions themselves differ.

/// Normalises one listing line: `/*0150*/  @!P0 LDG.E R5, desc[UR8][R4.64] ; /* 0x.. */` becomes
/// `@!P0 LDG.E R5, desc[UR8][R4.64]`, and label numbers `.L_x_17` become `.L`.
pub fn normalise(line: &str) -> String {
    let mut t = line.trim();
    if let Some(rest) = t.strip_prefix("/*")
        && let Some((_, after)) = rest.split_once("*/")
    {
        t = after;
    }
    let t = t.split("/*").next().unwrap_or(t);
    let t = t.trim().trim_end_matches(';').trim();
    let collapsed = t.split_whitespace().collect::<Vec<_>>().join(" ");
    strip_label_numbers(&collapsed)
}

fn strip_label_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(".L_x_") {
        out.push_str(&rest[..i]);
        out.push_str(".L");
        rest = rest[i + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
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

/// A unified diff (`---`/`+++` headers, `@@ -a,n +b,m @@` hunks with `context` lines around
/// each change) of two listings after [`normalise`], NOP padding left out (line numbers count
/// the normalised lines). Empty when they are the same.
pub fn unified(a_name: &str, a: &[String], b_name: &str, b: &[String], context: usize) -> String {
    let keep = |l: &String| {
        let n = normalise(l);
        (n != "NOP").then_some(n)
    };
    let na: Vec<String> = a.iter().filter_map(keep).collect();
    let nb: Vec<String> = b.iter().filter_map(keep).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn normalising_strips_offsets_encodings_and_label_numbers() {
        assert_eq!(
            normalise("        /*0150*/              @!P0 LDG.E R5, desc[UR8][R4.64] ; /* 0x0 */"),
            "@!P0 LDG.E R5, desc[UR8][R4.64]"
        );
        assert_eq!(normalise("/*02a0*/ @P1 BRA `(.L_x_15) ;"), "@P1 BRA `(.L)");
        assert_eq!(normalise(".L_x_4:"), ".L:");
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
}
