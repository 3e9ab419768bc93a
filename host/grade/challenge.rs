//! Challenge files (`challenges/*.toml`) and the results an instructor ranks.
//!
//! A challenge file is one flat TOML table (docs/course/challenge.md):
//!
//! ```toml
//! name = "challenge-reduce"        # also the kernel slot: kernels-gpu/src/exercises/challenge_reduce.rs
//! op = "reduce_sum"                # the ladder whose reference, case and launch are used
//! baseline = 5                     # the step the speed-up is measured against
//! shapes = ["1", "31", "4099", "1000003"]   # checked for correctness (besides the timing shape)
//! timing_shape = "67108864"        # where speed is measured
//! target_speedup = 1.6             # and/or target_pct_of_ceiling = 85
//! time_budget_s = 120              # the whole grade must finish within this
//! ```
//!
//! Only `key = value` lines (strings, numbers, arrays of strings) and `#` comments: the subset
//! the files need, parsed here (no TOML dependency). `klab grade --challenge FILE --json OUT`
//! writes the card with a `challenge` record; `klab grade --rank OUT...` ranks such files.

use super::{Card, Goal, Options};
use crate::error::{Error, Result};
use crate::ladder::Ladder;
use crate::shape::Shape;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One challenge, as its file says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenge {
    /// The challenge's name: also its kernel slot in the exercise table.
    pub name: String,
    /// The ladder (`reduce_sum`).
    pub op: String,
    /// The baseline step.
    pub baseline: u32,
    /// Shapes checked for correctness (`N`, `RxC`, as `--size` takes them).
    pub shapes: Vec<String>,
    /// The shape speed is measured at.
    pub timing_shape: String,
    /// Speed-up over the baseline to reach.
    #[serde(default)]
    pub target_speedup: Option<f64>,
    /// Percentage of the ladder's ceiling to reach.
    #[serde(default)]
    pub target_pct_of_ceiling: Option<f64>,
    /// Wall-clock seconds the whole grade may take.
    pub time_budget_s: f64,
    /// One line for the instructor's table.
    #[serde(default)]
    pub description: Option<String>,
}

/// Parses one flat TOML table into JSON values (strings, numbers, arrays of them).
pub fn parse_flat_toml(
    text: &str,
    path: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let bad = |line: usize, why: &str| Error::File {
        path: path.to_string(),
        why: format!("line {line}: {why}"),
    };
    let mut out = serde_json::Map::new();
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| bad(i + 1, "expected `key = value`"))?;
        let key = key.trim();
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(bad(i + 1, "a key is letters, digits and _"));
        }
        let value = parse_value(value.trim()).ok_or_else(|| {
            bad(
                i + 1,
                "a value is a \"string\", a number or an array [\"a\", \"b\"]",
            )
        })?;
        if out.insert(key.to_string(), value).is_some() {
            return Err(bad(i + 1, &format!("{key} given twice")));
        }
    }
    Ok(out)
}

/// The line without a `#` comment (a `#` inside a string is kept).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => {}
        }
    }
    line
}

fn parse_value(v: &str) -> Option<serde_json::Value> {
    if let Some(s) = v.strip_prefix('"') {
        let s = s.strip_suffix('"')?;
        return (!s.contains('"')).then(|| serde_json::Value::String(s.to_string()));
    }
    if let Some(items) = v.strip_prefix('[') {
        let items = items.strip_suffix(']')?.trim();
        if items.is_empty() {
            return Some(serde_json::Value::Array(Vec::new()));
        }
        let values: Option<Vec<_>> = items
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_value)
            .collect();
        return values.map(serde_json::Value::Array);
    }
    let n: f64 = v.replace('_', "").parse().ok()?;
    serde_json::Number::from_f64(n).map(|n| {
        if n.as_f64()
            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9e15)
        {
            serde_json::Value::Number((n.as_f64().unwrap() as i64).into())
        } else {
            serde_json::Value::Number(n)
        }
    })
}

impl Challenge {
    /// Reads and checks a challenge file.
    pub fn load(path: &Path) -> Result<Self> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::File {
            path: p.clone(),
            why: e.to_string(),
        })?;
        Self::parse(&text, &p)
    }

    /// Parses and checks a challenge file's text (`path` names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<Self> {
        let table = parse_flat_toml(text, path)?;
        let c: Challenge =
            serde_json::from_value(serde_json::Value::Object(table)).map_err(|e| Error::File {
                path: path.to_string(),
                why: e.to_string(),
            })?;
        if c.target_speedup.is_none() && c.target_pct_of_ceiling.is_none() {
            return Err(Error::File {
                path: path.to_string(),
                why: "a challenge needs target_speedup or target_pct_of_ceiling".into(),
            });
        }
        Ok(c)
    }

    /// The goal the grade checks (a percentage of the ceiling when both are given: the
    /// speed-up is then reported).
    pub fn goal(&self) -> Goal {
        match (self.target_pct_of_ceiling, self.target_speedup) {
            (Some(p), _) => Goal::PercentOfCeiling(p),
            (None, Some(x)) => Goal::Speedup(x),
            (None, None) => Goal::Reported,
        }
    }

    /// The grading options of this challenge (`seed` for the inputs).
    pub fn options(&self, ladder: &dyn Ladder, seed: u64) -> Result<Options> {
        let shapes = self
            .shapes
            .iter()
            .map(|s| ladder.parse_shape(s))
            .collect::<Result<Vec<Shape>>>()?;
        Ok(Options {
            seed,
            shapes: Some(shapes),
            timing_shape: Some(ladder.parse_shape(&self.timing_shape)?),
            goal: Some(self.goal()),
            baseline: Some(self.baseline),
            ..Options::new()
        })
    }
}

