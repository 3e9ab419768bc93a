//! Half precision on the GPU (kernels-gpu/src/selftest/half.rs): conversions, pack order,
//! packed arithmetic and 8-half vectors, compared bit for bit with the `half` crate and the
//! exact model of `kernel_lab::half_ref` (NaN matches any NaN: the GPU's NaNs are canonical).
//!
//! Each kernel has three pieces here: its inputs (`*_io`), the check of a run (`check_*`), and
//! a CPU emulation of what the kernel's doc promises (`emulate_*`). The GPU tests run the
//! kernel and check it; `half_checks_accept_cpu_emulations_of_the_kernels` runs the same checks
//! on the emulations, without a GPU, so the bookkeeping of the checks (layouts, offsets,
//! expected values) is itself tested on every machine.

use half::{bf16, f16};
use kernel_lab::half_ref::{self as hr, BF16_SPECIALS, F16_SPECIALS, F32_CONVERSION_CASES};
use kernel_lab::inputs;
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::selftest as st;
use kernels_gpu::{Bf16, F16};
use rand::{Rng, SeedableRng, rngs::SmallRng};

/// The inputs of one launch (halves as their bits), the output lengths and the kernel's `n`.
struct HalfIo {
    f32_in: Vec<f32>,
    bf16_in: Vec<u16>,
    f16_in: Vec<u16>,
    /// Output lengths: f32, bf16, f16.
    out_len: (usize, usize, usize),
    n: usize,
}

/// The outputs of one launch.
struct HalfRun {
    f32_out: Vec<f32>,
    bf16_out: Vec<u16>,
    f16_out: Vec<u16>,
}

impl HalfRun {
    /// Outputs as the kernel finds them before it runs: every element `fill`.
    fn filled(io: &HalfIo, fill: (u32, u16)) -> Self {
        let (nf, nb, nh) = io.out_len;
        HalfRun {
            f32_out: vec![f32::from_bits(fill.0); nf],
            bf16_out: vec![fill.1; nb],
            f16_out: vec![fill.1; nh],
        }
    }
}

/// Runs `symbol` with the outputs pre-filled with `fill` (f32 bits, half bits).
fn run_half(gpu: &Gpu, symbol: &str, launch: Launch, io: &HalfIo, fill: (u32, u16)) -> HalfRun {
    // Unused buffers get one element (no empty allocations).
    let halves = |v: &[u16]| DeviceBuffer::from_host(gpu, if v.is_empty() { &[0][..] } else { v });
    let floats =
        |v: &[f32]| DeviceBuffer::from_host(gpu, if v.is_empty() { &[0.0][..] } else { v });
    let init = HalfRun::filled(io, fill);
    let f32_in = floats(&io.f32_in).unwrap();
    let bf16_in = halves(&io.bf16_in).unwrap();
    let f16_in = halves(&io.f16_in).unwrap();
    let mut f32_out = floats(&init.f32_out).unwrap();
    let mut bf16_out = halves(&init.bf16_out).unwrap();
    let mut f16_out = halves(&init.f16_out).unwrap();
    // The buffers hold the bits as u16; the kernel sees the same memory as Bf16 / F16.
    let p = st::HalfSelftestParams {
        f32_in: f32_in.ptr(),
        f32_out: f32_out.ptr_mut(),
        bf16_in: bf16_in.ptr().cast::<Bf16>(),
        bf16_out: bf16_out.ptr_mut().cast::<Bf16>(),
        f16_in: f16_in.ptr().cast::<F16>(),
        f16_out: f16_out.ptr_mut().cast::<F16>(),
        n: io.n as u32,
    };
    gpu.launch(symbol, launch, p).unwrap();
    let (nf, nb, nh) = io.out_len;
    let mut r = HalfRun {
        f32_out: f32_out.to_host(gpu).unwrap(),
        bf16_out: bf16_out.to_host(gpu).unwrap(),
        f16_out: f16_out.to_host(gpu).unwrap(),
    };
    r.f32_out.truncate(nf);
    r.bf16_out.truncate(nb);
    r.f16_out.truncate(nh);
    r
}

