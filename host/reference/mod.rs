//! The float64 CPU references of every ladder: what the tests, `klab run`, the benchmark and
//! the Python package check the kernels against. Each takes the inputs as the kernels see
//! them (already rounded to the step's element type, given as f32 values, which hold every
//! bf16 and f16 exactly) and computes in f64.

pub mod attention;

/// `a + b`, elementwise.
pub fn add(a: &[f32], b: &[f32]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as f64 + y as f64)
        .collect()
}

/// `a·x + y`, elementwise.
pub fn saxpy(a: f32, x: &[f32], y: &[f32]) -> Vec<f64> {
    x.iter()
        .zip(y)
        .map(|(&x, &y)| a as f64 * x as f64 + y as f64)
        .collect()
}

/// The sum of `x` (IEEE: NaN, or +inf with -inf, gives NaN).
pub fn sum(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum()
}

/// The maximum of `x`, NaN if any element is NaN (as `torch.max`; `f64::max` would skip it),
/// -inf for an empty input.
pub fn max(x: &[f32]) -> f64 {
    x.iter().fold(f64::NEG_INFINITY, |m, &v| {
        if m.is_nan() || v.is_nan() {
            f64::NAN
        } else {
            m.max(v as f64)
        }
    })
}

/// The Euclidean norm of `x` (the scale of a sum's rounding error).
pub fn l2_norm(x: &[f32]) -> f64 {
    x.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt()
}

/// The sum of each row of a `rows × cols` matrix.
pub fn row_sums(x: &[f32], cols: usize) -> Vec<f64> {
    x.chunks(cols).map(sum).collect()
}

/// `xᵀ` of a `rows × cols` matrix: `cols × rows`.
pub fn transpose(x: &[f32], rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = x[r * cols + c] as f64;
        }
    }
    out
}

/// GELU with the tanh approximation (`0.5·v·(1 + tanh(√(2/π)·(v + 0.044715·v³)))`).
pub fn gelu_tanh(v: f64) -> f64 {
    let k0 = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * v * (1.0 + (k0 * (v + 0.044715 * v * v * v)).tanh())
}

/// `gelu_tanh(x[r][c] + bias[c])` of a `rows × cols` matrix.
pub fn bias_gelu(x: &[f32], bias: &[f32]) -> Vec<f64> {
    let cols = bias.len();
    x.iter()
        .enumerate()
        .map(|(i, &v)| gelu_tanh(v as f64 + bias[i % cols] as f64))
        .collect()
}

/// `α·A·B + β·C0` for row-major `A` (`m × k`), `B` (`k × n`) and `C0` (`m × n`), in f64
/// (nalgebra), row blocks on every core.
#[allow(clippy::too_many_arguments)]
pub fn gemm(
    m: usize,
    n: usize,
    kk: usize,
    alpha: f64,
    a: &[f32],
    b: &[f32],
    beta: f64,
    c0: &[f32],
) -> Vec<f64> {
    use nalgebra::{DMatrix, DMatrixView};
    let b64: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    let bt = DMatrix::from_column_slice(n, kk, &b64);
    let mut out: Vec<f64> = c0.iter().map(|&v| v as f64).collect();
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let rows_per = m.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (blk, chunk) in out.chunks_mut(rows_per * n).enumerate() {
            let bt = &bt;
            s.spawn(move || {
                let r0 = blk * rows_per;
                let rows = chunk.len() / n;
                let a64: Vec<f64> = a[r0 * kk..(r0 + rows) * kk]
                    .iter()
                    .map(|&v| v as f64)
                    .collect();
                let at = DMatrixView::from_slice(&a64, kk, rows);
                let mut ct = DMatrix::from_column_slice(n, rows, chunk);
                ct.gemm(alpha, bt, &at, beta);
                chunk.copy_from_slice(ct.as_slice());
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemm_matches_a_plain_triple_loop() {
        let (m, n, kk) = (5, 7, 3);
        let a: Vec<f32> = (0..m * kk).map(|i| i as f32 * 0.5 - 3.0).collect();
        let b: Vec<f32> = (0..kk * n).map(|i| 1.0 - i as f32 * 0.25).collect();
        let c0: Vec<f32> = (0..m * n).map(|i| i as f32).collect();
        let got = gemm(m, n, kk, 1.25, &a, &b, -0.5, &c0);
        for i in 0..m {
            for j in 0..n {
                let dot: f64 = (0..kk)
                    .map(|l| a[i * kk + l] as f64 * b[l * n + j] as f64)
                    .sum();
                let want = 1.25 * dot - 0.5 * c0[i * n + j] as f64;
                assert!((got[i * n + j] - want).abs() < 1e-12, "({i}, {j})");
            }
        }
    }

    #[test]
    fn max_propagates_nan_and_transpose_swaps_indices() {
        assert!(max(&[1.0, f32::NAN, 3.0]).is_nan());
        assert_eq!(max(&[1.0, 3.0, -2.0]), 3.0);
        assert_eq!(max(&[]), f64::NEG_INFINITY);
        assert_eq!(
            transpose(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3),
            [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
        );
        assert_eq!(row_sums(&[1.0, 2.0, 3.0, 4.0], 2), [3.0, 7.0]);
        assert!((gelu_tanh(1.0) - 0.841_191_990_607_477_2).abs() < 1e-12);
    }
}
