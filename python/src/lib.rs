//! `kernel_lab._native`: the host library's ops ([`kernel_lab::ops`]) for Python.
//!
//! The Python package (`python/kernel_lab/`) owns the tensors: it allocates outputs and
//! workspaces with torch on the caller's device and stream, and passes their addresses here.
//! This module picks the registered step ([`kernel_lab::ops::Op::step`]), says which workspaces
//! it needs, and enqueues it on the given stream in the device's primary context (PyTorch's),
//! with the GIL released. It never synchronises and never panics into Python: no driver, no
//! device, a bad argument or a CUDA error is a `KernelLabError` naming the op, the step, the
//! shape and the cause.

use kernel_lab::element::DType;
use kernel_lab::ops::{self, Init, Op, OpCall};
use kernel_lab::runtime::{Gpu, driver_present};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pyo3::create_exception!(
    _native,
    KernelLabError,
    PyRuntimeError,
    "A kernel-lab op failed: no CUDA driver or device, a bad argument, or a CUDA error."
);

/// One [`Gpu`] per device ordinal, opened on first use (the context is the primary one, so
/// PyTorch's memory is valid in it; the PTX modules load here, once, outside any capture).
static GPUS: Mutex<Option<HashMap<usize, Arc<Gpu>>>> = Mutex::new(None);

fn err(msg: impl Into<String>) -> PyErr {
    KernelLabError::new_err(msg.into())
}

/// Runs `f`, turning a panic into a `KernelLabError` (nothing unwinds into Python).
fn guarded<T>(what: &str, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            Err(err(format!("{what}: internal error (caught panic): {msg}")))
        }
    }
}

fn gpu(ordinal: usize) -> PyResult<Arc<Gpu>> {
    if !driver_present() {
        return Err(err(
            "no CUDA driver: libcuda could not be loaded (kernel_lab falls back to torch)",
        ));
    }
    let mut map = GPUS.lock().unwrap_or_else(|e| e.into_inner());
    let map = map.get_or_insert_with(HashMap::new);
    if let Some(g) = map.get(&ordinal) {
        return Ok(g.clone());
    }
    let g = Arc::new(
        Gpu::open(ordinal).map_err(|e| err(format!("opening CUDA device {ordinal}: {e}")))?,
    );
    map.insert(ordinal, g.clone());
    Ok(g)
}

fn dtype(name: &str) -> PyResult<DType> {
    [DType::F32, DType::Bf16, DType::F16]
        .into_iter()
        .find(|d| d.name() == name)
        .ok_or_else(|| err(format!("unknown element type {name:?} (f32, bf16, f16)")))
}

fn op(name: &str) -> PyResult<&'static dyn Op> {
    ops::find(name).ok_or_else(|| {
        let have: Vec<&str> = ops::all().iter().map(|o| o.name()).collect();
        err(format!("no op {name:?} (ops: {})", have.join(", ")))
    })
}

/// Whether a CUDA driver library can be loaded (no driver call beyond the dlopen).
#[pyfunction]
fn driver_available() -> bool {
    driver_present()
}

/// `(name, (major, minor), sm_count)` of device `ordinal`; `KernelLabError` without a driver
/// or device.
#[pyfunction]
fn device(ordinal: usize) -> PyResult<(String, (i32, i32), i32)> {
    guarded("kernel_lab device", || {
        let g = gpu(ordinal)?;
        let i = g.info();
        Ok((i.name.clone(), i.compute_capability, i.sm_count))
    })
}

/// Every op: `{name, ladder, args, scalars, dtypes, steps}` (the registry's view; the Python package
/// checks its op list against it).
#[pyfunction]
fn ops_info(py: Python<'_>) -> PyResult<Py<PyList>> {
    let list = PyList::empty(py);
    for o in ops::all() {
        let d = PyDict::new(py);
        d.set_item("name", o.name())?;
        d.set_item("ladder", o.ladder().name())?;
        d.set_item("args", o.args().to_vec())?;
        d.set_item("scalars", o.scalars().to_vec())?;
        let dtypes: Vec<&str> = o.ladder().dtypes().iter().map(|t| t.name()).collect();
        d.set_item("dtypes", dtypes)?;
        let steps: Vec<String> = o.ladder().steps().iter().map(|s| s.handle()).collect();
        d.set_item("steps", steps)?;
        list.append(d)?;
    }
    Ok(list.unbind())
}

/// Why op `name` cannot run on element type `dtype`, dims `dims`, on a device of compute
/// capability `cc`, if it cannot (`None`: a kernel runs). Needs no driver.
#[pyfunction]
fn unsupported(
    name: &str,
    dtype_name: &str,
    dims: Vec<usize>,
    cc: (i32, i32),
) -> PyResult<Option<String>> {
    guarded("kernel_lab unsupported", || {
        let o = op(name)?;
        let d = dtype(dtype_name)?;
        if let Some(why) = o.unsupported_dims(&dims) {
            return Ok(Some(why));
        }
        Ok(o.step(d, cc).err())
    })
}

