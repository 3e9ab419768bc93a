//! Finding NVIDIA's command-line tools, in order: the tool's own override (`KLAB_PTXAS`,
//! `KLAB_NVDISASM`, `KLAB_CUOBJDUMP`, `KLAB_NCU`, `KLAB_COMPUTE_SANITIZER`: the executable),
//! `KLAB_CUDA_BIN` (a folder),
//! `PATH`, `$CUDA_HOME/bin`, `$CUDA_PATH/bin`, `/usr/local/cuda/bin`, and the pip wheels
//! (`nvidia-cuda-nvcc`, `nvidia-cuda-nvdisasm`, `nvidia-cuda-cuobjdump`: `<nvidia>/cu13/bin`
//! or `<nvidia>/cuda_nvcc/bin` for each folder of python3's `nvidia` namespace package).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// A tool kernel-lab runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    Ptxas,
    Nvdisasm,
    Cuobjdump,
    Ncu,
    ComputeSanitizer,
}

impl Tool {
    /// The executable's name.
    pub fn exe(self) -> &'static str {
        match self {
            Tool::Ptxas => "ptxas",
            Tool::Nvdisasm => "nvdisasm",
            Tool::Cuobjdump => "cuobjdump",
            Tool::Ncu => "ncu",
            Tool::ComputeSanitizer => "compute-sanitizer",
        }
    }

    /// The environment variable naming the executable directly.
    pub fn env_override(self) -> &'static str {
        match self {
            Tool::Ptxas => "KLAB_PTXAS",
            Tool::Nvdisasm => "KLAB_NVDISASM",
            Tool::Cuobjdump => "KLAB_CUOBJDUMP",
            Tool::Ncu => "KLAB_NCU",
            Tool::ComputeSanitizer => "KLAB_COMPUTE_SANITIZER",
        }
    }

    /// How to install the tool, one sentence.
    pub fn install_hint(self) -> String {
        let pip = match self {
            Tool::Ptxas => Some("nvidia-cuda-nvcc"),
            Tool::Nvdisasm => Some("nvidia-cuda-nvdisasm"),
            Tool::Cuobjdump => Some("nvidia-cuda-cuobjdump"),
            Tool::Ncu | Tool::ComputeSanitizer => None,
        };
        match pip {
            Some(wheel) => format!(
                "install it with `python3 -m pip install {wheel}` (or all three: \
                 `python3 -m pip install nvidia-cuda-nvcc nvidia-cuda-nvdisasm \
                 nvidia-cuda-cuobjdump`) or the CUDA toolkit, or point {} at the executable \
                 or KLAB_CUDA_BIN at its folder",
                self.env_override()
            ),
            None => format!(
                "install {} (part of the CUDA toolkit) and put `{}` on PATH, or point {} at \
                 the executable or KLAB_CUDA_BIN at its folder",
                if self == Tool::Ncu {
                    "Nsight Compute"
                } else {
                    "Compute Sanitizer"
                },
                self.exe(),
                self.env_override()
            ),
        }
    }
}

/// The tool's path, or [`Error::Tool`] naming where it looked and how to install it.
pub fn find(tool: Tool) -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(tool.env_override()) {
        let p = PathBuf::from(p);
        return if is_executable(&p) {
            Ok(p)
        } else {
            Err(Error::Tool {
                tool: tool.exe().into(),
                why: format!(
                    "{}={} is not an executable file",
                    tool.env_override(),
                    p.display()
                ),
            })
        };
    }
    candidate_dirs()
        .into_iter()
        .map(|d| d.join(tool.exe()))
        .find(|p| is_executable(p))
        .ok_or_else(|| Error::Tool {
            tool: tool.exe().into(),
            why: format!(
                "not found (looked in KLAB_CUDA_BIN, PATH, CUDA_HOME, CUDA_PATH, \
                 /usr/local/cuda/bin and python3's nvidia wheels); {}",
                tool.install_hint()
            ),
        })
}

