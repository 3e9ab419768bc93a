//! Device buffers: a typed allocation on the [`Gpu`]'s stream, or in the emulator's memory.

use super::Gpu;
use crate::element::Element;
use crate::error::{DriverContext, Error, Result};
use cudarc::driver::{CudaSlice, DevicePtr, DeviceRepr, ValidAsZeroBits};
use kernels_gpu::emu::Memory;
use kernels_gpu::{GlobalPtr, GlobalPtrMut};
use std::sync::{Arc, Mutex};

/// A device allocation of `len` elements of `T`.
pub struct DeviceBuffer<T> {
    store: Store<T>,
    addr: u64,
    len: usize,
}

enum Store<T> {
    Cuda(CudaSlice<T>),
    /// An allocation of the emulator's memory, freed on drop (later accesses are reported as a
    /// use after free).
    Emulated(Arc<Mutex<Memory>>),
}

impl<T> Drop for DeviceBuffer<T> {
    fn drop(&mut self) {
        if let Store::Emulated(m) = &self.store {
            let _ = m.lock().unwrap_or_else(|e| e.into_inner()).free(self.addr);
        }
    }
}

/// The bytes of `data`.
fn as_bytes<T: DeviceRepr>(data: &[T]) -> &[u8] {
    // SAFETY: `DeviceRepr` types are plain data, as cudarc copies them byte for byte.
    unsafe { std::slice::from_raw_parts(data.as_ptr() as *const u8, std::mem::size_of_val(data)) }
}

impl<T: DeviceRepr> DeviceBuffer<T> {
    fn wrap(gpu: &Gpu, slice: CudaSlice<T>) -> Self {
        let addr = slice.device_ptr(gpu.stream()).0;
        let len = slice.len();
        Self {
            store: Store::Cuda(slice),
            addr,
            len,
        }
    }

    /// A zeroed allocation of the emulator (`gpu` is one).
    fn emulated(gpu: &Gpu, len: usize) -> Result<Self> {
        let emu = gpu.as_emulator().expect("called for the emulator");
        let what = format!(
            "{len} × {}",
            std::any::type_name::<T>()
                .rsplit("::")
                .next()
                .unwrap_or("?")
        );
        let addr = emu.alloc(len * std::mem::size_of::<T>(), what)?;
        Ok(Self {
            store: Store::Emulated(emu.shared_memory()),
            addr,
            len,
        })
    }

    fn emulated_memory(&self) -> Option<std::sync::MutexGuard<'_, Memory>> {
        match &self.store {
            Store::Emulated(m) => Some(m.lock().unwrap_or_else(|e| e.into_inner())),
            Store::Cuda(_) => None,
        }
    }

    /// Copies `data` to a new device buffer.
    pub fn from_host(gpu: &Gpu, data: &[T]) -> Result<Self> {
        if gpu.is_emulated() {
            let mut b = Self::emulated(gpu, data.len())?;
            b.upload(gpu, data)?;
            return Ok(b);
        }
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
        if gpu.is_emulated() {
            return Self::emulated(gpu, len);
        }
        let slice = gpu
            .stream()
            .alloc_zeros::<T>(len)
            .during(format!("allocating {len} elements"))?;
        Ok(Self::wrap(gpu, slice))
    }

    /// Copies the buffer back (synchronizes the stream).
    pub fn to_host(&self, gpu: &Gpu) -> Result<Vec<T>> {
        if let Some(m) = self.emulated_memory() {
            let bytes = m.bytes(self.addr, self.bytes()).map_err(Error::Other)?;
            let mut out = Vec::<T>::with_capacity(self.len);
            // SAFETY: `bytes` holds exactly `len` elements' bytes, written by the host or by
            // kernels as `T` (plain data).
            unsafe {
                std::ptr::copy_nonoverlapping(
                    bytes.as_ptr(),
                    out.as_mut_ptr() as *mut u8,
                    bytes.len(),
                );
                out.set_len(self.len);
            }
            return Ok(out);
        }
        gpu.stream()
            .clone_dtoh(self.slice())
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
        let (addr, len) = (self.addr, self.bytes());
        if let Some(mut m) = self.emulated_memory() {
            m.bytes_mut(addr, len)
                .map_err(Error::Other)?
                .copy_from_slice(as_bytes(data));
            return Ok(());
        }
        gpu.stream()
            .memcpy_htod(data, self.slice_mut())
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
        let (dst, len) = (self.addr, self.bytes());
        if let Some(mut m) = self.emulated_memory() {
            return m.copy(dst, src.addr, len).map_err(Error::Other);
        }
        gpu.stream()
            .memcpy_dtod(src.slice(), self.slice_mut())
            .during("device-to-device copy")
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
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

    /// The cudarc slice (for cuBLAS and memcpy). Panics for a buffer of the emulator.
    pub fn slice(&self) -> &CudaSlice<T> {
        match &self.store {
            Store::Cuda(s) => s,
            Store::Emulated(_) => panic!("an emulated buffer has no CUDA slice"),
        }
    }

    /// The cudarc slice, writable. Panics for a buffer of the emulator.
    pub fn slice_mut(&mut self) -> &mut CudaSlice<T> {
        match &mut self.store {
            Store::Cuda(s) => s,
            Store::Emulated(_) => panic!("an emulated buffer has no CUDA slice"),
        }
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
        let (addr, len) = (self.addr, self.bytes());
        if let Some(mut m) = self.emulated_memory() {
            m.bytes_mut(addr, len)
                .map_err(Error::Other)?
                .fill(POISON_BYTE);
            return Ok(());
        }
        let (addr, _sync) = self.slice().device_ptr(gpu.stream());
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
