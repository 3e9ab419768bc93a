//! The host runtime on cudarc: the device and its context, the module loaded once, typed
//! launches of our parameter structs, device buffers, and event timers.

mod buffer;
mod device;
mod launch;
mod probe;
mod timer;
pub mod tma;

pub use buffer::DeviceBuffer;
pub use device::{DeviceInfo, Gpu, driver_present};
pub use launch::{Launch, ParamBlock};
pub use probe::{DeviceSummary, DriverProbe, probe};
pub use timer::EventTimer;