/// Two fills for every output, a NaN and a plain number: results are compared NaN-as-NaN, so
/// an element the kernel never writes could pass under one fill, never under both.
const FILLS: [(u32, u16); 2] = [(0xffff_ffff, 0xffff), (0x449a_5000, 0x1234)];

/// Panics listing the first mismatches of `got` against `want` (compared by `same`), each
/// described by `what(k)` (its inputs), and how many there are.
fn check_bits<T: Copy + std::fmt::LowerHex>(
    name: &str,
    got: &[T],
    want: &[T],
    same: impl Fn(T, T) -> bool,
    what: impl Fn(usize) -> String,
) {
    assert_eq!(got.len(), want.len(), "{name}: lengths");
    let bad: Vec<usize> = (0..got.len()).filter(|&k| !same(got[k], want[k])).collect();
    if bad.is_empty() {
        return;
    }
    let first: Vec<String> = bad
        .iter()
        .take(8)
        .map(|&k| {
            format!(
                "  [{k}] {}: got {:#x}, want {:#x}",
                what(k),
                got[k],
                want[k]
            )
        })
        .collect();
    panic!(
        "{name}: {} of {} differ:\n{}",
        bad.len(),
        got.len(),
        first.join("\n")
    );
}

fn nan_or_same_f32(got: u32, want: u32) -> bool {
    got == want || (f32::from_bits(got).is_nan() && f32::from_bits(want).is_nan())
}

// ---- f32 -> half: selftest_half_from_f32 ----

/// The curated cases (starting with the pair (1.0, 2.0)), random bit patterns (every class),
/// values across f16's range and past its overflow, and f16's subnormal range.
fn from_f32_io(seed: u64) -> HalfIo {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut x: Vec<f32> = F32_CONVERSION_CASES
        .iter()
        .map(|&b| f32::from_bits(b))
        .collect();
    x.extend((0..1 << 16).map(|_| f32::from_bits(rng.random())));
    x.extend((0..1 << 16).map(|_| rng.random_range(-70000f32..70000.0)));
    x.extend((0..1 << 14).map(|_| rng.random_range(-1e-4f32..1e-4)));
    let n = x.len();
    assert_eq!(n % 2, 0, "the kernel packs pairs");
    HalfIo {
        f32_in: x,
        bf16_in: vec![],
        f16_in: vec![],
        out_len: (0, 2 * n, 2 * n),
        n,
    }
}

fn check_from_f32(io: &HalfIo, r: &HalfRun, seed: u64) {
    let (x, n) = (&io.f32_in, io.n);
    // pack_lo_hi(1.0, 2.0) stored as one 32-bit pair lands in memory as [1.0, 2.0].
    assert_eq!(
        r.bf16_out[n..n + 2],
        [0x3f80, 0x4000],
        "Bf16x2::pack_lo_hi order"
    );
    assert_eq!(
        r.f16_out[n..n + 2],
        [0x3c00, 0x4000],
        "F16x2::pack_lo_hi order"
    );
    let want_b: Vec<u16> = x.iter().map(|&v| bf16::from_f32(v).to_bits()).collect();
    let want_h: Vec<u16> = x.iter().map(|&v| f16::from_f32(v).to_bits()).collect();
    let what = |k: usize| format!("x = {:#010x} (KLAB_SEED={seed})", x[k].to_bits());
    let (b, h) = (&r.bf16_out, &r.f16_out);
    check_bits("Bf16::from_f32", &b[..n], &want_b, hr::same_bf16, what);
    check_bits("Bf16x2::pack_lo_hi", &b[n..], &want_b, hr::same_bf16, what);
    check_bits("F16::from_f32", &h[..n], &want_h, hr::same_f16, what);
    check_bits("F16x2::pack_lo_hi", &h[n..], &want_h, hr::same_f16, what);
}

