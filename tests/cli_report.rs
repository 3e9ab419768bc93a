//! `klab report` through the real binary, on synthetic benchmark JSON (no GPU).

use std::process::Command;

fn synthetic() -> serde_json::Value {
    let row =
        |ladder: &str, step: u32, kernel: &str, kind: &str, ms: f64, flops: f64, bytes: f64| {
            serde_json::json!({
                "ladder": ladder, "step": step, "kernel": kernel, "kind": kind, "shape": "67108864",
                "dtype": "f32", "median_ms": ms, "p20_ms": ms, "p80_ms": ms, "min_ms": ms,
                "flops": flops, "bytes": bytes, "gbps": bytes / ms / 1e6,
                "tflops": flops / ms / 1e9, "pct_of_ceiling": bytes / ms / 1e6 / 30.0,
                "ceiling": "copy_gbps", "speedup_vs_step1": 1.0, "baseline": null,
                "baseline_ratio": null, "verified": true
            })
        };
    serde_json::json!({
        "device": { "name": "synthetic H100", "sm_count": 132, "clock_mhz": 1980,
                    "driver": "580", "cuda": "13.0", "commit": "abc", "time": "t" },
        "ceilings": { "copy_gbps": 3000.0, "read_gbps": 3300.0, "fma_tflops": 60.0,
                      "cublas_sgemm_tflops": 50.0 },
        "results": [
            row("saxpy", 1, "saxpy_s01_naive", "step", 0.40, 1.34e8, 8.05e8),
            row("saxpy", 2, "saxpy_s02_grid_stride", "step", 0.35, 1.34e8, 8.05e8),
            row("saxpy", 0, "saxpy_cuda_cpp_twin", "baseline", 0.36, 1.34e8, 8.05e8),
            row("reduce_sum", 5, "reduce_sum_s05_warp_shuffle", "step", 0.12, 6.7e7, 2.68e8),
            row("gemm", 1, "gemm_s01_naive", "step", 30.0, 1.37e11, 2.0e8),
        ]
    })
}

fn assert_svg(path: &std::path::Path) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.is_empty(), "{} is empty", path.display());
    let t = text.trim();
    assert!(
        t.starts_with("<svg") || t.starts_with("<?xml"),
        "{}",
        &t[..60.min(t.len())]
    );
    assert!(t.ends_with("</svg>"), "{} is not closed", path.display());
    assert_eq!(t.matches("<svg").count(), t.matches("</svg>").count());
    // Balanced elements: every opening tag that is not self-closed is closed.
    for tag in ["text", "g"] {
        let opened = t.matches(&format!("<{tag}")).count() - t.matches(&format!("<{tag}/")).count();
        let selfclosed = t
            .split(&format!("<{tag} "))
            .skip(1)
            .filter(|rest| rest.split('>').next().is_some_and(|h| h.ends_with('/')))
            .count();
        assert_eq!(
            opened - selfclosed,
            t.matches(&format!("</{tag}>")).count(),
            "<{tag}> in {}",
            path.display()
        );
    }
}

