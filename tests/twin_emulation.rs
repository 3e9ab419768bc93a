//! CUDA C++ twins' algorithms, emulated on the CPU (no GPU needed), each with its harness in
//! `tests/emu/`: the GEMM twin (`gemm_twin_harness.cpp`, with every step-9 variant), the bf16
//! bias-GELU twin (`bias_gelu_twin_harness.cpp`, every thread of the launch in turn on awkward
//! shapes and misalignments), the bf16 reduce_sum twin (`reduce_bf16_twin_harness.cpp`), the
//! bf16 row_sum twin (`row_sum_bf16_twin_harness.cpp`, one block per row on awkward shapes and
//! unaligned rows) and the half-precision twins of transpose/6 and saxpy/4–5
//! (`half_twins_harness.cpp`), with one `std::thread` per CUDA thread and `std::barrier` for
//! `__syncthreads` where a barrier matters. The Rust steps implement the same index algebra line
//! by line, so this catches mapping, edge and barrier mistakes in the design before any GPU run
//! — including paths the GPU tests' aligned buffers never take (misaligned bases). Each skips
//! (with one line) without `g++`.

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
    emulate_bf16_twin(
        "reduce_bf16_twin_is_correct_in_cpu_emulation",
        "reduce_bf16.cu",
        "reduce_bf16_twin_harness.cpp",
    );
}

/// row_sum's bf16 twin (row_sum/4's algorithm, line by line), emulated on the CPU:
/// `tests/emu/row_sum_bf16_twin_harness.cpp` with the twin source, less its `cuda_bf16.h`
/// include. Exact row sums of small integers on the awkward 2-D shapes and more (odd `cols`,
/// so row starts at every misalignment; rows shorter than a vector; long rows with small
/// blocks through the four-load loop and its remainder), every load 16-byte aligned and inside
/// its row, nothing written past the last row, NaN and +inf confined to their row. Skips
/// without `g++`.
#[test]
fn row_sum_bf16_twin_is_correct_in_cpu_emulation() {
    if let Some(stdout) = emulate_bf16_twin(
        "row_sum_bf16_twin_is_correct_in_cpu_emulation",
        "row_sum_bf16.cu",
        "row_sum_bf16_twin_harness.cpp",
    ) {
        assert!(stdout.contains(", 0 failures"), "{stdout}");
    }
}

