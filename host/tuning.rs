//! Stored autotuning results: which kernel variant won for which size, written by
//! `klab tune` and read when a tunable step runs.
//!
//! The file is JSON, `klab-tune.json` in the current directory unless `KLAB_TUNE_FILE` names
//! another: `{"version": 1, "entries": [{"ladder": "gemm", "step": 9, "size": [4096, 4096,
//! 4096], "symbol": "...", "median_ms": ..., "tflops": ..., "device": "...",
//! "compute_capability": [9, 0], "sm_count": 132, "l2_bytes": 52428800}]}`. One entry per
//! ladder, step, size and device name; a new result for the same key replaces the old one.
//!
//! **Which entries apply to a device** ([`TuneFile::closest`]). A winner depends on the
//! chip's SM count, register file and shared memory (same compute capability), and on its L2
//! size; much less on the device's marketing name. So an entry is used, in this order of
//! preference:
//! 1. one tuned on a device of the same name;
//! 2. else one tuned on the same compute capability and SM count, the nearest L2 size first
//!    (an H200 uses an H100 SXM's winners: both sm_90 with 132 SMs);
//! 3. else none: the step's built-in heuristic decides.
//!
//! The file's entries come first, then those of the repository's `klab-tune.json` as it was
//! when `klab` was built ([`BUILTIN`]), so a binary away from the checkout keeps them.
//! Within the chosen tier, the entry of the closest problem size wins. Entries from before
//! these fields existed (no `compute_capability`) match by name only. A committed file thus
//! makes a new GPU of a known chip fast out of the box, without a `klab tune` that names it;
//! caching a first-use tune in the user's cache directory was not chosen, because it would
//! put minutes of tuning, unasked, into someone's first `klab run`.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The default file name, in the current directory.
pub const DEFAULT_FILE: &str = "klab-tune.json";

/// The repository's `klab-tune.json`, built into the binary: the winners measured on the
/// project's GPU hosts, so that a `klab` run anywhere (the GPU bundle, an installed binary)
/// starts from them.
pub const BUILTIN: &str = include_str!("../klab-tune.json");

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
    /// The device's compute capability (major, minor); absent in files from before it was
    /// recorded, whose entries then match by device name only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute_capability: Option<[i32; 2]>,
    /// The device's SM count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sm_count: Option<i32>,
    /// The device's L2 cache size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2_bytes: Option<i64>,
}

/// What [`TuneFile::closest`] matches entries against: the facts of the running device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceKey {
    pub name: String,
    pub compute_capability: [i32; 2],
    pub sm_count: i32,
    pub l2_bytes: i64,
}

impl DeviceKey {
    /// The key of a device as the runtime describes it.
    pub fn of(info: &crate::runtime::DeviceInfo) -> Self {
        Self {
            name: info.name.clone(),
            compute_capability: [info.compute_capability.0, info.compute_capability.1],
            sm_count: info.sm_count,
            l2_bytes: info.l2_bytes as i64,
        }
    }
}

/// How an entry was matched to the device it is used on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeviceMatch {
    /// Tuned on a device of the same name.
    SameName,
    /// Tuned on another device with the same compute capability and SM count.
    SameChip,
}

impl TuneEntry {
    /// Whether `other` is a result for the same ladder, step, size and device.
    fn same_key(&self, other: &TuneEntry) -> bool {
        self.ladder == other.ladder
            && self.step == other.step
            && self.size == other.size
            && self.device == other.device
    }

    /// How this entry applies to `device`, if at all.
    pub fn device_match(&self, device: &DeviceKey) -> Option<DeviceMatch> {
        if self.device == device.name {
            Some(DeviceMatch::SameName)
        } else if self.compute_capability == Some(device.compute_capability)
            && self.sm_count == Some(device.sm_count)
        {
            Some(DeviceMatch::SameChip)
        } else {
            None
        }
    }
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