fn emulate_from_f32(io: &HalfIo, fill: (u32, u16)) -> HalfRun {
    let mut r = HalfRun::filled(io, fill);
    let n = io.n;
    for (k, &x) in io.f32_in.iter().enumerate() {
        let (b, h) = (bf16::from_f32(x).to_bits(), f16::from_f32(x).to_bits());
        r.bf16_out[k] = b;
        r.f16_out[k] = h;
        // Pair j = (x[2j], x[2j+1]) at elements n + 2j (low half) and n + 2j + 1.
        r.bf16_out[n + k] = b;
        r.f16_out[n + k] = h;
    }
    r
}

pub fn half_conversions_from_f32_round_to_nearest_even_and_pack_lo_hi(gpu: &Gpu) {
    let seed = inputs::fresh_seed();
    let io = from_f32_io(seed);
    for fill in FILLS {
        let launch = Launch::cover(io.n, 256);
        let r = run_half(gpu, st::selftest_half_from_f32::SYMBOL, launch, &io, fill);
        check_from_f32(&io, &r, seed);
    }
}

// ---- half -> f32: selftest_half_to_f32 ----

/// Every 16-bit pattern, as bf16 and as f16.
fn to_f32_io() -> HalfIo {
    let all: Vec<u16> = (0..=u16::MAX).collect();
    let n = all.len();
    HalfIo {
        f32_in: vec![],
        bf16_in: all.clone(),
        f16_in: all,
        out_len: (5 * n, 0, 0),
        n,
    }
}

/// bf16 -> f32 is a shift: exact bits, NaN payloads included; f16 -> f32 as `half` says, NaN
/// as NaN.
fn check_to_f32(io: &HalfIo, r: &HalfRun) {
    let n = io.n;
    let want_b: Vec<u32> = io.bf16_in.iter().map(|&b| (b as u32) << 16).collect();
    let want_h: Vec<u32> = io
        .f16_in
        .iter()
        .map(|&h| f16::from_bits(h).to_f32().to_bits())
        .collect();
    let bits: Vec<u32> = r.f32_out.iter().map(|v| v.to_bits()).collect();
    let region = |k: usize| &bits[k * n..(k + 1) * n];
    let what = |k: usize| format!("half bits {:#06x}", io.bf16_in[k]);
    let exact = |g: u32, w: u32| g == w;
    check_bits("Bf16::to_f32", region(0), &want_b, exact, what);
    check_bits("F16::to_f32", region(1), &want_h, nan_or_same_f32, what);
    check_bits("Bf16x2::to_f32_lo_hi", region(2), &want_b, exact, what);
    check_bits(
        "F16x2::to_f32_lo_hi",
        region(3),
        &want_h,
        nan_or_same_f32,
        what,
    );
    check_bits(
        "F16::to_f16() as f32",
        region(4),
        &want_h,
        nan_or_same_f32,
        what,
    );
}

fn emulate_to_f32(io: &HalfIo, fill: (u32, u16)) -> HalfRun {
    let mut r = HalfRun::filled(io, fill);
    let n = io.n;
    for k in 0..n {
        // A shift, as the kernel does (`half`'s to_f32 quiets signalling NaNs).
        let b = f32::from_bits((io.bf16_in[k] as u32) << 16);
        let h = f16::from_bits(io.f16_in[k]).to_f32();
        for (region, v) in [(0, b), (1, h), (2, b), (3, h), (4, h)] {
            r.f32_out[region * n + k] = v;
        }
    }
    r
}

pub fn half_conversions_to_f32_are_exact_for_every_bit_pattern(gpu: &Gpu) {
    let io = to_f32_io();
    for fill in FILLS {
        let launch = Launch::cover(io.n, 256);
        let r = run_half(gpu, st::selftest_half_to_f32::SYMBOL, launch, &io, fill);
        check_to_f32(&io, &r);
    }
}

// ---- packed arithmetic: selftest_half_arith ----

