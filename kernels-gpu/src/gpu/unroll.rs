//! Compile-time unrolling: `unroll::<N>(|i| ...)` calls the closure with `i = 0, 1, .., N-1`
//! as straight-line code (the CUDA `#pragma unroll` of a loop with a constant trip count).
//!
//! Why: LLVM fully unrolls only small loops, and a register tile (an array indexed by the loop
//! counter) that is not fully unrolled lives in local memory (`LDL`/`STL`). Matching on the
//! const `N` is resolved at monomorphisation, so each arm is a list of calls with constant
//! arguments; mark the closure `#[inline(always)]` so the calls disappear too.
//! Counts above 32 fall back to an ordinary loop.

/// Expands to `if N == 1 { f(0) } else if N == 2 { f(0); f(1) } else ...` up to the last
/// literal, then a plain loop. `N` is a constant, so only the matching branch survives.
macro_rules! unrolled {
    ($f:ident, $n:expr; [$($seen:literal)*];) => {{
        let mut i = 0;
        while i < $n {
            $f(i);
            i += 1;
        }
    }};
    ($f:ident, $n:expr; [$($seen:literal)*]; $k:literal $($rest:literal)*) => {
        if $n == $k + 1 {
            $($f($seen);)*
            $f($k);
        } else {
            unrolled!($f, $n; [$($seen)* $k]; $($rest)*)
        }
    };
}

/// Calls `f(0)`, `f(1)`, .., `f(N - 1)` unrolled (for `N <= 32`; a plain loop above).
#[inline(always)]
pub fn unroll<const N: usize>(mut f: impl FnMut(usize)) {
    if N == 0 {
        return;
    }
    unrolled!(f, N; []; 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31)
}
