//! The PTX build pipeline without a GPU: toolchain search and its fix-it message, and the
//! embedded PTX.

#[path = "../build/toolchain.rs"]
mod toolchain;

use std::path::PathBuf;
use toolchain::{Candidate, candidates_from_env, find_toolchain, missing_toolchain_message};

#[test]
fn no_capable_toolchain_gives_the_fix_it_commands() {
    let tried = find_toolchain(vec![Candidate {
        rustc: PathBuf::from("/nonexistent/bin/rustc"),
        cargo: None,
        origin: "test",
    }])
    .err()
    .expect("a missing rustc cannot be a toolchain");
    assert!(
        tried[0].contains("/nonexistent/bin/rustc (test): does not run"),
        "{tried:?}"
    );
    let msg = missing_toolchain_message(&tried);
    for fix in [
        "rustup component add rust-src",
        "apt-get install rustc-web cargo-web rust-web-src",
        "KLAB_KERNEL_RUSTC=",
    ] {
        assert!(msg.contains(fix), "fix-it message lacks {fix:?}:\n{msg}");
    }
}

#[test]
fn a_rustc_without_library_source_is_rejected_with_the_reason() {
    // `true` runs but prints no sysroot: its "sysroot" (the empty path) has no library source.
    let tried = find_toolchain(vec![Candidate {
        rustc: PathBuf::from("true"),
        cargo: None,
        origin: "test",
    }])
    .err()
    .unwrap();
    assert!(tried[0].contains("has no library source"), "{tried:?}");
}

#[test]
fn an_explicit_override_is_the_only_candidate() {
    let env = |k: &str| match k {
        "KLAB_KERNEL_RUSTC" => Some("/opt/x/bin/rustc".to_string()),
        "RUSTC" => Some("rustc".to_string()),
        _ => None,
    };
    let c = candidates_from_env(env);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].rustc.to_str().unwrap(), c[0].origin),
        ("/opt/x/bin/rustc", "KLAB_KERNEL_RUSTC")
    );
    let without = candidates_from_env(|k| (k == "RUSTC").then(|| "rustc".to_string()));
    assert_eq!(without[0].origin, "invoking toolchain");
    assert!(without.iter().any(|c| c.origin == "system rustc"));
}

#[test]
fn the_toolchain_that_built_this_test_is_found() {
    // This build succeeded, so some candidate of the documented order has the library source.
    // In the GPU bundle (a host without Rust) there is nothing to find: say so and stop.
    if !std::path::Path::new(kernel_lab::ptx::KERNEL_RUSTC).exists() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "the_toolchain_that_built_this_test_is_found: skipped: no Rust toolchain on this machine"
        );
        return;
    }
    let found = find_toolchain(candidates_from_env(|k| std::env::var(k).ok()));
    assert!(
        found.is_ok(),
        "{}",
        missing_toolchain_message(&found.err().unwrap())
    );
}

