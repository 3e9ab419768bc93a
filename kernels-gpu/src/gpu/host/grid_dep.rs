//! Host twin of `gpu/grid_dep.rs`: programmatic dependent launch in the emulator. Both calls
//! are no-ops: the emulator runs launches in stream order, one after the other, each to its
//! end before the next begins (docs/emulator.md), so a programmatic launch is a plain one, its
//! prerequisite has completed before it starts, and there is nothing to wait for.

/// `griddepcontrol.launch_dependents`: a no-op (the next launch starts after this one ends).
#[inline]
pub fn launch_dependents() {}

/// `griddepcontrol.wait`: a no-op (the prerequisite launch has already completed).
#[inline]
pub fn wait_prerequisites() {}
