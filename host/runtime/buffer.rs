//! Device buffers: a typed allocation on the [`Gpu`]'s stream.

use super::Gpu;
use crate::element::Element;
use crate::error::{DriverContext, Result};
use cudarc::driver::{CudaSlice, DevicePtr, DeviceRepr, ValidAsZeroBits};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// A device allocation of `len` elements of `T`.
pub struct DeviceBuffer<T> {
    slice: CudaSlice<T>,
    addr: u64,
}

impl<T: DeviceRepr> DeviceBuffer<T> {
    fn wrap(gpu: &Gpu, slice: CudaSlice<T>) -> Self {
        let addr = slice.device_ptr(gpu.stream()).0;
        Self { slice, addr }
    }

    /// Copies `data` to a new device buffer.
    pub fn from_host(gpu: &Gpu, data: &[T]) -> Result<Self> {
        let slice = gpu
            .stream()
            .clone_htod(data)
            .during(format!("copying {} elements to the device", data.len()))?;
        Ok(Self::wrap(gpu, slice))
    }

    /// A new buffer of `len` zeroed elements.
    pub fn zeros(gpu: &Gpu, len: usize) -> Result<Self>
    where
        T: ValidAsZeroBits,
    {
        let slice = gpu
            .stream()
            .alloc_zeros::<T>(len)
            .during(format!("allocating {len} elements"))?;
        Ok(Self::wrap(gpu, slice))
    }

    /// Copies the buffer back (synchronizes the stream).
    pub fn to_host(&self, gpu: &Gpu) -> Result<Vec<T>> {
        gpu.stream()
            .clone_dtoh(&self.slice)
            .during(format!("copying {} elements to the host", self.len()))
    }

    /// Overwrites the buffer with `data` (same length).
    pub fn upload(&mut self, gpu: &Gpu, data: &[T]) -> Result<()> {
        assert_eq!(
            data.len(),
            self.len(),
            "upload of {} elements into a buffer of {}",
            data.len(),
            self.len()
        );
        gpu.stream()
            .memcpy_htod(data, &mut self.slice)
            .during("copying to the device")
    }

    /// Overwrites the buffer with `src` (same length), device to device, on the stream.
    pub fn copy_from(&mut self, gpu: &Gpu, src: &DeviceBuffer<T>) -> Result<()> {
        assert_eq!(
            src.len(),
            self.len(),
            "copy of {} elements into a buffer of {}",
            src.len(),
            self.len()
        );
        gpu.stream()
            .memcpy_dtod(&src.slice, &mut self.slice)
            .during("device-to-device copy")
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.slice.len()
    }

    /// Whether the buffer has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size in bytes.
    pub fn bytes(&self) -> usize {
        self.len() * std::mem::size_of::<T>()
    }

    /// The device address.
    pub fn addr(&self) -> u64 {
        self.addr
    }

    /// A read-only pointer for a parameter struct.
    pub fn ptr(&self) -> GlobalPtr<T> {
        GlobalPtr::from_addr(self.addr)
    }

    /// A writable pointer for a parameter struct.
    pub fn ptr_mut(&mut self) -> GlobalPtrMut<T> {
        GlobalPtrMut::from_addr(self.addr)
    }

    /// The cudarc slice (for cuBLAS and memcpy).
    pub fn slice(&self) -> &CudaSlice<T> {
        &self.slice
    }

    /// The cudarc slice, writable.
    pub fn slice_mut(&mut self) -> &mut CudaSlice<T> {
        &mut self.slice
    }
}

/// The byte outputs are poisoned with before a checked run: every element becomes a NaN with
/// every payload bit set (f32, bf16 and f16 alike), which no kernel produces from our inputs
/// (`max.NaN.f32` and arithmetic give the canonical NaN or the input's), so the comparator
/// tells "not written" from "NaN computed" ([`crate::element::Element::is_poison`]).
const POISON_BYTE: u8 = 0xFF;

impl<T: Element> DeviceBuffer<T> {
    /// Fills the buffer with the poison NaN, so an element the kernel forgets to write fails
    /// verification.
    pub fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        let (addr, _sync) = self.slice.device_ptr(gpu.stream());
        // SAFETY: the range is exactly this allocation.
        unsafe {
            cudarc::driver::result::memset_d8_async(
                addr,
                POISON_BYTE,
                self.bytes(),
                gpu.stream().cu_stream(),
            )
        }
        .during("poisoning an output buffer with NaN")
    }

    /// A read-only pointer for a parameter struct, typed as the device crate's element.
    pub fn elems(&self) -> GlobalPtr<T::Device> {
        GlobalPtr::from_addr(self.addr)
    }

    /// A writable pointer for a parameter struct, typed as the device crate's element.
    pub fn elems_mut(&mut self) -> GlobalPtrMut<T::Device> {
        GlobalPtrMut::from_addr(self.addr)
    }
}
