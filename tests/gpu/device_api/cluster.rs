//! Thread-block clusters and DSMEM (kernels-gpu/src/selftest/cluster.rs): `selftest_cluster`
//! launched in clusters and checked exactly against its model. Shared by the GPU tests
//! (tests/gpu/device_api.rs) and the emulator's (tests/emulator.rs, `#[path]`), so the one
//! check runs on the H200 and in CI.

use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::selftest::{self as st, SelftestParams};

/// What `selftest_cluster` writes for block `b` of a launch in clusters of `c` over `x` (one
/// input per block): its f32 and u32 outputs.
fn model(
    x: &[f32],
    c: usize,
    b: usize,
) -> (
    [f32; st::CLUSTER_F32_OUTPUTS],
    [u32; st::CLUSTER_U32_OUTPUTS],
) {
    let (rank, id) = (b % c, b / c);
    let first = id * c;
    // Rank order, in f32 as the kernel adds (the inputs are small integers: exact anyway).
    let sum = x[first..first + c].iter().fold(0.0f32, |s, &v| s + v);
    let word = (0..c).fold(0u32, |w, k| w | (k as u32) << (4 * k));
    let q = (rank + 1) % c;
    let blocks = x.len();
    (
        [sum, x[b]],
        [
            rank as u32,
            c as u32,
            id as u32,
            rank as u32,
            c as u32,
            (blocks / c) as u32,
            word,
            q as u32,
        ],
    )
}

/// Launches `selftest_cluster` over `clusters` clusters of `c` blocks of `threads` threads and
/// compares every output with the model: `Err` names the first block that differs.
pub fn exchange(
    gpu: &Gpu,
    c: usize,
    clusters: usize,
    threads: u32,
    seed: u64,
) -> Result<(), String> {
    let blocks = c * clusters;
    let x: Vec<f32> = (0..blocks)
        .map(|b| ((b as u64 * 37 + seed) % 101) as f32 - 50.0)
        .collect();
    let input = DeviceBuffer::from_host(gpu, &x).map_err(|e| e.to_string())?;
    let mut out = DeviceBuffer::from_host(gpu, &vec![f32::NAN; blocks * st::CLUSTER_F32_OUTPUTS])
        .map_err(|e| e.to_string())?;
    let mut out_u32 =
        DeviceBuffer::from_host(gpu, &vec![u32::MAX; blocks * st::CLUSTER_U32_OUTPUTS])
            .map_err(|e| e.to_string())?;
    let p = SelftestParams {
        input: input.ptr(),
        out: out.ptr_mut(),
        out_u32: out_u32.ptr_mut(),
        n: blocks as u32,
    };
    let launch = Launch::linear(blocks as u32, threads).with_cluster(c as u32);
    gpu.launch(st::selftest_cluster::SYMBOL, launch, p)
        .and_then(|()| gpu.sync())
        .map_err(|e| format!("clusters of {c}: {e}"))?;
    let got = out.to_host(gpu).map_err(|e| e.to_string())?;
    let got_u32 = out_u32.to_host(gpu).map_err(|e| e.to_string())?;
    for b in 0..blocks {
        let (f, u) = model(&x, c, b);
        let gf = &got[st::CLUSTER_F32_OUTPUTS * b..][..st::CLUSTER_F32_OUTPUTS];
        let gu = &got_u32[st::CLUSTER_U32_OUTPUTS * b..][..st::CLUSTER_U32_OUTPUTS];
        if gf != f || gu != u {
            return Err(format!(
                "clusters of {c} ({threads} threads per block), block {b}: got f32 {gf:?} u32 \
                 {gu:?}, expected {f:?} {u:?} ([sum of the slots, own value in the next \
                 rank's slots], [ctarank, nctarank, clusterid.x, cluster_ctaid.x, \
                 cluster_nctaid.x, nclusterid.x, ranks word, next rank's own rank])"
            ));
        }
    }
    Ok(())
}
