//! The device API on the GPU: each family run by a self-test kernel and checked against a CPU
//! model (warp shuffles and votes, atomics, fast math, dynamic shared memory with 128-bit
//! accesses, and half precision: conversions, pack order, packed arithmetic, 8-half vectors,
//! checked bit for bit against the `half` crate and `kernel_lab::half_ref`; and tensor cores:
//! mma.sync, ldmatrix, cp.async and the swizzled chain of the bf16 GEMM; and on sm_90 clusters
//! and programmatic dependent launch).

pub mod cluster;
pub mod grid_dep;
pub mod half_precision;
pub mod tensor_core;

use kernel_lab::inputs;
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernel_lab::shape::Shape;
use kernel_lab::verify::{Tolerance, compare};
use kernels_gpu::selftest::{self as st, SelftestParams};

struct Run {
    out: Vec<f32>,
    out_u32: Vec<u32>,
}

/// Runs `symbol` over `x` with `out_len` f32 outputs (pre-filled by `init`) and `u32_len` u32 outputs.
fn run(
    gpu: &Gpu,
    symbol: &str,
    x: &[f32],
    launch: Launch,
    out_init: &[f32],
    u32_len: usize,
) -> Run {
    let input = DeviceBuffer::from_host(gpu, x).unwrap();
    let mut out = DeviceBuffer::from_host(gpu, out_init).unwrap();
    let mut out_u32 = DeviceBuffer::<u32>::zeros(gpu, u32_len.max(1)).unwrap();
    let p = SelftestParams {
        input: input.ptr(),
        out: out.ptr_mut(),
        out_u32: out_u32.ptr_mut(),
        n: x.len() as u32,
    };
    gpu.launch(symbol, launch, p).unwrap();
    Run {
        out: out.to_host(gpu).unwrap(),
        out_u32: out_u32.to_host(gpu).unwrap(),
    }
}

pub fn warp_shuffles_votes_and_reductions(gpu: &Gpu) {
    let n = 32 * 8;
    let x = inputs::uniform(n, inputs::fresh_seed(), -1.0, 1.0);
    let r = run(
        gpu,
        st::selftest_warp::SYMBOL,
        &x,
        Launch::cover(n, 64),
        &vec![f32::NAN; n * st::WARP_F32_OUTPUTS],
        n / 32 * st::WARP_U32_OUTPUTS,
    );
    for w in 0..n / 32 {
        let lanes = &x[32 * w..32 * w + 32];
        let sum: f64 = lanes.iter().map(|&v| v as f64).sum();
        let max = lanes.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for l in 0..32 {
            let o = &r.out[st::WARP_F32_OUTPUTS * (32 * w + l)..][..st::WARP_F32_OUTPUTS];
            assert_eq!(
                o[0],
                lanes[if l + 1 < 32 { l + 1 } else { l }],
                "shuffle_down warp {w} lane {l}"
            );
            assert_eq!(o[1], lanes[l ^ 5], "shuffle_xor warp {w} lane {l}");
            assert_eq!(o[2], lanes[7], "shuffle_idx warp {w} lane {l}");
            assert!(
                (o[3] as f64 - sum).abs() <= 1e-5,
                "reduce_sum warp {w} lane {l}: {} vs {sum}",
                o[3]
            );
            assert_eq!(o[4], max, "reduce_max warp {w} lane {l}");
        }
        let ballot = lanes
            .iter()
            .enumerate()
            .fold(0u32, |b, (l, &v)| b | (((v > 0.0) as u32) << l));
        let u = &r.out_u32[3 * w..3 * w + 3];
        assert_eq!(u[0], ballot, "ballot warp {w}");
        assert_eq!(u[1], lanes.iter().any(|&v| v > 0.9) as u32, "any warp {w}");
        assert_eq!(u[2], lanes.iter().all(|&v| v > -0.9) as u32, "all warp {w}");
    }
}

pub fn atomics_on_global_and_shared_memory(gpu: &Gpu) {
    let (n, threads) = (10_000usize, 256u32);
    let blocks = n.div_ceil(threads as usize);
    // Small integers: every order of addition gives the exact same sum.
    let x = inputs::small_integers(n, inputs::fresh_seed(), 100);
    let mut init = vec![f32::NAN; 2 + 2 * blocks];
    init[0] = 0.0;
    init[1] = f32::NEG_INFINITY;
    let r = run(
        gpu,
        st::selftest_atomics::SYMBOL,
        &x,
        Launch::cover(n, threads),
        &init,
        1,
    );
    assert_eq!(r.out[0], x.iter().sum::<f32>(), "global atomic add");
    assert_eq!(
        r.out[1],
        x.iter().copied().fold(f32::NEG_INFINITY, f32::max),
        "global atomic max"
    );
    for (b, chunk) in x.chunks(threads as usize).enumerate() {
        assert_eq!(
            r.out[2 + 2 * b],
            chunk.iter().sum::<f32>(),
            "shared atomic add, block {b}"
        );
        assert_eq!(
            r.out[3 + 2 * b],
            chunk.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            "shared atomic max, block {b}"
        );
    }
    assert_eq!(r.out_u32[0], n as u32, "global atomic add u32");
}