/// Folders searched after the tool's own override, in order.
pub fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("KLAB_CUDA_BIN") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    for var in ["CUDA_HOME", "CUDA_PATH"] {
        if let Some(d) = std::env::var_os(var) {
            dirs.push(PathBuf::from(d).join("bin"));
        }
    }
    dirs.push(PathBuf::from("/usr/local/cuda/bin"));
    for root in wheel_roots() {
        dirs.push(root.join("cu13").join("bin"));
        dirs.push(root.join("cuda_nvcc").join("bin"));
    }
    dirs
}

/// The folders of python3's `nvidia` namespace package (asked once per process).
pub fn wheel_roots() -> &'static [PathBuf] {
    static ROOTS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        const ASK: &str = "import nvidia\nfor p in nvidia.__path__: print(p)";
        for python in ["python3", "python"] {
            if let Ok(out) = Command::new(python).args(["-c", ASK]).output()
                && out.status.success()
            {
                return String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(PathBuf::from)
                    .collect();
            }
        }
        Vec::new()
    })
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// The tool's version line (from `--version`: `Cuda compilation tools, release 13.5,
/// V13.5.37`, `Version 2025.3.1.0 (build ...)`), asked once per process and executable.
pub fn version(tool: Tool, path: &Path) -> Result<String> {
    static SEEN: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    if let Some(v) = seen.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        return Ok(v.clone());
    }
    let (out, _) = run(tool, path, &["--version".as_ref()])?;
    let v = version_line(&out).to_string();
    seen.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), v.clone());
    Ok(v)
}

/// The line of a `--version` output that names the release: the one saying `release` (the
/// compiler tools), else the one starting with `Version` (Nsight tools), else the last.
pub fn version_line(out: &str) -> &str {
    let lines = || out.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.contains("release"))
        .or_else(|| lines().find(|l| l.starts_with("Version")))
        .or_else(|| lines().next_back())
        .unwrap_or("")
}

/// Runs a tool and returns its stdout and stderr, or [`Error::Tool`] with its stderr when it
/// fails.
pub fn run(tool: Tool, path: &Path, args: &[&std::ffi::OsStr]) -> Result<(String, String)> {
    let out = Command::new(path)
        .args(args)
        .output()
        .map_err(|e| Error::Tool {
            tool: tool.exe().into(),
            why: format!("could not run {}: {e}", path.display()),
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let msg = if stderr.trim().is_empty() {
            stdout.trim()
        } else {
            stderr.trim()
        };
        return Err(Error::Tool {
            tool: tool.exe().into(),
            why: format!("{} failed ({}): {msg}", path.display(), out.status),
        });
    }
    Ok((stdout, stderr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_wheels_and_the_override() {
        let h = Tool::Ptxas.install_hint();
        assert!(h.contains("python3 -m pip install nvidia-cuda-nvcc"), "{h}");
        assert!(
            h.contains("KLAB_PTXAS") && h.contains("KLAB_CUDA_BIN"),
            "{h}"
        );
        assert!(Tool::Ncu.install_hint().contains("Nsight Compute"));
        let s = Tool::ComputeSanitizer.install_hint();
        assert!(s.contains("Compute Sanitizer") && s.contains("KLAB_COMPUTE_SANITIZER"));
    }

    #[test]
    fn version_lines_of_the_compiler_and_the_nsight_tools() {
        let ptxas = "ptxas: NVIDIA (R) Ptx optimizing assembler\nCopyright (c) 2005-2026 NVIDIA \
                     Corporation\nBuilt on Mon_Oct_12_19:25:48_PDT_2026\nCuda compilation tools, \
                     release 13.5, V13.5.37\nBuild cuda_13.5.r13.5/compiler.39125733_0\n";
        assert_eq!(
            version_line(ptxas),
            "Cuda compilation tools, release 13.5, V13.5.37"
        );
        let sanitizer = "NVIDIA (R) Compute Sanitizer\nCopyright (c) 2020-2025 NVIDIA Corporation\n\
             Version 2025.3.1 (build 36484427)\n";
        assert_eq!(version_line(sanitizer), "Version 2025.3.1 (build 36484427)");
        assert_eq!(version_line("1.0\n\n"), "1.0");
        assert_eq!(version_line(""), "");
    }

    #[test]
    fn searches_the_usual_places() {
        let dirs = candidate_dirs();
        assert!(dirs.contains(&PathBuf::from("/usr/local/cuda/bin")));
    }
}
