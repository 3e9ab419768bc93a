//! A private temporary folder for a tool's input and output files, removed on drop.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A fresh `klab-*` folder under the system's temporary directory.
pub struct TempDir(tempfile::TempDir);

impl TempDir {
    /// Creates the folder.
    pub fn new() -> Result<Self> {
        tempfile::Builder::new()
            .prefix("klab-")
            .tempdir()
            .map(TempDir)
            .map_err(|e| Error::File {
                path: std::env::temp_dir().display().to_string(),
                why: format!("creating a temporary folder: {e}"),
            })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `bytes` to `name` inside the folder and returns its path.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        let p = self.path().join(name);
        std::fs::write(&p, bytes).map_err(|e| Error::File {
            path: p.display().to_string(),
            why: e.to_string(),
        })?;
        Ok(p)
    }
}
