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

/// Layer normalisation of each row of a `rows × cols` matrix, as torch's `native_layer_norm`:
/// `(y, mean, rstd)` with `mean = Σx/n`, the biased variance `Σ(x − mean)²/n` (two passes, in
/// f64), `rstd = 1/√(var + eps)` and `y = (x − mean)·rstd·γ + β` (`beta: None`: RMS norm's
/// `y = x·rstd·γ` with `rstd = 1/√(mean(x²) + eps)`, and `mean` all zeros). NaN and ±inf
/// propagate as in IEEE arithmetic: a row holding one makes that row's outputs NaN.
pub fn norm_rows(
    x: &[f32],
    gamma: &[f32],
    beta: Option<&[f32]>,
    eps: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let cols = gamma.len();
    let rows = x.len() / cols;
    let (mut y, mut means, mut rstds) = (
        Vec::with_capacity(x.len()),
        vec![0.0; rows],
        vec![0.0; rows],
    );
    for (r, row) in x.chunks(cols).enumerate() {
        let n = cols as f64;
        let mean = if beta.is_some() { sum(row) / n } else { 0.0 };
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        let rstd = 1.0 / (var + eps).sqrt();
        for (c, &v) in row.iter().enumerate() {
            let xhat = (v as f64 - mean) * rstd;
            y.push(xhat * gamma[c] as f64 + beta.map_or(0.0, |b| b[c] as f64));
        }
        means[r] = mean;
        rstds[r] = rstd;
    }
    (y, means, rstds)
}

/// The gradients of layer normalisation (torch's `native_layer_norm_backward`) given the
/// forward's saved `mean` and `rstd` (f32, as the kernels see them): with
/// `x̂ = (x − mean)·rstd` and `g = dy·γ`, `dx = rstd·(g − (Σg + x̂·Σg·x̂)/n)` per row,
/// `dγ = Σ_rows dy·x̂` and `dβ = Σ_rows dy` per column. Returns `(dx, dγ, dβ)`.
pub fn layer_norm_backward(
    dy: &[f32],
    x: &[f32],
    mean: &[f32],
    rstd: &[f32],
    gamma: &[f32],
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let cols = gamma.len();
    let n = cols as f64;
    let mut dx = Vec::with_capacity(x.len());
    let (mut dgamma, mut dbeta) = (vec![0.0f64; cols], vec![0.0f64; cols]);
    for (r, (xr, dyr)) in x.chunks(cols).zip(dy.chunks(cols)).enumerate() {
        let (m, s) = (mean[r] as f64, rstd[r] as f64);
        let xhat: Vec<f64> = xr.iter().map(|&v| (v as f64 - m) * s).collect();
        let g: Vec<f64> = dyr
            .iter()
            .zip(gamma)
            .map(|(&d, &w)| d as f64 * w as f64)
            .collect();
        let a: f64 = g.iter().sum();
        let b: f64 = g.iter().zip(&xhat).map(|(g, h)| g * h).sum();
        for c in 0..cols {
            dx.push(s * (g[c] - (a + xhat[c] * b) / n));
            dgamma[c] += dyr[c] as f64 * xhat[c];
            dbeta[c] += dyr[c] as f64;
        }
    }
    (dx, dgamma, dbeta)
}

/// `f(row, out_row)` for every row of a `rows × cols` matrix, row blocks on every core (the
/// benchmark's 8192 × 32000 references are 262 M exponentials).
fn per_row_blocks(rows: usize, cols: usize, f: impl Fn(usize, &mut [f64]) + Sync) -> Vec<f64> {
    let mut out = vec![0.0f64; rows * cols];
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let rows_per = rows.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for (blk, chunk) in out.chunks_mut(rows_per * cols.max(1)).enumerate() {
            let f = &f;
            s.spawn(move || {
                for (i, row) in chunk.chunks_mut(cols).enumerate() {
                    f(blk * rows_per + i, row);
                }
            });
        }
    });
    out
}

