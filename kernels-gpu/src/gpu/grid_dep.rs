//! Programmatic dependent launch (PDL, sm_90; sm_90a module only, behind
//! `cfg(target_feature = "sm_90a")`): a kernel launched with `Launch::with_programmatic` right
//! after another on the same stream (its *prerequisite*) may start before that one has
//! finished, so its prologue (index math, shared-memory setup, loads of data the prerequisite
//! does not write) overlaps the prerequisite's tail. It must wait before it touches the
//! prerequisite's output.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `launch_dependents()` | `griddepcontrol.launch_dependents;` | `PREEXIT` |
//! | `wait_prerequisites()` | `griddepcontrol.wait;` | `ACQBULK` |
//!
//! (SASS of ptxas 13.5 for sm_90a, `selftest_pdl_producer` and `selftest_pdl_consumer`.)
//!
//! **Ordering.** The dependent grid may launch (no promise that it does) once every block of
//! the prerequisite has called `launch_dependents()` or exited; a block counts at the first call
//! by any of its threads, and later calls do nothing more. Without the call the dependent
//! launches when the prerequisite ends, as a plain launch would. `wait_prerequisites()` then
//! blocks until the prerequisite grid has *completed* and all its memory operations are
//! visible, wherever the prerequisite triggered:
//! triggering early moves only the launch, never the visibility, so a producer may trigger
//! before its last stores. Everything the consumer reads of the producer's output comes after
//! its wait, in every thread that reads it (the wait is per thread, not a barrier). In a launch
//! that is not programmatic (a plain launch, a device below compute capability 9.0) the
//! prerequisite has completed before the kernel starts, and the wait returns at once.
//!
//! **The asm.** Both are plain `asm!` with `nostack` only: a memory clobber (no `nomem`, no
//! `pure`), so LLVM moves no load above the wait, and no access across the trigger, which stays
//! where it is written.

use core::arch::asm;

/// `griddepcontrol.launch_dependents`: this block's signal that the dependent grid (the next
/// launch on the stream, if it is programmatic) may launch; the first call in the block counts,
/// later ones do nothing. It orders no memory: the dependent's [`wait_prerequisites`] still
/// waits for this whole grid to complete. A no-op when no dependent is programmatic.
#[inline(always)]
pub fn launch_dependents() {
    unsafe { asm!("griddepcontrol.launch_dependents;", options(nostack)) }
}

/// `griddepcontrol.wait`: blocks this thread until every prerequisite grid of this launch has
/// completed and its memory operations are visible to this grid. No load after it is moved
/// above it (the asm clobbers memory). A no-op when the launch was not programmatic.
#[inline(always)]
pub fn wait_prerequisites() {
    unsafe { asm!("griddepcontrol.wait;", options(nostack)) }
}
