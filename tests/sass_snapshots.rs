//! SASS checks on the CPU (ptxas + nvdisasm, no GPU):
//!
//! - the build-pipeline guard: the embedded PTX assembles for sm_80 and sm_90 and ptxas reports
//!   every registered kernel;
//! - every kernel that uses shared memory reads and writes it with LDS/STS, never with generic
//!   LD/ST (docs/architecture.md §3);
//! - a kernel assembled on its own (what `klab sass` does) has the module's resources and SASS,
//!   and a second `klab sass` takes both from the cache;
//! - pinned kernels' instruction mixes match the blessed snapshots in `tests/snapshots/`.
//!   After an intended change, re-bless with `KLAB_BLESS=1 cargo test --test sass_snapshots`
//!   and review the diff of `tests/snapshots/` like code.
//!
//! Without the tools the tests fail with the install hint, unless
//! `KLAB_ALLOW_NO_CUDA_TOOLS=1` (then they print a skip line and pass).

use kernel_lab::registry::Arch;
use kernel_lab::tools::discover::{self, Tool};
use kernel_lab::tools::summary::Summary;
use kernel_lab::tools::{diff, ptxas, sass};
use kernel_lab::{ptx, registry};
use std::path::PathBuf;

/// The architectures every kernel must assemble for: A100 and H100.
const ARCHES: &[&str] = &["sm_80", "sm_90"];

/// Kernels whose instruction mix is pinned, and the architecture of the snapshot.
const PINNED: &[&str] = &[
    "vector_add_s01_naive",
    "saxpy_s01_naive",
    "saxpy_s02_grid_stride",
    "reduce_sum_s05_warp_shuffle",
];
const SNAPSHOT_ARCH: &str = "sm_90";

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

#[test]
fn embedded_ptx_assembles_for_every_supported_arch() {
    if !tools_or_skip("embedded_ptx_assembles_for_every_supported_arch") {
        return;
    }
    for arch in ARCHES {
        let a = ptxas::embedded(arch).unwrap_or_else(|e| panic!("ptxas for {arch}: {e}"));
        for symbol in ptx::entry_names(ptx::PTX) {
            let r = a
                .resources_of(symbol)
                .unwrap_or_else(|e| panic!("{arch}: {e}\nptxas said:\n{}", a.log));
            assert!(r.registers > 0, "{arch}: {symbol}: {r:?}");
        }
        for symbol in registry::module_symbols(Arch::Sm80) {
            a.resources_of(symbol).unwrap();
        }
    }
}

/// Whether a kernel touches shared memory: static shared memory in ptxas's report, or a
/// shared-space instruction in its PTX (dynamic shared memory does not show in the report).
fn uses_shared_memory(symbol: &str, smem_bytes: u64) -> bool {
    let text = ptx::kernel_text(ptx::PTX, symbol).unwrap_or_default();
    // `.shared.` is in every shared-space instruction (`ld.shared.f32`, `red.shared.add`,
    // `cvta.shared.u64`, `cp.async...shared.global`), not in `.shared .align` declarations.
    smem_bytes > 0
        || text
            .lines()
            .any(|l| !l.trim_start().starts_with("//") && l.contains(".shared."))
}

