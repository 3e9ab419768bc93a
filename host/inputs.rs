//! Fresh random inputs for every check (never zeros): seeded by `KLAB_SEED` when set, so a
//! failure can be replayed, otherwise from the clock.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A new seed: `KLAB_SEED` if set, else from the clock.
pub fn fresh_seed() -> u64 {
    if let Some(s) = std::env::var("KLAB_SEED").ok().and_then(|v| v.parse().ok()) {
        return s;
    }
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    t.as_nanos() as u64 ^ 0x9e37_79b9_7f4a_7c15
}

/// `n` values uniform in `[lo, hi)`.
pub fn uniform(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(lo..hi)).collect()
}

/// `n` small integers in `[-k, k]` as floats: sums of these are exact in f32 while the partial
/// sums stay below 2^24, so a reduction over them must match the reference exactly.
pub fn small_integers(n: usize, seed: u64, k: i32) -> Vec<f32> {
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-k..=k) as f32).collect()
}
