//! The CPU emulator in CI (no GPU): every registered step of every ladder runs in it on the
//! ladder's small awkward shapes and is compared with its float64 reference, under two
//! interleavings; and planted bugs (test-only kernels, not registered steps) are caught with a
//! message that names the kernel, block, thread, address and line.
//!
//! One trial per step (libtest-mimic, so new ladders and steps are covered from the registry
//! and run in parallel); `KLAB_SEED` replays the inputs, `KLAB_EMU_SEED` the interleaving.

use kernel_lab::error::Error;
use kernel_lab::inputs;
use kernel_lab::registry::{self, Arch, Ladder, StepInfo, Target, verify};
use kernel_lab::runtime::{DeviceBuffer, Gpu, Launch};
use kernels_gpu::emu::{ErrorKind, Options};
use libtest_mimic::{Arguments, Completion, Trial};

/// Shapes of the emulator's check: the ladder's awkward shapes (1, warp and tile ± 1, primes,
/// 1×N…) up to this many elements (the product of the dimensions): small enough for CI.
const MAX_NUMEL: usize = 1 << 18;

/// The interleavings each step runs under: in order, and seeded with pre-emption at one access
/// in 7 (threads switch in the middle of their work, not only at barriers).
fn schedules() -> [Options; 2] {
    let env = Options::from_env();
    [
        Options {
            seed: 0,
            preempt: 0,
            ..env.clone()
        },
        Options {
            seed: if env.seed != 0 { env.seed } else { 0x2545_f491 },
            preempt: 7,
            ..env
        },
    ]
}

/// Kernels whose warnings are known and harmless, each with the reason (printed, not failed).
const KNOWN_WARNINGS: &[(&str, &str)] = &[(
    "gemm_bf16_s04_swizzled_warptile",
    "after the last k-tile the loop prefetches the A fragments of the next stage, which holds \
     no k-tile (never written when K has fewer than 3 k-tiles) and which nothing uses",
)];

/// What a step's check came to.
enum Outcome {
    Passed,
    /// The step calls a device-API function the emulator does not model: the message.
    NotEmulated(String),
}

/// The message of an error that says the emulator does not model what the step needs.
fn not_emulated(e: &Error) -> Option<String> {
    match e {
        Error::NotEmulated(what) => Some(format!("not emulated: {what}")),
        Error::Emulation(x) if x.kind == ErrorKind::NotEmulated => {
            // "emulator: K: not emulated in block …, thread …: WHAT (called at …) has no host
            // implementation in the emulator" -> "not emulated: WHAT (called at …)".
            let text = e.to_string();
            let what = text
                .split_once("not emulated in ")
                .and_then(|(_, r)| r.split_once("): "))
                .map(|(_, w)| w.trim_end_matches(" has no host implementation in the emulator"))
                .unwrap_or(&text);
            Some(format!("not emulated: {what}"))
        }
        _ => None,
    }
}

fn check_step(ladder: &dyn Ladder, step: &StepInfo) -> Result<Outcome, String> {
    let shapes: Vec<_> = ladder
        .awkward_shapes()
        .into_iter()
        .filter(|s| s.numel() <= MAX_NUMEL)
        .collect();
    if shapes.len() < 3 {
        return Err(format!(
            "{}: only {} awkward shapes of at most {MAX_NUMEL} elements; give the ladder small \
             awkward shapes (1, tile ± 1, a prime)",
            ladder.name(),
            shapes.len()
        ));
    }
    for opts in schedules() {
        let gpu = Gpu::emulated(opts.clone());
        for shape in &shapes {
            let seed = inputs::fresh_seed();
            let at = format!(
                "{} at {shape} (KLAB_SEED={seed}, KLAB_EMU_SEED={})",
                step.symbol, opts.seed
            );
            let mut case = ladder
                .prepare(&gpu, shape, step.dtype, seed)
                .map_err(|e| format!("{at}: prepare failed: {e}"))?;
            let c = match verify(case.as_mut(), &gpu, Target::Step(step)) {
                Ok(c) => c,
                Err(e) => match not_emulated(&e) {
                    // The sm_90a steps (wgmma, TMA): the only ones the emulator does not model.
                    Some(line) if step.arch == Arch::Sm90a => {
                        return Ok(Outcome::NotEmulated(line));
                    }
                    _ => return Err(format!("{at}: {e}")),
                },
            };
            if !c.passed() {
                return Err(format!("{at}: {c}"));
            }
        }
        let warnings = gpu.as_emulator().expect("emulated").take_warnings();
        if let Some((_, why)) = KNOWN_WARNINGS.iter().find(|(k, _)| *k == step.symbol) {
            if let Some(w) = warnings.first() {
                println!("{w}\n  (known, harmless: {why})");
            }
        } else if !warnings.is_empty() {
            let lines: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
            return Err(format!("{}: {}", step.symbol, lines.join("\n")));
        }
    }
    Ok(Outcome::Passed)
}

