//! The GEMM CUDA C++ twin's algorithm, emulated on the CPU (no GPU needed): compiles
//! `tests/emu/gemm_twin_harness.cpp` with the twin source and every step-9 variant, and runs it
//! (one `std::thread` per CUDA thread, `std::barrier` for `__syncthreads`). Rust steps 8/9
//! implement the same tile algebra line by line, so this catches mapping, edge and barrier
//! mistakes in the design before any GPU run. Skips (with one line) without `g++`.

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

/// The bf16 GEMM twin (gemm_bf16/4 line by line) in CPU emulation, with its PTX primitives
/// (cp.async, ldmatrix, mma, st.shared) emulated from the PTX ISA
/// (`tests/emu/gemm_bf16_twin_harness.cpp`): once with copies landing as late as the
/// `wait_group`s allow, once with copies landing at issue. Skips (with one line) without `g++`.
#[test]
fn gemm_bf16_twin_is_correct_in_cpu_emulation() {
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("gemm_bf16_twin_is_correct_in_cpu_emulation: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let Ok(twin) = std::fs::read_to_string(format!("{root}/host/ladders/twins/gemm_bf16.cu"))
    else {
        eprintln!(
            "gemm_bf16_twin_is_correct_in_cpu_emulation: skipped: no source checkout at {root}"
        );
        return;
    };
    let (begin, end) = ("// klab:ptx-primitives begin", "// klab:ptx-primitives end");
    let (Some(b), Some(e)) = (twin.find(begin), twin.find(end)) else {
        panic!("the twin's `{begin}` / `{end}` markers are gone");
    };
    let shared = "extern __shared__ __align__(16) unsigned char klab_twin_bf16_smem[];";
    assert!(
        twin.contains(shared),
        "the twin's shared-memory declaration changed"
    );
    let body = format!("{}{}", &twin[..b], &twin[e + end.len()..])
        .replace(shared, "")
        .replace("#include <cuda_bf16.h>", "");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("twin.inc"), body).unwrap();
    let exe = dir.path().join("emu_bf16");
    let out = Command::new("g++")
        .args(["-std=c++20", "-O1", "-pthread", "-w", "-I"])
        .arg(dir.path())
        .arg(format!("{root}/tests/emu/gemm_bf16_twin_harness.cpp"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("barrier") && err.contains("No such file") {
            eprintln!(
                "gemm_bf16_twin_is_correct_in_cpu_emulation: skipped: g++ without C++20 <barrier>"
            );
            return;
        }
        panic!("compiling the bf16 twin emulation failed:\n{err}");
    }
    for early in ["0", "1"] {
        let run = Command::new(&exe)
            .env("KLAB_EMU_EARLY", early)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(run.status.success(), "KLAB_EMU_EARLY={early}:\n{stdout}");
    }
}
