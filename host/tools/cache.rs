//! An on-disk cache of what the tools produce (ptxas's cubin and report, nvdisasm's listing),
//! so that inspecting a kernel a second time runs no tool at all.
//!
//! An entry is keyed by a SHA-256 of everything its content depends on (for ptxas: the PTX
//! text, the architecture, ptxas's version and flags), so a changed kernel, another
//! architecture or another ptxas simply misses; nothing is ever invalidated by hand.
//!
//! Where: `$KLAB_CACHE_DIR`, else the platform's cache folder + `kernel-lab` (Linux:
//! `$XDG_CACHE_HOME/kernel-lab`, else `~/.cache/kernel-lab`), one folder per kind of entry
//! (`ptxas/`, `nvdisasm/`). Entries are small (a kernel's cubin is 10–120 KB, the whole module's
//! 1.5 MB) and never evicted: delete the folder to reclaim the space.
//!
//! Safety: an entry is written to a temporary file in its folder and renamed into place, so a
//! concurrent reader sees the old entry, the new one or none, never half of one. Each entry
//! carries the SHA-256 of its content; one that fails the check (truncated, edited, from
//! another format) is rebuilt and replaced, never an error. A cache that cannot be written
//! (read-only home) only costs the speed-up.
//!
//! `KLAB_CACHE_LOG=1` prints one line per lookup on stderr (`klab cache: hit ptxas ...`).

use crate::error::Result;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first line of every entry; a change of layout changes it.
const MAGIC: &str = "klab-cache 1";

/// A cache key: the SHA-256 of an entry's inputs, in hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The key of `parts`, each length-prefixed so that `["ab", "c"]` and `["a", "bc"]` differ.
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        Key(hex(&h.finalize()))
    }

    /// The key in hex (also the entry's file name).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a lookup went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The entry was there and intact: nothing was run.
    Hit,
    /// No entry: built and stored.
    Miss,
    /// An entry was there but failed its check (the reason): rebuilt and replaced.
    Replaced(String),
}

/// One folder of cache entries.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// A cache in `dir` (created when the first entry is stored).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The user's cache (see the module docs), or `None` when there is no home to put it in.
    pub fn user() -> Option<Self> {
        user_dir(std::env::var_os("KLAB_CACHE_DIR"), dirs::cache_dir()).map(Self::at)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the entry of `kind` (`ptxas`) and `key` lives.
    pub fn entry_path(&self, kind: &str, key: &Key) -> PathBuf {
        self.dir.join(kind).join(key.as_str())
    }

    /// The parts stored under `kind`/`key`, or `make`'s, which are then stored. `make` runs
    /// only when the entry is missing or fails its check; a failure to store is logged (with
    /// `KLAB_CACHE_LOG=1`) and otherwise ignored.
    pub fn get_or_insert_with(
        &self,
        kind: &str,
        key: &Key,
        make: impl FnOnce() -> Result<Vec<Vec<u8>>>,
    ) -> Result<(Vec<Vec<u8>>, Outcome)> {
        let path = self.entry_path(kind, key);
        let outcome = match std::fs::read(&path) {
            Ok(bytes) => match decode(&bytes) {
                Ok(parts) => {
                    log(&format!("hit {kind} {}", path.display()));
                    return Ok((parts, Outcome::Hit));
                }
                Err(why) => Outcome::Replaced(why),
            },
            Err(_) => Outcome::Miss,
        };
        let parts = make()?;
        let stored = store(&path, &encode(&parts));
        log(&match (&outcome, &stored) {
            (_, Err(e)) => format!("miss {kind} {} (not stored: {e})", path.display()),
            (Outcome::Replaced(why), Ok(())) => {
                format!("replaced {kind} {} ({why})", path.display())
            }
            _ => format!("miss {kind} {}", path.display()),
        });
        Ok((parts, outcome))
    }
}

/// `$KLAB_CACHE_DIR`, else `<platform cache folder>/kernel-lab`.
fn user_dir(klab: Option<std::ffi::OsString>, platform: Option<PathBuf>) -> Option<PathBuf> {
    match klab.filter(|d| !d.is_empty()) {
        Some(d) => Some(PathBuf::from(d)),
        None => platform.map(|d| d.join("kernel-lab")),
    }
}

fn log(line: &str) {
    if std::env::var("KLAB_CACHE_LOG").is_ok_and(|v| v == "1") {
        eprintln!("klab cache: {line}");
    }
}