    /// The entries a tunable step chooses from: those of the file at `path` (a missing file
    /// has none), then the built-in ones ([`BUILTIN`]) that the file does not replace.
    pub fn load_with_builtin(path: &Path) -> Result<Self> {
        let mut file = Self::load(path)?;
        let builtin: Self = serde_json::from_str(BUILTIN).expect("klab-tune.json parses");
        for e in builtin.entries {
            if !file.entries.iter().any(|f| f.same_key(&e)) {
                file.entries.push(e);
            }
        }
        Ok(file)
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
        self.entries.retain(|e| !e.same_key(&entry));
        self.entries.push(entry);
    }

    /// The entry of `ladder`/`step` that applies to `device` (module docs: same name first,
    /// then the same chip, the nearest L2 size first) whose size is closest to `size` (least
    /// squared distance of the logarithms of the dimensions), among those whose symbol `known`
    /// accepts; with how it matched.
    pub fn closest(
        &self,
        ladder: &str,
        step: u32,
        device: &DeviceKey,
        size: &[usize],
        known: impl Fn(&str) -> bool,
    ) -> Option<(&TuneEntry, DeviceMatch)> {
        let l2_distance = |e: &TuneEntry| {
            let l2 = e.l2_bytes.unwrap_or(0).max(1) as f64;
            (l2.ln() - (device.l2_bytes.max(1) as f64).ln()).abs()
        };
        let candidates = self.entries.iter().filter_map(|e| {
            let m = e.device_match(device)?;
            (e.ladder == ladder && e.step == step && e.size.len() == size.len() && known(&e.symbol))
                .then_some((e, m))
        });
        let tier = candidates.clone().map(|(_, m)| m).min()?;
        let tiered = candidates.filter(|&(_, m)| m == tier);
        // Same chip: only entries of the nearest L2 size compete on problem size.
        let nearest_l2 = tiered
            .clone()
            .map(|(e, _)| l2_distance(e))
            .min_by(f64::total_cmp)?;
        tiered
            .filter(|&(e, _)| tier == DeviceMatch::SameName || l2_distance(e) == nearest_l2)
            .min_by(|(a, _), (b, _)| {
                log_distance(&a.size, size).total_cmp(&log_distance(&b.size, size))
            })
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

    fn key(name: &str, cc: [i32; 2], sm_count: i32, l2_bytes: i64) -> DeviceKey {
        DeviceKey {
            name: name.into(),
            compute_capability: cc,
            sm_count,
            l2_bytes,
        }
    }

    fn dev() -> DeviceKey {
        key("dev", [8, 0], 108, 40 << 20)
    }

    fn entry_on(device: &DeviceKey, size: [usize; 3], symbol: &str) -> TuneEntry {
        TuneEntry {
            ladder: "gemm".into(),
            step: 9,
            size: size.to_vec(),
            symbol: symbol.into(),
            median_ms: 1.0,
            tflops: 1.0,
            device: device.name.clone(),
            compute_capability: Some(device.compute_capability),
            sm_count: Some(device.sm_count),
            l2_bytes: Some(device.l2_bytes),
        }
    }

    fn entry(size: [usize; 3], symbol: &str) -> TuneEntry {
        entry_on(&dev(), size, symbol)
    }

    fn pick<'a>(f: &'a TuneFile, device: &DeviceKey, size: [usize; 3]) -> Option<&'a str> {
        f.closest("gemm", 9, device, &size, |_| true)
            .map(|(e, _)| e.symbol.as_str())
    }

    #[test]
    fn another_device_of_the_same_chip_uses_its_entries_the_nearest_l2_first() {
        let h100 = key("NVIDIA H100 80GB HBM3", [9, 0], 132, 50 << 20);
        let h200 = key("NVIDIA H200", [9, 0], 132, 60 << 20);
        let h100_pcie = key("NVIDIA H100 PCIe", [9, 0], 114, 50 << 20);
        let other_l2 = key("sm_90 with a small L2", [9, 0], 132, 20 << 20);
        let mut f = TuneFile::default();
        f.insert(entry_on(&h100, [4096, 4096, 4096], "h100 big"));
        f.insert(entry_on(&h100, [1024, 1024, 1024], "h100 small"));
        f.insert(entry_on(&other_l2, [4096, 4096, 4096], "far l2"));
        f.insert(entry_on(&h100_pcie, [4096, 4096, 4096], "pcie"));
        // No H200 entry: the H100's (same cc and SMs, nearest L2), by problem size.
        let (e, m) = f
            .closest("gemm", 9, &h200, &[4096, 4096, 4096], |_| true)
            .unwrap();
        assert_eq!((e.symbol.as_str(), m), ("h100 big", DeviceMatch::SameChip));
        assert_eq!(pick(&f, &h200, [1000, 1000, 1000]), Some("h100 small"));
        // An H200 entry, once there, wins over every other device's.
        f.insert(entry_on(&h200, [1024, 1024, 1024], "h200 small"));
        let (e, m) = f
            .closest("gemm", 9, &h200, &[4096, 4096, 4096], |_| true)
            .unwrap();
        assert_eq!(
            (e.symbol.as_str(), m),
            ("h200 small", DeviceMatch::SameName)
        );
        // A different SM count (another chip configuration) does not match by chip.
        let a100 = key("NVIDIA A100-SXM4-80GB", [8, 0], 108, 40 << 20);
        assert_eq!(pick(&f, &a100, [4096, 4096, 4096]), None);
        assert_eq!(
            pick(
                &f,
                &key("H100 NVL", [9, 0], 114, 50 << 20),
                [4096, 4096, 4096]
            ),
            Some("pcie")
        );
    }

    /// The committed tune file records each entry's chip, so a new device of a tuned chip (an
    /// H200 with only H100 entries) gets the tuned variants out of the box.
    #[test]
    fn the_committed_tune_file_serves_another_device_of_a_tuned_chip() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = TuneFile::load_with_builtin(&dir.path().join("none.json")).unwrap();
        assert!(
            !f.entries.is_empty(),
            "the built-in entries are there without a file"
        );
        f.entries.retain(|e| e.device != "NVIDIA H200");
        let h200 = key("NVIDIA H200", [9, 0], 132, 60 << 20);
        let (e, m) = f
            .closest("gemm", 9, &h200, &[4096, 4096, 4096], |_| true)
            .expect("an sm_90, 132-SM entry");
        assert_eq!(m, DeviceMatch::SameChip);
        assert_eq!(e.size, [4096, 4096, 4096]);
        assert!(f.entries.iter().all(|e| e.compute_capability.is_some()));
    }

    #[test]
    fn entries_without_device_facts_match_by_name_only() {
        let mut old = entry([4096, 4096, 4096], "old");
        old.compute_capability = None;
        old.sm_count = None;
        old.l2_bytes = None;
        let f = TuneFile {
            version: 1,
            entries: vec![old],
        };
        assert_eq!(pick(&f, &dev(), [4096, 4096, 4096]), Some("old"));
        let same_chip = key("another name", [8, 0], 108, 40 << 20);
        assert_eq!(pick(&f, &same_chip, [4096, 4096, 4096]), None);
        let text = r#"{"version": 1, "entries": [{"ladder": "gemm", "step": 9, "size": [1, 2, 3],
            "symbol": "s", "median_ms": 1.0, "tflops": 1.0, "device": "d"}]}"#;
        let parsed: TuneFile = serde_json::from_str(text).unwrap();
        assert_eq!(parsed.entries[0].compute_capability, None);
    }

    #[test]
    fn closest_size_wins_and_unknown_symbols_are_ignored() {
        let mut f = TuneFile::default();
        f.insert(entry([1024, 1024, 1024], "small"));
        f.insert(entry([4096, 4096, 4096], "big"));
        f.insert(entry([3000, 3000, 3000], "stale"));
        let known = |s: &str| s != "stale";
        let d = dev();
        let sym = |size: &[usize]| {
            f.closest("gemm", 9, &d, size, known)
                .map(|(e, _)| e.symbol.clone())
        };
        assert_eq!(sym(&[4000, 4100, 3900]).as_deref(), Some("big"));
        assert_eq!(sym(&[900, 1000, 1100]).as_deref(), Some("small"));
        assert!(
            f.closest("gemm", 8, &d, &[1024, 1024, 1024], known)
                .is_none()
        );
        let other_chip = key("another GPU", [8, 6], 84, 6 << 20);
        assert!(
            f.closest("gemm", 9, &other_chip, &[1024, 1024, 1024], known)
                .is_none(),
            "entries apply only to the device, or the chip, they were tuned on"
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
