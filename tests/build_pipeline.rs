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
    let missing = kernel_lab::ptx::missing_entries(ptx, kernel_lab::registry::all_symbols());
    assert!(missing.is_empty(), "{missing:?}");
}
