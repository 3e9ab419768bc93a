//! The tensor-core API on the GPU (kernels-gpu/src/selftest/tensor_core.rs): mma.sync (bf16 and
//! f16) with fragments gathered by their documented coordinates, every ldmatrix form, every
//! cp.async form and its groups, and the GEMM chain (cp.async into swizzled tiles, ldmatrix,
//! mma). The models here are written from the PTX ISA's descriptions, not from the device code:
//! `ldmatrix_model` from "Warp-level matrix load instruction: ldmatrix", the zero-fill from
//! "cp.async", the physical layout from the swizzle formula (`chunk ^ (row % 8)`), and the mma
//! results are plain matrix products, which only the right fragment layouts reproduce.

use kernel_lab::inputs;
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::selftest::{self as st, TensorCoreSelftestParams};
use rand::{Rng, SeedableRng, rngs::SmallRng};

/// Device buffers of one launch: `a`, `b` as 16-bit bits, `c` as f32, `d` and `raw` outputs
/// pre-filled with NaN / `0xFFFF_FFFF`.
struct Io {
    a: DeviceBuffer<u16>,
    b: DeviceBuffer<u16>,
    c: DeviceBuffer<f32>,
    d: DeviceBuffer<f32>,
    raw: DeviceBuffer<u32>,
}

impl Io {
    fn new(gpu: &Gpu, a: &[u16], b: &[u16], c: &[f32], d_len: usize, raw_len: usize) -> Self {
        let up16 = |v: &[u16]| DeviceBuffer::from_host(gpu, if v.is_empty() { &[0] } else { v });
        Io {
            a: up16(a).unwrap(),
            b: up16(b).unwrap(),
            c: DeviceBuffer::from_host(gpu, if c.is_empty() { &[0.0] } else { c }).unwrap(),
            d: DeviceBuffer::from_host(gpu, &vec![f32::NAN; d_len.max(1)]).unwrap(),
            raw: DeviceBuffer::from_host(gpu, &vec![u32::MAX; raw_len.max(1)]).unwrap(),
        }
    }

    fn run(&mut self, gpu: &Gpu, symbol: &str, launch: Launch, n: u32) -> (Vec<f32>, Vec<u32>) {
        let p = TensorCoreSelftestParams {
            a: self.a.ptr().cast(),
            b: self.b.ptr().cast(),
            c: self.c.ptr(),
            d: self.d.ptr_mut(),
            raw: self.raw.ptr_mut(),
            n,
        };
        gpu.launch(symbol, launch, p)
            .unwrap_or_else(|e| panic!("{symbol}: {e}"));
        (self.d.to_host(gpu).unwrap(), self.raw.to_host(gpu).unwrap())
    }
}

/// Small integers in [-k, k] (exact in bf16 and f16, and every product and sum of a 16- or
/// 64-deep dot product exact in f32), or uniform values in [-1, 1], as f32.
fn values(n: usize, rng: &mut SmallRng, integers: bool) -> Vec<f32> {
    (0..n)
        .map(|_| {
            if integers {
                rng.random_range(-4i32..=4) as f32
            } else {
                rng.random_range(-1.0f32..1.0)
            }
        })
        .collect()
}

/// Values rounded to a 16-bit type: their bits, and the rounded values as f32.
type Rounded = (Vec<u16>, Vec<f32>);

fn bf16_bits(x: &[f32]) -> Rounded {
    let h: Vec<half::bf16> = x.iter().map(|&v| half::bf16::from_f32(v)).collect();
    (
        h.iter().map(|v| v.to_bits()).collect(),
        h.iter().map(|v| v.to_f32()).collect(),
    )
}

fn f16_bits(x: &[f32]) -> Rounded {
    let h: Vec<half::f16> = x.iter().map(|&v| half::f16::from_f32(v)).collect();
    (
        h.iter().map(|v| v.to_bits()).collect(),
        h.iter().map(|v| v.to_f32()).collect(),
    )
}

/// `D = A·B + C` (row-major, `A` m×k, `B` k×n) in f64, with the bound `Σ|a·b| + |c|` of each
/// element (the scale of f32 accumulation error).
fn matmul(a: &[f32], b: &[f32], c: &[f32], m: usize, n: usize, k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut d = vec![0.0; m * n];
    let mut scale = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut t) = (c[i * n + j] as f64, (c[i * n + j] as f64).abs());
            for kk in 0..k {
                let p = a[i * k + kk] as f64 * b[kk * n + j] as f64;
                s += p;
                t += p.abs();
            }
            d[i * n + j] = s;
            scale[i * n + j] = t;
        }
    }
    (d, scale)
}

