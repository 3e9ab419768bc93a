//! Self-test of programmatic dependent launch (`gpu::grid_dep`, sm_90a module only): a
//! producer that lets its dependent launch at once and writes its output late, and a consumer,
//! launched after it with `Launch::with_programmatic`, that waits and then reads that output.
//! `tests/gpu/device_api/grid_dep.rs` checks the pair exactly, on the GPU (compute capability
//! 9.0) and in the emulator.

#[allow(unused_imports)]
use super::SelftestParams;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
use crate::gpu::{grid_dep, thread};

/// Rounds of [`pdl_spin`] each producer thread runs before its first store: about 25 cycles a
/// round on an H200 (a chain of dependent shifts and xors), so the producer's stores come some
/// 100 µs after its trigger, long after a programmatic consumer has started.
pub const PDL_SPIN_ROUNDS: u32 = 8192;

/// `rounds` rounds of xorshift32 from `seed | 1`: the producer's delay, whose result enters
/// every value it writes (so the loop is not dead code and no store is issued before it). The
/// host's model calls the same function.
#[inline]
pub fn pdl_spin(seed: u32, rounds: u32) -> u32 {
    let mut x = seed | 1;
    let mut r = 0;
    while r < rounds {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        r += 1;
    }
    x
}

/// What the producer adds to `2·x`: the spin's result, folded to `0..4`.
#[inline]
pub fn pdl_offset(n: u32) -> f32 {
    (pdl_spin(n, PDL_SPIN_ROUNDS) % 4) as f32
}

kernel! {
    #[arch(sm_90a)]
    /// The prerequisite of a programmatic launch: calls `launch_dependents()` first, so the
    /// next launch may start at once, then spins [`PDL_SPIN_ROUNDS`] rounds and writes
    /// `out[i] = 2·input[i] + pdl_offset(n)` for `i < n`, grid-stride. Any grid; `out_u32` is
    /// not used.
    fn selftest_pdl_producer(p: SelftestParams) {
        grid_dep::launch_dependents();
        let offset = pdl_offset(p.n);
        let stride = thread::grid_stride_1d();
        let mut i = thread::index_1d();
        while i < p.n as usize {
            unsafe { p.out.store(i, 2.0 * p.input.load(i) + offset) };
            i += stride;
        }
    }
}

kernel! {
    #[arch(sm_90a)]
    /// The dependent: launched right after `selftest_pdl_producer` with
    /// `Launch::with_programmatic`, its `input` the producer's `out`. Every thread calls
    /// `wait_prerequisites()` before anything else it does with memory, then writes
    /// `out[i] = 3·input[i] + 1` for its `i < n` (one element a thread). A read above the wait
    /// would see the producer's output before it is written (the host poisons it before each
    /// producer). `out_u32` is not used.
    fn selftest_pdl_consumer(p: SelftestParams) {
        let i = thread::index_1d();
        grid_dep::wait_prerequisites();
        if i < p.n as usize {
            unsafe { p.out.store(i, 3.0 * p.input.load(i) + 1.0) };
        }
    }
}