#[test]
fn shared_memory_is_accessed_with_lds_and_sts_never_generic_ld_st() {
    if !tools_or_skip("shared_memory_is_accessed_with_lds_and_sts_never_generic_ld_st") {
        return;
    }
    let mut checked = 0;
    for arch in ARCHES {
        let module = sass::ModuleSass::embedded(arch).unwrap_or_else(|e| panic!("{e}"));
        for symbol in ptx::entry_names(ptx::PTX) {
            let k = module.kernel(symbol).unwrap_or_else(|e| panic!("{e}"));
            if !uses_shared_memory(symbol, k.resources.smem_bytes) {
                continue;
            }
            let s = Summary::of(&k);
            // Shared-memory instructions: LDS/STS, shared atomics (ATOMS: `red.shared` and
            // `atom.shared` become these) and ldmatrix (LDSM).
            let shared_ops =
                s.mix.family("LDS") + s.mix.family("STS") + s.mix.get("ATOMS") + s.mix.get("LDSM");
            assert!(
                shared_ops > 0,
                "{symbol} ({arch}) uses shared memory but has no LDS/STS/ATOMS/LDSM:\n{s}"
            );
            assert_eq!(
                s.mix.get("LD") + s.mix.get("ST"),
                0,
                "{symbol} ({arch}) has generic LD/ST (shared memory through a generic \
                 pointer?):\n{s}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no kernel uses shared memory?");
}

/// The snapshot folder: the source tree's, else `tests/snapshots` under the current directory
/// (a test binary shipped to a GPU host and run from a checkout); `None` without either.
fn snapshot_dir() -> Option<PathBuf> {
    [
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots"),
        PathBuf::from("tests/snapshots"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

#[test]
fn pinned_kernels_match_their_instruction_mix_snapshots() {
    if !tools_or_skip("pinned_kernels_match_their_instruction_mix_snapshots") {
        return;
    }
    let Some(dir) = snapshot_dir() else {
        // A test binary shipped without the source tree: the snapshots are CI's check.
        eprintln!(
            "pinned_kernels_match_their_instruction_mix_snapshots: skipped: no tests/snapshots"
        );
        return;
    };
    let bless = std::env::var("KLAB_BLESS").is_ok_and(|v| v == "1");
    // Instruction counts belong to one ptxas: the snapshots record which.
    let version = ptxas::version().unwrap_or_else(|e| panic!("{e}"));
    let version_file = dir.join("PTXAS_VERSION");
    if bless {
        std::fs::write(&version_file, format!("{version}\n")).unwrap();
    } else {
        let blessed = std::fs::read_to_string(&version_file).unwrap_or_default();
        if blessed.trim() != version {
            let why = format!(
                "snapshots are from ptxas {:?}, this is {version:?} (pin the wheels, or re-bless \
                 with KLAB_BLESS=1 cargo test --test sass_snapshots)",
                blessed.trim()
            );
            // CI pins the wheels: there a mismatch is a broken pin, not a reason to skip.
            assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{why}");
            eprintln!("pinned_kernels_match_their_instruction_mix_snapshots: skipped: {why}");
            return;
        }
    }
    let mut failures = Vec::new();
    for symbol in PINNED {
        let k = sass::kernel_sass(symbol, SNAPSHOT_ARCH).unwrap_or_else(|e| panic!("{e}"));
        let got = Summary::of(&k).snapshot();
        let path = dir.join(format!("{symbol}.{SNAPSHOT_ARCH}.txt"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!(
                "{symbol}: instruction mix changed ({}):\n{}",
                path.display(),
                kernel_lab::tools::diff::unified("blessed", &lines(&want), "now", &lines(&got), 20)
            )),
            Err(e) => failures.push(format!("{symbol}: {}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nIf the change is intended: KLAB_BLESS=1 cargo test --test sass_snapshots",
        failures.join("\n")
    );
}

fn lines(s: &str) -> Vec<String> {
    s.lines().map(str::to_string).collect()
}

#[test]
fn pinned_kernels_use_the_instructions_their_technique_promises() {
    if !tools_or_skip("pinned_kernels_use_the_instructions_their_technique_promises") {
        return;
    }
    let summary = |s: &str| Summary::of(&sass::kernel_sass(s, SNAPSHOT_ARCH).unwrap());
    let r = summary("reduce_sum_s05_warp_shuffle");
    assert!(r.mix.family("LDS") > 0 && r.mix.family("STS") > 0, "{r}");
    assert!(r.mix.get("SHFL") > 0 && r.mix.get("BAR") > 0, "{r}");
    assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{r}");
    for s in ["saxpy_s01_naive", "saxpy_s02_grid_stride"] {
        let s = summary(s);
        assert!(s.mix.family("LDG") >= 2 && s.mix.family("STG") >= 1, "{s}");
        assert!(s.mix.get("FFMA") >= 1, "saxpy must use FFMA:\n{s}");
        assert_eq!(s.spill_stores, 0, "{s}");
        assert_eq!(s.mix.get("LDL") + s.mix.get("STL"), 0, "{s}");
    }
    // bias_gelu/4 (bf16): x and y move as 8 halves per 128-bit access (x on the non-coherent
    // path), the bias as 16-bit loads; f32 math with MUFU.TANH, rounded by F2FP.BF16 packs; 32
    // registers (8 blocks of 256 threads per SM, the launch's), nothing spilled.
    let k = sass::kernel_sass("bias_gelu_s04_bf16_fused_vectorized", SNAPSHOT_ARCH).unwrap();
    let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
    let count = |op: &str| ops.iter().filter(|o| *o == op).count();
    let b = Summary::of(&k);
    assert!(
        count("LDG.E.128.CONSTANT") >= 2 && count("STG.E.128") >= 2,
        "{b}"
    );
    assert!(count("LDG.E.U16.CONSTANT") >= 8, "{b}");
    assert!(
        count("MUFU.TANH") >= 16 && count("F2FP.BF16.F32.PACK_AB") >= 8,
        "{b}"
    );
    assert!(b.registers <= 32, "{b}");
    assert_eq!(b.spill_stores + b.stack_frame, 0, "{b}");
    assert_eq!(
        b.mix.get("LDL") + b.mix.get("STL") + b.mix.get("LD") + b.mix.get("ST"),
        0,
        "{b}"
    );
    // The top bf16 steps, on both architectures: every vector access 128-bit (8 halves), no
    // local memory. saxpy/4: x read-only (`LDG.E.128.CONSTANT`) and y coherent, 8 f32 FFMA and
    // 4 packed roundings to bf16 per vector (`F2FP.BF16…PACK_AB`). transpose/6: 8 × 128-bit
    // global loads and stores, 8 × 128-bit shared stores and loads, the register transpose's
    // 32 `PRMT`, one barrier.
    for arch in ARCHES {
        let of = |symbol: &str| {
            let k = sass::kernel_sass(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
            let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
            (Summary::of(&k), ops)
        };
        let count = |ops: &[String], base: &str, mods: &[&str]| {
            ops.iter()
                .filter(|o| {
                    let mut parts = o.split('.');
                    parts.next() == Some(base) && {
                        let m: Vec<&str> = parts.collect();
                        mods.iter().all(|x| m.contains(x))
                    }
                })
                .count()
        };
        let (s, ops) = of(kernels_gpu::saxpy::saxpy_s04_bf16_vectorized::SYMBOL);
        assert_eq!(count(&ops, "LDG", &["128", "CONSTANT"]), 1, "{arch}: {s}");
        assert_eq!(s.mix.get("LDG.128"), 2, "{arch}: x and y, 128-bit:\n{s}");
        assert_eq!(s.mix.get("STG.128"), 1, "{arch}: {s}");
        assert!(s.mix.get("FFMA") >= 8, "{arch}: {s}");
        assert!(
            count(&ops, "F2FP", &["BF16", "PACK_AB"]) >= 4,
            "{arch}: {ops:?}"
        );
        assert_eq!(s.stack_frame + s.spill_stores, 0, "{arch}: {s}");
        assert_eq!(s.mix.get("LDL") + s.mix.get("STL"), 0, "{arch}: {s}");

        let (t, ops) = of(kernels_gpu::transpose::transpose_s06_bf16_smem_vectorized::SYMBOL);
        assert_eq!(count(&ops, "LDG", &["128", "CONSTANT"]), 8, "{arch}: {t}");
        assert_eq!(t.mix.get("STG.128"), 8, "{arch}: {t}");
        assert_eq!(t.mix.get("STS.128"), 8, "{arch}: {t}");
        assert_eq!(t.mix.get("LDS.128"), 8, "{arch}: {t}");
        assert_eq!(count(&ops, "PRMT", &[]), 32, "{arch}: {ops:?}");
        assert_eq!(t.mix.get("BAR"), 1, "{arch}: one barrier:\n{t}");
        assert_eq!(t.mix.get("LD") + t.mix.get("ST"), 0, "{arch}: {t}");
        assert_eq!(t.stack_frame + t.spill_stores, 0, "{arch}: {t}");
        assert_eq!(t.mix.get("LDL") + t.mix.get("STL"), 0, "{arch}: {t}");
    }
    // The bf16 reductions: the input in 128-bit loads of 8 (four in the main loop, one in the
    // remainder loop), the unaligned head and tail as 16-bit scalars, f32 adds (a tree of 8
    // per vector), no generic or local memory. Step 9 adds step 8's single-pass finish: one
    // 32-bit `ld.global.cg` of the partials, one atomic, three barriers.
    for s in [
        "reduce_sum_s09_bf16_single_pass",
        "row_sum_s04_bf16_block_per_row",
    ] {
        let r = summary(s);
        assert_eq!(r.mix.get("LDG.128"), 5, "{r}");
        assert_eq!(r.mix.get("LDG.16"), 2, "{r}");
        assert!(r.mix.get("FADD") >= 4 * 8, "{r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{r}");
    }
    // The normalisation ladders' top steps: the row held in registers moves in 128-bit
    // vectors (layernorm/3: 16 `F32x4` of x, then γ and β per vector; bf16 layernorm/4: 8
    // `Bf16x8`, y rounded in pairs), exactly two block reductions of two barriers each (one
    // for rmsnorm), `rsqrt.approx` (`MUFU.RSQ`), nothing spilled, no generic or local memory.
    for (symbol, wide_loads, wide_stores, bars) in [
        ("layernorm_s03_registers", 48, 16, 4),
        ("layernorm_s04_bf16_registers", 24, 8, 4),
        ("rmsnorm_s01_registers", 32, 16, 2),
        ("rmsnorm_s02_bf16_registers", 16, 8, 2),
        ("layernorm_backward_s03_bf16_fused", 6, 2, 4),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= wide_stores, "{symbol}: {r}");
        assert_eq!(r.mix.get("BAR"), bars, "{symbol}: {r}");
        assert!(r.mix.get("MUFU") >= 1, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
    }
    // The strided register steps (layernorm/5–6, rmsnorm/3–4): per thread 4 chunks of x as
    // 128-bit loads (f32: 8 `F32x4`, bf16: 4 `Bf16x8`), γ (and β) in the same layout, y as
    // 128-bit stores, plus the looped fallback's few; one barrier per block reduction on the
    // register path (2 for layernorm, 1 for rmsnorm) plus the fallback's `row_sum`s (4 / 2);
    // at most 64 registers (launch bounds 1024: a 32000-column row is one block of 1024, and
    // at 4096 columns ≥ 2 blocks of 128 per SM), nothing spilled, no generic or local memory.
    for (symbol, wide_loads, wide_stores, bars) in [
        ("layernorm_s05_strided", 24, 8, 6),
        ("layernorm_s06_bf16_strided", 12, 4, 6),
        ("rmsnorm_s03_strided", 16, 8, 3),
        ("rmsnorm_s04_bf16_strided", 8, 4, 3),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= wide_stores, "{symbol}: {r}");
        assert_eq!(r.mix.get("BAR"), bars, "{symbol}: {r}");
        assert!(r.mix.get("MUFU") >= 1, "{symbol}: {r}");
        assert!(r.registers <= 64, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
    }
    // layernorm/10–11 (one-pass statistics, γ/β loaded ahead): step 5's / 6's 128-bit loads
    // and stores, one barrier on the register path (one reduction of two sums) plus the
    // fallback's 4, at most 64 registers, nothing spilled, no generic or local memory.
    for (symbol, wide_loads, wide_stores) in [
        ("layernorm_s10_one_pass", 24, 8),
        ("layernorm_s11_bf16_one_pass", 12, 4),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= wide_stores, "{symbol}: {r}");
        assert_eq!(r.mix.get("BAR"), 5, "{symbol}: {r}");
        assert!(r.mix.get("MUFU") >= 1, "{symbol}: {r}");
        assert!(r.registers <= 64, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
        // x's chunks all in flight at once: the row's 128-bit loads (f32 8, bf16 4) issued
        // with no FADD between them (bundle 04e9dd3's layernorm/10 issued them in four groups,
        // each after the previous group's data had arrived).
        let k = sass::kernel_sass(symbol, SNAPSHOT_ARCH).unwrap();
        let (mut run, mut longest) = (0, 0);
        for i in k.instructions() {
            if i.base() == "LDG" && i.opcode.split('.').any(|m| m == "128") {
                run += 1;
                longest = longest.max(run);
            } else if i.base() == "FADD" {
                run = 0;
            }
        }
        // As many of x's 128-bit loads as the row has 128-bit stores (f32 8, bf16 4).
        let x_loads = wide_stores;
        assert!(
            longest >= x_loads,
            "{symbol}: at most {longest} 128-bit loads without an FADD between them"
        );
    }
    // layernorm/12 (the next row streamed into shared memory): the row's 8 vectors a thread
    // copied by `cp.async` twice (the first row, then each next one: `LDGSTS`, no registers)
    // and read back as `LDS.128`, γ and β in 128-bit loads, y in 128-bit stores; one barrier on
    // the register path plus the fallback's 3; at most 64 registers; ptxas keeps one value a
    // row in local memory (4 B: one STL and one LDL), no more.
    let r = summary("layernorm_s12_streamed");
    assert!(r.mix.get("LDGSTS") >= 16, "{r}");
    assert!(r.mix.get("LDS.128") >= 8, "{r}");
    assert!(r.mix.get("LDG.128") >= 16, "{r}");
    assert!(r.mix.get("STG.128") >= 8, "{r}");
    assert_eq!(r.mix.get("BAR"), 4, "{r}");
    assert!(r.registers <= 64, "{r}");
    assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{r}");
    assert!(r.mix.get("LDL") + r.mix.get("STL") <= 2, "{r}");
    assert!(r.spill_stores <= 4, "{r}");
    // layernorm/13 (bf16, the row staged in shared memory): the row's 4 vectors a thread
    // copied by `cp.async` (`LDGSTS`, no registers) and read back as `LDS.128` in each of the
    // three passes (12: the reductions' barriers keep them out of registers), γ and β in
    // 128-bit loads, y in 128-bit stores; the two reductions' barriers plus the fallback's
    // two; at most 32 registers (launch bounds (1024, 2)), nothing spilled, no generic or
    // local memory.
    let r = summary("layernorm_s13_bf16_staged");
    assert!(r.mix.get("LDGSTS") >= 4, "{r}");
    assert!(r.mix.get("LDS.128") >= 12, "{r}");
    assert!(r.mix.get("LDG.128") >= 8, "{r}");
    assert!(r.mix.get("STG.128") >= 4, "{r}");
    assert_eq!(r.mix.get("BAR"), 4, "{r}");
    assert!(r.registers <= 32, "{r}");
    assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{r}");
    assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{r}");
    assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{r}");
    // layernorm_backward/4–5, kernel 1: dy and x as 128-bit loads in the strided layout (f32:
    // at least 8 `F32x4` each, bf16: 4 `Bf16x8` each; γ besides), dx as 128-bit stores, the
    // partials as `LDS.128`/`STS.128`; 3 barriers (the team sums' one, the looped fallback's
    // one, the final one); at most 64 registers (2 blocks of 512 per SM), nothing spilled, no
    // generic or local memory.
    // Steps 8–9 (4–5 with the next row group prefetched): the same, plus their `CCTL.E.PF2`
    // L2 prefetches (f32: 4 vectors each of dy and x a thread, bf16: 2).
    for (symbol, wide_loads, wide_stores, prefetches) in [
        ("layernorm_backward_s04_strided", 16, 4, 0),
        ("layernorm_backward_s05_bf16_strided", 8, 2, 0),
        ("layernorm_backward_s08_prefetched", 16, 4, 8),
        ("layernorm_backward_s09_bf16_prefetched", 8, 2, 4),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= wide_stores, "{symbol}: {r}");
        assert!(r.mix.get("LDS.128") >= 16, "{symbol}: {r}");
        assert!(r.mix.get("STS.128") >= 16, "{symbol}: {r}");
        assert_eq!(r.mix.get("BAR"), 3, "{symbol}: {r}");
        assert!(r.registers <= 64, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
        let k = sass::kernel_sass(symbol, SNAPSHOT_ARCH).unwrap();
        let pf = k
            .instructions()
            .into_iter()
            .filter(|i| i.opcode == "CCTL.E.PF2")
            .count();
        assert_eq!(pf, prefetches, "{symbol}: {pf} L2 prefetches");
    }
    // layernorm_backward/6–7, kernel 1 (long rows, a 1024-thread block per row): dy, x and γ of
    // every round as 128-bit loads in both passes (f32: 8 rounds × 3 × 2, bf16: 4 × 3 × 2), dx
    // as 128-bit stores (one a round), the dβ partials as `LDS.128`/`STS.128` (16 each), the
    // dγ partials in registers within launch bounds 1024 (at most 64): nothing spilled, no
    // generic or local memory; 2 barriers (the row sums', the looped fallback's).
    for (symbol, wide_loads, wide_stores) in [
        ("layernorm_backward_s06_long_rows", 48, 8),
        ("layernorm_backward_s07_bf16_long_rows", 24, 4),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= wide_stores, "{symbol}: {r}");
        assert!(r.mix.get("LDS.128") >= 16, "{symbol}: {r}");
        assert!(r.mix.get("STS.128") >= 16, "{symbol}: {r}");
        assert_eq!(r.mix.get("BAR"), 2, "{symbol}: {r}");
        assert!(r.registers <= 64, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
    }
    // layernorm_backward/10–11, kernel 1 (streamed): dy and x reach shared memory by
    // `cp.async` (`LDGSTS`: each row group's copy f32 4 vectors and bf16 2, plus the two
    // statistics words, in the loop and the prologue's copies ahead), are read back as
    // `LDS.128` (f32 4 a row group, bf16 2) and dx leaves as `STG.128` (2 / 1); the partials
    // and γ in registers within launch bounds 1024 (at most 64): no spills, no local memory.
    for (symbol, copies, reads, stores) in [
        ("layernorm_backward_s10_streamed", 6, 4, 2),
        ("layernorm_backward_s11_bf16_streamed", 4, 2, 1),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDGSTS") >= 2 * copies, "{symbol}: {r}");
        assert!(r.mix.get("LDS.128") >= reads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= stores, "{symbol}: {r}");
        assert!(r.registers <= 64, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
    }
    let k = sass::kernel_sass("layernorm_s04_bf16_registers", SNAPSHOT_ARCH).unwrap();
    let packs = k
        .instructions()
        .into_iter()
        .filter(|i| i.opcode == "F2FP.BF16.F32.PACK_AB")
        .count();
    assert!(
        packs >= 32,
        "layernorm/4 rounds y in pairs: {packs} F2FP.BF16 packs"
    );
    let r = summary("reduce_sum_s09_bf16_single_pass");
    assert_eq!(r.mix.get("LDG.32"), 1, "{r}");
    assert_eq!((r.mix.get("BAR"), r.mix.get("ATOMG")), (3, 1), "{r}");
    // Four loads in flight: ptxas issues the main loop's four `LDG.E.128` before the first
    // add consumes one (without step 9's launch bounds it issued two, widened the first, and
    // only then the other two).
    for arch in ARCHES {
        for s in [
            "reduce_sum_s09_bf16_single_pass",
            "row_sum_s04_bf16_block_per_row",
        ] {
            let k = sass::kernel_sass(s, arch).unwrap();
            let ins = k.instructions();
            let wide = |i: &&kernel_lab::tools::sass::Instr| {
                i.base() == "LDG" && i.opcode.split('.').any(|m| m == "128")
            };
            let first = ins.iter().position(|i| wide(&i)).expect("a 128-bit load");
            let loop_body = &ins[first..];
            let fourth = loop_body.iter().filter(wide).nth(3).map(|i| i.offset);
            let first_add = loop_body
                .iter()
                .find(|i| i.base() == "FADD")
                .map(|i| i.offset);
            assert!(
                fourth.is_some() && fourth < first_add,
                "{s} ({arch}): the fourth 128-bit load (at {fourth:x?}) comes after the first \
                 FADD (at {first_add:x?})"
            );
        }
    }
    // The software-pipelined bf16 forward steps (softmax/9, layernorm/7, rmsnorm/5): two rows of
    // chunks in flight per thread (the current row's 4 `Bf16x8` and the next row's 4: ≥ 8
    // 128-bit loads, plus γ and β's for the norms), 128-bit stores, within the registers their
    // launch bounds leave (72 at 896 threads, 80 at 768 for layernorm/7: 7 and 6 blocks of 128
    // per SM), nothing spilled, no generic or local memory.
    for (symbol, wide_loads, max_registers) in [
        ("softmax_s09_bf16_pipelined", 8, 72),
        ("layernorm_s07_bf16_pipelined", 16, 80),
        ("rmsnorm_s05_bf16_pipelined", 12, 72),
        // The short-row steps (layernorm/8, rmsnorm/6): step 6's / 4's block body plus the
        // sub-warp team path (its own 4 chunk loads, γ, β), within launch bounds 1024.
        ("layernorm_s08_bf16_short_rows", 16, 64),
        ("rmsnorm_s06_bf16_short_rows", 12, 64),
        // Their f32 counterparts (layernorm/9, rmsnorm/7) at 2 chunks of two `F32x4` a thread
        // or lane: x, γ (and β) in 128-bit loads on both paths (4 + 4 + 4 a path for layernorm,
        // 4 + 4 for rmsnorm), within launch bounds 1024.
        ("layernorm_s09_short_rows", 24, 64),
        ("rmsnorm_s07_short_rows", 16, 64),
    ] {
        let r = summary(symbol);
        assert!(r.mix.get("LDG.128") >= wide_loads, "{symbol}: {r}");
        assert!(r.mix.get("STG.128") >= 4, "{symbol}: {r}");
        assert!(r.mix.get("BAR") >= 2, "{symbol}: {r}");
        assert!(r.registers <= max_registers, "{symbol}: {r}");
        assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{symbol}: {r}");
        assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{symbol}: {r}");
        assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{symbol}: {r}");
    }
    // The top softmax steps (row in registers): the chunks in 128-bit loads on the read-only
    // path (f32: 4 chunks of two; bf16: 4 of one) and 128-bit stores, every load of the register
    // path issued before the first MUFU.EX2 (one read, all in flight), ex2 on the MUFU for the
    // 32 values a thread holds, at most 64 registers (blocks of 1024), nothing spilled; the
    // backward top steps: both inputs in 128-bit loads, 128-bit stores.
    for arch in ARCHES {
        for (s, loads, stores) in [
            ("softmax_s05_registers", 8, 8),
            ("softmax_s06_bf16_registers", 4, 4),
            ("softmax_s07_bf16_packed", 4, 4),
            ("softmax_s08_bf16_packed_512", 8, 8),
            ("softmax_backward_s02_registers", 8, 4),
            // Step 2's 8 + 4 on short rows, and the long rows' 8 of y, 8 + 8 of dy, 8 stores.
            ("softmax_backward_s04_y_registers", 32, 12),
            ("softmax_backward_s03_bf16_registers", 8, 4),
        ] {
            // softmax/8's `launch_bounds(512, 2)` caps it at 64 registers: ptxas fits that for
            // sm_90 (the H200) but spills 40 B a thread for sm_80; promised for sm_90 only.
            if s == "softmax_s08_bf16_packed_512" && *arch == "sm_80" {
                continue;
            }
            let k = sass::kernel_sass(s, arch).unwrap_or_else(|e| panic!("{e}"));
            let r = Summary::of(&k);
            let ins = k.instructions();
            let wide_load =
                |i: &kernel_lab::tools::sass::Instr| i.opcode.starts_with("LDG.E.128.CONSTANT");
            let wide_store = |i: &kernel_lab::tools::sass::Instr| i.opcode == "STG.E.128";
            assert!(
                ins.iter().filter(|i| wide_load(i)).count() >= loads,
                "{s} ({arch}): {r}"
            );
            assert!(
                ins.iter().filter(|i| wide_store(i)).count() >= stores,
                "{s} ({arch}): {r}"
            );
            assert!(r.registers <= 64, "{s} ({arch}): {r}");
            assert_eq!((r.spill_stores, r.stack_frame), (0, 0), "{s} ({arch}): {r}");
            assert_eq!(r.mix.get("LDL") + r.mix.get("STL"), 0, "{s} ({arch}): {r}");
            assert_eq!(r.mix.get("LD") + r.mix.get("ST"), 0, "{s} ({arch}): {r}");
            if s.starts_with("softmax_s0") {
                assert!(r.mix.get("MUFU") >= 32, "{s} ({arch}): {r}");
                // The register path (laid out after the fallback's scalar loop): from its
                // first 128-bit load to the first MUFU.EX2 after it.
                let first = ins.iter().position(wide_load).expect("a 128-bit load");
                let path = &ins[first..];
                let first_ex2 = path.iter().position(|i| i.opcode == "MUFU.EX2");
                let loads_before = path[..first_ex2.unwrap_or(0)]
                    .iter()
                    .filter(|i| wide_load(i))
                    .count();
                assert!(
                    loads_before >= loads,
                    "{s} ({arch}): {loads_before} 128-bit loads before the register path's first MUFU.EX2"
                );
            }
        }
    }
    // attention/3 and /4 (both head dims): per key tile 4·(d/16)·(bk/8)/2 + (bk/16)·(d/8)
    // HMMA.16816.F32.BF16 (Q·Kᵀ and P·V: 64 at d64, 128 at d128), K by LDSM.16.M88.4 and V by
    // LDSM.16.MT88.4, cp.async (LDGSTS, zero-filling), one MUFU.EX2 per score plus two per
    // tile (α), and every fragment and accumulator in registers: no spills, no local memory.
    use kernels_gpu::attention as at;
    for arch in ARCHES {
        for (symbol, hmma) in [
            (at::attention_s03_cp_async::SYMBOL, 64),
            (at::attention_s03_cp_async_d128::SYMBOL, 128),
            (at::attention_s04_tuned::SYMBOL, 64),
            (at::attention_s04_tuned_d128::SYMBOL, 128),
        ] {
            let k = sass::kernel_sass(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
            let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
            let count = |w: &str| ops.iter().filter(|o| o.as_str() == w).count();
            let b = Summary::of(&k);
            assert_eq!(
                count("HMMA.16816.F32.BF16"),
                hmma,
                "{symbol} ({arch}):\n{b}"
            );
            assert!(
                count("LDSM.16.M88.4") > 0 && count("LDSM.16.MT88.4") > 0,
                "{symbol} ({arch}):\n{b}"
            );
            assert!(
                ops.iter().any(|o| o.starts_with("LDGSTS")),
                "{symbol} ({arch}):\n{b}"
            );
            assert!(count("MUFU.EX2") >= 34, "{symbol} ({arch}):\n{b}");
            let local = ops
                .iter()
                .filter(|o| o.starts_with("LDL") || o.starts_with("STL"))
                .count();
            if *arch == "sm_80" && symbol == at::attention_s04_tuned::SYMBOL {
                // Launch bounds (256, 2) hold it to 128 registers: ptxas for sm_80 spills one
                // word (sm_90, the benchmarked target, none).
                assert!(b.spill_stores <= 8 && local <= 2, "{symbol} ({arch}):\n{b}");
                continue;
            }
            assert_eq!(b.spill_stores + b.stack_frame, 0, "{symbol} ({arch}):\n{b}");
            assert_eq!(local, 0, "{symbol} ({arch}) uses local memory");
        }
    }
}

#[test]
fn every_kernels_own_ptx_assembles_on_its_own() {
    // What `klab ptx <kernel>` prints must be a complete module (header, the module variables
    // the kernel uses, the kernel); and `klab sass`/`occupancy`, which assemble just that
    // (`ptxas::kernel`), must report what the whole module does: the same resources on every
    // architecture, and the same SASS up to label numbers.
    if !tools_or_skip("every_kernels_own_ptx_assembles_on_its_own") {
        return;
    }
    for arch in ARCHES {
        let module = sass::ModuleSass::embedded(arch).unwrap_or_else(|e| panic!("{e}"));
        for symbol in ptx::entry_names(ptx::PTX) {
            let alone = ptxas::kernel(symbol, arch).unwrap_or_else(|e| {
                let text = ptx::kernel_text(ptx::PTX, symbol).unwrap_or_default();
                panic!("{symbol}'s own PTX does not assemble for {arch}: {e}\n{text}")
            });
            assert_eq!(
                alone.resources_of(symbol).unwrap(),
                module.assembly.resources_of(symbol).unwrap(),
                "{symbol} ({arch}): resources differ when assembled alone"
            );
            if *arch != SNAPSHOT_ARCH {
                continue;
            }
            let normalised = |k: &sass::KernelSass| -> Vec<String> {
                k.lines.iter().map(|l| diff::normalise(l)).collect()
            };
            let listing = sass::disassemble_cached(&alone.cubin).unwrap();
            let own = sass::KernelSass::cut(&alone, &listing, symbol).unwrap();
            let theirs = module.kernel(symbol).unwrap();
            // Label numbers differ between the two listings: renumber both alike.
            let (a, b) = diff::renumber_labels(&normalised(&own), &normalised(&theirs));
            assert!(
                a == b,
                "{symbol} ({arch}): SASS differs when assembled alone:\n{}",
                diff::unified("module", &theirs.lines, "alone", &own.lines, 3)
            );
        }
    }
}

#[test]
fn a_second_klab_sass_runs_no_tool() {
    // The second call finds ptxas's and nvdisasm's output in the cache: one line each with
    // KLAB_CACHE_LOG=1, and nothing assembled or disassembled.
    if !tools_or_skip("a_second_klab_sass_runs_no_tool") {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let klab = |args: &[&str]| {
        let out =
            std::process::Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")))
                .args(args)
                .env("KLAB_CACHE_DIR", cache.path())
                .env("KLAB_CACHE_LOG", "1")
                .output()
                .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert!(out.status.success(), "klab {args:?}: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    let sass = ["sass", "saxpy/1", "--arch", "sm_90"];
    let (cold, log) = klab(&sass);
    assert!(
        log.contains("klab cache: miss ptxas") && log.contains("klab cache: miss nvdisasm"),
        "{log}"
    );
    let (warm, log) = klab(&sass);
    assert_eq!(warm, cold);
    assert!(
        log.contains("klab cache: hit ptxas") && log.contains("klab cache: hit nvdisasm"),
        "{log}"
    );
    assert!(!log.contains("miss") && !log.contains("replaced"), "{log}");
    // occupancy needs only the assembly, which `klab sass` left there.
    let (_, log) = klab(&["occupancy", "saxpy/1", "--block", "256", "--arch", "sm_90"]);
    assert!(
        log.contains("klab cache: hit ptxas") && !log.contains("miss"),
        "{log}"
    );
}

#[test]
fn bounded_kernels_fit_their_launch_bounds_without_spills() {
    // `#[launch_bounds(T, B)]` (`.maxntid T` + `.minnctapersm B` in the PTX) must make ptxas
    // cap the registers at 65536 / (T·B) on every architecture; and on the one we measure
    // (sm_90, H100) a capped kernel must not spill: spills lose to the uncapped kernel. (On
    // sm_80 ptxas 13.5 spills 52 bytes in the BK = 16 variants at 128 registers: documented in
    // docs/ladders/gemm.md, not a failure here.)
    if !tools_or_skip("bounded_kernels_fit_their_launch_bounds_without_spills") {
        return;
    }
    let mut bounded = 0;
    for arch in ARCHES {
        let a = ptxas::embedded(arch).unwrap_or_else(|e| panic!("ptxas for {arch}: {e}"));
        for symbol in ptx::entry_names(ptx::PTX) {
            let Some((threads, blocks)) = ptx::launch_bounds(ptx::PTX, symbol) else {
                continue;
            };
            bounded += 1;
            let r = a.resources_of(symbol).unwrap();
            let cap = 65536 / (threads.max(1) * blocks.max(1));
            assert!(
                r.registers <= cap.min(255),
                "{arch}: {symbol}: {} registers, launch bounds ({threads}, {blocks}) allow {cap}",
                r.registers
            );
            // layernorm/12 keeps one value a row in local memory (4 B, one STL and one LDL a
            // row; measured as the fastest f32 step at 8192 × 32000 with it, docs/perf-notes.md
            // "layernorm forward long rows"): no more than that.
            let allowed = if symbol == "layernorm_s12_streamed" {
                (8, 4, 4)
            } else {
                (0, 0, 0)
            };
            if *arch == SNAPSHOT_ARCH {
                let got = (r.stack_frame, r.spill_stores, r.spill_loads);
                assert!(
                    got.0 <= allowed.0 && got.1 <= allowed.1 && got.2 <= allowed.2,
                    "{arch}: {symbol} spills under its launch bounds: {r:?}"
                );
            }
        }
    }
    assert!(bounded > 0, "no kernel with launch bounds in the PTX");
    let gemm = "gemm_s09_autotuned_128x128x8_w64x32_lb2";
    assert_eq!(ptx::launch_bounds(ptx::PTX, gemm), Some((256, 2)));
    let sm90 = ptxas::embedded(SNAPSHOT_ARCH).unwrap();
    let r = sm90.resources_of(gemm).unwrap();
    assert!(r.registers <= 128, "{gemm}: {r:?}");
}

#[test]
fn half_precision_selftests_use_the_half_instructions() {
    // What ptxas makes of the half API (kernels-gpu/src/gpu/half.rs), on both architectures:
    // packed bf16/f16 arithmetic on the HFMA2 family, conversions on F2FP / HADD2.F32, and
    // 8-half vectors as single 128-bit accesses. No stack, no local memory.
    if !tools_or_skip("half_precision_selftests_use_the_half_instructions") {
        return;
    }
    use kernels_gpu::selftest as st;
    for arch in ARCHES {
        let opcodes = |symbol: &str| -> Vec<String> {
            let k = sass::kernel_sass(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                k.resources.stack_frame, 0,
                "{symbol} ({arch}): {:?}",
                k.resources
            );
            let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
            let local = ops
                .iter()
                .filter(|o| o.starts_with("LDL") || o.starts_with("STL"));
            assert_eq!(local.count(), 0, "{symbol} ({arch}) uses local memory");
            ops
        };
        let count = |ops: &[String], f: &dyn Fn(&str, &[&str]) -> bool| {
            ops.iter()
                .filter(|o| {
                    let mut parts = o.split('.');
                    let base = parts.next().unwrap_or("");
                    f(base, &parts.collect::<Vec<_>>())
                })
                .count()
        };
        let has = |m: &[&str], x: &str| m.contains(&x);

        let arith = opcodes(st::selftest_half_arith::SYMBOL);
        // bf16 fma, add (fma a, 1, b) and mul (fma a, b, -0): HFMA2.BF16_V2 on sm_80; on
        // sm_90 ptxas may turn the mul into HMUL2.BF16_V2.
        let bf16 = count(&arith, &|b, m| {
            matches!(b, "HFMA2" | "HMUL2" | "HADD2") && has(m, "BF16_V2")
        });
        assert!(bf16 >= 3, "{arch}: {bf16} bf16x2 ops in {arith:?}");
        let plain = |name: &'static str| {
            move |b: &str, m: &[&str]| b == name && !has(m, "BF16_V2") && !has(m, "F32")
        };
        assert!(
            count(&arith, &plain("HFMA2")) >= 1,
            "{arch}: no f16x2 HFMA2 in {arith:?}"
        );
        assert!(
            count(&arith, &plain("HADD2")) >= 1,
            "{arch}: no f16x2 HADD2 in {arith:?}"
        );
        assert!(
            count(&arith, &plain("HMUL2")) >= 1,
            "{arch}: no f16x2 HMUL2 in {arith:?}"
        );

        let from = opcodes(st::selftest_half_from_f32::SYMBOL);
        let f2fp_bf16 = count(&from, &|b, m| b == "F2FP" && has(m, "BF16"));
        let f2fp_f16 = count(&from, &|b, m| b == "F2FP" && !has(m, "BF16"));
        assert!(
            f2fp_bf16 >= 2 && f2fp_f16 >= 2,
            "{arch}: conversions in {from:?}"
        );

        let to = opcodes(st::selftest_half_to_f32::SYMBOL);
        assert!(
            count(&to, &|b, m| b == "HADD2" && has(m, "F32")) >= 1,
            "{arch}: {to:?}"
        );
        assert!(
            count(&to, &|b, m| b == "LDG" && has(m, "U16")) >= 2,
            "{arch}: {to:?}"
        );

        let vec = opcodes(st::selftest_half_vec::SYMBOL);
        let wide = |base: &'static str, constant: bool| {
            count(&vec, &|b, m| {
                b == base && has(m, "128") && has(m, "CONSTANT") == constant
            })
        };
        assert!(
            wide("LDG", true) >= 2,
            "{arch}: no LDG.E.128.CONSTANT in {vec:?}"
        );
        assert!(
            wide("LDG", false) >= 2,
            "{arch}: no coherent LDG.E.128 in {vec:?}"
        );
        assert!(wide("STG", false) >= 4, "{arch}: no STG.E.128 in {vec:?}");
        assert!(
            wide("LDS", false) >= 2 && wide("STS", false) >= 2,
            "{arch}: {vec:?}"
        );
    }
}

#[test]
fn tensor_core_kernels_use_the_instructions_their_technique_promises() {
    // The bf16 GEMM steps and the tensor-core self-tests, on both architectures: every step's
    // mma is HMMA.16816.F32.BF16 (the f16 self-test's HMMA.16816.F32); ldmatrix is LDSM (steps
    // 2-4), cp.async LDGSTS (steps 3-4); and no step has a stack frame, spills or local memory
    // (128 accumulators per thread in step 4 must stay in registers).
    if !tools_or_skip("tensor_core_kernels_use_the_instructions_their_technique_promises") {
        return;
    }
    use kernels_gpu::gemm_bf16 as g;
    use kernels_gpu::selftest as st;
    let promises: &[(&str, &[&str])] = &[
        (g::gemm_bf16_s01_mma_naive::SYMBOL, &["HMMA.16816.F32.BF16"]),
        (
            g::gemm_bf16_s02_smem_ldmatrix::SYMBOL,
            &["HMMA.16816.F32.BF16", "LDSM.16.M88.4", "LDSM.16.MT88.4"],
        ),
        (
            g::gemm_bf16_s03_cp_async::SYMBOL,
            &[
                "HMMA.16816.F32.BF16",
                "LDSM.16.M88.4",
                "LDSM.16.MT88.4",
                "LDGSTS",
                "DEPBAR",
            ],
        ),
        (
            g::gemm_bf16_s04_swizzled_warptile::SYMBOL,
            &[
                "HMMA.16816.F32.BF16",
                "LDSM.16.M88.4",
                "LDSM.16.MT88.4",
                "LDGSTS",
                "DEPBAR",
            ],
        ),
        (st::selftest_mma_bf16::SYMBOL, &["HMMA.16816.F32.BF16"]),
        (st::selftest_mma_f16::SYMBOL, &["HMMA.16816.F32"]),
        (
            st::selftest_ldmatrix::SYMBOL,
            &[
                "LDSM.16.M88",
                "LDSM.16.M88.2",
                "LDSM.16.M88.4",
                "LDSM.16.MT88",
                "LDSM.16.MT88.2",
                "LDSM.16.MT88.4",
            ],
        ),
        (
            st::selftest_cp_async::SYMBOL,
            &["LDGSTS", "LDGDEPBAR", "DEPBAR"],
        ),
        (
            st::selftest_tc_chain::SYMBOL,
            &[
                "HMMA.16816.F32.BF16",
                "LDSM.16.M88.4",
                "LDSM.16.MT88.4",
                "LDGSTS",
            ],
        ),
    ];
    for arch in ARCHES {
        for (symbol, wanted) in promises {
            let k = sass::kernel_sass(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
            let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
            for w in *wanted {
                // An exact opcode, or (for LDGSTS / DEPBAR, whose modifiers vary) its family.
                let n = ops
                    .iter()
                    .filter(|o| *o == w || (!w.contains('.') && o.split('.').next() == Some(w)))
                    .count();
                assert!(n > 0, "{symbol} ({arch}) has no {w}:\n{}", Summary::of(&k));
            }
            let r = &k.resources;
            assert_eq!(
                (r.stack_frame, r.spill_stores, r.spill_loads),
                (0, 0, 0),
                "{symbol} ({arch}): stack or spills: {r:?}"
            );
            let local = ops
                .iter()
                .filter(|o| o.starts_with("LDL") || o.starts_with("STL"))
                .count();
            assert_eq!(local, 0, "{symbol} ({arch}) uses local memory");
            let text = ptx::kernel_text(ptx::PTX, symbol).unwrap_or_default();
            assert!(
                !text.contains("__local_depot"),
                "{symbol}: a local depot in its PTX"
            );
        }
    }
}

#[test]
fn the_sm90a_module_assembles_and_its_kernels_use_wgmma() {
    // The second module (kernels_sm90a.ptx, `.target sm_90a`) assembles for sm_90a with every
    // kernel registered for it; each kernel assembled alone has the module's resources; the
    // wgmma kernels issue HGMMA.64x256x16.F32.BF16 (B transposed: `tnspB`) after a
    // WARPGROUP.ARRIVE, the TMA kernels UTMALDG.2D and mbarrier SYNCS, step 6 both
    // setmaxnreg (USETMAXREG), the cluster self-test the cluster barrier (UCGABAR) and DSMEM
    // accesses, the PDL self-tests PREEXIT and ACQBULK; none has a stack frame, spills or
    // local memory.
    if !tools_or_skip("the_sm90a_module_assembles_and_its_kernels_use_wgmma") {
        return;
    }
    let arch = Arch::Sm90a.name();
    let module = ptxas::embedded_module(Arch::Sm90a, arch).unwrap_or_else(|e| panic!("{e}"));
    let entries = ptx::entry_names(ptx::PTX_SM90A);
    for symbol in registry::module_symbols(Arch::Sm90a) {
        assert!(
            entries.contains(&symbol),
            "{symbol} is not in the sm_90a module"
        );
    }
    assert!(!entries.is_empty(), "the sm_90a module has no kernels");
    for symbol in entries {
        let r = module.resources_of(symbol).unwrap();
        let alone = ptxas::kernel(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            alone.resources_of(symbol).unwrap(),
            r,
            "{symbol}: alone vs module"
        );
        assert_eq!(
            (r.stack_frame, r.spill_stores, r.spill_loads),
            (0, 0, 0),
            "{symbol}: stack or spills: {r:?}"
        );
        let k = sass::kernel_sass(symbol, arch).unwrap_or_else(|e| panic!("{e}"));
        let lines = k.lines.join("\n");
        use kernels_gpu::gemm_bf16 as g;
        use kernels_gpu::selftest as st;
        let wgmma = [
            g::gemm_bf16_s05_wgmma::SYMBOL,
            g::gemm_bf16_s06_tma_warpspecialized::SYMBOL,
            st::selftest_wgmma::SYMBOL,
        ];
        let tma = [
            g::gemm_bf16_s06_tma_warpspecialized::SYMBOL,
            st::selftest_tma::SYMBOL,
        ];
        let mut promised: Vec<&str> = Vec::new();
        if wgmma.contains(&symbol) {
            promised.extend(["HGMMA.64x256x16.F32.BF16", ".tnspB", "WARPGROUP.ARRIVE"]);
        }
        if tma.contains(&symbol) {
            promised.extend([
                "UTMALDG.2D",
                "SYNCS.PHASECHK.TRANS64.TRYWAIT",
                "SYNCS.ARRIVE.TRANS64",
            ]);
        }
        if symbol == st::selftest_cluster::SYMBOL {
            // The cluster barrier (the release arrive is a MEMBAR.ALL.GPU before it), the
            // block's rank, and DSMEM as generic stores and loads to `mapa`'s addresses.
            promised.extend([
                "UCGABAR_ARV",
                "UCGABAR_WAIT",
                "SR_CgaCtaId",
                "ST.E [",
                "LD.E R",
            ]);
        }
        // Programmatic dependent launch: the trigger and the wait, each one instruction; the
        // consumer reads the producer's output after the wait, by the read-only path.
        if symbol == st::selftest_pdl_producer::SYMBOL {
            promised.extend(["PREEXIT", "STG.E"]);
        }
        if symbol == st::selftest_pdl_consumer::SYMBOL {
            promised.extend(["ACQBULK", "LDG.E.CONSTANT"]);
        }
        use kernels_gpu::layernorm_backward as lnb;
        if [
            lnb::layernorm_backward_s12_clustered::SYMBOL,
            lnb::layernorm_backward_s13_bf16_clustered::SYMBOL,
        ]
        .contains(&symbol)
        {
            // A row split over a cluster: dy and x by cp.async, the block's rank, the row sums
            // to the peers as DSMEM (generic) stores, the cluster barrier (before the first row
            // and at each row).
            promised.extend([
                "LDGSTS.E.BYPASS.128",
                "SR_CgaCtaId",
                "ST.E [",
                "UCGABAR_ARV",
                "UCGABAR_WAIT",
            ]);
        }
        if [
            lnb::layernorm_backward_s14_cluster_summed::SYMBOL,
            lnb::layernorm_backward_s15_bf16_cluster_summed::SYMBOL,
        ]
        .contains(&symbol)
        {
            // Steps 10–11 in clusters: dy and x by cp.async, the block's rank, the peers'
            // partials as 128-bit DSMEM (generic) loads between two cluster barriers, the
            // cluster's workspace row as 128-bit stores.
            promised.extend([
                "LDGSTS.E.BYPASS.128",
                "SR_CgaCtaId",
                "LD.E.128",
                "UCGABAR_ARV",
                "UCGABAR_WAIT",
                "STG.E.128",
            ]);
        }
        if [
            lnb::layernorm_backward_s14_cluster_summed_columns::SYMBOL,
            lnb::layernorm_backward_s15_bf16_cluster_summed_columns::SYMBOL,
        ]
        .contains(&symbol)
        {
            // A programmatic dependent launch: the wait for kernel 1 before the loads.
            promised.push("ACQBULK");
        }
        if [
            lnb::layernorm_backward_s14_cluster_summed::SYMBOL,
            lnb::layernorm_backward_s15_bf16_cluster_summed::SYMBOL,
        ]
        .contains(&symbol)
        {
            // Kernel 2 may launch at once.
            promised.push("PREEXIT");
        }
        if [
            lnb::layernorm_backward_s12_clustered_columns::SYMBOL,
            lnb::layernorm_backward_s13_bf16_clustered_columns::SYMBOL,
            lnb::layernorm_backward_s14_cluster_summed_columns::SYMBOL,
            lnb::layernorm_backward_s15_bf16_cluster_summed_columns::SYMBOL,
        ]
        .contains(&symbol)
        {
            // Kernel 2 of steps 12–15 (in the sm_90a module with its step): the workspace
            // rows' loads and the block's one barrier.
            promised.extend(["LDG.E", "BAR.SYNC"]);
        }
        if symbol == g::gemm_bf16_s06_tma_warpspecialized::SYMBOL {
            // setmaxnreg took effect (ptxas knew the entry count from the launch bounds).
            promised.extend([
                "USETMAXREG.DEALLOC.CTAPOOL 0x28",
                "USETMAXREG.TRY_ALLOC.CTAPOOL",
            ]);
        }
        assert!(
            !promised.is_empty(),
            "{symbol}: no SASS promise recorded for this kernel"
        );
        for want in promised {
            assert!(
                lines.contains(want),
                "{symbol}: no {want}:\n{}",
                Summary::of(&k)
            );
        }
        let ops: Vec<String> = k.instructions().into_iter().map(|i| i.opcode).collect();
        assert!(
            !ops.iter()
                .any(|o| o.starts_with("LDL") || o.starts_with("STL")),
            "{symbol} uses local memory"
        );
    }
}