/// Checks `got` against `want`: exactly for integer inputs, else within f32 accumulation error
/// (`2^-20 · Σ|a·b| + 1e-6`: tensor cores may round or truncate each partial sum).
fn check_product(what: &str, got: &[f32], want: &[f64], scale: &[f64], exact: bool, cols: usize) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, ((&g, &w), &s)) in got.iter().zip(want).zip(scale).enumerate() {
        let tol = if exact {
            0.0
        } else {
            s * 2f64.powi(-20) + 1e-6
        };
        assert!(
            (g as f64 - w).abs() <= tol,
            "{what}: D[{}][{}] = {g}, want {w} (tolerance {tol:e})",
            i / cols,
            i % cols
        );
    }
}

fn mma_from_global(gpu: &Gpu, symbol: &str, to_bits: fn(&[f32]) -> Rounded) {
    let warps = 4;
    let mut rng = SmallRng::seed_from_u64(inputs::fresh_seed());
    for integers in [true, false] {
        let (a_bits, a) = to_bits(&values(256 * warps, &mut rng, integers));
        let (b_bits, b) = to_bits(&values(128 * warps, &mut rng, integers));
        let c = values(128 * warps, &mut rng, integers);
        let mut io = Io::new(gpu, &a_bits, &b_bits, &c, 128 * warps, 0);
        let (d, _) = io.run(
            gpu,
            symbol,
            Launch::linear(1, 32 * warps as u32),
            warps as u32,
        );
        for w in 0..warps {
            let (want, scale) = matmul(
                &a[256 * w..][..256],
                &b[128 * w..][..128],
                &c[128 * w..][..128],
                16,
                8,
                16,
            );
            check_product(
                &format!("{symbol} warp {w} (integers: {integers})"),
                &d[128 * w..][..128],
                &want,
                &scale,
                integers,
                8,
            );
        }
    }
}

pub fn mma_bf16_matches_a_matrix_product(gpu: &Gpu) {
    mma_from_global(gpu, st::selftest_mma_bf16::SYMBOL, bf16_bits);
}

pub fn mma_f16_matches_a_matrix_product(gpu: &Gpu) {
    mma_from_global(gpu, st::selftest_mma_f16::SYMBOL, f16_bits);
}

/// What `ldmatrix` puts in register `i` of `lane` (low half, high half), for matrix `i` = the
/// 16×16 tile `t`'s quarter `i` in fragment order: rows `8·(i % 2) ..`, columns `8·(i / 2) ..`.
/// From the PTX ISA: plain, lane `l` holds row `l/4`, columns `2(l%4)`, `+1`; `.trans`, the
/// transpose: rows `2(l%4)`, `+1` of column `l/4`.
fn ldmatrix_model(t: &[u16], i: usize, lane: usize, trans: bool) -> u32 {
    let m = |r: usize, c: usize| t[(8 * (i % 2) + r) * 16 + 8 * (i / 2) + c] as u32;
    let (g, q) = (lane / 4, lane % 4);
    let (lo, hi) = if trans {
        (m(2 * q, g), m(2 * q + 1, g))
    } else {
        (m(g, 2 * q), m(g, 2 * q + 1))
    };
    lo | hi << 16
}

pub fn ldmatrix_loads_every_form_as_the_ptx_isa_describes(gpu: &Gpu) {
    // Distinct elements: each 16-bit value names its position.
    let tile: Vec<u16> = (0..256u16).map(|i| i.wrapping_mul(257) ^ 0x5a00).collect();
    let mut io = Io::new(gpu, &tile, &[], &[], 0, 32 * st::LDMATRIX_WORDS_PER_LANE);
    let (_, raw) = io.run(gpu, st::selftest_ldmatrix::SYMBOL, Launch::linear(1, 32), 1);
    // Word order per lane: x1 (1), x2 (2), x4 (4), x1.trans, x2.trans, x4.trans.
    let forms = [
        (1, false),
        (2, false),
        (4, false),
        (1, true),
        (2, true),
        (4, true),
    ];
    for lane in 0..32 {
        let words = &raw[st::LDMATRIX_WORDS_PER_LANE * lane..][..st::LDMATRIX_WORDS_PER_LANE];
        let mut k = 0;
        for (count, trans) in forms {
            for i in 0..count {
                let want = ldmatrix_model(&tile, i, lane, trans);
                assert_eq!(
                    words[k],
                    want,
                    "ldmatrix x{count}{} lane {lane} register {i}: {:#010x}, want {want:#010x}",
                    if trans { ".trans" } else { "" },
                    words[k]
                );
                k += 1;
            }
        }
    }
}

