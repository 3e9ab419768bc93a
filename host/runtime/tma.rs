//! Tensor maps for the TMA (`cuTensorMapEncodeTiled`): the 128-byte descriptors of a 2-D bf16
//! matrix in global memory that `cp.async.bulk.tensor` reads (kernels-gpu `gpu::tma`).

use crate::error::{DriverContext, Result};
use cudarc::driver::sys;

/// Bytes of one tensor map.
pub const TENSOR_MAP_BYTES: usize = 128;

/// The tensor map of a row-major bf16 matrix of `rows × cols` at device address `addr`, read in
/// boxes of `box_rows × box_cols` elements (`box_cols · 2` bytes ≤ 128, the swizzle span) with
/// the 128-byte swizzle, zeros outside the matrix, L2 promotion of 256 bytes. The TMA needs
/// `addr` 16-byte aligned and `cols · 2` a multiple of 16.
pub fn encode_2d_bf16(
    addr: u64,
    (rows, cols): (usize, usize),
    (box_rows, box_cols): (u32, u32),
) -> Result<[u8; TENSOR_MAP_BYTES]> {
    let mut map = std::mem::MaybeUninit::<sys::CUtensorMap>::zeroed();
    let dims: [u64; 2] = [cols as u64, rows as u64];
    let strides: [u64; 1] = [2 * cols as u64];
    let boxes: [u32; 2] = [box_cols, box_rows];
    let element_strides: [u32; 2] = [1, 1];
    // SAFETY: every pointer is to a live array of the rank the call is given (2; strides rank-1);
    // `map` is written by the driver.
    unsafe {
        sys::cuTensorMapEncodeTiled(
            map.as_mut_ptr(),
            sys::CUtensorMapDataType::CU_TENSOR_MAP_DATA_TYPE_BFLOAT16,
            2,
            addr as *mut std::ffi::c_void,
            dims.as_ptr(),
            strides.as_ptr(),
            boxes.as_ptr(),
            element_strides.as_ptr(),
            sys::CUtensorMapInterleave::CU_TENSOR_MAP_INTERLEAVE_NONE,
            sys::CUtensorMapSwizzle::CU_TENSOR_MAP_SWIZZLE_128B,
            sys::CUtensorMapL2promotion::CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
            sys::CUtensorMapFloatOOBfill::CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE,
        )
        .result()
    }
    .during(format!(
        "cuTensorMapEncodeTiled ({rows}x{cols} bf16, box {box_rows}x{box_cols})"
    ))?;
    // SAFETY: initialised by the driver above (and zeroed before); a plain 128-byte array.
    let map = unsafe { map.assume_init() };
    let mut out = [0u8; TENSOR_MAP_BYTES];
    // SAFETY: CUtensorMap is 128 bytes of plain data.
    let bytes = unsafe {
        std::slice::from_raw_parts(
            (&map as *const sys::CUtensorMap).cast::<u8>(),
            TENSOR_MAP_BYTES,
        )
    };
    out.copy_from_slice(bytes);
    Ok(out)
}
