//! Host side of every ladder: the registry entries, CPU references and launch logic.
//! A new ladder is a file here plus one line in [`ALL`].

use crate::registry::Ladder;

pub mod bias_gelu;
pub mod reduce;
pub mod row_sum;
pub mod saxpy;
pub mod transpose;
pub mod vector_add;

/// Every ladder, in teaching order: the one list the registry reads.
pub static ALL: &[&dyn Ladder] = &[
    &vector_add::VectorAdd,
    &saxpy::Saxpy,
    &reduce::REDUCE_SUM,
    &reduce::REDUCE_MAX,
    &row_sum::RowSum,
    &transpose::Transpose,
    &bias_gelu::BiasGelu,
];

/// Shapes every 1-D ladder is checked on: 1, warp ± 1, a prime, a block ± 1, and 1000003.
pub fn awkward_1d() -> Vec<crate::shape::Shape> {
    [1, 31, 33, 255, 257, 1000, 4099, 1_000_003]
        .into_iter()
        .map(crate::shape::Shape::n)
        .collect()
}

/// Shapes every 2-D ladder is checked on: 1×1, warp ± 1 both ways, tile ± 1, a 4-aligned
/// shape with partial tiles (vector paths with edges), a large odd one, and 1×N, N×1.
pub fn awkward_2d() -> Vec<crate::shape::Shape> {
    [
        (1, 1),
        (31, 33),
        (33, 31),
        (65, 63),
        (68, 132),
        (4097, 4099),
        (1, 1_000_003),
        (1_000_003, 1),
    ]
    .into_iter()
    .map(|(r, c)| crate::shape::Shape::rows_cols(r, c))
    .collect()
}

/// Elements for 256 MiB of f32: the working set of the memory-bound benchmarks.
pub const BENCH_N_256MIB: usize = 64 << 20;

/// `n` as the kernels' `u32` element count, or a shape error.
pub fn n_u32(n: usize, what: &str) -> crate::error::Result<u32> {
    u32::try_from(n).map_err(|_| crate::error::Error::Shape {
        what: what.into(),
        shape: n.to_string(),
        why: "more than 2^32 - 1 elements".into(),
    })
}

/// The `N` inputs of a `prepare_from` call, checked against the ladder's
/// [`Ladder::input_specs`] (count and lengths), so a caller's mistake is an error, not a panic.
pub fn take_inputs<const N: usize>(
    ladder: &dyn Ladder,
    shape: &crate::shape::Shape,
    inputs: Vec<Vec<f32>>,
) -> crate::error::Result<[Vec<f32>; N]> {
    let specs = ladder.input_specs(shape);
    let bad = |why: String| crate::error::Error::Shape {
        what: ladder.name().into(),
        shape: shape.to_string(),
        why,
    };
    if inputs.len() != specs.len() {
        return Err(bad(format!(
            "{} input(s) given, the ladder takes {}",
            inputs.len(),
            specs.len()
        )));
    }
    for (v, s) in inputs.iter().zip(&specs) {
        let want: usize = s.shape.iter().product();
        if v.len() != want {
            return Err(bad(format!(
                "input {} has {} elements, expected {want}",
                s.name,
                v.len()
            )));
        }
    }
    inputs
        .try_into()
        .map_err(|_| bad(format!("the ladder takes {N} inputs")))
}