/// Triples `(a, b, c)` whose product is exactly halfway between two neighbours of a format
/// with `bits` significant bits, with `c` far smaller: only a fused, once-rounded fma gets
/// these right (an f32 or f64 intermediate rounds the sum onto the tie, which then goes to
/// even). `bits` = 8 for bf16, 11 for f16; the values are given as f32, exact in the format.
fn halfway_product_triples(bits: u32, tiny: &[f32]) -> Vec<(f32, f32, f32)> {
    let max = (1u32 << bits) - 1;
    let mut t = Vec::new();
    for ma in (3..=max).step_by(2) {
        for mb in (ma..=max).step_by(2) {
            // An odd product with bits + 1 significant bits is a halfway point.
            if (1 << bits) < ma * mb && ma * mb < 1 << (bits + 1) {
                for &c in tiny {
                    t.push((ma as f32, mb as f32, c));
                    t.push((-(ma as f32), mb as f32 / 64.0, -c));
                }
            }
        }
    }
    t
}

/// The triples of one half type, as bits: every combination of its special values, random
/// bit patterns (every class), random ordinary values in [-4, 4), and the halfway products.
fn arith_triples(
    specials: &[u16],
    bits_of: impl Fn(f32) -> u16,
    significant_bits: u32,
    tiny: &[f32],
    rng: &mut SmallRng,
) -> Vec<(u16, u16, u16)> {
    let mut t = Vec::new();
    for &a in specials {
        for &b in specials {
            for &c in specials {
                t.push((a, b, c));
            }
        }
    }
    t.extend((0..1 << 16).map(|_| (rng.random(), rng.random(), rng.random())));
    let mut ordinary = || bits_of(rng.random_range(-4f32..4.0));
    t.extend((0..1 << 14).map(|_| (ordinary(), ordinary(), ordinary())));
    let halfway = halfway_product_triples(significant_bits, tiny);
    t.extend(
        halfway
            .into_iter()
            .map(|(a, b, c)| (bits_of(a), bits_of(b), bits_of(c))),
    );
    t
}

/// The arithmetic case: `m` triples per type (the longer list's length, even; the shorter
/// padded with copies of its first triple), laid out as the kernel's doc says: all `a`, then
/// all `b`, then all `c`, so element `k` of each is pair `k / 2`'s half `k % 2`.
struct ArithCase {
    io: HalfIo,
    bf16: Vec<(u16, u16, u16)>,
    f16: Vec<(u16, u16, u16)>,
}

fn arith_case(seed: u64) -> ArithCase {
    let mut rng = SmallRng::seed_from_u64(seed);
    let bf16_tiny = [f32::from_bits(0x0001_0000), 2f32.powi(-100), 0.0];
    let tb = arith_triples(
        BF16_SPECIALS,
        |v| bf16::from_f32(v).to_bits(),
        8,
        &bf16_tiny,
        &mut rng,
    );
    let f16_tiny = [2f32.powi(-24), 2f32.powi(-14), 0.0];
    let th = arith_triples(
        F16_SPECIALS,
        |v| f16::from_f32(v).to_bits(),
        11,
        &f16_tiny,
        &mut rng,
    );
    let m = tb.len().max(th.len()).next_multiple_of(2);
    let pad = |mut t: Vec<(u16, u16, u16)>| {
        t.resize(m, t[0]);
        t
    };
    let (tb, th) = (pad(tb), pad(th));
    let layout = |t: &[(u16, u16, u16)]| -> Vec<u16> {
        let a = t.iter().map(|x| x.0);
        a.chain(t.iter().map(|x| x.1))
            .chain(t.iter().map(|x| x.2))
            .collect()
    };
    let io = HalfIo {
        f32_in: vec![],
        bf16_in: layout(&tb),
        f16_in: layout(&th),
        out_len: (0, 3 * m, 4 * m),
        n: m / 2,
    };
    ArithCase {
        io,
        bf16: tb,
        f16: th,
    }
}

/// Expected fma, add, mul of each triple.
fn arith_want(
    t: &[(u16, u16, u16)],
    fma: impl Fn(u16, u16, u16) -> u16,
    add: impl Fn(u16, u16) -> u16,
    mul: impl Fn(u16, u16) -> u16,
) -> [Vec<u16>; 3] {
    [
        t.iter().map(|&(a, b, c)| fma(a, b, c)).collect(),
        t.iter().map(|&(a, b, _)| add(a, b)).collect(),
        t.iter().map(|&(a, b, _)| mul(a, b)).collect(),
    ]
}