pub fn fast_math_is_within_its_documented_accuracy(gpu: &Gpu) {
    let n = 4099;
    let x = inputs::uniform(n, inputs::fresh_seed(), -4.0, 4.0);
    let r = run(
        gpu,
        st::selftest_math::SYMBOL,
        &x,
        Launch::cover(n, 128),
        &vec![f32::NAN; 4 * n],
        0,
    );
    let pick = |k: usize| {
        r.out
            .iter()
            .skip(k)
            .step_by(4)
            .copied()
            .collect::<Vec<f32>>()
    };
    let a = |v: f32| (v.abs() + 0.1) as f64;
    let check = |k: usize, name: &str, f: &dyn Fn(f32) -> f64, tol: Tolerance| {
        let want: Vec<f64> = x.iter().map(|&v| f(v)).collect();
        let c = compare(&pick(k), &want, &Shape::n(n), tol);
        assert!(c.passed(), "{name}: {c}");
    };
    check(
        0,
        "exp_fast",
        &|v| (v as f64).exp(),
        Tolerance {
            atol: 1e-6,
            rtol: 2e-6,
        },
    );
    check(
        1,
        "log_fast",
        &|v| a(v).ln(),
        Tolerance {
            atol: 2e-6,
            rtol: 2e-6,
        },
    );
    check(
        2,
        "rsqrt_fast",
        &|v| 1.0 / a(v).sqrt(),
        Tolerance {
            atol: 0.0,
            rtol: 2e-6,
        },
    );
    check(
        3,
        "tanh_fast",
        &|v| (v as f64).tanh(),
        Tolerance {
            atol: 1e-3,
            rtol: 0.0,
        },
    );
}

pub fn dynamic_shared_memory_with_128_bit_accesses(gpu: &Gpu) {
    let (threads, blocks) = (128u32, 37usize);
    let n = 4 * threads as usize * blocks;
    let x = inputs::uniform(n, inputs::fresh_seed(), -1.0, 1.0);
    let launch = Launch::linear(blocks as u32, threads).with_smem(16 * threads);
    let r = run(
        gpu,
        st::selftest_smem_vec::SYMBOL,
        &x,
        launch,
        &vec![f32::NAN; n],
        0,
    );
    let t = threads as usize;
    for b in 0..blocks {
        for i in 0..t {
            let (dst, src) = (4 * (b * t + i), 4 * (b * t + t - 1 - i));
            assert_eq!(r.out[dst..dst + 4], x[src..src + 4], "block {b} thread {i}");
        }
    }
}