/// `MAGIC\n<n> <len_1> ... <len_n> <sha256 of the parts>\n` then the parts back to back.
fn encode(parts: &[Vec<u8>]) -> Vec<u8> {
    let lens: Vec<String> = parts.iter().map(|p| p.len().to_string()).collect();
    let mut out = format!(
        "{MAGIC}\n{} {} {}\n",
        parts.len(),
        lens.join(" "),
        content_digest(parts)
    )
    .into_bytes();
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

fn content_digest(parts: &[Vec<u8>]) -> String {
    let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Key::of(&slices).0
}

/// The parts of an entry, or why it is not a valid one.
fn decode(bytes: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut lines = bytes.splitn(3, |&b| b == b'\n');
    if lines.next() != Some(MAGIC.as_bytes()) {
        return Err("not a kernel-lab cache entry of this version".into());
    }
    let header = lines
        .next()
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or("no header")?;
    let body = lines.next().ok_or("no content")?;
    let fields: Vec<&str> = header.split(' ').collect();
    let n: usize = fields
        .first()
        .and_then(|f| f.parse().ok())
        .ok_or("bad header")?;
    if fields.len() != n + 2 {
        return Err("bad header".into());
    }
    let lens: Vec<usize> = fields[1..=n]
        .iter()
        .map(|f| f.parse::<usize>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| "bad header")?;
    if lens.iter().sum::<usize>() != body.len() {
        return Err(format!(
            "{} bytes of content, the header says {}",
            body.len(),
            lens.iter().sum::<usize>()
        ));
    }
    let mut parts = Vec::with_capacity(n);
    let mut at = 0;
    for len in lens {
        parts.push(body[at..at + len].to_vec());
        at += len;
    }
    if content_digest(&parts) != fields[n + 1] {
        return Err("content does not match its checksum".into());
    }
    Ok(parts)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, renamed.
fn store(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn parts(texts: &[&str]) -> Vec<Vec<u8>> {
        texts.iter().map(|t| t.as_bytes().to_vec()).collect()
    }

    #[test]
    fn keys_depend_on_every_part_and_its_boundaries() {
        let k = Key::of(&[b"ab", b"c"]);
        assert_eq!(k, Key::of(&[b"ab", b"c"]));
        assert_ne!(k, Key::of(&[b"a", b"bc"]));
        assert_ne!(k, Key::of(&[b"ab", b"d"]));
        assert_eq!(k.as_str().len(), 64);
    }

    #[test]
    fn a_second_lookup_is_a_hit_and_builds_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::of(&[b"x"]);
        let builds = Cell::new(0);
        let make = || {
            builds.set(builds.get() + 1);
            Ok(parts(&["log", "\x7fELF cubin"]))
        };
        let (first, o1) = cache.get_or_insert_with("ptxas", &key, make).unwrap();
        let (second, o2) = cache.get_or_insert_with("ptxas", &key, make).unwrap();
        assert_eq!((o1, o2), (Outcome::Miss, Outcome::Hit));
        assert_eq!(first, second);
        assert_eq!(builds.get(), 1);
        // Another kind is another entry.
        let (_, o3) = cache.get_or_insert_with("nvdisasm", &key, make).unwrap();
        assert_eq!((o3, builds.get()), (Outcome::Miss, 2));
    }

    #[test]
    fn a_corrupt_entry_is_rebuilt_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::of(&[b"y"]);
        let good = parts(&["report", "cubin bytes"]);
        let path = cache.entry_path("ptxas", &key);
        let valid = encode(&good);
        let mut flipped = valid.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let mut old_format = valid.clone();
        old_format[MAGIC.len() - 1] = b'0';
        for bad in [
            b"garbage".to_vec(),
            Vec::new(),
            valid[..valid.len() - 3].to_vec(),
            flipped,
            old_format,
        ] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bad).unwrap();
            let (got, outcome) = cache
                .get_or_insert_with("ptxas", &key, || Ok(good.clone()))
                .unwrap();
            assert!(matches!(outcome, Outcome::Replaced(_)), "{outcome:?}");
            assert_eq!(got, good);
            assert_eq!(std::fs::read(&path).unwrap(), valid, "replaced on disk");
            let (_, again) = cache
                .get_or_insert_with("ptxas", &key, || panic!("must be a hit"))
                .unwrap();
            assert_eq!(again, Outcome::Hit);
        }
    }

    #[test]
    fn a_failed_build_stores_nothing_and_an_unwritable_cache_still_answers() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::of(&[b"z"]);
        let err = cache.get_or_insert_with("ptxas", &key, || {
            Err(crate::Error::Other("ptxas failed".into()))
        });
        assert!(err.is_err());
        assert!(!cache.entry_path("ptxas", &key).exists());
        // A file where the cache folder should be: nothing can be stored, the value is returned.
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, b"").unwrap();
        let (got, outcome) = Cache::at(&blocked)
            .get_or_insert_with("ptxas", &key, || Ok(parts(&["a"])))
            .unwrap();
        assert_eq!((got, outcome), (parts(&["a"]), Outcome::Miss));
    }

    #[test]
    fn concurrent_writers_leave_one_whole_entry() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::of(&[b"shared"]);
        let big = vec![7u8; 1 << 20];
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (cache, key, big) = (Cache::at(dir.path()), key.clone(), big.clone());
                s.spawn(move || {
                    let (got, _) = cache
                        .get_or_insert_with("ptxas", &key, || Ok(vec![big.clone()]))
                        .unwrap();
                    assert_eq!(got, vec![big]);
                });
            }
        });
        let (_, outcome) = Cache::at(dir.path())
            .get_or_insert_with("ptxas", &key, || panic!("must be a hit"))
            .unwrap();
        assert_eq!(outcome, Outcome::Hit);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("ptxas"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn the_user_cache_is_klab_cache_dir_else_the_platform_folder() {
        let platform = Some(PathBuf::from("/home/u/.cache"));
        assert_eq!(
            user_dir(Some("/tmp/k".into()), platform.clone()),
            Some(PathBuf::from("/tmp/k"))
        );
        assert_eq!(
            user_dir(None, platform.clone()),
            Some(PathBuf::from("/home/u/.cache/kernel-lab"))
        );
        assert_eq!(
            user_dir(Some("".into()), platform),
            Some(PathBuf::from("/home/u/.cache/kernel-lab")),
            "an empty KLAB_CACHE_DIR is unset"
        );
        assert_eq!(user_dir(None, None), None);
    }
}
