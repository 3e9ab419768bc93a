//! The instructor tools of `klab sass` on real kernels (CPU only: ptxas and nvdisasm, as in
//! tests/sass_snapshots.rs): `--mix` finds the main loop and its hot path, `--diff --html`
//! writes a self-contained page, `--diff --side-by-side` aligns the listings, and `--source`
//! gives the same SASS as the embedded PTX with the Rust source lines interleaved.
//!
//! Without the tools these tests fail with the install command, unless
//! `KLAB_ALLOW_NO_CUDA_TOOLS=1`.

use kernel_lab::tools::discover::{self, Tool};
use kernel_lab::tools::{diff, loopmix, sass};
use std::process::Command;

fn tools_or_skip(test: &str) -> bool {
    let missing = discover::find(Tool::Ptxas)
        .err()
        .or_else(|| discover::find(Tool::Nvdisasm).err());
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

#[test]
fn the_main_loop_of_the_double_buffered_gemm_and_its_interior_path() {
    if !tools_or_skip("the_main_loop_of_the_double_buffered_gemm_and_its_interior_path") {
        return;
    }
    let k = sass::kernel_sass("gemm_s08_double_buffered", "sm_90").unwrap();
    let f = loopmix::Flow::of(&k.lines);
    let main = f.main_loop().expect("gemm/8 has loops");
    let hot = f.hot_path(&main).expect("a path reaches the back edge");
    // BM x BN x BK = 128 x 128 x 16 over 256 threads: 1024 FFMA per thread per k-tile, all on
    // the interior path; the interior path takes the 128-bit loads, not the scalar edge loads.
    assert_eq!(main.mix.get("FFMA"), 1024, "{:?}", main.mix);
    assert_eq!(hot.get("FFMA"), 1024, "{hot:?}");
    assert!(hot.get("LDG.128") > 0 && hot.get("LDG.32") == 0, "{hot:?}");
    assert!(hot.total < main.mix.total, "{hot:?} vs {:?}", main.mix);
    // Every other loop has less math.
    for l in f.loops() {
        assert!(l.mix.get("FFMA") <= 1024);
    }
    // saxpy/3's main loop is its 128-bit one: 4 FFMA per iteration (4 floats per LDG.128).
    let k = sass::kernel_sass("saxpy_s03_vectorized", "sm_90").unwrap();
    let f = loopmix::Flow::of(&k.lines);
    let main = f.main_loop().unwrap();
    assert_eq!((main.mix.get("FFMA"), main.mix.get("LDG.128")), (4, 2));
}

#[test]
fn diff_side_by_side_and_html() {
    if !tools_or_skip("diff_side_by_side_and_html") {
        return;
    }
    let page = std::env::temp_dir().join(format!("klab-sass-{}.html", std::process::id()));
    let page_arg = page.to_str().unwrap();
    let (code, out, err) = klab(&[
        "sass",
        "saxpy/3",
        "--diff",
        "saxpy/2",
        "--side-by-side",
        "--mix",
        "--html",
        page_arg,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("saxpy/3:\nloops ("), "{out}");
    assert!(out.contains("main loop, hot path:"), "{out}");
    // The main loops compared: saxpy/3's does 4 FFMA where saxpy/2's does 1.
    assert!(
        out.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["FFMA", "1", "4", "+3"]),
        "{out}"
    );
    // Column headers, then aligned rows: the first instruction of both kernels is the same.
    let header = out
        .lines()
        .find(|l| l.starts_with("saxpy_s02_grid_stride (saxpy/2)  "))
        .expect(&out);
    assert!(
        header
            .trim_end()
            .ends_with("saxpy_s03_vectorized (saxpy/3)")
    );
    assert!(
        out.lines().any(|l| l.contains(" | ")),
        "no changed row:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(" > ") && l.contains("LDG.E.128")),
        "{out}"
    );
    let html = std::fs::read_to_string(&page).unwrap();
    let _ = std::fs::remove_file(&page);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("saxpy_s03_vectorized (saxpy/3)"));
    assert!(html.contains("LDG.E.128"));
    for not in ["http://", "https://", "<script", "<link"] {
        assert!(!html.contains(not), "{not}");
    }
    // --html and --side-by-side need --diff (usage error), --source excludes it.
    assert_eq!(klab(&["sass", "saxpy/3", "--html", page_arg]).0, 2);
    assert_eq!(klab(&["sass", "saxpy/3", "--side-by-side"]).0, 2);
    assert_eq!(
        klab(&["sass", "saxpy/3", "--source", "--diff", "saxpy/2"]).0,
        2
    );
}

#[test]
fn the_line_info_build_gives_the_same_sass_with_source_lines() {
    if !tools_or_skip("the_line_info_build_gives_the_same_sass_with_source_lines") {
        return;
    }
    // reduce_sum/5 is one the line tables' labels would change if they were left in.
    for (step, symbol, file) in [
        (
            "saxpy/3",
            "saxpy_s03_vectorized",
            "kernels-gpu/src/saxpy/s03_vectorized.rs:",
        ),
        (
            "reduce_sum/5",
            "reduce_sum_s05_warp_shuffle",
            "kernels-gpu/src/reduce/",
        ),
    ] {
        let (code, out, err) = klab(&["sass", step, "--source"]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(&format!("    // {file}")), "{out}");
        let with_lines: Vec<String> = out
            .lines()
            .filter(|l| sass::parse_instr(l).is_some())
            .map(diff::normalise)
            .collect();
        let plain: Vec<String> = sass::kernel_sass(symbol, "sm_90")
            .unwrap()
            .lines
            .iter()
            .filter(|l| sass::parse_instr(l).is_some())
            .map(|l| diff::normalise(l))
            .collect();
        let strip = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|l| match l.find(".L_x_") {
                    Some(i) => l[..i].to_string(),
                    None => l.clone(),
                })
                .collect()
        };
        assert_eq!(
            strip(&with_lines),
            strip(&plain),
            "{step}: the line-info SASS differs"
        );
    }
}