/// Thread-block clusters (sm_90): `selftest_cluster` in clusters of 1, 2, 3, 4 and 8 blocks
/// of 32 and 128 threads, each block storing into every peer's shared memory through `mapa`,
/// a cluster barrier, then reading its own slots and a peer's (exact). Skipped (one line) on
/// devices below compute capability 9.0, where a cluster launch must be a clear error.
pub fn cluster_blocks_exchange_through_distributed_shared_memory(gpu: &Gpu) {
    use kernel_lab::registry::Arch;
    let name = "cluster_blocks_exchange_through_distributed_shared_memory";
    if !gpu.supports(Arch::Sm90a) {
        let (major, minor) = gpu.info().compute_capability;
        if major < 9 {
            // Any kernel: the cluster is refused before the launch.
            let x = vec![0.0f32; 64];
            let input = DeviceBuffer::from_host(gpu, &x).unwrap();
            let mut out = DeviceBuffer::from_host(gpu, &x).unwrap();
            let mut out_u32 = DeviceBuffer::<u32>::zeros(gpu, 64).unwrap();
            let p = SelftestParams {
                input: input.ptr(),
                out: out.ptr_mut(),
                out_u32: out_u32.ptr_mut(),
                n: 0,
            };
            let launch = Launch::linear(2, 32).with_cluster(2);
            let e = gpu
                .launch(st::selftest_math::SYMBOL, launch, p)
                .unwrap_err();
            assert!(
                e.to_string().contains("needs compute capability 9.0"),
                "a cluster launch on sm_{major}{minor}: {e}"
            );
        }
        eprintln!(
            "{name}: skipped: needs sm_90a (compute capability 9.0), {} is sm_{major}{minor}",
            gpu.info().name
        );
        return;
    }
    let seed = inputs::fresh_seed();
    for c in [1, 2, 3, 4, 8] {
        for threads in [32, 128] {
            cluster::exchange(gpu, c, 5, threads, seed).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    // A grid that is not a multiple of the cluster is refused, with the reason.
    let input = DeviceBuffer::from_host(gpu, &[0.0f32; 6]).unwrap();
    let mut out = DeviceBuffer::from_host(gpu, &[0.0f32; 12]).unwrap();
    let mut out_u32 = DeviceBuffer::<u32>::zeros(gpu, 48).unwrap();
    let p = SelftestParams {
        input: input.ptr(),
        out: out.ptr_mut(),
        out_u32: out_u32.ptr_mut(),
        n: 6,
    };
    let launch = Launch::linear(6, 32).with_cluster(4);
    let e = gpu
        .launch(st::selftest_cluster::SYMBOL, launch, p)
        .expect_err("a grid of 6 blocks in clusters of 4 launched");
    assert!(
        e.to_string()
            .contains("is not a multiple of the cluster (4, 1, 1)"),
        "the refusal does not say why: {e}"
    );
}

/// Programmatic dependent launch (sm_90): `selftest_pdl_producer` (it lets the next launch
/// start at once and writes its output some 100 µs later) then `selftest_pdl_consumer`
/// launched `with_programmatic`, which waits for it and reads that output: 50 times over 2^22
/// elements, then 10 times with the consumer in clusters of 2 (both launch attributes), every
/// element exact every time; a read above the wait would see the poisoned output. On every
/// device first: a base-module kernel launched `with_programmatic` gives exactly what its plain
/// launch gives (below compute capability 9.0 it is one). Skipped (one line) below 9.0.
pub fn a_programmatic_launch_reads_its_prerequisites_output(gpu: &Gpu) {
    use kernel_lab::registry::Arch;
    let name = "a_programmatic_launch_reads_its_prerequisites_output";
    let n = 4099;
    let x = inputs::uniform(n, inputs::fresh_seed(), -4.0, 4.0);
    let math = |launch: Launch| {
        let r = run(
            gpu,
            st::selftest_math::SYMBOL,
            &x,
            launch,
            &vec![f32::NAN; 4 * n],
            0,
        );
        r.out.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
    };
    assert!(
        math(Launch::cover(n, 128).with_programmatic()) == math(Launch::cover(n, 128)),
        "selftest_math launched with_programmatic differs from its plain launch"
    );
    if !gpu.supports(Arch::Sm90a) {
        let (major, minor) = gpu.info().compute_capability;
        eprintln!(
            "{name}: skipped: needs sm_90a (compute capability 9.0), {} is sm_{major}{minor}",
            gpu.info().name
        );
        return;
    }
    // The emulator (KLAB_EMULATE=1) runs a thread at a time: a small problem.
    let (n, iterations) = if gpu.is_emulated() {
        (4099, 2)
    } else {
        (1 << 22, 50)
    };
    // Two blocks per SM: the whole producer is resident at once, so every block triggers at
    // its start and the consumer launches while the producer spins.
    let blocks = 2 * gpu.info().sm_count.max(1) as u32;
    let seed = inputs::fresh_seed();
    grid_dep::producer_then_consumer(gpu, n, blocks, 1, iterations, seed)
        .unwrap_or_else(|e| panic!("{e} (KLAB_SEED={seed})"));
    grid_dep::producer_then_consumer(gpu, n, blocks, 2, iterations / 5, seed)
        .unwrap_or_else(|e| panic!("{e} (KLAB_SEED={seed})"));
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[
    (
        "warp_shuffles_votes_and_reductions",
        warp_shuffles_votes_and_reductions,
    ),
    (
        "atomics_on_global_and_shared_memory",
        atomics_on_global_and_shared_memory,
    ),
    (
        "fast_math_is_within_its_documented_accuracy",
        fast_math_is_within_its_documented_accuracy,
    ),
    (
        "dynamic_shared_memory_with_128_bit_accesses",
        dynamic_shared_memory_with_128_bit_accesses,
    ),
    (
        "cluster_blocks_exchange_through_distributed_shared_memory",
        cluster_blocks_exchange_through_distributed_shared_memory,
    ),
    (
        "a_programmatic_launch_reads_its_prerequisites_output",
        a_programmatic_launch_reads_its_prerequisites_output,
    ),
];
