//! kernel-lab's device crate: the kernels, their parameter structs, and a small device API.
//!
//! This crate is compiled twice (docs/architecture.md §1):
//! - for `nvptx64-nvidia-cuda` by the root `build.rs`: kernel bodies and the device API ([`gpu`]);
//! - for the host as an ordinary dependency: the `#[repr(C)]` parameter structs, the pointer
//!   types and the kernel symbol names, and the same kernel bodies over the host side of the
//!   device API (`src/gpu/host/`), which the CPU emulator ([`emu`]) runs (docs/emulator.md).
//!
//! So host and device share one definition of every kernel's arguments: a kernel takes one
//! by-value parameter struct, and the host pushes that very struct.
//!
//! A ladder is a folder and a step is a file (`reduce/s05_warp_shuffle.rs`); each kernel is
//! declared with [`kernel!`], which also exports its symbol name for the host's registry.
#![no_std]
#![cfg_attr(
    target_arch = "nvptx64",
    feature(
        abi_ptx,
        stdarch_nvptx,
        asm_experimental_arch,
        core_float_math,
        f16,
        link_llvm_intrinsics,
        stmt_expr_attributes
    )
)]
// The kernels' bodies on the host use the same two unstable features as on nvptx
// (`#[inline(always)]` closures, Rust's `f16`): .cargo/config.toml enables them for this crate.
#![cfg_attr(not(target_arch = "nvptx64"), feature(f16, stmt_expr_attributes))]
// The nvptx build's warnings are not shown (build.rs runs it quietly); the kernels' `{ 4 }`
// const arguments are written for it.
#![cfg_attr(not(target_arch = "nvptx64"), allow(unused_braces))]
// Clippy never ran on the kernels (it cannot lint the nvptx build); their code is kept as the
// PTX was measured with, so the host build does not ask for these rewrites.
#![cfg_attr(
    not(target_arch = "nvptx64"),
    allow(clippy::manual_is_multiple_of, clippy::needless_range_loop)
)]

#[cfg(not(target_arch = "nvptx64"))]
extern crate std;

#[macro_use]
mod macros;
pub mod half;
#[macro_use]
pub mod step;
pub mod ptr;
pub mod swizzle;
pub use half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
pub use ptr::{GlobalPtr, GlobalPtrMut, KernelParams};
pub use step::{Accepts, BlockThreads, DType, Step};

#[cfg(target_arch = "nvptx64")]
pub mod gpu;
/// The device API on the host, for the CPU emulator: the same API as the nvptx `gpu`. Its
/// `unsafe` accessors share one rule, the nvptx side's (docs/architecture.md §3: the index is
/// inside the allocation), which the emulator checks on every access.
#[cfg(not(target_arch = "nvptx64"))]
#[path = "gpu/host/mod.rs"]
#[allow(clippy::missing_safety_doc)]
pub mod gpu;

#[cfg(not(target_arch = "nvptx64"))]
pub mod emu;

pub mod attention;
pub mod bias_gelu;
pub mod ceiling;
pub mod exercises;
pub mod gemm;
pub mod gemm_bf16;
pub mod layernorm;
pub mod layernorm_backward;
pub mod reduce;
pub mod rmsnorm;
pub mod row_sum;
pub mod saxpy;
pub mod selftest;
pub mod softmax;
pub mod softmax_backward;
pub mod transpose;
pub mod vector_add;
