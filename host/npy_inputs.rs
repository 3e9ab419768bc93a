//! A ladder's inputs from `.npy` files (`klab run --input`): the problem shape comes from the
//! first file, and every file is checked against [`Ladder::input_specs`], so a wrong file gives
//! one error naming it and what was expected.

use crate::error::{Error, Result};
use crate::npy::{self, NpyArray, shape_text};
use crate::registry::Ladder;
use crate::shape::Shape;
use std::path::{Path, PathBuf};

/// The problem shape implied by `arrays` (path, array), checked against the ladder's inputs.
pub fn shape_of_inputs(ladder: &dyn Ladder, arrays: &[(PathBuf, NpyArray)]) -> Result<Shape> {
    let file_err = |path: &Path, why: String| Error::File {
        path: path.display().to_string(),
        why,
    };
    let Some((first_path, first)) = arrays.first() else {
        return Err(Error::Other("no input files given".into()));
    };
    let shape = ladder
        .shape_from_input(&first.shape)
        .map_err(|e| file_err(first_path, e.to_string()))?;
    let specs = ladder.input_specs(&shape);
    if specs.is_empty() {
        return Err(Error::Usage(format!(
            "ladder {} does not take input files yet (Ladder::input_specs)",
            ladder.name()
        )));
    }
    if specs.len() != arrays.len() {
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        return Err(Error::Usage(format!(
            "{} takes {} input file(s) ({}), {} given",
            ladder.name(),
            specs.len(),
            names.join(", "),
            arrays.len()
        )));
    }
    for ((path, a), spec) in arrays.iter().zip(&specs) {
        if a.shape != spec.shape {
            return Err(file_err(
                path,
                format!(
                    "shape {}, expected {} for input {:?} of {} at shape {shape}",
                    shape_text(&a.shape),
                    shape_text(&spec.shape),
                    spec.name,
                    ladder.name()
                ),
            ));
        }
    }
    Ok(shape)
}

/// Reads every file and returns the problem shape and the inputs in order.
pub fn read_inputs(ladder: &dyn Ladder, paths: &[PathBuf]) -> Result<(Shape, Vec<Vec<f32>>)> {
    let arrays = paths
        .iter()
        .map(|p| Ok((p.clone(), npy::read(p)?)))
        .collect::<Result<Vec<_>>>()?;
    let shape = shape_of_inputs(ladder, &arrays)?;
    Ok((shape, arrays.into_iter().map(|(_, a)| a.data).collect()))
}