/// The plan of one call on device `ordinal`: `{step, symbol, workspace}`, where `workspace` is
/// a list of `(name, bytes, init, data)` (`init` is "uninit", "zeroed" or "bytes" with `data`
/// the bytes). `addrs`: the addresses of the inputs and outputs (the workspaces' are not read);
/// `scalars`: the op's scalar parameters (`ops_info()`'s `scalars` names them).
#[pyfunction]
#[pyo3(signature = (name, dtype_name, dims, addrs, ordinal, scalars = Vec::new()))]
fn plan(
    py: Python<'_>,
    name: &str,
    dtype_name: &str,
    dims: Vec<usize>,
    addrs: Vec<u64>,
    ordinal: usize,
    scalars: Vec<f32>,
) -> PyResult<Py<PyDict>> {
    guarded("kernel_lab plan", || {
        let o = op(name)?;
        let d = dtype(dtype_name)?;
        let g = gpu(ordinal)?;
        let step = o
            .step_for(d, g.info().compute_capability, &dims)
            .map_err(|why| {
                err(format!(
                    "kernel_lab.{name}: no kernel for {dtype_name} {dims:?}: {why}"
                ))
            })?;
        let call = OpCall {
            dtype: d,
            dims: &dims,
            scalars: &scalars,
            args: &addrs,
        };
        let ws = o.workspace(&g, step, &call).map_err(|e| {
            err(format!(
                "kernel_lab.{name}: {} ({dtype_name} {dims:?}): {e}",
                step.handle()
            ))
        })?;
        let out = PyDict::new(py);
        out.set_item("step", step.handle())?;
        out.set_item("symbol", o.symbol_for(&g, step, &call))?;
        let items = PyList::empty(py);
        for w in ws {
            let (init, data) = match &w.init {
                Init::Uninit => ("uninit", None),
                Init::Zeroed => ("zeroed", None),
                Init::Bytes(b) => ("bytes", Some(PyBytes::new(py, b))),
            };
            items.append((w.name, w.bytes, init, data))?;
        }
        out.set_item("workspace", items)?;
        Ok(out.unbind())
    })
}

/// Enqueues op `name`'s step `step` (a handle from [`plan`]) on `stream` (a raw `CUstream`
/// as an integer, PyTorch's `cuda_stream`; 0 is the legacy default stream) of device
/// `ordinal`, with `addrs` (inputs, outputs, workspaces, in the op's order) and `scalars`. The GIL is
/// released during the launch. Asynchronous: a fault inside the kernel surfaces at PyTorch's
/// next synchronisation.
// The arguments are the Python call's (`_runtime.launch`), positional for a cheap call.
#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (name, step, dtype_name, dims, addrs, stream, ordinal, scalars = Vec::new()))]
fn launch(
    py: Python<'_>,
    name: &str,
    step: &str,
    dtype_name: &str,
    dims: Vec<usize>,
    addrs: Vec<u64>,
    stream: u64,
    ordinal: usize,
    scalars: Vec<f32>,
) -> PyResult<()> {
    guarded("kernel_lab launch", || {
        let o = op(name)?;
        let d = dtype(dtype_name)?;
        let g = gpu(ordinal)?;
        let s = o
            .ladder()
            .steps()
            .into_iter()
            .find(|s| s.handle() == step)
            .ok_or_else(|| {
                err(format!(
                    "kernel_lab.{name}: {step} is not a step of {}",
                    o.ladder().name()
                ))
            })?;
        let result = py.detach(|| {
            g.context()
                .bind_to_thread()
                .map_err(|e| format!("binding the primary context: {e}"))?;
            let call = OpCall {
                dtype: d,
                dims: &dims,
                scalars: &scalars,
                args: &addrs,
            };
            o.enqueue(&g, stream, s, &call).map_err(|e| e.to_string())
        });
        result.map_err(|e| {
            err(format!(
                "kernel_lab.{name}: {step} ({}) on {dtype_name} {dims:?}: {e}",
                s.symbol
            ))
        })
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("KernelLabError", m.py().get_type::<KernelLabError>())?;
    m.add_function(wrap_pyfunction!(driver_available, m)?)?;
    m.add_function(wrap_pyfunction!(device, m)?)?;
    m.add_function(wrap_pyfunction!(ops_info, m)?)?;
    m.add_function(wrap_pyfunction!(unsupported, m)?)?;
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(launch, m)?)?;
    Ok(())
}
