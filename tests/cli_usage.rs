//! How `klab` answers mistakes, through the real binary (no GPU, and no ptxas unless a test
//! says so): the exit status (2 for usage errors, 1 for failures), "did you mean" suggestions
//! for unknown names, the error for a bad size, and the blocks `klab occupancy` accepts.
//!
//! The tests that run ptxas fail without it unless `KLAB_ALLOW_NO_CUDA_TOOLS=1` (as in
//! tests/sass_snapshots.rs).

use kernel_lab::tools::discover::{self, Tool};
use std::process::Command;

/// Whether ptxas and a disassembler are installed; panics with the install hint when they are
/// not, unless KLAB_ALLOW_NO_CUDA_TOOLS=1.
fn tools_or_skip(test: &str) -> bool {
    let missing = discover::find(Tool::Ptxas).err().or_else(|| {
        discover::find(Tool::Nvdisasm)
            .err()
            .filter(|_| discover::find(Tool::Cuobjdump).is_err())
    });
    match missing {
        None => true,
        Some(e) if std::env::var("KLAB_ALLOW_NO_CUDA_TOOLS").is_ok_and(|v| v == "1") => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "{test}: skipped: {e}");
            false
        }
        Some(e) => panic!("{e}\n(set KLAB_ALLOW_NO_CUDA_TOOLS=1 to skip these tests)"),
    }
}

/// Runs `klab args...`: exit status, stdout, stderr.
fn klab(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `klab args...`, checks that it exits `code` with nothing on stdout, and returns stderr.
fn fails(code: i32, args: &[&str]) -> String {
    let (got, out, err) = klab(args);
    assert_eq!(
        got,
        code,
        "klab {}: exit {got}, expected {code}\nstdout:\n{out}\nstderr:\n{err}",
        args.join(" ")
    );
    assert!(out.is_empty(), "klab {}: stdout:\n{out}", args.join(" "));
    err
}

#[test]
fn the_top_level_help_states_the_exit_status_rule() {
    let (code, out, _) = klab(&["--help"]);
    assert_eq!(code, 0);
    let rule = &out[out.find("Exit status:").expect(&out)..];
    for line in ["0  success", "1  failure: ", "2  usage error: "] {
        assert!(rule.contains(line), "{rule}");
    }
    assert!(
        rule.contains("regression"),
        "compare's exit 1 is stated: {rule}"
    );
}

#[test]
fn usage_errors_exit_2_from_every_subcommand() {
    for args in [
        &["sass", "saxpy/1", "--arch", "sm_12"][..],
        &["occupancy", "saxpy/1", "--block", "0"],
        &["occupancy", "saxpy/1", "--block", "256", "--arch", "sm_12"],
        &["run", "saxpi/1"],
        &["ptx", "saxpi/1"],
        &["sass", "saxpy/1", "--diff", "saxpi/2"],
        &["profile", "nosuch/1"],
        &["run", "saxpy/1", "--size", "16MB"],
        &["profile", "gemm/1", "--size", "4096x4096"],
        &["bench", "--ladder", "saxpi"],
        &["bench", "--ladder", "saxpy", "--step", "99"],
        &["bench", "--ladder", "saxpy", "--size", "0"],
        &["run", "saxpy/1", "--size", "1000", "--input", "x.npy"],
        &["compare", "a.json", "b.json", "--threshold=-1"],
        &["tune", "saxpy"],
        &["tune", "gemm", "--size", "64x64"],
    ] {
        let err = fails(2, args);
        assert!(err.starts_with("klab: "), "klab {}: {err}", args.join(" "));
    }
    // clap's own parse errors: a missing argument, a value that is not a number, an unknown
    // subcommand or flag.
    for args in [
        &["run"][..],
        &["occupancy", "saxpy/1", "--block", "many"],
        &["frobnicate"],
        &["list", "--fast"],
    ] {
        fails(2, args);
    }
}

#[test]
fn failures_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let err = fails(
        1,
        &["report", missing, "--out", dir.path().to_str().unwrap()],
    );
    assert!(err.contains("missing.json"), "{err}");
    fails(1, &["compare", missing, missing]);
    if !kernel_lab::runtime::driver_present() {
        let err = fails(1, &["run", "saxpy/1", "--size", "1000"]);
        assert!(err.contains("no CUDA driver"), "{err}");
        assert!(err.contains("`klab run saxpy/1 --emulate`"), "{err}");
        let err = fails(1, &["bench", "--ladder", "saxpy"]);
        assert!(err.contains("--emulate"), "{err}");
    }
}

#[test]
fn a_misspelt_kernel_gets_a_suggestion_and_a_short_list() {
    let err = fails(2, &["sass", "saxpi/1"]);
    assert!(
        err.starts_with("klab: no kernel named \"saxpi/1\"; did you mean saxpy/1?"),
        "{err}"
    );
    assert!(err.contains("saxpy_s01_naive"), "{err}");
    assert!(!err.contains("gemm"), "only the close kernels: {err}");
    assert!(
        err.contains("klab list"),
        "says where the full list is: {err}"
    );

    // Nothing close: every kernel, as `klab list` names them.
    let err = fails(2, &["run", "zzz"]);
    assert!(err.contains("known kernels:"), "{err}");
    assert!(err.contains("saxpy/1") && err.contains("gemm/9"), "{err}");
}

