//! `klab compare` through the real binary, on synthetic benchmark JSON (no GPU).

use std::path::Path;
use std::process::Command;

fn run_json(dir: &Path, name: &str, rows: &[(&str, &str, f64)]) -> std::path::PathBuf {
    run_json_on(dir, name, "synthetic", "2026-11-24T00:00:00Z", rows)
}

fn run_json_on(
    dir: &Path,
    name: &str,
    device: &str,
    time: &str,
    rows: &[(&str, &str, f64)],
) -> std::path::PathBuf {
    let results: Vec<serde_json::Value> = rows
        .iter()
        .map(|(kernel, shape, ms)| {
            serde_json::json!({
                "ladder": "saxpy", "step": 1, "kernel": kernel, "shape": shape, "dtype": "f32",
                "median_ms": ms, "p20_ms": ms, "p80_ms": ms, "min_ms": ms,
                "gbps": null, "tflops": null, "pct_of_ceiling": null, "ceiling": "copy_gbps",
                "speedup_vs_step1": null, "baseline": null, "baseline_ratio": null,
                "verified": true, "flops": 2.0, "bytes": 12.0
            })
        })
        .collect();
    let doc = serde_json::json!({
        "device": { "name": device, "sm_count": 1, "clock_mhz": 1, "driver": "0",
                    "cuda": "0", "commit": "abc", "time": time },
        "ceilings": { "copy_gbps": 3000.0, "read_gbps": null, "fma_tflops": null,
                      "cublas_sgemm_tflops": null },
        "results": results,
    });
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    p
}

fn klab(args: &[&std::ffi::OsStr]) -> (i32, String, String) {
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

#[test]
fn a_slowed_kernel_fails_the_gate_and_others_pass() {
    let dir = tempfile::tempdir().unwrap();
    let old = run_json(
        dir.path(),
        "old.json",
        &[("k1", "64", 1.0), ("k2", "64", 2.0), ("gone", "64", 1.0)],
    );
    let slow = run_json(
        dir.path(),
        "slow.json",
        &[("k1", "64", 1.02), ("k2", "64", 2.5), ("fresh", "64", 1.0)],
    );
    let same = run_json(
        dir.path(),
        "same.json",
        &[("k1", "64", 0.9), ("k2", "64", 2.05)],
    );

    let (code, out, err) = klab(&["compare".as_ref(), old.as_os_str(), slow.as_os_str()]);
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("SLOWER") && out.contains("k2"), "{out}");
    assert!(
        out.contains("only in the baseline run: saxpy gone 64"),
        "{out}"
    );
    assert!(out.contains("only in the new run: saxpy fresh 64"), "{out}");
    assert_eq!(err.lines().count(), 1, "one error line: {err}");

    // A looser threshold lets the same change pass.
    let (code, _, _) = klab(&[
        "compare".as_ref(),
        old.as_os_str(),
        slow.as_os_str(),
        "--threshold".as_ref(),
        "30".as_ref(),
    ]);
    assert_eq!(code, 0);

    let (code, out, _) = klab(&["compare".as_ref(), old.as_os_str(), same.as_os_str()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: no kernel slower"), "{out}");
}

#[test]
fn a_missing_or_malformed_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = run_json(dir.path(), "good.json", &[("k1", "64", 1.0)]);
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let (code, _, err) = klab(&["compare".as_ref(), good.as_os_str(), bad.as_os_str()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("bad.json") && err.contains("not benchmark JSON"),
        "{err}"
    );
    let missing = dir.path().join("missing.json");
    let (code, _, err) = klab(&["compare".as_ref(), missing.as_os_str(), good.as_os_str()]);
    assert_eq!(code, 1);
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn a_folder_baseline_is_the_newest_run_on_the_same_device() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    std::fs::create_dir(&results).unwrap();
    // The old run of this device was fast, the newest one is slower: the gate uses the newest.
    run_json_on(
        &results,
        "a-old.json",
        "GPU A",
        "2026-11-01T00:00:00Z",
        &[("k1", "64", 0.5)],
    );
    run_json_on(
        &results,
        "a-new.json",
        "GPU A",
        "2026-11-20T00:00:00Z",
        &[("k1", "64", 1.0)],
    );
    // Another device's faster run is never the baseline.
    run_json_on(
        &results,
        "b.json",
        "GPU B",
        "2026-11-30T00:00:00Z",
        &[("k1", "64", 0.1)],
    );
    std::fs::write(results.join("notes.json"), "{}").unwrap();
    // A newer run of another kernel only: k1 still comes from a-new.
    run_json_on(
        &results,
        "a-partial.json",
        "GPU A",
        "2026-11-25T00:00:00Z",
        &[("k2", "64", 9.0)],
    );
    let new = run_json_on(
        dir.path(),
        "new.json",
        "GPU A",
        "2026-12-01T00:00:00Z",
        &[("k1", "64", 1.02)],
    );
    let (code, out, err) = klab(&["compare".as_ref(), results.as_os_str(), new.as_os_str()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("a-partial.json"), "{out}");
    assert!(!out.contains("SLOWER"), "{out}");
    let slow = run_json_on(
        dir.path(),
        "slow.json",
        "GPU A",
        "2026-12-01T00:00:00Z",
        &[("k1", "64", 1.5)],
    );
    let (code, out, err) = klab(&["compare".as_ref(), results.as_os_str(), slow.as_os_str()]);
    assert_eq!(code, 1, "{out}{err}");
    // No run of this device: an error naming the devices that are there.
    let other = run_json_on(
        dir.path(),
        "c.json",
        "GPU C",
        "2026-12-01T00:00:00Z",
        &[("k1", "64", 1.0)],
    );
    let (code, _, err) = klab(&["compare".as_ref(), results.as_os_str(), other.as_os_str()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("GPU C") && err.contains("GPU A, GPU B"),
        "{err}"
    );
}