#[test]
fn the_embedded_ptx_has_every_registered_kernel_and_no_external_calls() {
    let ptx = kernel_lab::ptx::PTX;
    assert!(ptx.contains(".target sm_"), "not PTX");
    assert!(
        !ptx.contains(".extern .func"),
        "an external function survived (panic path?)"
    );
    use kernel_lab::registry::{Arch, module_symbols};
    let missing = kernel_lab::ptx::missing_entries(ptx, module_symbols(Arch::Sm80));
    assert!(missing.is_empty(), "{missing:?}");
    // The sm_90a module: its own kernels, for sm_90a, with no external calls either.
    let sm90a = kernel_lab::ptx::PTX_SM90A;
    assert_eq!(kernel_lab::ptx::target(sm90a), Some("sm_90a"));
    assert!(!sm90a.contains(".extern .func"));
    let missing = kernel_lab::ptx::missing_entries(sm90a, module_symbols(Arch::Sm90a));
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_half_precision_selftests_emit_the_promised_ptx() {
    // Each function of the half API names its PTX (kernels-gpu/src/gpu/half.rs, global.rs,
    // shared.rs); the self-test kernels use every one, so their PTX must hold each instruction.
    use kernels_gpu::selftest as st;
    let promised: &[(&str, &[(&str, usize)])] = &[
        (
            st::selftest_half_from_f32::SYMBOL,
            &[
                ("cvt.rn.bf16.f32", 1),
                ("cvt.rn.f16.f32", 1),
                ("cvt.rn.bf16x2.f32", 1),
                ("cvt.rn.f16x2.f32", 1),
                ("st.global.b16", 2),
            ],
        ),
        (
            st::selftest_half_to_f32::SYMBOL,
            // bf16 -> f32 is a shift: sm_80's PTX ISA 7.0 has no cvt.f32.bf16.
            &[("ld.global.nc.b16", 2), ("cvt.f32.f16", 3), ("shl.b32", 2)],
        ),
        (
            st::selftest_half_arith::SYMBOL,
            // fma, and add and mul as fmas (sm_80 has no add/mul.bf16x2); Rust's f16 mul_add.
            &[
                ("fma.rn.bf16x2", 3),
                ("fma.rn.f16x2", 1),
                ("add.rn.f16x2", 1),
                ("mul.rn.f16x2", 1),
                ("fma.rn.f16", 2),
            ],
        ),
        (
            st::selftest_half_vec::SYMBOL,
            &[
                ("ld.global.nc.v4.b32", 2),
                ("ld.global.v4.b32", 2),
                ("st.global.v4.b32", 4),
                ("ld.shared.v4.b32", 2),
                ("st.shared.v4.b32", 2),
                ("ld.shared.b16", 8),
                ("st.shared.b16", 8),
                ("ld.shared.u32", 4),
                ("st.shared.u32", 4),
                ("st.global.b16", 16),
                ("ld.global.b16", 8),
                ("ld.global.u32", 4),
            ],
        ),
    ];
    for (symbol, instructions) in promised {
        let text = kernel_lab::ptx::kernel_text(kernel_lab::ptx::PTX, symbol)
            .unwrap_or_else(|| panic!("{symbol} is not in the PTX"));
        // Instructions by their mnemonic (the first word of a line, from LLVM or inline asm).
        let count = |i: &str| {
            text.lines()
                .filter(|l| l.split_whitespace().next() == Some(i))
                .count()
        };
        for &(i, at_least) in *instructions {
            let n = count(i);
            assert!(
                n >= at_least,
                "{symbol}: {n} × `{i}`, promised {at_least}:\n{text}"
            );
        }
        assert!(
            !text.contains(".local") && !text.contains("__local_depot"),
            "{symbol} uses local memory:\n{text}"
        );
    }
}

#[test]
fn the_tensor_core_selftests_emit_exactly_the_promised_collectives() {
    // Each call of the tensor-core API is one instruction in the PTX, never more: a warp-
    // collective instruction copied into both arms of a branch (what LLVM did to the
    // non-convergent `llvm.nvvm.mma` intrinsic) would show as an extra one here.
    use kernels_gpu::selftest as st;
    let exact: &[(&str, &[(&str, usize)])] = &[
        (
            st::selftest_mma_bf16::SYMBOL,
            &[("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", 1)],
        ),
        (
            st::selftest_mma_f16::SYMBOL,
            &[("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32", 1)],
        ),
        (
            st::selftest_ldmatrix::SYMBOL,
            &[
                ("ldmatrix.sync.aligned.m8n8.x1.shared.b16", 1),
                ("ldmatrix.sync.aligned.m8n8.x2.shared.b16", 1),
                ("ldmatrix.sync.aligned.m8n8.x4.shared.b16", 1),
                ("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16", 1),
                ("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16", 1),
                ("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16", 1),
            ],
        ),
        (
            st::selftest_cp_async::SYMBOL,
            &[
                ("cp.async.ca.shared.global", 4),
                ("cp.async.cg.shared.global", 2),
                ("cp.async.commit_group;", 2),
                ("cp.async.wait_group", 2),
            ],
        ),
        (
            st::selftest_tc_chain::SYMBOL,
            &[
                ("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", 32),
                ("ldmatrix.sync.aligned.m8n8.x4.shared.b16", 4),
                ("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16", 16),
                ("cp.async.cg.shared.global", 20),
            ],
        ),
    ];
    for (symbol, instructions) in exact {
        let text = kernel_lab::ptx::kernel_text(kernel_lab::ptx::PTX, symbol)
            .unwrap_or_else(|| panic!("{symbol} is not in the PTX"));
        for &(i, want) in *instructions {
            let n = text
                .lines()
                .filter(|l| {
                    let l = l.trim_start();
                    l.starts_with(i) && l[i.len()..].starts_with([' ', '\t', ';'])
                        || (i.ends_with(';') && l == i)
                })
                .count();
            assert_eq!(n, want, "{symbol}: {n} × `{i}`, promised {want}:\n{text}");
        }
        assert!(
            !text.contains(".local") && !text.contains("__local_depot"),
            "{symbol} uses local memory:\n{text}"
        );
    }
}

#[test]
fn the_cluster_selftest_emits_one_instruction_per_call() {
    // The cluster barrier is inline asm (`.aligned`: the whole warp executes it); a copy in
    // both arms of a branch would show as an extra arrive or wait here. In the sm_90a module.
    let symbol = kernels_gpu::selftest::selftest_cluster::SYMBOL;
    let text = kernel_lab::ptx::kernel_text(kernel_lab::ptx::PTX_SM90A, symbol)
        .unwrap_or_else(|| panic!("{symbol} is not in the sm_90a PTX"));
    let exact: &[(&str, usize)] = &[
        ("mapa.shared::cluster.u32", 4),
        ("st.shared::cluster.f32", 1),
        ("st.shared::cluster.u32", 1),
        ("ld.shared::cluster.f32", 1),
        ("ld.shared::cluster.u32", 1),
        ("barrier.cluster.arrive.release.aligned;", 2),
        ("barrier.cluster.wait.acquire.aligned;", 2),
    ];
    for &(i, want) in exact {
        let n = text
            .lines()
            .map(str::trim_start)
            .filter(|l| *l == i || (l.starts_with(i) && l[i.len()..].starts_with([' ', '\t'])))
            .count();
        assert_eq!(n, want, "{symbol}: {n} × `{i}`, promised {want}:\n{text}");
    }
    for sreg in [
        "%cluster_ctarank",
        "%cluster_nctarank",
        "%clusterid.x",
        "%cluster_ctaid.x",
    ] {
        assert!(text.contains(sreg), "{symbol}: no {sreg}");
    }
    assert!(
        !text.contains(".local") && !text.contains("__local_depot"),
        "{symbol} uses local memory:\n{text}"
    );
}

#[test]
fn the_grid_dependency_selftests_emit_one_instruction_per_call_before_any_global_access() {
    // `griddepcontrol` is inline asm with a memory clobber: the producer triggers once, before
    // its first global access; the consumer waits once, and no global load or store (the
    // producer's output) is moved above the wait. In the sm_90a module.
    use kernels_gpu::selftest as st;
    for (symbol, call, other) in [
        (
            st::selftest_pdl_producer::SYMBOL,
            "griddepcontrol.launch_dependents;",
            "griddepcontrol.wait;",
        ),
        (
            st::selftest_pdl_consumer::SYMBOL,
            "griddepcontrol.wait;",
            "griddepcontrol.launch_dependents;",
        ),
    ] {
        let text = kernel_lab::ptx::kernel_text(kernel_lab::ptx::PTX_SM90A, symbol)
            .unwrap_or_else(|| panic!("{symbol} is not in the sm_90a PTX"));
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == call).collect();
        assert_eq!(
            at.len(),
            1,
            "{symbol}: {} × `{call}`, promised 1:\n{text}",
            at.len()
        );
        assert!(!text.contains(other), "{symbol} has `{other}`:\n{text}");
        let global = lines
            .iter()
            .position(|l| l.starts_with("ld.global") || l.starts_with("st.global"))
            .unwrap_or_else(|| panic!("{symbol}: no global access:\n{text}"));
        assert!(
            at[0] < global,
            "{symbol}: a global access comes before `{call}`:\n{text}"
        );
    }
}