// ---- Planted bugs: test-only kernels, each a registered step's code with one mistake. ----

mod planted {
    use kernels_gpu::gpu::{sync_threads, thread};
    use kernels_gpu::reduce::ReduceParams;
    use kernels_gpu::transpose::TransposeParams;
    use kernels_gpu::{kernel, shared_array};

    const TILE: u32 = 32;
    const BLOCK_ROWS: u32 = 8;

    kernel! {
        /// transpose/2 without its barrier: threads read tile entries other threads write.
        fn planted_transpose_no_barrier(p: TransposeParams) {
            let tile = shared_array!(planted_transpose_tile: [f32; (TILE * TILE) as usize]);
            let tiles_x = p.cols.div_ceil(TILE);
            let b = thread::block_idx_x();
            let (bx, by) = (b % tiles_x, b / tiles_x);
            let (tx, ty) = (thread::thread_idx_x(), thread::thread_idx_y());
            let c = bx * TILE + tx;
            let mut j = 0;
            while j < TILE {
                let r = by * TILE + ty + j;
                if r < p.rows && c < p.cols {
                    let v = unsafe { p.input.load(r as usize * p.cols as usize + c as usize) };
                    unsafe { tile.store((ty + j) * TILE + tx, v) };
                }
                j += BLOCK_ROWS;
            }
            // (the sync_threads() of transpose/2 was here)
            let ocol = by * TILE + tx;
            let mut j = 0;
            while j < TILE {
                let orow = bx * TILE + ty + j;
                if orow < p.cols && ocol < p.rows {
                    let v = unsafe { tile.load(tx * TILE + ty + j) };
                    unsafe { p.output.store(orow as usize * p.rows as usize + ocol as usize, v) };
                }
                j += BLOCK_ROWS;
            }
        }
    }

    kernel! {
        /// reduce_sum/3 whose guard is `i <= n`: the thread of index `n` reads one past the end.
        fn planted_reduce_one_past_the_end(p: ReduceParams) {
            let tile = shared_array!(planted_reduce_tile: [f32; 1024]);
            let tid = thread::thread_idx_x();
            let bd = thread::block_dim_x();
            let i = thread::block_idx_x() as usize * bd as usize + tid as usize;
            let mut v = if i <= p.n as usize { unsafe { p.input.load(i) } } else { 0.0 };
            unsafe { tile.store(tid, v) };
            sync_threads();
            let mut s = bd / 2;
            while s > 0 {
                if tid < s {
                    v += unsafe { tile.load(tid + s) };
                    unsafe { tile.store(tid, v) };
                }
                sync_threads();
                s >>= 1;
            }
            if tid == 0 {
                unsafe { p.output.store(thread::block_idx_x() as usize, v) };
            }
        }
    }

    kernel! {
        /// A reduction whose last levels are `if tid < 16 { …; sync_threads() }`: only half a
        /// warp reaches the barrier.
        fn planted_divergent_barrier(p: ReduceParams) {
            let tile = shared_array!(planted_divergent_tile: [f32; 1024]);
            let tid = thread::thread_idx_x();
            let i = thread::index_1d();
            let v = if i < p.n as usize { unsafe { p.input.load(i) } } else { 0.0 };
            unsafe { tile.store(tid, v) };
            sync_threads();
            if tid < 16 {
                unsafe { tile.store(tid, tile.load(tid) + tile.load(tid + 16)) };
                sync_threads();
            }
            if tid == 0 {
                unsafe { p.output.store(thread::block_idx_x() as usize, tile.load(0)) };
            }
        }
    }

    kernel! {
        /// Half a warp at a shuffle, the other half at a barrier: neither can go on.
        fn planted_shuffle_deadlock(p: ReduceParams) {
            let tid = thread::thread_idx_x();
            let mut v = unsafe { p.input.load(tid as usize) };
            if tid < 16 {
                v = kernels_gpu::gpu::warp::shuffle_xor(v, 1);
            } else {
                sync_threads();
            }
            unsafe { p.output.store(tid as usize, v) };
        }
    }

