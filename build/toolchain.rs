// Finding a Rust toolchain that can compile `core` for nvptx64 (it needs the library source).
// Included by build.rs, by tests/build_pipeline.rs and by `klab doctor` (host/doctor), so the
// search and its fix-it message are tested without breaking a real build.

/// A rustc + cargo pair whose sysroot carries the standard library source.
#[allow(dead_code)]
pub struct Toolchain {
    pub rustc: std::path::PathBuf,
    pub cargo: std::path::PathBuf,
    pub origin: &'static str,
}

/// A rustc to try, with an optional explicit cargo, and how it was found.
pub struct Candidate {
    pub rustc: std::path::PathBuf,
    pub cargo: Option<std::path::PathBuf>,
    pub origin: &'static str,
}

/// The candidates in the documented order. An explicit `KLAB_KERNEL_RUSTC` is the only
/// candidate when set: a wrong override fails loudly instead of silently using another.
#[allow(dead_code)]
pub fn candidates_from_env(get: impl Fn(&str) -> Option<String>) -> Vec<Candidate> {
    use std::path::PathBuf;
    if let Some(rustc) = get("KLAB_KERNEL_RUSTC") {
        let cargo = get("KLAB_KERNEL_CARGO").map(PathBuf::from);
        return vec![Candidate {
            rustc: PathBuf::from(rustc),
            cargo,
            origin: "KLAB_KERNEL_RUSTC",
        }];
    }
    let mut list = Vec::new();
    if let Some(rustc) = get("RUSTC") {
        list.push(Candidate {
            rustc: PathBuf::from(rustc),
            cargo: None,
            origin: "invoking toolchain",
        });
    }
    for sys in ["/usr/bin/rustc", "/usr/local/bin/rustc"] {
        list.push(Candidate {
            rustc: PathBuf::from(sys),
            cargo: None,
            origin: "system rustc",
        });
    }
    list
}

fn sysroot_of(rustc: &std::path::Path) -> Option<std::path::PathBuf> {
    let out = std::process::Command::new(rustc)
        .arg("--print")
        .arg("sysroot")
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn has_library_source(sysroot: &std::path::Path) -> bool {
    sysroot
        .join("lib/rustlib/src/rust/library/core/Cargo.toml")
        .is_file()
}

/// The first candidate whose sysroot has the library source, or what was tried and why not.
pub fn find_toolchain(candidates: Vec<Candidate>) -> Result<Toolchain, Vec<String>> {
    let mut tried = Vec::new();
    for Candidate {
        rustc,
        cargo,
        origin,
    } in candidates
    {
        let Some(sysroot) = sysroot_of(&rustc) else {
            tried.push(format!("{} ({origin}): does not run", rustc.display()));
            continue;
        };
        if !has_library_source(&sysroot) {
            tried.push(format!(
                "{} ({origin}): sysroot {} has no library source",
                rustc.display(),
                sysroot.display()
            ));
            continue;
        }
        // Call the toolchain's own binaries by path so that rustup's proxies cannot swap them.
        let real_rustc = sysroot.join("bin/rustc");
        let rustc = if real_rustc.is_file() {
            real_rustc
        } else {
            rustc
        };
        let cargo = cargo.unwrap_or_else(|| sysroot.join("bin/cargo"));
        if !cargo.is_file() {
            tried.push(format!(
                "{} ({origin}): no cargo at {}",
                rustc.display(),
                cargo.display()
            ));
            continue;
        }
        return Ok(Toolchain {
            rustc,
            cargo,
            origin,
        });
    }
    Err(tried)
}

/// The message when no candidate works: what was tried, and the exact commands that fix it.
pub fn missing_toolchain_message(tried: &[String]) -> String {
    format!(
        "no Rust toolchain with the standard library source was found, so the kernels cannot be \
         compiled for nvptx64-nvidia-cuda.\n\nTried:\n  {}\n\nFix it with one of:\n  \
         rustup (a machine that can download components):    rustup component add rust-src\n  \
         Debian 12 (system toolchain with its source):        sudo apt-get install rustc-web cargo-web rust-web-src\n  \
         any toolchain with lib/rustlib/src/rust/library:     KLAB_KERNEL_RUSTC=/path/to/bin/rustc cargo build\n",
        tried.join("\n  ")
    )
}
