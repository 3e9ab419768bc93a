//! The host runtime on cudarc: the device and its context, the module loaded once, typed
//! launches of our parameter structs, device buffers, and event timers; or the CPU emulator in
//! its place ([`Gpu::emulator`], [`Emulator`]).

mod buffer;
mod device;
mod emulator;
mod launch;
mod probe;
mod timer;
pub mod tma;

pub use buffer::DeviceBuffer;
pub use device::{DeviceInfo, EMULATOR_NAME, Gpu, driver_present};
pub use emulator::Emulator;
pub use launch::{Launch, ParamBlock};
pub use probe::{DeviceSummary, DriverProbe, probe};
pub use timer::EventTimer;
