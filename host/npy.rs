//! NumPy `.npy` files, C order, of the ladders' element types: f32 as `<f4`, f16 as `<f2`, and
//! bf16 — which numpy has no type for — as its raw bits in `<u2` (read it with
//! `np.load(p).view(ml_dtypes.bfloat16)`, or `torch.from_numpy(np.load(p).view(np.int16))
//! .view(torch.bfloat16)`; write one with `a.view(np.uint16)`). Reading (format versions 1, 2
//! and 3) and writing (version 1, or 2 when the header needs it). Writes go to a temporary file
//! in the same directory that is then renamed, so a failure never leaves a partial or
//! clobbered output.
//!
//! Format: magic `\x93NUMPY`, major and minor version bytes, header length (u16 LE for v1, u32
//! LE for v2/v3), an ASCII Python dict literal `{'descr': '<f4', 'fortran_order': False,
//! 'shape': (3, 4), }` padded with spaces and ending in `\n` so the data starts at a multiple
//! of 64 bytes, then the data.

use crate::element::DType;
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"\x93NUMPY";

/// An array: its shape (empty for a scalar), the element type the file stores, and its
/// elements in C order as f32 values (exact for all three types).
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub data: Vec<f32>,
}

/// The `descr` of an element type's files.
pub fn descr(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 => "<f4",
        DType::F16 => "<f2",
        DType::Bf16 => "<u2",
    }
}

/// `(3, 4)`, `(5,)` or `()`: a shape as Python (and the error messages) write it.
pub fn shape_text(shape: &[usize]) -> String {
    match shape {
        [] => "()".into(),
        [n] => format!("({n},)"),
        _ => {
            let s: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", s.join(", "))
        }
    }
}

/// Parses the bytes of a `.npy` file of `<f4`, `<f2` or `<u2` (bf16 bits) in C order. The
/// error says what is wrong.
pub fn parse(bytes: &[u8]) -> std::result::Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a .npy file (bad magic; expected \\x93NUMPY)".into());
    }
    let major = bytes[6];
    let (header_len, start) = match major {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated header".into());
            }
            let l = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (l as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let end = start
        .checked_add(header_len)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated header")?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| "header is not text")?;
    let descr = dict_value(header, "descr").ok_or("header has no 'descr'")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let Some(dtype) = DType::ALL.into_iter().find(|&d| self::descr(d) == descr) else {
        return Err(format!(
            "dtype {descr}, expected <f4 (float32), <f2 (float16) or <u2 (bfloat16 bits)"
        ));
    };
    let fortran = dict_value(header, "fortran_order").ok_or("header has no 'fortran_order'")?;
    if fortran != "False" {
        return Err("Fortran order, expected C order (fortran_order: False)".into());
    }
    let shape = parse_shape(dict_value(header, "shape").ok_or("header has no 'shape'")?)?;
    let numel = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("shape too large")?;
    let data = &bytes[end..];
    let size = dtype.size();
    if data.len() != numel * size {
        return Err(format!(
            "shape {} needs {} bytes of data, the file has {}",
            shape_text(&shape),
            numel * size,
            data.len()
        ));
    }
    let data = match dtype {
        DType::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        DType::F16 => data
            .chunks_exact(2)
            .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        DType::Bf16 => data
            .chunks_exact(2)
            .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
    };
    Ok(NpyArray { shape, dtype, data })
}

/// The raw text of `key`'s value in a Python dict literal (a tuple, a quoted string or a word).
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header
        .find(&format!("'{key}'"))
        .or_else(|| header.find(&format!("\"{key}\"")))?;
    let rest = header[at + key.len() + 2..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else if let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
        rest[1..].find(q)? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

fn parse_shape(text: &str) -> std::result::Result<Vec<usize>, String> {
    let inner = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| format!("shape {text} is not a tuple"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("shape {text} has a non-integer dimension {p:?}"))
        })
        .collect()
}

