//! CUDA C++ twins' algorithms, emulated on the CPU (no GPU needed): each test compiles a harness
//! in `tests/emu/` with the twin source and runs it (one `std::thread` per CUDA thread,
//! `std::barrier` for `__syncthreads`). The GEMM twin with every step-9 variant (Rust steps 8/9
//! implement the same tile algebra line by line), and the bf16 sum twin (reduce_sum/9's
//! algorithm, line by line), so this catches mapping, edge, alignment and barrier mistakes in
//! the design before any GPU run. Skips (with one line) without `g++`.

use kernels_gpu::gemm::S09_VARIANTS;
use std::process::Command;

#[test]
fn gemm_twin_is_correct_in_cpu_emulation() {
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("gemm_twin_is_correct_in_cpu_emulation: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    // The sources are read from the checkout: a test binary shipped to another machine (the
    // GPU bundle) has none, and skips.
    let Ok(twin) = std::fs::read_to_string(format!("{root}/host/ladders/twins/gemm.cu")) else {
        eprintln!("gemm_twin_is_correct_in_cpu_emulation: skipped: no source checkout at {root}");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shared = "extern __shared__ __align__(16) float klab_twin_smem[];";
    assert!(
        twin.contains(shared),
        "the twin's shared-memory declaration changed"
    );
    std::fs::write(dir.path().join("twin.inc"), twin.replace(shared, "")).unwrap();
    let variants: String = S09_VARIANTS
        .iter()
        .map(|(sym, t)| {
            let twin = sym.replacen("gemm_s09_autotuned", "gemm_twin_s09", 1);
            format!(
                "{{{twin}, {}, {}, {}, {}, {}, \"{twin}\"}},\n",
                t.bm, t.bn, t.bk, t.wm, t.wn
            )
        })
        .collect();
    std::fs::write(dir.path().join("variants.inc"), variants).unwrap();
    let Some(exe) = compile(
        "gemm_twin_is_correct_in_cpu_emulation",
        dir.path(),
        &format!("{root}/tests/emu/gemm_twin_harness.cpp"),
    ) else {
        return;
    };
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
}

/// Compiles `harness` with g++ (C++20, the folder `dir` on the include path, where the test
/// wrote the twin as `twin.inc`); `None` (after a skip line) when g++ has no `<barrier>`.
fn compile(test: &str, dir: &std::path::Path, harness: &str) -> Option<std::path::PathBuf> {
    let exe = dir.join("emu");
    let out = Command::new("g++")
        .args([
            "-std=c++20",
            "-O1",
            "-fno-strict-aliasing",
            "-pthread",
            "-w",
            "-I",
        ])
        .arg(dir)
        .arg(harness)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("barrier") && err.contains("No such file") {
            eprintln!("{test}: skipped: g++ without C++20 <barrier>");
            return None;
        }
        panic!("compiling the twin emulation failed:\n{err}");
    }
    Some(exe)
}

/// The bf16 sum twin's algorithm (reduce_sum/9's, line by line), emulated on the CPU:
/// `tests/emu/reduce_bf16_twin_harness.cpp` with the twin source, less its `cuda_bf16.h`
/// include (the harness defines the bf16 type and conversions). Exact sums of small integers
/// at awkward sizes with every unaligned head, small grids (grid-stride and remainder loops),
/// the last-block finish and counter reset, NaN and +inf anywhere. Skips without `g++`.
#[test]
fn reduce_bf16_twin_is_correct_in_cpu_emulation() {
    let test = "reduce_bf16_twin_is_correct_in_cpu_emulation";
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("{test}: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let Ok(twin) = std::fs::read_to_string(format!("{root}/host/ladders/twins/reduce_bf16.cu"))
    else {
        eprintln!("{test}: skipped: no source checkout at {root}");
        return;
    };
    let include = "#include <cuda_bf16.h>";
    assert!(twin.contains(include), "the twin's include changed");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("twin.inc"), twin.replace(include, "")).unwrap();
    let Some(exe) = compile(
        test,
        dir.path(),
        &format!("{root}/tests/emu/reduce_bf16_twin_harness.cpp"),
    ) else {
        return;
    };
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
}
