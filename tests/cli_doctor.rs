//! `klab doctor` through the real binary: its exit status and what it names, with and without
//! a GPU (without one, it must say the driver is missing and exit 1, never panic).

use std::process::Command;

fn doctor(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")));
    cmd.arg("doctor").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn line<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find(|l| {
            l.trim_start()
                .split_once(' ')
                .is_some_and(|(_, rest)| rest.starts_with(name))
        })
        .unwrap_or_else(|| panic!("no line for {name}:\n{out}"))
}

#[test]
fn without_a_driver_it_names_the_driver_and_exits_1() {
    if kernel_lab::runtime::driver_present() {
        eprintln!("without_a_driver_it_names_the_driver_and_exits_1: skipped: a driver is present");
        return;
    }
    let (code, out, err) = doctor(&[], &[]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(line(&out, "NVIDIA driver").starts_with("  ✗"), "{out}");
    assert!(out.contains("install the NVIDIA driver"), "{out}");
    let main = line(&out, "main job");
    assert!(main.starts_with("  ✗") && main.contains("cargo run --release -- bench"));
    assert!(err.contains("main job (needs NVIDIA driver"), "{err}");
    // The requirements are still stated without a driver to compare with.
    assert!(out.contains("needs a driver for CUDA"), "{out}");
    assert!(out.contains("or newer (the PTX .target)"), "{out}");
}

#[test]
fn json_says_the_same_as_the_exit_status() {
    let (code, out, err) = doctor(&["--json"], &[]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let ready = r["ready"].as_bool().unwrap();
    assert_eq!(code, if ready { 0 } else { 1 }, "{err}");
    let commands = r["commands"].as_array().unwrap();
    let names: Vec<&str> = commands
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tests", "main job"]);
    assert_eq!(r["ptx"]["target"], kernel_lab::ptx::PTX_ARCH);
    let checks = r["checks"].as_array().unwrap();
    for name in [
        "kernel toolchain",
        "ptxas",
        "nvdisasm",
        "cuobjdump",
        "ncu",
        "compute-sanitizer",
        "NVIDIA driver",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name),
            "no check {name}: {out}"
        );
    }
    if !kernel_lab::runtime::driver_present() {
        let main = &commands[1];
        assert_eq!(main["ready"], false);
        let blocked: Vec<&str> = main["blocked_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_str().unwrap())
            .collect();
        assert!(blocked.contains(&"NVIDIA driver"), "{blocked:?}");
    }
}

#[test]
fn a_missing_ptxas_blocks_the_tests_and_says_how_to_install_it() {
    let (code, out, _) = doctor(&[], &[("KLAB_PTXAS", "/nonexistent/ptxas")]);
    assert_eq!(code, 1, "{out}");
    assert!(line(&out, "ptxas").starts_with("  ✗"), "{out}");
    assert!(out.contains("pip install nvidia-cuda-nvcc"), "{out}");
    let tests = line(&out, "tests");
    assert!(
        tests.starts_with("  ✗") && tests.contains("cargo test"),
        "{out}"
    );
}

#[test]
fn a_missing_kernel_toolchain_blocks_both_commands_with_the_fixes() {
    let (code, out, _) = doctor(&[], &[("KLAB_KERNEL_RUSTC", "/nonexistent/rustc")]);
    assert_eq!(code, 1, "{out}");
    assert!(line(&out, "kernel toolchain").starts_with("  ✗"), "{out}");
    assert!(out.contains("rustup component add rust-src"), "{out}");
    assert!(line(&out, "tests").starts_with("  ✗"), "{out}");
    assert!(line(&out, "main job").starts_with("  ✗"), "{out}");
}