/// Softmax of each row of a `rows × cols` matrix, torch's semantics in f64: `exp(x − m) / Σ
/// exp(x − m)` with `m` the NaN-propagating row maximum ([`max`]), so a NaN or a `+inf` in a
/// row makes the row NaN (`+inf − +inf`), and so does a row of all `−inf` (`−inf − −inf`).
pub fn softmax_rows(x: &[f32], cols: usize) -> Vec<f64> {
    per_row_blocks(x.len() / cols, cols, |r, out| {
        let row = &x[r * cols..(r + 1) * cols];
        let m = max(row);
        for (o, &v) in out.iter_mut().zip(row) {
            *o = (v as f64 - m).exp();
        }
        let s: f64 = out.iter().sum();
        out.iter_mut().for_each(|v| *v /= s);
    })
}

/// The softmax backward pass of each row: `dx = y ⊙ (dy − Σ dy⊙y)`, in f64.
pub fn softmax_backward_rows(y: &[f32], dy: &[f32], cols: usize) -> Vec<f64> {
    per_row_blocks(y.len() / cols, cols, |r, out| {
        let (yr, dr) = (&y[r * cols..(r + 1) * cols], &dy[r * cols..(r + 1) * cols]);
        let dot: f64 = yr.iter().zip(dr).map(|(&a, &b)| a as f64 * b as f64).sum();
        for ((o, &a), &b) in out.iter_mut().zip(yr).zip(dr) {
            *o = a as f64 * (b as f64 - dot);
        }
    })
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
    #[test]
    fn layer_norm_is_exact_on_a_small_row_and_propagates_nan() {
        let (y, m, r) = norm_rows(&[1.0, 3.0], &[2.0, 2.0], Some(&[0.5, 0.5]), 0.0);
        assert_eq!((m[0], r[0]), (2.0, 1.0));
        assert_eq!(y, [-1.5, 2.5]);
        let (y, _, _) = norm_rows(
            &[1.0, f32::NAN, 2.0, 4.0],
            &[1.0, 1.0],
            Some(&[0.0, 0.0]),
            0.0,
        );
        assert!(y[0].is_nan() && y[1].is_nan() && !y[2].is_nan());
        let (y, _, r) = norm_rows(&[3.0, 4.0], &[1.0, 1.0], None, 0.0);
        assert!((r[0] - 1.0 / 12.5f64.sqrt()).abs() < 1e-15 && (y[1] - 4.0 * r[0]).abs() < 1e-15);
        // One element: var = 0, y = β.
        let (y, _, _) = norm_rows(&[7.0], &[3.0], Some(&[0.25]), 1e-5);
        assert_eq!(y, [0.25]);
    }

    #[test]
    fn softmax_follows_torch_on_special_values() {
        let y = softmax_rows(&[0.0, 0.0, f32::NEG_INFINITY, 1e4, 1e4 + 1.0, 1e4], 3);
        assert_eq!(&y[..3], [0.5, 0.5, 0.0]);
        let e = 1f64.exp();
        assert!((y[4] - e / (2.0 + e)).abs() < 1e-15);
        assert!(
            softmax_rows(&[f32::NEG_INFINITY; 2], 2)
                .iter()
                .all(|v| v.is_nan())
        );
        assert!(
            softmax_rows(&[1.0, f32::INFINITY], 2)
                .iter()
                .all(|v| v.is_nan())
        );
        assert!(softmax_rows(&[1.0, f32::NAN], 2).iter().all(|v| v.is_nan()));
        assert_eq!(softmax_rows(&[-3.0], 1), [1.0]);
        // dx = y (dy - dot): dot = 0.25·1 + 0.75·(-1) = -0.5.
        assert_eq!(
            softmax_backward_rows(&[0.25, 0.75], &[1.0, -1.0], 2),
            [0.25 * 1.5, 0.75 * -0.5]
        );
    }
}