    kernel! {
        /// Every lane writes its value to shared memory, then reads its neighbour's after a
        /// `sync_warp()` (ordered: no race), and exchanges it with a shuffle (registers, never
        /// a race): warp-synchronous code the race check must accept.
        fn planted_warp_synchronous(p: ReduceParams) {
            let buf = shared_array!(planted_warp_buf: [f32; 64]);
            let tid = thread::thread_idx_x();
            let v = unsafe { p.input.load(tid as usize) };
            unsafe { buf.store(tid, v) };
            kernels_gpu::gpu::sync::sync_warp();
            let next = unsafe { buf.load((tid & !31) | ((tid + 1) & 31)) };
            let r = kernels_gpu::gpu::warp::shuffle_xor(next, 16);
            unsafe { p.output.store(tid as usize, r) };
        }
    }

    kernel! {
        /// A shared tile of one float per thread, read at `tid + 1`: the last thread reads past
        /// the array's end.
        fn planted_shared_one_past_the_end(p: ReduceParams) {
            let buf = shared_array!(planted_shared_buf: [f32; 64]);
            let tid = thread::thread_idx_x();
            unsafe { buf.store(tid, p.input.load(tid as usize)) };
            sync_threads();
            let v = unsafe { buf.load(tid + 1) };
            unsafe { p.output.store(tid as usize, v) };
        }
    }

    kernel! {
        /// A 128-bit load of `input + 1 float`: not 16-byte aligned.
        fn planted_misaligned_vector_load(p: ReduceParams) {
            let tid = thread::thread_idx_x() as usize;
            let v = unsafe { p.input.offset(1).load_f32x4(tid) };
            unsafe { p.output.store(tid, v.0[0]) };
        }
    }

    kernel! {
        /// Reads shared memory no thread wrote (a warning, not an error).
        fn planted_unwritten_shared(p: ReduceParams) {
            let buf = shared_array!(planted_unwritten_buf: [f32; 64]);
            let tid = thread::thread_idx_x();
            unsafe { buf.store(tid, 1.0) };
            sync_threads();
            let v = unsafe { buf.load(tid + 32) };
            unsafe { p.output.store(tid as usize, v) };
        }
    }
}

// ---- Programmatic dependent launch: the selftest's producer and consumer. ----

#[path = "gpu/device_api/grid_dep.rs"]
mod grid_dep_selftest;

/// selftest_pdl_producer then selftest_pdl_consumer `with_programmatic` (alone and in clusters
/// of 2), under both interleavings, exact: a programmatic launch runs here as a plain one, after
/// the launch before it, and `grid_dep`'s calls are no-ops. The launch log keeps the flag.
fn a_programmatic_consumer_reads_its_producers_output() -> Result<(), String> {
    for opts in schedules() {
        let gpu = Gpu::emulated(opts);
        for (n, blocks, cluster) in [(1, 1, 1), (1000, 2, 1), (4099, 3, 1), (1000, 2, 2)] {
            grid_dep_selftest::producer_then_consumer(
                &gpu,
                n,
                blocks,
                cluster,
                2,
                inputs::fresh_seed(),
            )?;
        }
        let first = gpu.first_launch(kernels_gpu::selftest::selftest_pdl_consumer::SYMBOL);
        if first != Some(Launch::linear(1, 256).with_programmatic()) {
            return Err(format!(
                "the launch log has {first:?} as the consumer's first launch"
            ));
        }
        let w = gpu.as_emulator().unwrap().take_warnings();
        if !w.is_empty() {
            return Err(format!("warnings: {w:?}"));
        }
    }
    Ok(())
}

// ---- Clusters: the selftest's exchange, and planted mistakes of cluster kernels. ----

#[path = "gpu/device_api/cluster.rs"]
mod cluster_selftest;

mod planted_cluster {
    use kernels_gpu::gpu::cluster::{self, cluster_ctarank, cluster_sync, map_shared_rank};
    use kernels_gpu::gpu::thread;
    use kernels_gpu::reduce::ReduceParams;
    use kernels_gpu::{kernel, shared_array};

    kernel! {
        /// A cluster barrier that the block of rank 1 never reaches (it returns first): its
        /// peers wait for it forever.
        fn planted_cluster_rank_1_skips_the_barrier(p: ReduceParams) {
            let slots = shared_array!(planted_skip_slots: [f32; 8]);
            let tid = thread::thread_idx_x();
            let rank = cluster_ctarank();
            if rank == 1 {
                return;
            }
            if tid < 8 {
                unsafe { slots.store(tid, rank as f32) };
            }
            cluster_sync();
            if tid == 0 {
                unsafe { p.output.store(thread::block_idx_x() as usize, slots.load(0)) };
            }
        }
    }

