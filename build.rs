//! kernel-lab's PTX builder (our `cuda_builder`).
//!
//! Compiles the `kernels-gpu` crate for `nvptx64-nvidia-cuda` with rustc's own NVPTX backend,
//! twice, into two PTX modules the host embeds with `include_str!`:
//! - `$OUT_DIR/kernels.ptx`, the **base module**, for `KLAB_PTX_ARCH` (default `sm_80`): every
//!   kernel but the sm_90a ones;
//! - `$OUT_DIR/kernels_sm90a.ptx`, the **sm_90a module** (`-C target-cpu=sm_90a`, PTX ISA 8.0,
//!   `.target sm_90a`): only the kernels declared `kernel! { #[arch(sm_90a)] ... }`, which are
//!   compiled where `cfg(target_feature = "sm_90a")` holds (wgmma, TMA, setmaxnreg).
//!
//! Both builds share the nested target dir, so `core` is compiled once; the second build
//! only type-checks kernels-gpu again and generates code for the sm_90a kernels.
//!
//! The recipe and the reasons for it are in docs/architecture.md §2:
//! `RUSTC_BOOTSTRAP=1 cargo rustc --release --target nvptx64-nvidia-cuda -Zbuild-std=core
//!  -- --emit=asm=OUT.ptx -C target-cpu=sm_XX` with `-Cpanic=immediate-abort`.
//!
//! Toolchain search order (the first that has the library source wins):
//! 1. `KLAB_KERNEL_RUSTC` (and optionally `KLAB_KERNEL_CARGO`): an explicit override, used alone;
//! 2. the toolchain that runs this build (`$RUSTC`), if its sysroot has `lib/rustlib/src/rust/library`;
//! 3. a system rustc that has it (Debian 12: `rustc-web` + `rust-web-src` in `/usr`).
//!
//! Post-processing: each `// klab:launch_bounds NAME T B` comment (from `kernel!` with
//! `#[launch_bounds(T, B)]`) becomes `.maxntid T, 1, 1` / `.minnctapersm B` in entry NAME's
//! header (build/launch_bounds.rs); a marker naming no entry fails the build.
//!
//! Environment: `KLAB_PTX_ARCH` (default `sm_80`: PTX that the driver JITs for Ampere and Hopper).
//! The nested cargo runs with a cleaned environment and its own target dir, `target/kernels-nvptx`,
//! shared by every host profile, so a cold build of `core` for nvptx is paid once.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

include!("build/toolchain.rs");
include!("build/launch_bounds.rs");

const TARGET: &str = "nvptx64-nvidia-cuda";
const DEFAULT_ARCH: &str = "sm_80";
/// The second module's architecture (kernels declared `#[arch(sm_90a)]`).
const SM90A: &str = "sm_90a";
const KERNEL_CRATE: &str = "kernels_gpu";

fn main() {
    let manifest_dir =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let kernel_dir = manifest_dir.join("kernels-gpu");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build");
    println!(
        "cargo:rerun-if-changed={}",
        kernel_dir.join("src").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        kernel_dir.join("Cargo.toml").display()
    );
    for var in ["KLAB_PTX_ARCH", "KLAB_KERNEL_RUSTC", "KLAB_KERNEL_CARGO"] {
        println!("cargo:rerun-if-env-changed={var}");
    }

    let arch = env::var("KLAB_PTX_ARCH").unwrap_or_else(|_| DEFAULT_ARCH.to_string());
    if !is_valid_arch(&arch) {
        fail(&format!(
            "KLAB_PTX_ARCH={arch:?} is not an architecture like sm_80, sm_86 or sm_90"
        ));
    }
    if arch == SM90A {
        // With `target_feature = "sm_90a"` on, the base build would compile the sm_90a
        // kernels and leave out all the others.
        fail(
            "KLAB_PTX_ARCH=sm_90a: the base module must be an architecture without the sm_90a \
             features (sm_80, sm_86, sm_90, ...); the sm_90a kernels have their own module, \
             kernels_sm90a.ptx, built anyway",
        );
    }

    let toolchain = find_toolchain(candidates_from_env(|k| env::var(k).ok()))
        .unwrap_or_else(|tried| fail(&missing_toolchain_message(&tried)));
    let target_dir = nested_target_dir(&manifest_dir, &out_dir);
    build_ptx(
        &toolchain,
        &kernel_dir,
        &target_dir,
        &arch,
        &out_dir.join("kernels.ptx"),
    );
    build_ptx(
        &toolchain,
        &kernel_dir,
        &target_dir,
        SM90A,
        &out_dir.join("kernels_sm90a.ptx"),
    );

    println!("cargo:rustc-env=KLAB_PTX_ARCH={arch}");
    println!(
        "cargo:rustc-env=KLAB_KERNEL_RUSTC={}",
        toolchain.rustc.display()
    );
    println!(
        "cargo:rustc-env=KLAB_KERNEL_TOOLCHAIN_ORIGIN={}",
        toolchain.origin
    );
    println!(
        "cargo:rustc-env=KLAB_KERNEL_RUSTC_VERSION={}",
        rustc_version(&toolchain.rustc)
    );
}

