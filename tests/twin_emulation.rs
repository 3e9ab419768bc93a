//! CUDA C++ twins' algorithms, emulated on the CPU (no GPU needed): the GEMM twin
//! (`tests/emu/gemm_twin_harness.cpp`, with every step-9 variant) and the half-precision twins
//! of transpose/6 and saxpy/4–5 (`tests/emu/half_twins_harness.cpp`), one `std::thread` per
//! CUDA thread, `std::barrier` for `__syncthreads`. The Rust steps implement the same index
//! algebra line by line, so this catches mapping, edge and barrier mistakes in the design
//! before any GPU run — including paths the GPU tests' aligned buffers never take (misaligned
//! bases). Skips (with one line) without `g++`.

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
    let exe = dir.path().join("emu");
    let out = Command::new("g++")
        .args(["-std=c++20", "-O1", "-pthread", "-w", "-I"])
        .arg(dir.path())
        .arg(format!("{root}/tests/emu/gemm_twin_harness.cpp"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("barrier") && err.contains("No such file") {
            eprintln!(
                "gemm_twin_is_correct_in_cpu_emulation: skipped: g++ without C++20 <barrier>"
            );
            return;
        }
        panic!("compiling the twin emulation failed:\n{err}");
    }
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
}

#[test]
fn half_precision_twins_are_correct_in_cpu_emulation() {
    let name = "half_precision_twins_are_correct_in_cpu_emulation";
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("{name}: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |file: &str| std::fs::read_to_string(format!("{root}/host/ladders/twins/{file}"));
    let (Ok(transpose), Ok(saxpy)) = (read("transpose_bf16.cu"), read("saxpy_half.cu")) else {
        eprintln!("{name}: skipped: no source checkout at {root}");
        return;
    };
    // The harness stands in for the CUDA headers.
    let dir = tempfile::tempdir().unwrap();
    for (file, src, headers) in [
        (
            "transpose_bf16.inc",
            &transpose,
            &["#include <cuda_bf16.h>"][..],
        ),
        (
            "saxpy_half.inc",
            &saxpy,
            &["#include <cuda_bf16.h>", "#include <cuda_fp16.h>"][..],
        ),
    ] {
        let mut text = src.clone();
        for h in headers {
            assert!(text.contains(h), "{file}: the twin no longer has `{h}`");
            text = text.replace(h, "");
        }
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    let exe = dir.path().join("emu");
    let out = Command::new("g++")
        .args([
            "-std=c++20",
            "-O1",
            "-fno-strict-aliasing",
            "-pthread",
            "-w",
            "-I",
        ])
        .arg(dir.path())
        .arg(format!("{root}/tests/emu/half_twins_harness.cpp"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("barrier") && err.contains("No such file") {
            eprintln!("{name}: skipped: g++ without C++20 <barrier>");
            return;
        }
        panic!("compiling the twin emulation failed:\n{err}");
    }
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
}
