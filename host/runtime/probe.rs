//! What the driver reports about itself and its devices, without creating a context (for
//! `klab doctor`): cheaper than [`super::Gpu::open`], and it works when the module would not load.

use super::driver_present;
use crate::error::{DriverContext, Error, Result};
use cudarc::driver::result::{self, device};
use cudarc::driver::sys::{CUdevice_attribute as Attr, CUresult};
use serde::Serialize;

/// The driver and its devices.
#[derive(Debug, Clone, Serialize)]
pub struct DriverProbe {
    /// The CUDA version the driver supports (`cuDriverGetVersion`: 13.0 is `(13, 0)`).
    pub cuda: (u32, u32),
    pub devices: Vec<DeviceSummary>,
}

/// One device as the driver lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSummary {
    pub ordinal: usize,
    pub name: String,
    pub compute_capability: (i32, i32),
    pub memory_bytes: usize,
}

impl DeviceSummary {
    /// `sm_XY` of the device.
    pub fn arch(&self) -> String {
        let (major, minor) = self.compute_capability;
        format!("sm_{major}{minor}")
    }
}

/// Asks the driver; [`Error::NoDriver`] without one (checked before any driver call, which
/// would panic inside cudarc).
pub fn probe() -> Result<DriverProbe> {
    if !driver_present() {
        return Err(Error::NoDriver);
    }
    let mut version = 0i32;
    // SAFETY: writes one int; needs the library loaded, not cuInit.
    unsafe { cudarc::driver::sys::cuDriverGetVersion(&mut version) }
        .result()
        .during("cuDriverGetVersion")?;
    let cuda = (
        version.max(0) as u32 / 1000,
        (version.max(0) as u32 % 1000) / 10,
    );
    // cuInit fails with CUDA_ERROR_NO_DEVICE when the driver sees no GPU: zero devices.
    match result::init() {
        Err(e) if e.0 == CUresult::CUDA_ERROR_NO_DEVICE => {
            return Ok(DriverProbe {
                cuda,
                devices: Vec::new(),
            });
        }
        other => other.during("cuInit")?,
    }
    let count = device::get_count().during("cuDeviceGetCount")?;
    let devices = (0..count)
        .map(|ordinal| {
            let dev = device::get(ordinal).during(format!("cuDeviceGet({ordinal})"))?;
            // SAFETY: `dev` comes from cuDeviceGet.
            let attr = |a: Attr| unsafe { device::get_attribute(dev, a) }.during(format!("{a:?}"));
            Ok(DeviceSummary {
                ordinal: ordinal as usize,
                name: device::get_name(dev).during("cuDeviceGetName")?,
                compute_capability: (
                    attr(Attr::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)?,
                    attr(Attr::CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)?,
                ),
                // SAFETY: as above.
                memory_bytes: unsafe { device::total_mem(dev) }.during("cuDeviceTotalMem")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(DriverProbe { cuda, devices })
}