/// Bytes `0..n` of the 16-byte (or 8-byte) chunk `src` kept, the rest zero (little endian).
fn zero_filled(src: &[u32], n: usize) -> Vec<u32> {
    src.iter()
        .enumerate()
        .map(|(w, &v)| {
            let keep = n.saturating_sub(4 * w).min(4);
            if keep == 4 {
                v
            } else {
                v & ((1u32 << (8 * keep)) - 1)
            }
        })
        .collect()
}

pub fn cp_async_copies_zero_fills_and_waits_for_its_groups(gpu: &Gpu) {
    let words = st::CP_ASYNC_WORDS;
    let mut rng = SmallRng::seed_from_u64(inputs::fresh_seed());
    let src: Vec<u32> = (0..words)
        .map(|_| rng.random::<u32>() | 0x0101_0101)
        .collect();
    let src_f32: Vec<f32> = src.iter().map(|&w| f32::from_bits(w)).collect();
    let mut io = Io::new(gpu, &[], &[], &src_f32, 0, words);
    let (_, got) = io.run(gpu, st::selftest_cp_async::SYMBOL, Launch::linear(1, 32), 0);
    let mut want = vec![st::CP_ASYNC_POISON; words];
    for t in 0..32 {
        want[t] = src[t];
        want[32 + 2 * t..][..2].copy_from_slice(&src[32 + 2 * t..][..2]);
        want[96 + 4 * t..][..4].copy_from_slice(&src[96 + 4 * t..][..4]);
        want[224 + 4 * t..][..4].copy_from_slice(&src[224 + 4 * t..][..4]);
        let z = zero_filled(&src[352 + 4 * t..][..4], t % 17);
        want[352 + 4 * t..][..4].copy_from_slice(&z);
        let z = zero_filled(&src[480 + 2 * t..][..2], t % 9);
        want[480 + 2 * t..][..2].copy_from_slice(&z);
    }
    for (w, (&g, &e)) in got.iter().zip(&want).enumerate() {
        let what = match w {
            0..32 => "ca 4 B",
            32..96 => "ca 8 B",
            96..224 => "ca 16 B",
            224..352 => "cg 16 B",
            352..480 => "cg 16 B zero-filled",
            _ => "ca 8 B zero-filled",
        };
        assert_eq!(
            g,
            e,
            "word {w} ({what}{}): {g:#010x}, want {e:#010x}",
            if w < 224 {
                ", group 0, read after wait_group 1"
            } else {
                ""
            }
        );
    }
}

/// The physical layout of a 128-byte-swizzled tile of 16-bit elements, `rows × 64`, as 32-bit
/// words: element `(r, c)` at byte `128·r + 16·((c / 8) ^ (r % 8)) + 2·(c % 8)`.
fn swizzled_words(t: &[u16], rows: usize) -> Vec<u32> {
    let mut bytes = vec![0u16; rows * 64];
    for r in 0..rows {
        for c in 0..64 {
            let at = 128 * r + 16 * ((c / 8) ^ (r % 8)) + 2 * (c % 8);
            bytes[at / 2] = t[r * 64 + c];
        }
    }
    bytes
        .chunks(2)
        .map(|p| p[0] as u32 | (p[1] as u32) << 16)
        .collect()
}

pub fn the_gemm_chain_swizzles_loads_and_multiplies(gpu: &Gpu) {
    let (m, n, k) = (st::CHAIN_M, st::CHAIN_N, st::CHAIN_K);
    let mut rng = SmallRng::seed_from_u64(inputs::fresh_seed());
    for integers in [true, false] {
        let (a_bits, a) = bf16_bits(&values(m * k, &mut rng, integers));
        let (b_bits, b) = bf16_bits(&values(k * n, &mut rng, integers));
        let c = values(m * n, &mut rng, integers);
        let raw_words = (m * k + k * n) / 2;
        let mut io = Io::new(gpu, &a_bits, &b_bits, &c, m * n, raw_words);
        let (d, raw) = io.run(gpu, st::selftest_tc_chain::SYMBOL, Launch::linear(1, 32), 0);
        let want_a = swizzled_words(&a_bits, m);
        let want_b = swizzled_words(&b_bits, k);
        for (w, (&g, &e)) in raw.iter().zip(want_a.iter().chain(&want_b)).enumerate() {
            let (tile, at) = if w < want_a.len() {
                ("A", w)
            } else {
                ("B", w - want_a.len())
            };
            assert_eq!(
                g,
                e,
                "swizzled {tile} tile, word {at} (row {}, physical chunk {}): {g:#010x}, want {e:#010x}",
                at / 32,
                (at % 32) / 4
            );
        }
        let (want, scale) = matmul(&a, &b, &c, m, n, k);
        check_product(
            &format!("selftest_tc_chain (integers: {integers})"),
            &d,
            &want,
            &scale,
            integers,
            n,
        );
    }
}