/// The bytes of a `.npy` file holding `data` with `shape` (C order), stored as `dtype` (each
/// value rounded to it: exact for values of that type).
pub fn encode(shape: &[usize], data: &[f32], dtype: DType) -> Vec<u8> {
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "shape {} does not hold {} elements",
        shape_text(shape),
        data.len()
    );
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        descr(dtype),
        shape_text(shape)
    );
    // Version 1 unless the header does not fit its u16 length.
    let (major, prefix) = if dict.len() + 1 + 10 <= u16::MAX as usize {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let total = (prefix + dict.len() + 1).div_ceil(64) * 64;
    let header_len = total - prefix;
    let mut out = Vec::with_capacity(total + data.len() * dtype.size());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[major, 0]);
    if major == 1 {
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(total - 1, b' ');
    out.push(b'\n');
    for &v in data {
        match dtype {
            DType::F32 => out.extend_from_slice(&v.to_le_bytes()),
            DType::F16 => out.extend_from_slice(&half::f16::from_f32(v).to_le_bytes()),
            DType::Bf16 => out.extend_from_slice(&half::bf16::from_f32(v).to_le_bytes()),
        }
    }
    out
}

fn file_err(path: &Path, why: impl Into<String>) -> Error {
    Error::File {
        path: path.display().to_string(),
        why: why.into(),
    }
}

/// Reads a `.npy` file ([`parse`]); [`Error::File`] names the file and what was expected.
pub fn read(path: &Path) -> Result<NpyArray> {
    let bytes = std::fs::read(path).map_err(|e| file_err(path, format!("cannot read: {e}")))?;
    parse(&bytes).map_err(|why| file_err(path, why))
}

/// The temporary file a write to `path` goes through (same directory, so the rename is atomic).
pub fn temp_path_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out.npy".into());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `data` with `shape`, stored as `dtype`, to `path` through a temporary file and a
/// rename: on any failure an existing file at `path` is left as it was and the temporary file
/// is removed.
pub fn write(path: &Path, shape: &[usize], data: &[f32], dtype: DType) -> Result<()> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(file_err(
            path,
            format!(
                "shape {} does not hold {} elements",
                shape_text(shape),
                data.len()
            ),
        ));
    }
    write_atomic(path, &encode(shape, data, dtype))
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so a
/// failure never leaves a partial or clobbered file (the temporary file is removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temp_path_for(path);
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        file_err(path, format!("cannot write: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_header_numpy_accepts() {
        let b = encode(&[2, 3], &[0.0; 6], DType::F32);
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hl) % 64, 0);
        let h = std::str::from_utf8(&b[10..10 + hl]).unwrap();
        assert!(h.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        assert!(h.ends_with('\n'));
        assert_eq!(b.len(), 10 + hl + 24);
    }

    #[test]
    fn parses_headers_written_by_numpy() {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }          \n";
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&1.5f32.to_le_bytes());
        b.extend_from_slice(&(-2.0f32).to_le_bytes());
        let a = parse(&b).unwrap();
        assert_eq!(
            (a.shape, a.dtype, a.data),
            (vec![2], DType::F32, vec![1.5, -2.0])
        );
    }

    #[test]
    fn scalars_and_shape_text() {
        let a = parse(&encode(&[], &[4.0], DType::F32)).unwrap();
        assert_eq!((a.shape.len(), a.data), (0, vec![4.0]));
        assert_eq!(shape_text(&[5]), "(5,)");
        assert_eq!(shape_text(&[2, 3]), "(2, 3)");
    }

    #[test]
    fn half_precision_files_round_trip_bit_exactly() {
        // 1 + 2^-7 is a bf16 and an f16 value; 1 + 2^-10 an f16 only (the bf16 file rounds).
        let values = [1.0 + 1.0 / 128.0, -0.0, f32::INFINITY, 65504.0];
        for dtype in [DType::F16, DType::Bf16] {
            let b = encode(&[4], &values, dtype);
            let h = std::str::from_utf8(&b[10..64]).unwrap();
            assert!(h.contains(&format!("'descr': '{}'", descr(dtype))), "{h}");
            let a = parse(&b).unwrap();
            assert_eq!(a.dtype, dtype);
            assert_eq!(a.data.len(), 4);
            assert_eq!(a.data[0], 1.0 + 1.0 / 128.0);
            assert!(a.data[1] == 0.0 && a.data[1].is_sign_negative());
            assert_eq!(a.data[2], f32::INFINITY);
        }
        // bf16 bits as <u2: 0x3f80 is 1.0.
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        let h = "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }          \n";
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&0x3f80u16.to_le_bytes());
        assert_eq!(parse(&b).unwrap().data, [1.0]);
        assert!(parse(&encode(&[1], &[1.0], DType::F16)[..70]).is_err());
    }
}
