//! Attention forward in float64: `O = softmax(Q·Kᵀ·scale [+ causal mask])·V` and the
//! natural-log sum of exponentials of each row's scaled scores, for chosen query rows.

/// One problem: `q` is `bh × seq × d`, `k` and `v` the same (seq_q = seq_k = `seq`), the
/// inputs as the kernels see them (bf16-rounded, as f32).
pub struct Problem<'a> {
    pub q: &'a [f32],
    pub k: &'a [f32],
    pub v: &'a [f32],
    pub bh: usize,
    pub seq: usize,
    pub d: usize,
    pub scale: f64,
    pub causal: bool,
}

/// `(o, lse)` of query row `row` of head `h` (`o`: `d` values): keys `0 ..= row` when causal
/// (never empty), every key otherwise; max-subtracted exponentials, all in f64.
pub fn row(p: &Problem<'_>, h: usize, row: usize) -> (Vec<f64>, f64) {
    let (seq, d) = (p.seq, p.d);
    let q = &p.q[(h * seq + row) * d..][..d];
    let keys = if p.causal { row + 1 } else { seq };
    let scores: Vec<f64> = (0..keys)
        .map(|j| {
            let k = &p.k[(h * seq + j) * d..][..d];
            p.scale
                * q.iter()
                    .zip(k)
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum::<f64>()
        })
        .collect();
    let m = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = scores.iter().map(|&s| (s - m).exp()).collect();
    let l: f64 = e.iter().sum();
    let mut o = vec![0.0f64; d];
    for (j, &w) in e.iter().enumerate() {
        let v = &p.v[(h * seq + j) * d..][..d];
        for (acc, &x) in o.iter_mut().zip(v) {
            *acc += w * x as f64;
        }
    }
    o.iter_mut().for_each(|x| *x /= l);
    (o, m + l.ln())
}

/// `(o, lse)` of the given `(head, row)` pairs, in their order: `o` is `rows.len() × d`.
pub fn rows(p: &Problem<'_>, rows: &[(usize, usize)]) -> (Vec<f64>, Vec<f64>) {
    let mut o = Vec::with_capacity(rows.len() * p.d);
    let mut lse = Vec::with_capacity(rows.len());
    for &(h, r) in rows {
        let (ro, rl) = row(p, h, r);
        o.extend(ro);
        lse.push(rl);
    }
    (o, lse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_key_returns_its_value_and_equal_scores_average() {
        // seq 1: the only key has weight 1, lse = its scaled score.
        let (q, k, v) = ([1.0f32, 2.0], [0.5f32, 0.25], [3.0f32, -1.0]);
        let p = Problem {
            q: &q,
            k: &k,
            v: &v,
            bh: 1,
            seq: 1,
            d: 2,
            scale: 2.0,
            causal: false,
        };
        let (o, lse) = row(&p, 0, 0);
        assert_eq!(o, vec![3.0, -1.0]);
        assert!((lse - 2.0 * (0.5 + 0.5)).abs() < 1e-15);
        // Two keys with equal scores: the mean of the values, lse = s + ln 2; causal row 0
        // sees only key 0.
        let (q, k, v) = (
            [1.0f32, 0.0, 1.0, 0.0],
            [1.0f32, 5.0, 1.0, 7.0],
            [2.0f32, 0.0, 4.0, 2.0],
        );
        let mut p = Problem {
            q: &q,
            k: &k,
            v: &v,
            bh: 1,
            seq: 2,
            d: 2,
            scale: 1.0,
            causal: false,
        };
        let (o, lse) = row(&p, 0, 1);
        assert_eq!(o, vec![3.0, 1.0]);
        assert!((lse - (1.0 + 2f64.ln())).abs() < 1e-15);
        p.causal = true;
        assert_eq!(row(&p, 0, 0).0, vec![2.0, 0.0]);
    }
}