#[test]
fn an_unknown_ladder_lists_ladders() {
    let err = fails(2, &["bench", "--ladder", "saxpi"]);
    assert!(
        err.starts_with("klab: no ladder named \"saxpi\"; did you mean saxpy?"),
        "{err}"
    );
    assert!(!err.contains("saxpy/1") && !err.contains("_s01_"), "{err}");

    let err = fails(2, &["bench", "--ladder", "zzz"]);
    assert!(err.contains("known ladders:"), "{err}");
    assert!(err.contains("reduce_sum") && err.contains("gemm"), "{err}");
    assert!(!err.contains("gemm/1"), "ladders, not kernels: {err}");
}

#[test]
fn a_bad_size_says_which_forms_work() {
    let err = fails(2, &["run", "saxpy/1", "--size", "16MB"]);
    assert!(err.contains("did you mean 16M?"), "{err}");
    assert!(err.contains("e.g. 16M"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let err = fails(2, &["run", "transpose/1", "--size", "big"]);
    assert!(err.contains("ROWSxCOLS, e.g. 4096x4096"), "{err}");
}

#[test]
fn occupancy_rejects_blocks_the_kernel_cannot_launch() {
    for (args, why) in [
        (&["saxpy/1", "--block", "0"][..], "at least 1 thread"),
        (
            &["saxpy/1", "--block", "2048"],
            "at most 1024 threads per block",
        ),
        (
            &["saxpy/1", "--block", "4096"],
            "at most 1024 threads per block",
        ),
        (&["gemm/7", "--block", "256"], "exactly 128 threads"),
        (&["reduce_sum/5", "--block", "48"], "power of two"),
        (
            &["gemm_s09_autotuned_128x128x8_w64x32_lb2", "--block", "512"],
            ".maxntid 256",
        ),
        (&["ceiling_read_stream"], "pass --block N"),
    ] {
        let args: Vec<&str> = ["occupancy"].iter().chain(args).copied().collect();
        let err = fails(2, &args);
        assert!(err.contains(why), "klab {}: {err}", args.join(" "));
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn occupancy_defaults_to_the_launch_block() {
    if !tools_or_skip("occupancy_defaults_to_the_launch_block") {
        return;
    }
    let (code, out, err) = klab(&["occupancy", "gemm/7", "--arch", "sm_90"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("block            128 threads (4 warps)"),
        "{out}"
    );
    assert!(
        out.contains("128 threads per block: what this kernel is launched with"),
        "{out}"
    );
    assert!(!out.contains(" 0 blocks/SM"), "{out}");
}

#[test]
fn sass_diff_reads_from_the_base_to_the_kernel() {
    if !tools_or_skip("sass_diff_reads_from_the_base_to_the_kernel") {
        return;
    }
    let (code, out, err) = klab(&["sass", "saxpy/2", "--diff", "saxpy/1", "--summary-only"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("saxpy_s01_naive (saxpy/1) → saxpy_s02_grid_stride (saxpy/2) on sm_90"),
        "{out}"
    );
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["(sm_90)", "saxpy/1", "saxpy/2", "saxpy/2", "-", "saxpy/1"],
        "{out}"
    );
    // Every delta is the second column minus the first.
    let mut checked = 0;
    for l in lines {
        let cells: Vec<&str> = l.split_whitespace().collect();
        if let [_, from, to, delta] = cells[..]
            && let (Ok(from), Ok(to)) = (from.parse::<i64>(), to.parse::<i64>())
        {
            assert_eq!(delta.parse::<i64>().unwrap(), to - from, "{l}");
            assert!(delta.starts_with(['+', '-']), "signed: {l}");
            checked += 1;
        }
    }
    assert!(checked >= 2, "registers and instructions differ: {out}");
}

#[test]
fn run_emulate_verifies_on_the_cpu_without_timing() {
    let (code, out, err) = klab(&["run", "reduce_sum/5", "--emulate", "--size", "4099"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("on CPU emulator"), "{out}");
    assert!(out.contains("verified:"), "{out}");
    assert!(out.contains("emulated: no timing"), "{out}");
    assert!(!out.contains("time:"), "{out}");
}

#[test]
fn run_emulate_runs_the_sm90a_steps_it_models_and_skips_the_others_in_one_line() {
    // A thread-block-cluster step (clusters, DSMEM, PDL): verified.
    let (code, out, err) = klab(&[
        "run",
        "layernorm_backward/14",
        "--emulate",
        "--size",
        "5x520",
    ]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("verified:"), "{out}");
    // A wgmma step: one skip line naming the instruction, exit status 0, no check.
    let (code, out, err) = klab(&["run", "gemm_bf16/5", "--emulate"]);
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    let skips: Vec<&str> = out.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skips.len(), 1, "{out}");
    assert!(
        skips[0].starts_with("gemm_bf16/5: skipped: not emulated") && skips[0].contains("fence"),
        "{out}"
    );
    assert!(!out.contains("verified:"), "{out}");
}