#[path = "../build/launch_bounds.rs"]
mod launch_bounds;

const SAMPLE_PTX: &str = "//
.version 8.0
.target sm_80
.address_size 64

// klab:launch_bounds gemm_b 256 2
// klab:launch_bounds copy_a 128
.shared .align 16 .b8 tile[4096];

\t// .globl\tcopy_a
.visible .entry copy_a(
\t.param .align 8 .b8 copy_a_param_0[48]
)
{
\tret;
}
\t// .globl\tgemm_b
.visible .entry gemm_b(
\t.param .align 8 .b8 gemm_b_param_0[48]
)
{
\tret;
}
";

#[test]
fn launch_bounds_markers_become_entry_directives() {
    let out = launch_bounds::apply_launch_bounds(SAMPLE_PTX).unwrap();
    assert!(
        out.contains(
            ".visible .entry gemm_b(\n\t.param .align 8 .b8 gemm_b_param_0[48]\n)\n\
             .maxntid 256, 1, 1\n.minnctapersm 2\n{"
        ),
        "{out}"
    );
    assert!(
        out.contains("copy_a_param_0[48]\n)\n.maxntid 128, 1, 1\n{"),
        "{out}"
    );
    assert_eq!(out.matches(".maxntid").count(), 2, "{out}");
    assert_eq!(out.matches(".minnctapersm").count(), 1, "{out}");
    // Without markers the text is unchanged.
    let plain = SAMPLE_PTX.replace("// klab:launch_bounds", "// other");
    assert_eq!(launch_bounds::apply_launch_bounds(&plain).unwrap(), plain);
}