/// wgmma (sm_90a module): `D = A·B + C` from the K-major `A` and MN-major, 64-column-panel `B`
/// layouts of gemm_bf16/5, both 128-byte swizzled; exact for integers, within f32 accumulation
/// error otherwise. Skipped (one line) on devices other than compute capability 9.0.
pub fn wgmma_matches_a_matrix_product_on_sm_90a(gpu: &Gpu) {
    use kernel_lab::registry::Arch;
    if !gpu.supports(Arch::Sm90a) {
        let (major, minor) = gpu.info().compute_capability;
        eprintln!(
            "wgmma_matches_a_matrix_product_on_sm_90a: skipped: needs sm_90a (compute capability 9.0), {} is sm_{major}{minor}",
            gpu.info().name
        );
        return;
    }
    let (m, n, k) = (st::WGMMA_M, st::WGMMA_N, st::WGMMA_K);
    let mut rng = SmallRng::seed_from_u64(inputs::fresh_seed());
    for integers in [true, false] {
        let (a_bits, a) = bf16_bits(&values(m * k, &mut rng, integers));
        let (b_bits, b) = bf16_bits(&values(k * n, &mut rng, integers));
        let c = values(m * n, &mut rng, integers);
        let mut io = Io::new(gpu, &a_bits, &b_bits, &c, m * n, 0);
        let launch = Launch::linear(1, 128).with_smem(st::WGMMA_SMEM);
        let (d, _) = io.run(gpu, st::selftest_wgmma::SYMBOL, launch, 0);
        let (want, scale) = matmul(&a, &b, &c, m, n, k);
        check_product(
            &format!("selftest_wgmma (integers: {integers})"),
            &d,
            &want,
            &scale,
            integers,
            n,
        );
    }
}

/// TMA + mbarrier (sm_90a module): a 64×64 box of a 100×72 bf16 matrix at column 32, row 64
/// (so it hangs over the right and bottom edges) lands 128-byte swizzled, zeros outside.
/// Skipped (one line) off compute capability 9.0.
pub fn tma_loads_a_swizzled_zero_filled_box_on_sm_90a(gpu: &Gpu) {
    use kernel_lab::registry::Arch;
    // The tensor map is the driver's (cuTensorMapEncodeTiled), and the emulator has no TMA.
    kernel_lab::testing::skip_if_emulated(gpu, "the driver's TMA tensor maps");
    if !gpu.supports(Arch::Sm90a) {
        eprintln!(
            "tma_loads_a_swizzled_zero_filled_box_on_sm_90a: skipped: needs sm_90a (compute capability 9.0), {} is sm_{}{}",
            gpu.info().name,
            gpu.info().compute_capability.0,
            gpu.info().compute_capability.1
        );
        return;
    }
    let (rows, cols) = (100usize, 72usize);
    let (c0, c1) = (32usize, 64usize);
    let m: Vec<u16> = (0..rows * cols)
        .map(|i| (i as u16).wrapping_mul(97) | 1)
        .collect();
    let dev = DeviceBuffer::from_host(gpu, &m).unwrap();
    let map = kernel_lab::runtime::tma::encode_2d_bf16(dev.addr(), (rows, cols), (64, 64)).unwrap();
    let map_dev = DeviceBuffer::from_host(gpu, &map[..]).unwrap();
    let (br, bc) = st::TMA_BOX;
    let mut raw = DeviceBuffer::from_host(gpu, &vec![u32::MAX; br * bc / 2]).unwrap();
    let p = st::TmaSelftestParams {
        map: map_dev.ptr(),
        raw: raw.ptr_mut(),
        c0: c0 as i32,
        c1: c1 as i32,
    };
    let launch = Launch::linear(1, 128).with_smem(st::TMA_SMEM);
    gpu.launch(st::selftest_tma::SYMBOL, launch, p).unwrap();
    let got = raw.to_host(gpu).unwrap();
    let mut box_vals = vec![0u16; br * bc];
    for r in 0..br {
        for c in 0..bc {
            let (gr, gc) = (c1 + r, c0 + c);
            box_vals[r * 64 + c] = if gr < rows && gc < cols {
                m[gr * cols + gc]
            } else {
                0
            };
        }
    }
    let want = swizzled_words(&box_vals, br);
    for (w, (&g, &e)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            e,
            "TMA box word {w} (row {}, physical chunk {}): {g:#010x}, want {e:#010x}",
            w / 32,
            (w % 32) / 4
        );
    }
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "tma_loads_a_swizzled_zero_filled_box_on_sm_90a",
        tma_loads_a_swizzled_zero_filled_box_on_sm_90a,
    ),
    (
        "wgmma_matches_a_matrix_product_on_sm_90a",
        wgmma_matches_a_matrix_product_on_sm_90a,
    ),
    (
        "mma_bf16_matches_a_matrix_product",
        mma_bf16_matches_a_matrix_product,
    ),
    (
        "mma_f16_matches_a_matrix_product",
        mma_f16_matches_a_matrix_product,
    ),
    (
        "ldmatrix_loads_every_form_as_the_ptx_isa_describes",
        ldmatrix_loads_every_form_as_the_ptx_isa_describes,
    ),
    (
        "cp_async_copies_zero_fills_and_waits_for_its_groups",
        cp_async_copies_zero_fills_and_waits_for_its_groups,
    ),
    (
        "the_gemm_chain_swizzles_loads_and_multiplies",
        the_gemm_chain_swizzles_loads_and_multiplies,
    ),
];

