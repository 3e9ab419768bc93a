//! Stored autotuning results: which kernel variant won for which size, written by
//! `klab tune` and read when a tunable step runs.
//!
//! The file is JSON, `klab-tune.json` in the current directory unless `KLAB_TUNE_FILE` names
//! another: `{"version": 1, "entries": [{"ladder": "gemm", "step": 9, "size": [4096, 4096,
//! 4096], "symbol": "...", "median_ms": ..., "tflops": ..., "device": "..."}]}`. One entry per
//! ladder, step, size and device name; a new result for the same key replaces the old one.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The default file name, in the current directory.
pub const DEFAULT_FILE: &str = "klab-tune.json";

/// One stored winner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuneEntry {
    pub ladder: String,
    pub step: u32,
    pub size: Vec<usize>,
    pub symbol: String,
    pub median_ms: f64,
    pub tflops: f64,
    pub device: String,
}

/// The whole file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TuneFile {
    pub version: u32,
    pub entries: Vec<TuneEntry>,
}

/// `KLAB_TUNE_FILE`, or [`DEFAULT_FILE`] in the current directory.
pub fn tune_path() -> PathBuf {
    std::env::var_os("KLAB_TUNE_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_FILE))
}

impl TuneFile {
    /// Reads `path`; a missing file is an empty one, a malformed one an error naming it.
    pub fn load(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(Error::File {
                    path: path.display().to_string(),
                    why: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| Error::File {
            path: path.display().to_string(),
            why: format!("not a kernel-lab tune file: {e}"),
        })
    }

    /// Writes the file (pretty JSON).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("tune file serializes");
        std::fs::write(path, text + "\n").map_err(|e| Error::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })
    }

    /// Adds `entry`, replacing an entry of the same ladder, step, size and device.
    pub fn insert(&mut self, entry: TuneEntry) {
        self.version = 1;
        self.entries.retain(|e| {
            !(e.ladder == entry.ladder
                && e.step == entry.step
                && e.size == entry.size
                && e.device == entry.device)
        });
        self.entries.push(entry);
    }

    /// The entry of `ladder`/`step` tuned on `device` (a winner on one GPU says nothing about
    /// another) whose size is closest to `size` (least squared distance of the logarithms of
    /// the dimensions), among those whose symbol `known` accepts.
    pub fn closest(
        &self,
        ladder: &str,
        step: u32,
        device: &str,
        size: &[usize],
        known: impl Fn(&str) -> bool,
    ) -> Option<&TuneEntry> {
        self.entries
            .iter()
            .filter(|e| {
                e.ladder == ladder
                    && e.step == step
                    && e.device == device
                    && e.size.len() == size.len()
                    && known(&e.symbol)
            })
            .min_by(|a, b| log_distance(&a.size, size).total_cmp(&log_distance(&b.size, size)))
    }
}

fn log_distance(a: &[usize], b: &[usize]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| ((x.max(1) as f64).ln() - (y.max(1) as f64).ln()).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(size: [usize; 3], symbol: &str) -> TuneEntry {
        TuneEntry {
            ladder: "gemm".into(),
            step: 9,
            size: size.to_vec(),
            symbol: symbol.into(),
            median_ms: 1.0,
            tflops: 1.0,
            device: "dev".into(),
        }
    }

    #[test]
    fn closest_size_wins_and_unknown_symbols_are_ignored() {
        let mut f = TuneFile::default();
        f.insert(entry([1024, 1024, 1024], "small"));
        f.insert(entry([4096, 4096, 4096], "big"));
        f.insert(entry([3000, 3000, 3000], "stale"));
        let known = |s: &str| s != "stale";
        assert_eq!(
            f.closest("gemm", 9, "dev", &[4000, 4100, 3900], known)
                .unwrap()
                .symbol,
            "big"
        );
        assert_eq!(
            f.closest("gemm", 9, "dev", &[900, 1000, 1100], known)
                .unwrap()
                .symbol,
            "small"
        );
        assert!(
            f.closest("gemm", 8, "dev", &[1024, 1024, 1024], known)
                .is_none()
        );
        assert!(
            f.closest("gemm", 9, "another GPU", &[1024, 1024, 1024], known)
                .is_none(),
            "entries apply only to the device they were tuned on"
        );
    }

    #[test]
    fn insert_replaces_the_same_key_and_round_trips() {
        let mut f = TuneFile::default();
        f.insert(entry([1024, 1024, 1024], "a"));
        f.insert(entry([1024, 1024, 1024], "b"));
        assert_eq!(f.entries.len(), 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        f.save(&path).unwrap();
        assert_eq!(TuneFile::load(&path).unwrap(), f);
        assert_eq!(
            TuneFile::load(&dir.path().join("none.json")).unwrap(),
            TuneFile::default()
        );
    }
}