fn is_valid_arch(arch: &str) -> bool {
    let Some(rest) = arch.strip_prefix("sm_") else {
        return false;
    };
    let digits = rest.trim_end_matches('a');
    !digits.is_empty()
        && digits.len() <= 3
        && digits.chars().all(|c| c.is_ascii_digit())
        && rest.len() - digits.len() <= 1
}

/// `target/kernels-nvptx`, found from OUT_DIR (`target/<profile>/build/<pkg>-<hash>/out`).
fn nested_target_dir(manifest_dir: &Path, out_dir: &Path) -> PathBuf {
    let from_out = out_dir.ancestors().nth(4).map(Path::to_path_buf);
    from_out
        .unwrap_or_else(|| manifest_dir.join("target"))
        .join("kernels-nvptx")
}

fn rustc_version(rustc: &Path) -> String {
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn build_ptx(tc: &Toolchain, kernel_dir: &Path, target_dir: &Path, arch: &str, ptx_path: &Path) {
    let emitted = target_dir.join(format!("{KERNEL_CRATE}-{arch}.ptx"));
    let mut cmd = Command::new(&tc.cargo);
    // A clean environment: the outer build's RUSTC, RUSTC_WRAPPER, RUSTC_WORKSPACE_WRAPPER (clippy),
    // RUSTFLAGS, CARGO_TARGET_DIR, CARGO_BUILD_TARGET and RUSTUP_TOOLCHAIN must not leak in.
    cmd.env_clear();
    for keep in [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "CARGO_MAKEFLAGS",
        "TMPDIR",
        "CARGO_NET_OFFLINE",
    ] {
        if let Ok(v) = env::var(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("RUSTC", &tc.rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTFLAGS", "-Zunstable-options -Cpanic=immediate-abort")
        .arg("rustc")
        .arg("--release")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(kernel_dir.join("Cargo.toml"))
        .arg("--target")
        .arg(TARGET)
        .arg("-Zbuild-std=core")
        .arg("--")
        .arg(format!("--emit=asm={}", emitted.display()))
        .arg("-C")
        .arg(format!("target-cpu={arch}"));
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("could not run {}: {e}", tc.cargo.display())));
    if !status.success() {
        fail(&format!(
            "compiling kernels-gpu for {TARGET} ({arch}) with {} ({}) failed; the errors are above",
            tc.rustc.display(),
            tc.origin
        ));
    }
    let ptx = fs::read_to_string(&emitted)
        .unwrap_or_else(|e| fail(&format!("reading {}: {e}", emitted.display())));
    if ptx.contains(".extern .func") {
        fail(
            "the PTX calls an external function (a panic path or an un-inlined core function); ptxas would reject it",
        );
    }
    // `#[launch_bounds(T, B)]` kernels: `// klab:launch_bounds NAME T B` → `.maxntid`/`.minnctapersm`.
    let ptx = apply_launch_bounds(&ptx)
        .unwrap_or_else(|e| fail(&format!("launch bounds in {}: {e}", emitted.display())));
    fs::write(ptx_path, ptx)
        .unwrap_or_else(|e| fail(&format!("writing {}: {e}", ptx_path.display())));
}

fn fail(msg: &str) -> ! {
    eprintln!("\nkernel-lab build: {msg}");
    std::process::exit(1);
}