#[test]
fn launch_bounds_of_a_missing_or_prefixed_entry_fail_with_its_name() {
    // `gemm` is a prefix of `gemm_b`, not an entry.
    let ptx = SAMPLE_PTX.replace("launch_bounds gemm_b 256 2", "launch_bounds gemm 256 2");
    let err = launch_bounds::apply_launch_bounds(&ptx).unwrap_err();
    assert!(
        err.contains("kernel gemm,") && err.contains("no `.entry gemm(`"),
        "{err}"
    );
    // Applied twice: the entry already has directives.
    let once = launch_bounds::apply_launch_bounds(SAMPLE_PTX).unwrap();
    let err = launch_bounds::apply_launch_bounds(&once).unwrap_err();
    assert!(err.contains("already has directives"), "{err}");
    for bad in ["gemm_b x 2", "gemm_b", "gemm_b 2048 2", "gemm_b 256 2 7"] {
        let ptx = SAMPLE_PTX.replace("gemm_b 256 2", bad);
        assert!(
            launch_bounds::apply_launch_bounds(&ptx).is_err(),
            "accepted {bad:?}"
        );
    }
}

#[test]
fn the_embedded_ptx_carries_the_directives_of_every_bounded_kernel() {
    let ptx = kernel_lab::ptx::PTX;
    let requests = launch_bounds::launch_bounds_requests(ptx).unwrap();
    for r in &requests {
        let text = kernel_lab::ptx::kernel_text(ptx, &r.entry).expect("bounded kernel in PTX");
        let header = &text[text.find(&format!(".entry {}(", r.entry)).unwrap()..];
        let header = &header[..header.find('{').unwrap()];
        assert!(
            header.contains(&format!("\n.maxntid {}, 1, 1", r.max_threads)),
            "{header}"
        );
        if let Some(b) = r.min_blocks {
            assert!(header.contains(&format!("\n.minnctapersm {b}")), "{header}");
        }
    }
    // And no entry has directives without a marker (they come only from `#[launch_bounds]`).
    assert_eq!(ptx.matches("\n.maxntid ").count(), requests.len());
}

/// The README's "Writing a kernel" recipe shows real code: its first block is a step file in
/// full, its second the ladder's `steps!` list, each as it stands in the repository (read at
/// compile time, so the check runs without the checkout too).
#[test]
fn the_readme_recipe_is_the_code() {
    let readme = include_str!("../README.md");
    let recipe = &readme[readme
        .find("## Writing a kernel")
        .expect("README has a \"Writing a kernel\" section")..];
    let blocks: Vec<&str> = recipe
        .split("```rust\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert!(blocks.len() >= 2, "the recipe has its two code blocks");
    assert_eq!(
        blocks[0],
        include_str!("../kernels-gpu/src/vector_add/s01_naive.rs"),
        "README block 1 must be kernels-gpu/src/vector_add/s01_naive.rs, verbatim"
    );
    assert!(
        include_str!("../kernels-gpu/src/vector_add/mod.rs").contains(blocks[1]),
        "README block 2 must stand in kernels-gpu/src/vector_add/mod.rs:\n{}",
        blocks[1]
    );
    // And what it describes is what the registry does with it.
    let (_, step) = kernel_lab::registry::find("vector_add/1").unwrap();
    assert_eq!((step.slug, step.symbol), ("naive", "vector_add_s01_naive"));
}