fn bf16_want(t: &[(u16, u16, u16)]) -> [Vec<u16>; 3] {
    let b = bf16::from_bits;
    arith_want(
        t,
        |x, y, z| hr::fma_bf16(b(x), b(y), b(z)).to_bits(),
        |x, y| hr::add_bf16(b(x), b(y)).to_bits(),
        |x, y| hr::mul_bf16(b(x), b(y)).to_bits(),
    )
}

fn f16_want(t: &[(u16, u16, u16)]) -> [Vec<u16>; 3] {
    let h = f16::from_bits;
    arith_want(
        t,
        |x, y, z| hr::fma_f16(h(x), h(y), h(z)).to_bits(),
        |x, y| hr::add_f16(h(x), h(y)).to_bits(),
        |x, y| hr::mul_f16(h(x), h(y)).to_bits(),
    )
}

fn check_arith(case: &ArithCase, r: &HalfRun, seed: u64) {
    let m = case.bf16.len();
    // On a mismatch, say whether the GPU gave what rounding through an f32 fma would, or a
    // zero: the two likely ways hardware could differ from a fused, subnormal-keeping fma.
    let describe = |t: (u16, u16, u16), via_f32: u16, got: u16| {
        let note = if via_f32 == got && got != 0 {
            "; = rounding through an f32 fma first"
        } else if got & 0x7fff == 0 {
            "; got a zero (a flushed subnormal?)"
        } else {
            ""
        };
        format!(
            "a, b, c = {:#06x}, {:#06x}, {:#06x}{note} (KLAB_SEED={seed})",
            t.0, t.1, t.2
        )
    };
    let want = bf16_want(&case.bf16);
    for (k, name) in [
        "Bf16x2::fma",
        "Bf16x2 + (fma a, 1, b)",
        "Bf16x2 * (fma a, b, -0)",
    ]
    .iter()
    .enumerate()
    {
        let got = &r.bf16_out[k * m..(k + 1) * m];
        let what = |i: usize| {
            let (a, b, c) = case.bf16[i];
            let f = |x: u16| bf16::from_bits(x).to_f32();
            let via_f32 = bf16::from_f32(f(a).mul_add(f(b), f(c))).to_bits();
            describe(case.bf16[i], via_f32, got[i])
        };
        check_bits(name, got, &want[k], hr::same_bf16, what);
    }
    let want = f16_want(&case.f16);
    for (k, name) in [
        "F16x2::fma",
        "F16x2 +",
        "F16x2 *",
        "f16::mul_add (Rust f16)",
    ]
    .iter()
    .enumerate()
    {
        let got = &r.f16_out[k * m..(k + 1) * m];
        let what = |i: usize| {
            let (a, b, c) = case.f16[i];
            let f = |x: u16| f16::from_bits(x).to_f32();
            let via_f32 = f16::from_f32(f(a).mul_add(f(b), f(c))).to_bits();
            describe(case.f16[i], via_f32, got[i])
        };
        // Rust's f16::mul_add is the same fused operation as F16x2::fma.
        let w = if k == 3 { &want[0] } else { &want[k] };
        check_bits(name, got, w, hr::same_f16, what);
    }
}

fn emulate_arith(case: &ArithCase, fill: (u32, u16)) -> HalfRun {
    let mut r = HalfRun::filled(&case.io, fill);
    let m = case.bf16.len();
    for (k, w) in bf16_want(&case.bf16).iter().enumerate() {
        r.bf16_out[k * m..(k + 1) * m].copy_from_slice(w);
    }
    let w = f16_want(&case.f16);
    for (k, w) in [&w[0], &w[1], &w[2], &w[0]].iter().enumerate() {
        r.f16_out[k * m..(k + 1) * m].copy_from_slice(w);
    }
    r
}