#[test]
fn report_writes_a_chart_per_ladder_and_a_roofline() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    std::fs::write(&json, serde_json::to_string(&synthetic()).unwrap()).unwrap();
    let out = dir.path().join("charts");
    let o = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
        .args([
            "report".as_ref(),
            json.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in ["saxpy.svg", "reduce_sum.svg", "gemm.svg", "roofline.svg"] {
        assert_svg(&out.join(name));
    }
    let saxpy = std::fs::read_to_string(out.join("saxpy.svg")).unwrap();
    assert!(saxpy.contains("<rect") && saxpy.contains("s2") && saxpy.contains("cuda_cpp_twin"));
    let roof = std::fs::read_to_string(out.join("roofline.svg")).unwrap();
    assert!(roof.contains("saxpy_s01_naive") && roof.contains("copy 3000 GB/s"));
    assert!(roof.contains("<circle") && roof.contains("<polyline"));
}

#[test]
fn a_ladder_run_at_several_shapes_gets_a_chart_per_shape() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = synthetic();
    let mut second = v["results"][0].clone();
    second["shape"] = "1024".into();
    v["results"].as_array_mut().unwrap().push(second);
    let json = dir.path().join("results.json");
    std::fs::write(&json, serde_json::to_string(&v).unwrap()).unwrap();
    let out = dir.path().join("charts");
    let o = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
        .args([
            "report".as_ref(),
            json.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("saxpy.svg").exists());
    for name in ["saxpy-67108864.svg", "saxpy-1024.svg", "gemm.svg"] {
        assert_svg(&out.join(name));
    }
    let small = std::fs::read_to_string(out.join("saxpy-1024.svg")).unwrap();
    assert!(
        small.contains("saxpy 1024: percent of copy_gbps"),
        "{small}"
    );
}

#[test]
fn report_of_a_missing_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
        .args([
            "report".as_ref(),
            dir.path().join("none.json").as_os_str(),
            "--out".as_ref(),
            dir.path().as_os_str(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("none.json"));
}

#[test]
fn report_docs_fills_the_chapters_marker_blocks_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("results.json");
    std::fs::write(&json, serde_json::to_string(&synthetic()).unwrap()).unwrap();
    // A copy of the repository's chapters, with their marker blocks.
    let docs = dir.path().join("docs");
    let ladders = docs.join("ladders");
    std::fs::create_dir_all(&ladders).unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ladders");
    if !src.is_dir() {
        // A test binary copied away from its checkout (the GPU bundle) has no chapters to copy.
        eprintln!(
            "report_docs_fills_the_chapters_marker_blocks_and_is_idempotent: skipped: no source checkout ({} is absent)",
            src.display()
        );
        return;
    }
    for chapter in kernel_lab::registry::chapters() {
        let name = format!("{chapter}.md");
        let text = std::fs::read_to_string(src.join(&name)).unwrap();
        assert!(
            text.contains("<!-- klab:measured ladder="),
            "{name} has no block"
        );
        std::fs::write(ladders.join(&name), text).unwrap();
    }
    let run = || {
        let o = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
            .args([
                "report".as_ref(),
                json.as_os_str(),
                "--out".as_ref(),
                dir.path().join("charts").as_os_str(),
                "--docs".as_ref(),
                docs.as_os_str(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        o
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("elementwise.md (measured saxpy)"),
        "{stdout}"
    );
    let elementwise = std::fs::read_to_string(ladders.join("elementwise.md")).unwrap();
    assert!(elementwise.contains("Measured on synthetic H100"));
    assert!(elementwise.contains("| 2 | `saxpy_s02_grid_stride` | 67108864 | 0.3500 |"));
    // No results for vector_add and bias_gelu: their blocks stay exactly as they were.
    let block = |text: &str, ladder: &str| -> String {
        let open = format!("<!-- klab:measured ladder={ladder} -->");
        let start = text
            .find(&open)
            .unwrap_or_else(|| panic!("no {ladder} block"));
        let end = start + text[start..].find("<!-- /klab:measured -->").unwrap();
        text[start..end].to_string()
    };
    let original = std::fs::read_to_string(src.join("elementwise.md")).unwrap();
    for ladder in ["vector_add", "bias_gelu"] {
        assert_eq!(
            block(&elementwise, ladder),
            block(&original, ladder),
            "{ladder}"
        );
    }
    // No architecture in the file: resource columns are dashes, with a note, not a failure.
    assert!(elementwise.contains("no device architecture"));
    let gemm = std::fs::read_to_string(ladders.join("gemm.md")).unwrap();
    assert!(
        gemm.contains("| 1 | `gemm_s01_naive` | 67108864 | 30.000 |"),
        "{gemm}"
    );
    let transpose = std::fs::read_to_string(ladders.join("transpose.md")).unwrap();
    assert_eq!(
        transpose,
        std::fs::read_to_string(src.join("transpose.md")).unwrap()
    );
    // The second run changes nothing.
    let before: Vec<String> = ["reduction.md", "elementwise.md", "gemm.md"]
        .iter()
        .map(|n| std::fs::read_to_string(ladders.join(n)).unwrap())
        .collect();
    let second = run();
    assert!(!String::from_utf8_lossy(&second.stdout).contains(".md"));
    for (n, b) in ["reduction.md", "elementwise.md", "gemm.md"]
        .iter()
        .zip(&before)
    {
        assert_eq!(&std::fs::read_to_string(ladders.join(n)).unwrap(), b, "{n}");
    }
}
