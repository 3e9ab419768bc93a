//! Planted cheats: kernels that a grader must fail, each with the parameter struct and launch
//! of the `fusion` exercise (bias_gelu/2: one thread per element, `y = gelu(x + bias)`). They
//! are compiled in (so they are real PTX entries and run in the CPU emulator) but never
//! registered as ladder steps; `klab grade fusion --kernel <symbol>` and tests/grade.rs grade
//! them. Each one passes a check made once on poisoned outputs before timing; what catches it
//! is named beside it.
#[allow(unused_imports)]
use crate::bias_gelu::{BiasGeluParams, gelu};
use crate::gpu::thread;

kernel! {
    /// Writes zeros: caught by the first check (per-element and norm tolerances: the relative
    /// error of an all-zeros output is 1).
    fn exercise_cheat_zeros(p: BiasGeluParams) {
        let i = thread::index_1d();
        if i < p.rows as usize * p.cols as usize {
            unsafe { p.y.store(i, 0.0) };
        }
    }
}

kernel! {
    /// Caches the first result: an element of `y` that already holds a number (not the
    /// grader's NaN poison) is kept, so every call after the first does no work and is fast.
    /// Caught by the check after the timed loop, whose inputs were regenerated.
    fn exercise_cheat_cached(p: BiasGeluParams) {
        let i = thread::index_1d();
        if i < p.rows as usize * p.cols as usize {
            let old = unsafe { p.y.load(i) };
            if old.is_nan() {
                let c = (i as u32 % p.cols) as usize;
                unsafe { p.y.store(i, gelu(p.x.load(i) + p.bias.load(c))) };
            }
        }
    }
}

kernel! {
    /// Does the work only on the first call: a per-element call counter kept in the scratch
    /// buffer `tmp` (unset — the poison NaN — only before the first call). Caught by the
    /// check after the timed loop.
    fn exercise_cheat_first_call(p: BiasGeluParams) {
        let i = thread::index_1d();
        if i < p.rows as usize * p.cols as usize {
            let calls = unsafe { p.tmp.load(i) };
            if calls.is_nan() {
                let c = (i as u32 % p.cols) as usize;
                unsafe { p.y.store(i, gelu(p.x.load(i) + p.bias.load(c))) };
                unsafe { p.tmp.store(i, 1.0) };
            }
        }
    }
}

kernel! {
    /// Writes the output from the previous call's inputs: each call stores `x + bias` in
    /// `tmp` and outputs the GELU of what the previous call stored there (deferred work; the
    /// first call, with `tmp` unset, computes directly). Right while the inputs stay the same;
    /// caught by the check after the timed loop, whose inputs were regenerated.
    fn exercise_cheat_previous_inputs(p: BiasGeluParams) {
        let i = thread::index_1d();
        if i < p.rows as usize * p.cols as usize {
            let c = (i as u32 % p.cols) as usize;
            let now = unsafe { p.x.load(i) + p.bias.load(c) };
            let before = unsafe { p.tmp.load(i) };
            let v = if before.is_nan() { now } else { before };
            unsafe { p.y.store(i, gelu(v)) };
            unsafe { p.tmp.store(i, now) };
        }
    }
}