pub fn half_packed_fma_add_and_mul_are_correctly_rounded(gpu: &Gpu) {
    let seed = inputs::fresh_seed();
    let case = arith_case(seed);
    for fill in FILLS {
        let launch = Launch::cover(case.io.n, 128);
        let r = run_half(gpu, st::selftest_half_arith::SYMBOL, launch, &case.io, fill);
        check_arith(&case, &r, seed);
    }
}

// ---- 8-half vectors: selftest_half_vec ----

const VEC_THREADS: usize = 64;
const VEC_BLOCKS: usize = 7;
/// What the outputs hold before the kernel runs; no input element equals it.
const SENTINEL: u16 = 0xffff;

fn vec_io(seed: u64) -> HalfIo {
    let n = VEC_THREADS * VEC_BLOCKS;
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut input = || -> Vec<u16> {
        (0..8 * n + 16)
            .map(|_| rng.random_range(0..SENTINEL))
            .collect()
    };
    let (bf16_in, f16_in) = (input(), input());
    let len = st::half_vec_out_len(n);
    HalfIo {
        f32_in: vec![],
        bf16_in,
        f16_in,
        out_len: (0, len, len),
        n,
    }
}

fn check_vec(io: &HalfIo, r: &HalfRun) {
    let (n, t) = (io.n, VEC_THREADS);
    let len = st::half_vec_out_len(n);
    let [ra, rb, rc, rd] = st::half_vec_regions(n);
    for (name, input, out) in [
        ("bf16", &io.bf16_in, &r.bf16_out),
        ("f16", &io.f16_in, &r.f16_out),
    ] {
        // Input vector j is elements 8 + 8j .. 16 + 8j (the kernel reads from `in + 8`).
        let vector = |j: usize| &input[8 + 8 * j..16 + 8 * j];
        for g in 0..n {
            let (b, i) = (g / t, g % t);
            let at = |base: usize| &out[base + 8 * g..base + 8 * g + 8];
            assert_eq!(
                at(ra),
                vector(b * t + t - 1 - i),
                "{name}: region A (128-bit global and shared accesses), vector {g}"
            );
            let next = b * t + (i + 1) % t;
            assert_eq!(
                at(rb),
                &out[ra + 8 * next..ra + 8 * next + 8],
                "{name}: region B (coherent 128-bit load of the next thread's A), vector {g}"
            );
            assert_eq!(
                at(rc),
                vector(next),
                "{name}: region C (scalar shared accesses), vector {g}"
            );
            assert_eq!(
                at(rd),
                &out[rb + 8 * next..rb + 8 * next + 8],
                "{name}: region D (coherent scalar loads of the next thread's B), vector {g}"
            );
        }
        let gaps = [
            (0, ra),
            (ra + 8 * n, rb),
            (rb + 8 * n, rc),
            (rc + 8 * n, rd),
        ];
        for (lo, hi) in gaps.into_iter().chain([(rd + 8 * n, len)]) {
            assert!(
                out[lo..hi].iter().all(|&v| v == SENTINEL),
                "{name}: elements {lo}..{hi} were written"
            );
        }
    }
}

/// The kernel's four phases, block by block, on a CPU copy of its shared-memory slots.
fn emulate_vec(io: &HalfIo) -> HalfRun {
    let mut r = HalfRun::filled(io, (0, SENTINEL));
    let (n, t) = (io.n, VEC_THREADS);
    let [ra, rb, rc, rd] = st::half_vec_regions(n);
    for (input, out) in [(&io.bf16_in, &mut r.bf16_out), (&io.f16_in, &mut r.f16_out)] {
        let vector = |j: usize| input[8 + 8 * j..16 + 8 * j].to_vec();
        for b in 0..n / t {
            // Phase 1: thread i's input vector into slot T-1-i; phase 2: A and B.
            let mut slots = vec![vec![0u16; 8]; t];
            for i in 0..t {
                slots[t - 1 - i] = vector(b * t + i);
            }
            for i in 0..t {
                let g = b * t + i;
                out[ra + 8 * g..ra + 8 * g + 8].copy_from_slice(&slots[i]);
                out[rb + 8 * g..rb + 8 * g + 8].copy_from_slice(&slots[(i + 1) % t]);
            }
            // Phase 3: every thread writes its own input vector back into its own slot.
            let slots: Vec<Vec<u16>> = (0..t).map(|i| vector(b * t + i)).collect();
            for i in 0..t {
                let (g, next) = (b * t + i, b * t + (i + 1) % t);
                out[rc + 8 * g..rc + 8 * g + 8].copy_from_slice(&slots[(i + 1) % t]);
                let d = out[rb + 8 * next..rb + 8 * next + 8].to_vec();
                out[rd + 8 * g..rd + 8 * g + 8].copy_from_slice(&d);
            }
        }
    }
    r
}

