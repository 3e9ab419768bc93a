//! `.npy` I/O and `klab run --input` checks, on the CPU only.

use kernel_lab::Error;
use kernel_lab::element::DType;
use kernel_lab::npy::{self, NpyArray};
use kernel_lab::npy_inputs::{read_inputs, shape_of_inputs};
use kernel_lab::registry;
use std::path::PathBuf;

fn write_raw(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn file_error(e: Error) -> (String, String) {
    match e {
        Error::File { path, why } => (path, why),
        other => panic!("expected Error::File, got {other:?}"),
    }
}

#[test]
fn round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.npy");
    let data: Vec<f32> = (0..12).map(|i| i as f32 * 0.5 - 3.0).collect();
    npy::write(&p, &[3, 4], &data, DType::F32).unwrap();
    let a = npy::read(&p).unwrap();
    assert_eq!(
        a,
        NpyArray {
            shape: vec![3, 4],
            dtype: DType::F32,
            data
        }
    );
    npy::write(&p, &[], &[7.0], DType::F32).unwrap();
    assert_eq!(npy::read(&p).unwrap().shape, Vec::<usize>::new());
}

#[test]
fn bad_magic_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_raw(&dir, "bad.npy", b"PK\x03\x04 this is a zip, not npy");
    let (path, why) = file_error(npy::read(&p).unwrap_err());
    assert!(path.ends_with("bad.npy"), "{path}");
    assert!(why.contains("magic"), "{why}");
}

#[test]
fn wrong_dtype_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = npy::encode(&[2], &[1.0, 2.0], DType::F32);
    let at = b.windows(3).position(|w| w == b"<f4").unwrap();
    b[at..at + 3].copy_from_slice(b"<f8");
    let p = write_raw(&dir, "f64.npy", &b);
    let (_, why) = file_error(npy::read(&p).unwrap_err());
    assert!(why.contains("<f8") && why.contains("expected <f4"), "{why}");
}

#[test]
fn truncated_data_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = npy::encode(&[4], &[1.0, 2.0, 3.0, 4.0], DType::F32);
    let p = write_raw(&dir, "short.npy", &b[..b.len() - 3]);
    let (_, why) = file_error(npy::read(&p).unwrap_err());
    assert!(why.contains("needs 16 bytes"), "{why}");
    let p = write_raw(&dir, "header.npy", &b[..20]);
    assert!(
        file_error(npy::read(&p).unwrap_err())
            .1
            .contains("truncated")
    );
}

#[test]
fn wrong_shape_for_the_ladder_names_the_file_and_the_expected_shape() {
    let ladder = registry::ladder("vector_add").unwrap();
    let a = |shape: Vec<usize>| NpyArray {
        data: vec![1.0; shape.iter().product()],
        dtype: DType::F32,
        shape,
    };
    let ok = [("a.npy".into(), a(vec![5])), ("b.npy".into(), a(vec![5]))];
    assert_eq!(shape_of_inputs(ladder, &ok).unwrap().to_string(), "5");
    let bad = [("a.npy".into(), a(vec![5])), ("b.npy".into(), a(vec![6]))];
    let (path, why) = file_error(shape_of_inputs(ladder, &bad).unwrap_err());
    assert_eq!(path, "b.npy");
    assert!(
        why.contains("(6,)") && why.contains("expected (5,)"),
        "{why}"
    );
    let two_d = [
        ("m.npy".into(), a(vec![2, 3])),
        ("b.npy".into(), a(vec![6])),
    ];
    assert_eq!(
        file_error(shape_of_inputs(ladder, &two_d).unwrap_err()).0,
        "m.npy"
    );
    let one = [("a.npy".into(), a(vec![5]))];
    assert!(
        shape_of_inputs(ladder, &one)
            .unwrap_err()
            .to_string()
            .contains("takes 2")
    );
}

#[test]
fn reads_a_ladders_inputs_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.npy");
    npy::write(&p, &[3], &[1.0, 2.0, 3.0], DType::F32).unwrap();
    let (shape, inputs) = read_inputs(registry::ladder("reduce_sum").unwrap(), &[p]).unwrap();
    assert_eq!(
        (shape.to_string(), inputs),
        ("3".into(), vec![vec![1.0, 2.0, 3.0]])
    );
}

#[test]
fn a_failed_write_leaves_the_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.npy");
    npy::write(&out, &[2], &[1.0, 2.0], DType::F32).unwrap();
    let before = std::fs::read(&out).unwrap();
    // The temporary file cannot be created: a directory is in its place.
    std::fs::create_dir(npy::temp_path_for(&out)).unwrap();
    let (path, why) = file_error(npy::write(&out, &[3], &[4.0, 5.0, 6.0], DType::F32).unwrap_err());
    assert!(
        path.ends_with("out.npy") && why.contains("cannot write"),
        "{why}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // A shape that does not hold the data is refused before anything is written.
    assert!(npy::write(&out, &[4], &[1.0], DType::F32).is_err());
    assert_eq!(std::fs::read(&out).unwrap(), before);
    // Nothing else was left in the directory.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
