//! build.rs's search for the kernel toolchain (a rustc with the standard library source), run
//! again now: can this machine rebuild the kernels?

#![allow(dead_code)]

include!(concat!(env!("CARGO_MANIFEST_DIR"), "/build/toolchain.rs"));

/// The toolchain `cargo build` would find here, with its `rustc --version`, or what was
/// tried. Without `RUSTC` in the environment (a build script gets it from cargo), the rustc
/// on PATH stands for the invoking toolchain.
pub fn find_now() -> Result<(Toolchain, String), Vec<String>> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !is_cargo_echo(k, v));
    let mut candidates = candidates_from_env(get);
    if get("KLAB_KERNEL_RUSTC").is_none() && get("RUSTC").is_none() {
        candidates.insert(
            0,
            Candidate {
                rustc: "rustc".into(),
                cargo: None,
                origin: "rustc on PATH",
            },
        );
    }
    let tc = find_toolchain(candidates)?;
    let version = std::process::Command::new(&tc.rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "rustc (version unknown)".into());
    Ok((tc, version))
}

/// Whether `KLAB_KERNEL_RUSTC=value` is cargo passing on build.rs's `rustc-env` record of the
/// rustc it found (under `cargo run` / `cargo test`) rather than a user's override.
fn is_cargo_echo(key: &str, value: &str) -> bool {
    key == "KLAB_KERNEL_RUSTC"
        && value == crate::ptx::KERNEL_RUSTC
        && crate::ptx::KERNEL_TOOLCHAIN_ORIGIN != "KLAB_KERNEL_RUSTC"
}