pub fn half_vectors_of_eight_through_global_and_shared_memory(gpu: &Gpu) {
    let io = vec_io(inputs::fresh_seed());
    let threads = VEC_THREADS as u32;
    let launch = Launch::linear(VEC_BLOCKS as u32, threads).with_smem(32 * threads);
    let r = run_half(
        gpu,
        st::selftest_half_vec::SYMBOL,
        launch,
        &io,
        (0, SENTINEL),
    );
    check_vec(&io, &r);
}

// ---- the checks themselves, on the CPU ----

pub fn half_checks_accept_cpu_emulations_of_the_kernels() {
    let seed = inputs::fresh_seed();
    let io = from_f32_io(seed);
    let io_to = to_f32_io();
    let case = arith_case(seed);
    for fill in FILLS {
        check_from_f32(&io, &emulate_from_f32(&io, fill), seed);
        check_to_f32(&io_to, &emulate_to_f32(&io_to, fill));
        check_arith(&case, &emulate_arith(&case, fill), seed);
    }
    let io = vec_io(seed);
    check_vec(&io, &emulate_vec(&io));
}

pub fn half_checks_reject_a_swapped_pack_order_and_an_unwritten_element() {
    let seed = inputs::fresh_seed();
    let io = from_f32_io(seed);
    let mut swapped = emulate_from_f32(&io, FILLS[0]);
    let n = io.n;
    for j in 0..n / 2 {
        swapped.bf16_out.swap(n + 2 * j, n + 2 * j + 1);
    }
    let caught = std::panic::catch_unwind(|| check_from_f32(&io, &swapped, seed));
    assert!(caught.is_err(), "a swapped pack order passed");
    // An element left as the fill: a NaN fill passes where NaN is expected, the other fill not.
    let k = F32_CONVERSION_CASES
        .iter()
        .position(|&b| f32::from_bits(b).is_nan())
        .unwrap();
    for (fill, passes) in [(FILLS[0], true), (FILLS[1], false)] {
        let mut r = emulate_from_f32(&io, fill);
        r.f16_out[k] = fill.1;
        let ok = std::panic::catch_unwind(|| check_from_f32(&io, &r, seed)).is_ok();
        assert_eq!(ok, passes, "unwritten element {k} under fill {fill:x?}");
    }
}

/// The GPU tests of this module.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "half_conversions_from_f32_round_to_nearest_even_and_pack_lo_hi",
        half_conversions_from_f32_round_to_nearest_even_and_pack_lo_hi,
    ),
    (
        "half_conversions_to_f32_are_exact_for_every_bit_pattern",
        half_conversions_to_f32_are_exact_for_every_bit_pattern,
    ),
    (
        "half_packed_fma_add_and_mul_are_correctly_rounded",
        half_packed_fma_add_and_mul_are_correctly_rounded,
    ),
    (
        "half_vectors_of_eight_through_global_and_shared_memory",
        half_vectors_of_eight_through_global_and_shared_memory,
    ),
];

/// Its checks of the checks, on the CPU (they run without a device too).
pub const CPU_TESTS: &[crate::CpuTest] = &[
    (
        "half_checks_accept_cpu_emulations_of_the_kernels",
        half_checks_accept_cpu_emulations_of_the_kernels,
    ),
    (
        "half_checks_reject_a_swapped_pack_order_and_an_unwritten_element",
        half_checks_reject_a_swapped_pack_order_and_an_unwritten_element,
    ),
];
