//! Programmatic dependent launch (kernels-gpu/src/selftest/grid_dep.rs): `selftest_pdl_producer`
//! then `selftest_pdl_consumer` launched `with_programmatic`, checked exactly against the
//! model. Shared by the GPU tests (tests/gpu/device_api.rs) and the emulator's
//! (tests/emulator.rs, `#[path]`), so the one check runs on the H200 and in CI.

use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::selftest::{self as st, SelftestParams};

/// The producer's input: small integers, so every value of the pair is exact in f32.
fn input(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|i| ((i * 37 + seed) % 201) as f32 - 100.0)
        .collect()
}

/// What the consumer writes for the producer's input `x`: `3·(2·x + offset) + 1`.
fn model(x: &[f32]) -> Vec<f32> {
    let offset = st::pdl_offset(x.len() as u32);
    x.iter().map(|&v| 3.0 * (2.0 * v + offset) + 1.0).collect()
}

/// Runs the pair `iterations` times over `n` elements: the producer as a plain launch of
/// `producer_blocks` blocks of 256 threads (grid-stride), then the consumer, one thread per
/// element, `with_programmatic` (and in clusters of `cluster` blocks if `cluster > 1`: both
/// launch attributes). Before each producer both outputs are poisoned, so a consumer that reads
/// the producer's output before it is written (a missing or misplaced wait) reads NaN. `Err`
/// names the iteration and the first element that differs.
pub fn producer_then_consumer(
    gpu: &Gpu,
    n: usize,
    producer_blocks: u32,
    cluster: u32,
    iterations: usize,
    seed: u64,
) -> Result<(), String> {
    let e = |e: kernel_lab::Error| e.to_string();
    let x = input(n, seed);
    let want = model(&x);
    let x_dev = DeviceBuffer::from_host(gpu, &x).map_err(e)?;
    let mut produced = DeviceBuffer::<f32>::zeros(gpu, n).map_err(e)?;
    let mut consumed = DeviceBuffer::<f32>::zeros(gpu, n).map_err(e)?;
    let mut unused = DeviceBuffer::<u32>::zeros(gpu, 1).map_err(e)?;
    let producer = SelftestParams {
        input: x_dev.ptr(),
        out: produced.ptr_mut(),
        out_u32: unused.ptr_mut(),
        n: n as u32,
    };
    let consumer = SelftestParams {
        input: produced.ptr(),
        out: consumed.ptr_mut(),
        out_u32: unused.ptr_mut(),
        n: n as u32,
    };
    let mut dependent = Launch::cover(n, 256).with_programmatic();
    if cluster > 1 {
        let blocks = dependent.grid.0.div_ceil(cluster) * cluster;
        dependent = Launch::linear(blocks, 256)
            .with_cluster(cluster)
            .with_programmatic();
    }
    let what = format!("n = {n}, clusters of {cluster}");
    for it in 0..iterations {
        produced.poison(gpu).map_err(e)?;
        consumed.poison(gpu).map_err(e)?;
        gpu.launch(
            st::selftest_pdl_producer::SYMBOL,
            Launch::linear(producer_blocks, 256),
            producer,
        )
        .and_then(|()| gpu.launch(st::selftest_pdl_consumer::SYMBOL, dependent, consumer))
        .map_err(|err| format!("{what}, iteration {it}: {err}"))?;
        let got = consumed.to_host(gpu).map_err(e)?;
        if let Some(i) = (0..n).find(|&i| got[i].to_bits() != want[i].to_bits()) {
            let bad = (0..n).filter(|&i| got[i].to_bits() != want[i].to_bits());
            return Err(format!(
                "{what}, iteration {it}: element {i} is {} (expected {} = 3·(2·{} + offset) + \
                 1); {} elements differ: the consumer read the producer's output before it was \
                 written",
                got[i],
                want[i],
                x[i],
                bad.count()
            ));
        }
    }
    Ok(())
}
