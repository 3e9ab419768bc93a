//! kernel-lab's device crate: the kernels, their parameter structs, and a small device API.
//!
//! This crate is compiled twice (docs/architecture.md §1):
//! - for `nvptx64-nvidia-cuda` by the root `build.rs`: kernel bodies and the device API ([`gpu`]);
//! - for the host as an ordinary dependency: only the `#[repr(C)]` parameter structs, the
//!   pointer types and the kernel symbol names, with kernel bodies `cfg`'d out.
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

pub mod bias_gelu;
pub mod ceiling;
pub mod gemm;
pub mod gemm_bf16;
pub mod reduce;
pub mod row_sum;
pub mod saxpy;
pub mod selftest;
pub mod transpose;
pub mod vector_add;
