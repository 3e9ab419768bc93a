//! GPU tests: one binary (DESIGN.md §5 keeps the bundle small), one module per concern.
//! Without a device every test prints `skipped: no CUDA device` and passes; with
//! `KLAB_REQUIRE_GPU=1` a missing device fails.

mod bench;
mod common;
mod device_api;
mod gemm;
mod ladders;
mod occupancy;
mod runtime;
mod twins;