    kernel! {
        /// Each block stores into the next rank's slot and reads its own without a cluster
        /// barrier in between (the `cluster_sync()` is missing): a DSMEM race.
        fn planted_cluster_dsmem_without_a_barrier(p: ReduceParams) {
            let slot = shared_array!(planted_race_slot: [f32; 1]);
            let tid = thread::thread_idx_x();
            let (rank, c) = (cluster_ctarank(), cluster::cluster_nctarank());
            if tid == 0 {
                let next = (rank + 1) % c;
                unsafe { map_shared_rank(slot, next).store(0, 1.0) };
                let v = unsafe { slot.load(0) };
                unsafe { p.output.store(thread::block_idx_x() as usize, v) };
            }
            cluster_sync();
        }
    }

    /// Rows of `row_exchange`.
    pub const ROWS: u32 = 5;

    /// The row-split pattern (a row over the cluster's blocks, one barrier per row): for each
    /// of [`ROWS`] rows, every block stores its part of the row's sum into its slot of every
    /// peer's buffer `row % BUFFERS`, `cluster_sync()`, and thread 0 adds the buffer's slots:
    /// `output[row · gridDim + block] = Σ input[row · gridDim + cluster's blocks]`.
    fn row_exchange<const BUFFERS: u32>(p: ReduceParams) {
        let slots = shared_array!(planted_row_slots: [f32; 16]);
        let tid = thread::thread_idx_x();
        let (rank, c) = (cluster_ctarank(), cluster::cluster_nctarank());
        let (b, g) = (thread::block_idx_x(), thread::grid_dim_x());
        let mut row = 0;
        while row < ROWS {
            let buf = slots.offset(8 * (row % BUFFERS));
            if tid < c {
                let part = unsafe { p.input.load((row * g + b) as usize) };
                unsafe { map_shared_rank(buf, tid).store(rank, part) };
            }
            cluster_sync();
            if tid == 0 {
                let mut sum = 0.0;
                let mut k = 0;
                while k < c {
                    sum += unsafe { buf.load(k) };
                    k += 1;
                }
                unsafe { p.output.store((row * g + b) as usize, sum) };
            }
            row += 1;
        }
        cluster_sync();
    }

    kernel! {
        /// [`row_exchange`] with two buffers (row parity): race-free with one barrier per row.
        fn planted_cluster_rows_double_buffered(p: ReduceParams) {
            row_exchange::<2>(p)
        }
    }

    kernel! {
        /// [`row_exchange`] with one buffer: a fast peer's store of row `r + 1` races with
        /// this block's read of row `r` (one barrier per row is not enough).
        fn planted_cluster_rows_one_buffer(p: ReduceParams) {
            row_exchange::<1>(p)
        }
    }

    kernel! {
        /// `mapa` to rank `c` (one past the last) of a cluster of `c`.
        fn planted_cluster_rank_past_the_end(p: ReduceParams) {
            let slot = shared_array!(planted_rank_slot: [f32; 1]);
            let c = cluster::cluster_nctarank();
            cluster_sync();
            if thread::thread_idx_x() == 0 {
                let v = unsafe { map_shared_rank(slot, c).load(0) };
                unsafe { p.output.store(thread::block_idx_x() as usize, v) };
            }
        }
    }

    kernel! {
        /// The block of rank 0 reads rank 1's slot after the exchange, but rank 1 does not wait
        /// for it (no barrier at the end) and has exited.
        fn planted_cluster_reads_an_exited_peer(p: ReduceParams) {
            let slot = shared_array!(planted_exited_slot: [f32; 1]);
            let tid = thread::thread_idx_x();
            let rank = cluster_ctarank();
            if tid == 0 {
                unsafe { slot.store(0, rank as f32) };
            }
            cluster_sync();
            if rank == 0 {
                // The block's own barrier: its threads wait while rank 1's run to their end.
                kernels_gpu::gpu::sync_threads();
                if tid == 0 {
                    let v = unsafe { map_shared_rank(slot, 1).load(0) };
                    unsafe { p.output.store(0, v) };
                }
            }
        }
    }
}

/// The emulator's error for `kernel` over `blocks` blocks of `threads` in clusters of `c`.
fn run_cluster(
    gpu: &Gpu,
    kernel: &kernels_gpu::emu::HostKernel,
    blocks: u32,
    threads: u32,
    c: u32,
) -> Option<kernels_gpu::emu::Error> {
    // Room for `planted_cluster::ROWS` rows of one value per block.
    let len = (blocks * planted_cluster::ROWS) as usize;
    let input = DeviceBuffer::from_host(gpu, &vec![1.0f32; len]).unwrap();
    let mut out = DeviceBuffer::<f32>::zeros(gpu, len).unwrap();
    let p = kernels_gpu::reduce::ReduceParams {
        input: input.ptr(),
        output: out.ptr_mut(),
        n: blocks,
    };
    let launch = Launch::linear(blocks, threads).with_cluster(c);
    match gpu.launch_emulated(kernel, launch, p) {
        Ok(()) => None,
        Err(Error::Emulation(e)) => Some(e),
        Err(e) => panic!("{}: not an emulation error: {e}", kernel.symbol),
    }
}

