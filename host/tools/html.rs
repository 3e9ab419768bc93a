//! A self-contained HTML page of two kernels' SASS side by side (`klab sass A --diff B --html
//! out.html`), for a projector: inline CSS, no scripts, nothing fetched from the network, a
//! large monospace font, changed lines in colour, the summaries and loop mixes on top.

use super::diff::Row;

/// What the page shows.
pub struct DiffPage<'a> {
    /// The heading (`saxpy_s02_grid_stride (saxpy/2) → saxpy_s03_vectorized (saxpy/3) on sm_90`).
    pub title: &'a str,
    /// Preformatted blocks shown above the listings, each with a caption: the summaries side
    /// by side, the loop mixes.
    pub blocks: Vec<(&'a str, String)>,
    /// Column headings of the listings (left = the base).
    pub left: &'a str,
    pub right: &'a str,
    /// The aligned listings ([`super::diff::aligned`]).
    pub rows: &'a [(Row, String, String)],
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "\
body { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 22px;
  margin: 1em; background: #fff; color: #000; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
pre { font-size: 0.9em; background: #f4f4f4; padding: 0.5em; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th { text-align: left; border-bottom: 3px solid #000; padding: 0.2em 0.5em; }
td { white-space: pre; overflow: hidden; text-overflow: ellipsis; padding: 0 0.5em; vertical-align: top; }
td.m { width: 1.5em; text-align: center; font-weight: bold; }
tr.changed td { background: #fff3b0; } tr.left td.l { background: #ffd0d0; }
tr.right td.r { background: #c8f0c8; } tr.label td { font-weight: bold; color: #004c99; }
.legend span { padding: 0 0.4em; margin-right: 1em; }";

/// The page.
pub fn diff_page(p: &DiffPage) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>{}</title>\n", escape(p.title)));
    out.push_str(&format!("<style>\n{CSS}\n</style>\n</head>\n<body>\n"));
    out.push_str(&format!("<h1>{}</h1>\n", escape(p.title)));
    for (caption, text) in &p.blocks {
        out.push_str(&format!(
            "<h2>{}</h2>\n<pre>{}</pre>\n",
            escape(caption),
            escape(text)
        ));
    }
    out.push_str("<h2>Listings</h2>\n<p class=\"legend\">");
    out.push_str("<span style=\"background:#fff3b0\">| changed</span>");
    out.push_str("<span style=\"background:#ffd0d0\">&lt; only left</span>");
    out.push_str("<span style=\"background:#c8f0c8\">&gt; only right</span></p>\n");
    out.push_str(&format!(
        "<table>\n<tr><th>{}</th><th class=\"m\"></th><th>{}</th></tr>\n",
        escape(p.left),
        escape(p.right)
    ));
    for (row, l, r) in p.rows {
        let (class, mark) = match row {
            Row::Same if l.ends_with(':') => ("label", ""),
            Row::Same => ("same", ""),
            Row::Changed => ("changed", "|"),
            Row::Left => ("left", "&lt;"),
            Row::Right => ("right", "&gt;"),
        };
        out.push_str(&format!(
            "<tr class=\"{class}\"><td class=\"l\">{}</td><td class=\"m\">{mark}</td><td class=\"r\">{}</td></tr>\n",
            escape(l),
            escape(r)
        ));
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let rows = vec![
            (Row::Same, ".L1:".to_string(), ".L1:".to_string()),
            (Row::Changed, "LDG.E R4".into(), "LDG.E.128 R4".into()),
            (Row::Left, "@!P0 BRA `(.L2)".into(), String::new()),
            (Row::Right, String::new(), "FFMA R1, R2, R3, R1".into()),
        ];
        let page = diff_page(&DiffPage {
            title: "a → b <sm_90>",
            blocks: vec![("Summary", "registers  10  16  +6".into())],
            left: "a",
            right: "b",
            rows: &rows,
        });
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<title>a → b &lt;sm_90&gt;</title>"));
        assert!(page.contains("<tr class=\"changed\"><td class=\"l\">LDG.E R4</td>"));
        assert!(page.contains("<tr class=\"left\"><td class=\"l\">@!P0 BRA `(.L2)</td>"));
        assert!(page.contains("<tr class=\"label\">"));
        assert!(page.contains("registers  10  16  +6"));
        // Nothing that would reach the network or run code.
        for not in ["http://", "https://", "<script", "<link", "src="] {
            assert!(!page.contains(not), "{not}");
        }
        assert_eq!(page.matches("<tr class=").count(), 4);
    }
}