/// Tests of this module's own models that need no device.
pub const CPU_TESTS: &[crate::CpuTest] = &[(
    "tensor_core_models_agree_with_the_fragment_layouts",
    tensor_core_models_agree_with_the_fragment_layouts,
)];

/// The ldmatrix model, read through the mma fragment layouts (PTX ISA, m16n8k16), must give
/// the tile back: `x4` from quarters in fragment order is the A fragment of the tile, `x2.trans`
/// of the left half is the B fragment of the tile read as K×N. So the two descriptions of the
/// ISA that the tests rely on agree with each other, and the swizzle model keeps every element.
pub fn tensor_core_models_agree_with_the_fragment_layouts() {
    let tile: Vec<u16> = (0..256u16).map(|i| i.wrapping_mul(40503)).collect();
    for lane in 0..32 {
        let (g, t) = (lane / 4, lane % 4);
        // A fragment: a[0] = A[g][2t..], a[1] = A[g+8][2t..], a[2] = A[g][2t+8..], a[3] = A[g+8][2t+8..].
        for (r, (row, col)) in [
            (g, 2 * t),
            (g + 8, 2 * t),
            (g, 2 * t + 8),
            (g + 8, 2 * t + 8),
        ]
        .into_iter()
        .enumerate()
        {
            let want = tile[row * 16 + col] as u32 | (tile[row * 16 + col + 1] as u32) << 16;
            assert_eq!(
                ldmatrix_model(&tile, r, lane, false),
                want,
                "A lane {lane} reg {r}"
            );
        }
        // B fragment of a 16×8 K×N tile (stored with row stride 16): b[0] = B[2t, 2t+1][g],
        // b[1] = B[2t+8, 2t+9][g].
        for (r, k) in [2 * t, 2 * t + 8].into_iter().enumerate() {
            let want = tile[k * 16 + g] as u32 | (tile[(k + 1) * 16 + g] as u32) << 16;
            assert_eq!(
                ldmatrix_model(&tile, r, lane, true),
                want,
                "B lane {lane} reg {r}"
            );
        }
    }
    let t: Vec<u16> = (0..(16 * 64) as u32).map(|i| i as u16).collect();
    let words = swizzled_words(&t, 16);
    let mut seen: Vec<u16> = words
        .iter()
        .flat_map(|&w| [w as u16, (w >> 16) as u16])
        .collect();
    seen.sort();
    assert_eq!(seen, t, "the swizzle is a permutation");
    assert_eq!(
        zero_filled(&[0x1122_3344, 0x5566_7788], 5),
        vec![0x1122_3344, 0x88]
    );
    assert_eq!(zero_filled(&[0xffff_ffff; 2], 0), vec![0, 0]);
}