/// selftest_cluster in clusters of 1 to 8 (3 and 5 too), under both interleavings, exact.
fn clusters_exchange_through_dsmem() -> Result<(), String> {
    for opts in schedules() {
        let gpu = Gpu::emulated(opts);
        for c in [1, 2, 3, 4, 5, 8] {
            for threads in [32, 96] {
                cluster_selftest::exchange(&gpu, c, 3, threads, inputs::fresh_seed())?;
            }
        }
        let w = gpu.as_emulator().unwrap().take_warnings();
        if !w.is_empty() {
            return Err(format!("warnings: {w:?}"));
        }
    }
    Ok(())
}

fn a_block_that_skips_the_cluster_barrier_is_diagnosed() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_rank_1_skips_the_barrier::EMULATED,
        8,
        64,
        4,
    );
    expect(
        e,
        ErrorKind::DivergentBarrier,
        &[
            "planted_cluster_rank_1_skips_the_barrier",
            "block (1, 0, 0)",
            "the cluster barrier at tests/emulator.rs:",
            "all 256 threads of the cluster's 4 blocks, but only 192 arrived",
            "block (1, 0, 0) (rank 1): threads 0..=63 exited without arriving",
        ],
    )
}

fn a_dsmem_store_without_a_cluster_barrier_races() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_dsmem_without_a_barrier::EMULATED,
        4,
        32,
        2,
    );
    expect(
        e,
        ErrorKind::Race,
        &[
            "planted_cluster_dsmem_without_a_barrier",
            "`planted_race_slot`",
            "with no cluster barrier in between",
            "(rank 1)",
            "tests/emulator.rs:",
        ],
    )
}

fn a_rank_outside_the_cluster_is_out_of_bounds() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_rank_past_the_end::EMULATED,
        4,
        32,
        2,
    );
    expect(
        e,
        ErrorKind::SharedOutOfBounds,
        &[
            "map_shared_rank (mapa)",
            "names rank 2 of a cluster of 2 blocks",
        ],
    )
}

fn reading_the_memory_of_an_exited_peer_is_out_of_bounds() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_reads_an_exited_peer::EMULATED,
        2,
        32,
        2,
    );
    expect(
        e,
        ErrorKind::SharedOutOfBounds,
        &["block (1, 0, 0) (rank 1), which has exited"],
    )
}

/// The row-split pattern with double-buffered slots, under both interleavings: no race, and
/// every row's sum is its cluster's.
fn a_row_exchange_with_two_buffers_and_one_barrier_per_row_is_race_free() -> Result<(), String> {
    let (c, clusters, threads) = (4u32, 3u32, 64u32);
    let g = c * clusters;
    let n = (planted_cluster::ROWS * g) as usize;
    let x: Vec<f32> = (0..n).map(|i| (i % 17) as f32).collect();
    for opts in schedules() {
        let gpu = Gpu::emulated(opts);
        let input = DeviceBuffer::from_host(&gpu, &x).unwrap();
        let mut out = DeviceBuffer::<f32>::zeros(&gpu, n).unwrap();
        let p = kernels_gpu::reduce::ReduceParams {
            input: input.ptr(),
            output: out.ptr_mut(),
            n: n as u32,
        };
        let kernel = &planted_cluster::planted_cluster_rows_double_buffered::EMULATED;
        gpu.launch_emulated(kernel, Launch::linear(g, threads).with_cluster(c), p)
            .map_err(|e| e.to_string())?;
        let got = out.to_host(&gpu).unwrap();
        for (i, &v) in got.iter().enumerate() {
            let first = i / c as usize * c as usize;
            let want: f32 = x[first..first + c as usize].iter().sum();
            if v != want {
                return Err(format!("row·grid + block {i}: {v}, expected {want}"));
            }
        }
    }
    Ok(())
}

fn a_row_exchange_with_one_buffer_races() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_rows_one_buffer::EMULATED,
        8,
        64,
        4,
    );
    expect(
        e,
        ErrorKind::Race,
        &["`planted_row_slots`", "with no cluster barrier in between"],
    )
}