#[test]
fn bias_gelu_bf16_twin_is_correct_in_cpu_emulation() {
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("bias_gelu_bf16_twin_is_correct_in_cpu_emulation: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let Ok(twin) = std::fs::read_to_string(format!("{root}/host/ladders/twins/bias_gelu.cu"))
    else {
        eprintln!(
            "bias_gelu_bf16_twin_is_correct_in_cpu_emulation: skipped: no source checkout at {root}"
        );
        return;
    };
    // The CPU has neither the CUDA header nor PTX: the harness defines the bf16 types, and the
    // GELU's tanh.approx.f32 becomes std::tanh (the harness's expected values use it too).
    let header = "#include <cuda_bf16.h>";
    let tanh = r#"asm("tanh.approx.f32 %0, %1;" : "=f"(r) : "f"(x));"#;
    assert!(
        twin.contains(header) && twin.contains(tanh),
        "the twin's header line or tanh asm changed"
    );
    let dir = tempfile::tempdir().unwrap();
    let source = twin.replace(header, "").replace(tanh, "r = std::tanh(x);");
    std::fs::write(dir.path().join("twin.inc"), source).unwrap();
    let exe = dir.path().join("emu");
    let out = Command::new("g++")
        .args(["-std=c++17", "-O1", "-fno-strict-aliasing", "-w", "-I"])
        .arg(dir.path())
        .arg(format!("{root}/tests/emu/bias_gelu_twin_harness.cpp"))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compiling the twin emulation failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    assert!(stdout.contains(", 0 failures"), "{stdout}");
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

/// Compiles the bf16 twin `twin` (host/ladders/twins), less its `cuda_bf16.h` include (the
/// harness defines the bf16 type), into the harness `harness` (tests/emu) and runs it, asserting
/// that it succeeds; its output, or `None` after one skip line (no g++, no checkout, no C++20).
fn emulate_bf16_twin(test: &str, twin: &str, harness: &str) -> Option<String> {
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("{test}: skipped: no g++");
        return None;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let Ok(source) = std::fs::read_to_string(format!("{root}/host/ladders/twins/{twin}")) else {
        eprintln!("{test}: skipped: no source checkout at {root}");
        return None;
    };
    let include = "#include <cuda_bf16.h>";
    assert!(source.contains(include), "the twin's include changed");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("twin.inc"), source.replace(include, "")).unwrap();
    let exe = compile(test, dir.path(), &format!("{root}/tests/emu/{harness}"))?;
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(run.status.success(), "{stdout}");
    Some(stdout)
}

/// The twins of the softmax and normalisation top steps (host/ladders/twins/softmax.cu:
/// softmax/5 and /8, block and warp kernels; softmax_backward.cu: softmax_backward/4 and /3;
/// layernorm.cu's forward kernels: layernorm/5–6, rmsnorm/3–4) in CPU emulation (`tests/emu/norm_softmax_twins_harness.cpp`), each launched
/// with the grid the host computes for its step (`twin_launch`): rows that take the 128-bit
/// register path with and without missing vectors, rows of 32000 columns (a block of 512 or
/// 1024), the fallbacks (`cols % 8 != 0`, rows longer than the registers hold, a misaligned
/// base), the warp kernels' sub-warp rows; f64 references, loads inside their buffers, no
/// store outside the outputs, NaN / +inf / all −inf rows confined to their row. Skips (with
/// one line) without `g++`.
#[test]
fn softmax_and_norm_twins_are_correct_in_cpu_emulation() {
    use kernel_lab::element::DType;
    use kernel_lab::ladders::{layernorm, rmsnorm, softmax};
    let name = "softmax_and_norm_twins_are_correct_in_cpu_emulation";
    if Command::new("g++").arg("--version").output().is_err() {
        eprintln!("{name}: skipped: no g++");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let read = |file: &str| std::fs::read_to_string(format!("{root}/host/ladders/twins/{file}"));
    // softmax's two sources are the host's (the shared helpers prepended to each file).
    let (sm, sb) = (
        softmax::TWIN_SRC.to_string(),
        softmax::BACKWARD_TWIN_SRC.to_string(),
    );
    let Ok(ln) = read("layernorm.cu") else {
        eprintln!("{name}: skipped: no source checkout at {root}");
        return;
    };
    // The inline PTX, as the harness's functions of the same semantics.
    let ptx = [
        (
            r#"asm("max.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));"#,
            "r = klab_max_nan(a, b);",
        ),
        (
            r#"asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));"#,
            "r = klab_ex2(x);",
        ),
        (
            r#"asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));"#,
            "r = klab_rcp(x);",
        ),
        (
            r#"asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));"#,
            "r = klab_cvt_bf16x2(hi, lo);",
        ),
        (
            r#"asm volatile("mov.b32 %0, %1;" : "=r"(r) : "r"(x));"#,
            "r = x;",
        ),
        (
            r#"asm("rsqrt.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));"#,
            "r = klab_rsqrt(x);",
        ),
        (
            r#"asm("div.full.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));"#,
            "r = klab_div_full(a, b);",
        ),
        // layernorm_backward/8–9's L2 prefetch: a hint, nothing to emulate.
        (
            r#"asm volatile("prefetch.global.L2 [%0];" ::"l"(q));"#,
            "(void)q;",
        ),
        // layernorm_backward/10–11's cp.async: a copy that has landed by the wait.
        (
            r#"asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"((unsigned)__cvta_generic_to_shared(dst)), "l"(src) : "memory");"#,
            "*(float4*)dst = *(const float4*)src;",
        ),
        (
            r#"asm volatile("cp.async.ca.shared.global [%0], [%1], 4;" ::"r"((unsigned)__cvta_generic_to_shared(dst)), "l"(src) : "memory");"#,
            "*(float*)dst = *(const float*)src;",
        ),
        (
            r#"asm volatile("cp.async.wait_all;" ::: "memory");"#,
            "(void)0;",
        ),
        (
            r#"asm volatile("cp.async.commit_group;" ::: "memory");"#,
            "(void)0;",
        ),
        (
            r#"asm volatile("cp.async.wait_group %0;" ::"n"(N) : "memory");"#,
            "(void)0;",
        ),
        // layernorm_backward/12–15's cluster PTX (their twins are not run here: stubs that
        // compile).
        (
            r#"asm volatile("mov.u32 %0, %%cluster_ctarank;" : "=r"(r));"#,
            "r = 0;",
        ),
        (
            r#"asm volatile("{ .reg .b32 a; mapa.shared::cluster.u32 a, %0, %1; st.shared::cluster.f32 [a], %2; }" ::"r"((unsigned)__cvta_generic_to_shared(local)), "r"(rank), "f"(v) : "memory");"#,
            "(void)rank, *local = v;",
        ),
        (
            r#"asm volatile("{ .reg .b32 a; mapa.shared::cluster.u32 a, %4, %5; ld.shared::cluster.v4.f32 {%0, %1, %2, %3}, [a]; }"
                 : "=f"(v.x), "=f"(v.y), "=f"(v.z), "=f"(v.w)
                 : "r"((unsigned)__cvta_generic_to_shared(local)), "r"(rank)
                 : "memory");"#,
            "(void)rank, v = *(const float4*)local;",
        ),
        (
            r#"asm volatile("barrier.cluster.arrive.release.aligned;" ::: "memory");"#,
            "(void)0;",
        ),
        (
            r#"asm volatile("barrier.cluster.wait.acquire.aligned;" ::: "memory");"#,
            "(void)0;",
        ),
        (
            r#"asm volatile("barrier.cluster.arrive.relaxed.aligned;" ::: "memory");"#,
            "(void)0;",
        ),
        // layernorm_backward/14–15's programmatic dependent launch (the emulation runs the
        // launches in order).
        (
            r#"asm volatile("griddepcontrol.launch_dependents;" ::: "memory");"#,
            "(void)0;",
        ),
        (
            r#"asm volatile("griddepcontrol.wait;" ::: "memory");"#,
            "(void)0;",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (file, src) in [
        ("softmax.inc", &sm),
        ("softmax_backward.inc", &sb),
        ("layernorm.inc", &ln),
    ] {
        let include = "#include <cuda_bf16.h>";
        assert!(src.contains(include), "{file}: the twin's include changed");
        let mut text = src.replace(include, "");
        // layernorm_backward's and layernorm/13's dynamic shared memory: the harness defines it.
        text = text.replace("extern __shared__ float4 bw_smem4[];", "");
        text = text.replace("extern __shared__ uint4 ln_stage[];", "");
        for (asm, cpp) in ptx {
            text = text.replace(asm, cpp);
        }
        assert!(
            !text.contains("asm"),
            "{file}: inline PTX the emulation does not know"
        );
        std::fs::write(dir.path().join(file), text).unwrap();
    }
    // (rows, cols, offset in elements): the register path (4096: whole warps of vectors; 4104
    // and 1000: missing vectors), 32000 columns (softmax_backward/4's y-only path; 20000: with
    // missing vectors), the fallbacks (37 and 4099: cols % 8 != 0; 40000: longer than the
    // registers hold; offset 1: a base not 16-byte aligned), short rows (the softmax warp
    // kernels: 128, 64, 8 columns).
    let shapes: &[(u32, u32, u32)] = &[
        (3, 4096, 0),
        (5, 4104, 0),
        (2, 32000, 0),
        (3, 20000, 0),
        (4, 37, 0),
        (3, 4099, 0),
        (1, 40000, 0),
        (3, 4096, 1),
        (33, 128, 0),
        (9, 1000, 0),
        (5, 64, 0),
        (7, 8, 0),
        (3, 1024, 0),
    ];
    let mut launches = String::new();
    for &(rows, cols, off) in shapes {
        for dtype in [DType::F32, DType::Bf16] {
            let bf16 = dtype == DType::Bf16;
            let (i, l) = softmax::twin_launch(dtype, rows, cols).expect("a softmax twin");
            let kernel = [
                "SOFTMAX_F32",
                "SOFTMAX_F32_WARP",
                "SOFTMAX_BF16",
                "SOFTMAX_BF16_WARP",
            ][2 * bf16 as usize + i];
            let (ib, lb) = softmax::backward_twin_launch(dtype, rows, cols).expect("a twin");
            let backward =
                ["SB_F32", "SB_F32_WARP", "SB_BF16", "SB_BF16_WARP"][2 * bf16 as usize + ib];
            let mut row = vec![(kernel, l), (backward, lb)];
            let (r, c) = (rows as usize, cols as usize);
            let ln = layernorm::twin_launch(dtype, r, c).expect("a layernorm twin");
            let rms = rmsnorm::twin_launch(dtype, r, c).expect("an rmsnorm twin");
            row.push((["LN_F32", "LN_BF16"][bf16 as usize], ln));
            // layernorm/10–11's twins (one-pass statistics) launch with steps 5–6's grid.
            row.push((["LN1P_F32", "LN1P_BF16"][bf16 as usize], ln));
            // layernorm/13's twin (bf16, the row staged in shared memory): steps 5–6's grid too.
            if bf16 {
                row.push(("LN_STAGED_BF16", ln));
            }
            row.push((["RMS_F32", "RMS_BF16"][bf16 as usize], rms));
            for (kernel, l) in row {
                assert_eq!((l.grid.1, l.grid.2, l.block.1, l.block.2), (1, 1, 1, 1));
                // A bf16 offset of 1 is 2 bytes: misaligned too; f32 an offset of 1 is 4.
                launches += &format!(
                    "{{{kernel}, {rows}, {cols}, {}, {}, {off}}},\n",
                    l.grid.0, l.block.0
                );
            }
        }
    }
    std::fs::write(dir.path().join("launches.inc"), launches).unwrap();
    let Some(exe) = compile(
        name,
        dir.path(),
        &format!("{root}/tests/emu/norm_softmax_twins_harness.cpp"),
    ) else {
        return;
    };
    let run = Command::new(&exe).output().unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    assert!(stdout.contains(", 0 failures"), "{stdout}");
}
