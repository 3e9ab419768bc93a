//! Global memory of the emulator: every allocation the host makes is a range of emulated device
//! addresses with its own bytes, so each access of a kernel is checked against the allocation it
//! lands in (out of bounds, freed, or no allocation at all).
//!
//! Addresses look like device addresses (`0x7f00_0000_0000` upwards, 256-byte aligned as
//! `cudaMalloc`'s) and are never reused. After each allocation comes a gap at least as large as
//! the allocation itself (and at least 1 MiB) that belongs to no one, so an index that runs
//! past the end lands in the gap and is reported against the buffer it ran out of, rather than
//! silently reading the next buffer.

use std::boxed::Box;
use std::collections::BTreeMap;
use std::format;
use std::string::String;
use std::vec;

/// The first address handed out.
const BASE: u64 = 0x7f00_0000_0000;
/// `cudaMalloc` returns 256-byte aligned addresses; so does the emulator.
const ALIGN: u64 = 256;
/// The smallest unowned gap after an allocation.
const MIN_GAP: u64 = 1 << 20;

struct Alloc {
    id: u32,
    len: usize,
    /// `None` once freed (the address range stays reserved, so a late access is reported as
    /// a use after free).
    data: Option<Box<[u8]>>,
    what: String,
}

/// The emulated device memory: allocations by base address.
pub struct Memory {
    allocs: BTreeMap<u64, Alloc>,
    next: u64,
    count: u32,
    live_bytes: usize,
}

impl Default for Memory {
    fn default() -> Self {
        Self::new()
    }
}

/// A live allocation resolved for a kernel's access: its range and its bytes.
#[derive(Clone, Copy)]
pub(crate) struct Resolved {
    pub base: u64,
    pub end: u64,
    pub data: *mut u8,
}

impl Memory {
    /// Empty memory.
    pub fn new() -> Self {
        Self {
            allocs: BTreeMap::new(),
            next: BASE,
            count: 0,
            live_bytes: 0,
        }
    }

    /// A new zeroed allocation of `len` bytes; `what` describes it in messages (`1024 × f32`).
    pub fn alloc(&mut self, len: usize, what: impl Into<String>) -> u64 {
        let addr = self.next;
        let gap = (len as u64).max(MIN_GAP);
        self.next = (addr + len as u64 + gap).div_ceil(ALIGN) * ALIGN;
        self.count += 1;
        self.live_bytes += len;
        self.allocs.insert(
            addr,
            Alloc {
                id: self.count,
                len,
                data: Some(vec![0u8; len].into_boxed_slice()),
                what: what.into(),
            },
        );
        addr
    }

    /// Frees the allocation at `addr` (its base). Later accesses are reported as use after free.
    pub fn free(&mut self, addr: u64) -> Result<(), String> {
        match self.allocs.get_mut(&addr) {
            Some(a) if a.data.is_some() => {
                a.data = None;
                self.live_bytes -= a.len;
                Ok(())
            }
            Some(a) => Err(format!("buffer #{} ({}) freed twice", a.id, a.what)),
            None => Err(format!("{addr:#x} is not the start of an allocation")),
        }
    }

    /// Bytes held by live allocations.
    pub fn live_bytes(&self) -> usize {
        self.live_bytes
    }

    /// The `len` bytes at `addr`, inside one live allocation.
    pub fn bytes(&self, addr: u64, len: usize) -> Result<&[u8], String> {
        let (base, a) = self.containing(addr, len)?;
        let data = a
            .data
            .as_ref()
            .expect("containing() returns live allocations");
        let off = (addr - base) as usize;
        Ok(&data[off..off + len])
    }

    /// The `len` bytes at `addr`, writable, inside one live allocation.
    pub fn bytes_mut(&mut self, addr: u64, len: usize) -> Result<&mut [u8], String> {
        let base = self.containing(addr, len)?.0;
        let a = self.allocs.get_mut(&base).expect("just found");
        let data = a
            .data
            .as_mut()
            .expect("containing() returns live allocations");
        let off = (addr - base) as usize;
        Ok(&mut data[off..off + len])
    }

    /// Copies `len` bytes from `src` to `dst` (both inside live allocations; may overlap).
    pub fn copy(&mut self, dst: u64, src: u64, len: usize) -> Result<(), String> {
        let tmp = self.bytes(src, len)?.to_vec();
        self.bytes_mut(dst, len)?.copy_from_slice(&tmp);
        Ok(())
    }

    fn containing(&self, addr: u64, len: usize) -> Result<(u64, &Alloc), String> {
        match self.allocs.range(..=addr).next_back() {
            Some((&base, a)) if a.data.is_some() && addr + len as u64 <= base + a.len as u64 => {
                Ok((base, a))
            }
            _ => Err(self.explain(addr, len, 1)),
        }
    }

    /// The live allocation that holds all of `[addr, addr + len)`, for a kernel's access.
    pub(crate) fn resolve(&mut self, addr: u64, len: usize) -> Option<Resolved> {
        let (&base, a) = self.allocs.range_mut(..=addr).next_back()?;
        let end = base + a.len as u64;
        let data = a.data.as_mut()?;
        let data = data.as_mut_ptr();
        (addr.checked_add(len as u64)? <= end).then_some(Resolved { base, end, data })
    }

    /// Why `len` bytes at `addr` are not inside a live allocation, in the terms of elements of
    /// `elem` bytes: which buffer it ran out of (or was freed, or lies before), by how much,
    /// and the element index relative to that buffer's start.
    pub(crate) fn explain(&self, addr: u64, len: usize, elem: usize) -> String {
        let elem = elem.max(1) as u64;
        let below = self.allocs.range(..=addr).next_back();
        let above = self.allocs.range(addr.saturating_add(1)..).next();
        let describe = |base: u64, a: &Alloc| {
            format!(
                "buffer #{} ({}, {} bytes at {base:#x}{})",
                a.id,
                a.what,
                a.len,
                if a.data.is_none() { ", freed" } else { "" }
            )
        };
        if let Some((&base, a)) = below {
            let end = base + a.len as u64;
            let index = (addr - base) / elem;
            let elems = a.len as u64 / elem;
            if a.data.is_none() && addr < end.max(base + 1) {
                return format!(
                    "use after free: {} was freed before this access (element {index})",
                    describe(base, a)
                );
            }
            if addr < end {
                return format!(
                    "the access runs {} bytes past the end of {}: element {index} of {elems}",
                    addr + len as u64 - end,
                    describe(base, a)
                );
            }
            let gap_end = above.map(|(&b, _)| b).unwrap_or(u64::MAX);
            let past = addr - end;
            let before = gap_end - addr;
            if past <= before {
                return format!(
                    "{past} bytes past the end of {}: element {index} of a buffer of {elems}",
                    describe(base, a)
                );
            }
        }
        if let Some((&base, a)) = above {
            let before = base - addr;
            if before <= (a.len as u64).max(MIN_GAP) {
                return format!(
                    "{before} bytes before the start of {}: element -{} of it",
                    describe(base, a),
                    before.div_ceil(elem)
                );
            }
        }
        format!(
            "{addr:#x} is not the address of any buffer (a pointer the emulator never allocated)"
        )
    }
}