fn a_grid_that_is_not_a_multiple_of_the_cluster_is_refused() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_cluster(
        &gpu,
        &planted_cluster::planted_cluster_rank_past_the_end::EMULATED,
        6,
        32,
        4,
    );
    expect(
        e,
        ErrorKind::Launch,
        &["grid (6, 1, 1) is not a multiple of the cluster (4, 1, 1)"],
    )
}

/// The emulator's error for launching `kernel` over `n` random inputs with `threads` per
/// block, one output per thread (none: it ran clean).
fn run_planted(
    gpu: &Gpu,
    kernel: &kernels_gpu::emu::HostKernel,
    n: usize,
    threads: u32,
) -> Option<kernels_gpu::emu::Error> {
    let x = inputs::uniform(n, 1, -1.0, 1.0);
    let input = DeviceBuffer::from_host(gpu, &x).unwrap();
    let mut out = DeviceBuffer::<f32>::zeros(gpu, n.max(threads as usize)).unwrap();
    let p = kernels_gpu::reduce::ReduceParams {
        input: input.ptr(),
        output: out.ptr_mut(),
        n: n as u32,
    };
    match gpu.launch_emulated(kernel, Launch::cover(n, threads), p) {
        Ok(()) => None,
        Err(Error::Emulation(e)) => Some(e),
        Err(e) => panic!("{}: not an emulation error: {e}", kernel.symbol),
    }
}

fn expect(e: Option<kernels_gpu::emu::Error>, kind: ErrorKind, has: &[&str]) -> Result<(), String> {
    let e = e.ok_or("the planted bug ran clean: the emulator did not catch it")?;
    let text = Error::Emulation(e.clone()).to_string();
    println!("{text}");
    if e.kind != kind {
        return Err(format!("expected {kind:?}, got {:?}: {text}", e.kind));
    }
    for h in has {
        if !text.contains(h) {
            return Err(format!("the message lacks {h:?}: {text}"));
        }
    }
    Ok(())
}

fn transpose_without_its_barrier_races() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let (rows, cols) = (40, 33);
    let x = inputs::uniform(rows * cols, 2, -1.0, 1.0);
    let input = DeviceBuffer::from_host(&gpu, &x).unwrap();
    let mut out = DeviceBuffer::<f32>::zeros(&gpu, rows * cols).unwrap();
    let p = kernels_gpu::transpose::TransposeParams {
        input: input.ptr(),
        output: out.ptr_mut(),
        rows: rows as u32,
        cols: cols as u32,
    };
    let tiles = rows.div_ceil(32) * cols.div_ceil(32);
    let launch = Launch::grid_2d((tiles as u32, 1), (32, 8));
    let e = match gpu.launch_emulated(&planted::planted_transpose_no_barrier::EMULATED, launch, p) {
        Ok(()) => None,
        Err(Error::Emulation(e)) => Some(e),
        Err(e) => return Err(e.to_string()),
    };
    expect(
        e,
        ErrorKind::Race,
        &[
            "planted_transpose_no_barrier",
            "block (0, 0, 0)",
            "`planted_transpose_tile`",
            "sync_threads()",
            "tests/emulator.rs:",
        ],
    )
}

fn reduction_reading_one_past_the_end_is_out_of_bounds() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_planted(
        &gpu,
        &planted::planted_reduce_one_past_the_end::EMULATED,
        1000,
        256,
    );
    expect(
        e,
        ErrorKind::OutOfBounds,
        &[
            "planted_reduce_one_past_the_end",
            "block (3, 0, 0), thread (232, 0, 0)",
            "0 bytes past the end of buffer #1 (1000 × f32",
            "element 1000 of a buffer of 1000",
            "tests/emulator.rs:",
        ],
    )
}

fn sync_threads_under_tid_below_16_is_a_divergent_barrier() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_planted(
        &gpu,
        &planted::planted_divergent_barrier::EMULATED,
        256,
        256,
    );
    expect(
        e,
        ErrorKind::DivergentBarrier,
        &[
            "planted_divergent_barrier",
            "block (0, 0, 0)",
            "reached by threads 0..=15 (16 of 256)",
            "threads 16..=255 exited",
            "tests/emulator.rs:",
        ],
    )
}

fn half_a_warp_at_a_shuffle_and_half_at_a_barrier_deadlock() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_planted(&gpu, &planted::planted_shuffle_deadlock::EMULATED, 32, 32);
    expect(
        e,
        ErrorKind::Deadlock,
        &[
            "lanes 0..=15 of warp 0 wait at shuffle_xor()",
            "lanes 16..=31 wait at the sync_threads()",
        ],
    )
}