/// A challenge result: the card, the challenge, who, and the score it is ranked by.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub learner: String,
    pub challenge: String,
    pub passed: bool,
    /// Speed-up over the baseline (higher is better); `None` without a GPU.
    pub speedup: Option<f64>,
    pub pct_of_ceiling: Option<f64>,
    pub median_ms: Option<f64>,
    pub within_budget: bool,
    pub reasons: Vec<String>,
    pub device: String,
    pub commit: String,
    /// The whole card, as `klab grade --json` writes it.
    pub card: serde_json::Value,
}

impl Entry {
    /// The result of `card` for `challenge` by `learner`.
    pub fn of(card: &Card, challenge: &Challenge, learner: &str) -> Result<Self> {
        let within_budget = card.seconds <= challenge.time_budget_s;
        let mut reasons = card.reasons.clone();
        if !within_budget {
            reasons.push(format!(
                "the grade took {:.0} s, over the challenge's time budget of {} s",
                card.seconds, challenge.time_budget_s
            ));
        }
        Ok(Self {
            learner: learner.to_string(),
            challenge: challenge.name.clone(),
            passed: card.passed() && within_budget,
            speedup: card.speed.speedup,
            pct_of_ceiling: card.speed.pct_of_ceiling,
            median_ms: card.speed.answer.as_ref().map(|t| t.median_ms),
            within_budget,
            reasons,
            device: card.device.clone(),
            commit: card.commit.clone(),
            card: serde_json::to_value(card).map_err(|e| Error::Other(e.to_string()))?,
        })
    }
}

/// Reads result files.
pub fn read_entries(paths: &[std::path::PathBuf]) -> Result<Vec<Entry>> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| Error::File {
                path: p.display().to_string(),
                why: e.to_string(),
            })?;
            serde_json::from_str(&text).map_err(|e| Error::File {
                path: p.display().to_string(),
                why: format!("not a `klab grade --challenge ... --json` result: {e}"),
            })
        })
        .collect()
}

/// The ranking: per challenge, passed entries first, then by speed-up (highest first).
pub fn rank(mut entries: Vec<Entry>) -> Vec<Entry> {
    entries.sort_by(|a, b| {
        a.challenge
            .cmp(&b.challenge)
            .then(b.passed.cmp(&a.passed))
            .then(
                b.speedup
                    .unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&a.speedup.unwrap_or(f64::NEG_INFINITY)),
            )
    });
    entries
}

/// The ranking as a table.
pub fn rank_table(entries: &[Entry]) -> String {
    let mut out = format!(
        "{:<20} {:>4} {:<16} {:<7} {:>9} {:>8} {:>11}  {}\n",
        "challenge", "rank", "learner", "passed", "speed-up", "% ceil", "median ms", "device"
    );
    let mut rank = 0;
    let mut last = "";
    for e in entries {
        if e.challenge != last {
            rank = 0;
            last = &e.challenge;
        }
        rank += 1;
        let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |v| format!("{v:.p$}"));
        out.push_str(&format!(
            "{:<20} {:>4} {:<16} {:<7} {:>9} {:>8} {:>11}  {}\n",
            e.challenge,
            rank,
            e.learner,
            if e.passed { "yes" } else { "no" },
            f(e.speedup, 2),
            f(e.pct_of_ceiling, 1),
            f(e.median_ms, 4),
            e.device
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_toml_parses_strings_numbers_arrays_and_comments() {
        let t = parse_flat_toml(
            "# c\nname = \"a#b\" # tail\nn = 1_000\nx = 1.5\nv = [\"1\", \"2x3\"]\n",
            "t",
        )
        .unwrap();
        assert_eq!(t["name"], "a#b");
        assert_eq!(t["n"], 1000);
        assert_eq!(t["x"], 1.5);
        assert_eq!(t["v"][1], "2x3");
        for bad in [
            "x",
            "a = ",
            "a = \"x",
            "a = [1, \"",
            "a b = 1",
            "a = 1\na = 2",
        ] {
            assert!(parse_flat_toml(bad, "t").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_challenge_needs_a_target_and_known_keys() {
        let ok = "name = \"c\"\nop = \"transpose\"\nbaseline = 3\nshapes = [\"31x33\"]\n\
                  timing_shape = \"8192x8192\"\ntarget_pct_of_ceiling = 85\ntime_budget_s = 60\n";
        let c = Challenge::parse(ok, "c.toml").unwrap();
        assert_eq!(c.goal(), Goal::PercentOfCeiling(85.0));
        let none = ok.replace("target_pct_of_ceiling = 85\n", "");
        assert!(Challenge::parse(&none, "c.toml").is_err());
        let typo = ok.replace("baseline", "basline");
        assert!(Challenge::parse(&typo, "c.toml").is_err());
    }
}