fn warp_synchronous_exchanges_are_not_races() -> Result<(), String> {
    let gpu = Gpu::emulated(Options {
        seed: 3,
        preempt: 3,
        ..Options::default()
    });
    match run_planted(&gpu, &planted::planted_warp_synchronous::EMULATED, 64, 64) {
        None => Ok(()),
        Some(e) => Err(format!("flagged warp-synchronous code: {e}")),
    }
}

fn reading_unwritten_shared_memory_warns() -> Result<(), String> {
    let gpu = Gpu::emulator();
    if let Some(e) = run_planted(&gpu, &planted::planted_unwritten_shared::EMULATED, 32, 32) {
        return Err(e.to_string());
    }
    let w = gpu.as_emulator().unwrap().take_warnings();
    let text: Vec<String> = w.iter().map(|w| w.to_string()).collect();
    println!("{}", text.join("\n"));
    match w.as_slice() {
        [one]
            if one.count == 32
                && text[0].contains("reads `planted_unwritten_buf` at byte 128 (element 32)") =>
        {
            Ok(())
        }
        _ => Err(format!("expected one warning for 32 reads: {text:?}")),
    }
}

fn a_shared_index_past_the_array_is_out_of_bounds() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_planted(
        &gpu,
        &planted::planted_shared_one_past_the_end::EMULATED,
        64,
        64,
    );
    expect(
        e,
        ErrorKind::SharedOutOfBounds,
        &[
            "thread (63, 0, 0)",
            "past the end of `planted_shared_buf` (256 bytes",
            "element 64 of an array of 64",
        ],
    )
}

fn a_misaligned_vector_load_is_reported() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let e = run_planted(
        &gpu,
        &planted::planted_misaligned_vector_load::EMULATED,
        64,
        8,
    );
    expect(
        e,
        ErrorKind::Misaligned,
        &[
            "GlobalPtr::load_f32x4 of 16 bytes",
            "is not 16-byte aligned",
        ],
    )
}

/// Every public function of the nvptx device API (`gpu/*.rs`) has its host twin
/// (`gpu/host/*.rs`), so a kernel that compiles for the GPU compiles for the emulator.
fn every_device_api_function_has_a_host_twin() -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels-gpu/src/gpu");
    let Ok(dir) = std::fs::read_dir(&root) else {
        println!("skipped: no source checkout at {}", root.display());
        return Ok(());
    };
    let fns = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let l = l.trim_start();
                let rest = l
                    .strip_prefix("pub fn ")
                    .or_else(|| l.strip_prefix("pub unsafe fn "))
                    .or_else(|| l.strip_prefix("pub const fn "))?;
                let name = rest.split(['(', '<']).next()?;
                // `fn $name` in a macro: the names it makes are not known from the text.
                (!name.starts_with('$')).then(|| name.to_string())
            })
            .collect()
    };
    let host_mod = std::fs::read_to_string(root.join("host/mod.rs")).unwrap_or_default();
    let mut missing = Vec::new();
    for entry in dir.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if host_mod.contains(&format!("#[path = \"../{name}\"]")) {
            continue; // one file for both sides (no device code in it)
        }
        let device = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        let host = std::fs::read_to_string(root.join("host").join(&name)).unwrap_or_default();
        let host_fns = fns(&host);
        for f in fns(&device) {
            if !host_fns.contains(&f) && !host.contains(&format!("fn {f}")) {
                missing.push(format!("gpu/{name}: {f}"));
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "device-API functions without a host twin in kernels-gpu/src/gpu/host/ (write one \
             over kernels_gpu::emu, or one that calls emu::not_emulated): {}",
            missing.join(", ")
        ))
    }
}

fn a_freed_buffer_is_a_use_after_free() -> Result<(), String> {
    let gpu = Gpu::emulator();
    let input = DeviceBuffer::from_host(&gpu, &[1.0f32; 64]).unwrap();
    let ptr = input.ptr();
    drop(input);
    let mut out = DeviceBuffer::<f32>::zeros(&gpu, 64).unwrap();
    let p = kernels_gpu::reduce::ReduceParams {
        input: ptr,
        output: out.ptr_mut(),
        n: 64,
    };
    let sym = kernels_gpu::reduce::reduce_sum_s03_sequential::SYMBOL;
    match gpu.launch(sym, Launch::cover(64, 64), p) {
        Err(Error::Emulation(e)) => expect(
            Some(e),
            ErrorKind::OutOfBounds,
            &["use after free: buffer #1 (64 × f32", "freed"],
        ),
        other => Err(format!("expected a use after free, got {other:?}")),
    }
}

/// A planted-bug check: `Err` says what the emulator missed.
type Check = fn() -> Result<(), String>;

/// The normalisation ladders' special values (NaN, ±inf, all −inf, one-element rows, x + 1e4)
/// against the f64 reference, every step, in the emulator.
fn normalisation_special_values_behave_like_torch() -> Result<(), String> {
    kernel_lab::ladders::layernorm::check_special_values(&Gpu::emulated(Options::from_env()))
}

/// Every softmax step on NaN, ±inf, all −inf rows, one-element rows and `x + 1e4`
/// (`kernel_lab::ladders::softmax::special_value_cases`), against the f64 reference.
fn softmax_special_values() -> Result<(), String> {
    let gpu = Gpu::emulated(Options::from_env());
    kernel_lab::ladders::softmax::check_special_values(&gpu, inputs::fresh_seed())
}

fn main() -> std::process::ExitCode {
    let args = Arguments::from_args();
    let planted: &[(&str, Check)] = &[
        (
            "planted::transpose_without_its_barrier_races",
            transpose_without_its_barrier_races,
        ),
        (
            "planted::reduction_reading_one_past_the_end_is_out_of_bounds",
            reduction_reading_one_past_the_end_is_out_of_bounds,
        ),
        (
            "planted::sync_threads_under_tid_below_16_is_a_divergent_barrier",
            sync_threads_under_tid_below_16_is_a_divergent_barrier,
        ),
        (
            "planted::half_a_warp_at_a_shuffle_and_half_at_a_barrier_deadlock",
            half_a_warp_at_a_shuffle_and_half_at_a_barrier_deadlock,
        ),
        (
            "planted::warp_synchronous_exchanges_are_not_races",
            warp_synchronous_exchanges_are_not_races,
        ),
        (
            "planted::reading_unwritten_shared_memory_warns",
            reading_unwritten_shared_memory_warns,
        ),
        (
            "planted::a_shared_index_past_the_array_is_out_of_bounds",
            a_shared_index_past_the_array_is_out_of_bounds,
        ),
        (
            "planted::a_misaligned_vector_load_is_reported",
            a_misaligned_vector_load_is_reported,
        ),
        (
            "every_device_api_function_has_a_host_twin",
            every_device_api_function_has_a_host_twin,
        ),
        (
            "planted::a_freed_buffer_is_a_use_after_free",
            a_freed_buffer_is_a_use_after_free,
        ),
        (
            "norm::special_values_behave_like_torch",
            normalisation_special_values_behave_like_torch,
        ),
        (
            "softmax::every_step_follows_torch_on_special_values",
            softmax_special_values,
        ),
        (
            "grid_dep::a_programmatic_consumer_reads_its_producers_output",
            a_programmatic_consumer_reads_its_producers_output,
        ),
        (
            "cluster::selftest_exchanges_through_dsmem",
            clusters_exchange_through_dsmem,
        ),
        (
            "planted::cluster::a_block_that_skips_the_cluster_barrier_is_diagnosed",
            a_block_that_skips_the_cluster_barrier_is_diagnosed,
        ),
        (
            "planted::cluster::a_dsmem_store_without_a_cluster_barrier_races",
            a_dsmem_store_without_a_cluster_barrier_races,
        ),
        (
            "planted::cluster::a_rank_outside_the_cluster_is_out_of_bounds",
            a_rank_outside_the_cluster_is_out_of_bounds,
        ),
        (
            "planted::cluster::reading_the_memory_of_an_exited_peer_is_out_of_bounds",
            reading_the_memory_of_an_exited_peer_is_out_of_bounds,
        ),
        (
            "cluster::a_row_exchange_with_two_buffers_and_one_barrier_per_row_is_race_free",
            a_row_exchange_with_two_buffers_and_one_barrier_per_row_is_race_free,
        ),
        (
            "planted::cluster::a_row_exchange_with_one_buffer_races",
            a_row_exchange_with_one_buffer_races,
        ),
        (
            "planted::cluster::a_grid_that_is_not_a_multiple_of_the_cluster_is_refused",
            a_grid_that_is_not_a_multiple_of_the_cluster_is_refused,
        ),
    ];
    let mut trials: Vec<Trial> = planted
        .iter()
        .map(|&(name, body)| Trial::test(name, move || body().map_err(Into::into)))
        .collect();
    for ladder in registry::all_ladders() {
        for step in ladder.steps() {
            let name = format!("every_step::{}", step.symbol);
            trials.push(Trial::ignorable_test(name, move || {
                match check_step(ladder, step)? {
                    Outcome::Passed => Ok(Completion::Completed),
                    // One line (the trial's), counted as ignored: neither a failure nor a pass.
                    Outcome::NotEmulated(line) => Ok(Completion::ignored_with(line)),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit_code()
}
