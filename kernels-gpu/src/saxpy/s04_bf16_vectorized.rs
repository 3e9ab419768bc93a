#[allow(unused_imports)]
use super::SaxpyParams;
use super::HalfElement;
#[allow(unused_imports)]
use crate::half::Bf16;
use crate::gpu::{math::fma, thread};

/// `y[i] = fma(a, x[i], y[i])` for one element of a half type, rounded once to nearest even.
///
/// # Safety
/// `i < n`, inside both arrays.
#[inline(always)]
unsafe fn one<H: HalfElement>(p: SaxpyParams<H>, i: usize) {
    unsafe {
        let v = fma(p.a, H::load_f32(p.x, i), H::load_mut_f32(p.y, i));
        H::store_f32(p.y, i, v);
    }
}

/// One pair of the 128-bit loop: both elements widened to f32 (exactly), two `fma`, one
/// packed round to nearest even.
#[inline(always)]
fn pair<H: HalfElement>(a: f32, x: u32, y: u32) -> u32 {
    let ((x0, x1), (y0, y1)) = (H::unpack(x), H::unpack(y));
    H::pack(fma(a, x0, y0), fma(a, x1, y1))
}

/// The body of steps 4 (bf16) and 5 (f16): step 3's loop with 8 halves per 16-byte vector.
///
/// Per iteration a thread loads 8 elements of `x` (`LDG.E.128.CONSTANT`) and 8 of `y`
/// (`LDG.E.128`), widens each pair to two f32 (exact), computes 8 f32 `fma(a, x, y)` and
/// rounds them back two at a time (`cvt.rn.bf16x2.f32` / `cvt.rn.f16x2.f32`, one rounding per
/// element), then stores the 8 results (`STG.E.128`). The vector grid is the 16-byte grid of
/// `x`: when `x` and `y` are misaligned by the same amount, the first ≤ 7 elements (head) and
/// the last ≤ 7 (tail) are scalars done by the first threads; when they are misaligned
/// differently there is no common grid and the whole array runs the scalar grid-stride loop
/// (a block-uniform branch on the parameters). Half data is 2-byte aligned.
#[inline(always)]
pub(super) fn half_vectorized<H: HalfElement>(p: SaxpyParams<H>) {
    let n = p.n as usize;
    let stride = thread::grid_stride_1d();
    let gid = thread::index_1d();
    if p.x.addr() % 16 != p.y.addr() % 16 {
        let mut i = gid;
        while i < n {
            // SAFETY: i < n.
            unsafe { one(p, i) };
            i += stride;
        }
        return;
    }
    let head = super::aligned_head_half(p.x.addr(), n);
    let nvec = (n - head) / 8;
    let (xv, yv) = (p.x.offset(head), p.y.offset(head));
    let mut i = gid;
    while i < nvec {
        // SAFETY: i < nvec, so the vector is inside x[head .. head + 8·nvec] (and y's); both
        // 16-byte aligned there (x and y share their misalignment, and head reaches the
        // boundary).
        unsafe {
            let (x, y) = (H::load8(xv, i), H::load8_mut(yv, i));
            let a = p.a;
            H::store8(
                yv,
                i,
                [
                    pair::<H>(a, x[0], y[0]),
                    pair::<H>(a, x[1], y[1]),
                    pair::<H>(a, x[2], y[2]),
                    pair::<H>(a, x[3], y[3]),
                ],
            );
        }
        i += stride;
    }
    // Head and tail (≤ 7 elements each): the first threads.
    let tail = head + 8 * nvec;
    let mut j = gid;
    while j < head {
        // SAFETY: j < head ≤ n.
        unsafe { one(p, j) };
        j += stride;
    }
    let mut j = tail + gid;
    while j < n {
        // SAFETY: j < n.
        unsafe { one(p, j) };
        j += stride;
    }
}

kernel! {
    /// Step 4 — bf16 `x` and `y`, `a` and the arithmetic in f32: step 3's 128-bit grid-stride
    /// loop with 8 halves per vector (`LDG.E.128` / `STG.E.128` of `Bf16x8`).
    ///
    /// Changed from step 3: the data is bf16, 2 bytes per element, so a 16-byte vector holds
    /// 8 elements (step 3: 4 floats) and the kernel moves half the bytes for the same `n`.
    /// Each element is widened to f32 exactly (a bf16 is the upper half of an f32: a shift or
    /// a mask), `fma(a, x, y)` is one f32 FMA, and the result is rounded once to bf16, to
    /// nearest even, two at a time (`cvt.rn.bf16x2.f32`, SASS `F2FP.BF16…PACK_AB`). Against
    /// the f64 reference of the rounded inputs the error is ≤ half a bf16 ulp (2⁻⁹ relative)
    /// plus the f32 FMA's rounding.
    ///
    /// Thread mapping: thread `g` of the grid takes vectors `g, g + G, g + 2G, …` (`G` = grid
    /// threads), 8 elements each; head and tail (≤ 7 elements each) as scalars by the first
    /// threads; scalar loop when `x` and `y` are misaligned differently.
    ///
    /// Bytes: 6 per element (read x, read y, write y at 2 B). Per 8 elements: 2 `LDG.E.128`,
    /// 1 `STG.E.128`, 8 `FFMA`, 4 packs and 8 widening ops — 32 B of loads in flight per thread
    /// per iteration, as in step 3. At 64 Mi elements: 403 MB, floor 94 µs at 4265 GB/s. Expected: ≥ 95% of copy bandwidth; the
    /// half-size problem makes the fixed launch ramp and tail (~3 µs) a larger share than in
    /// step 3.
    fn saxpy_s04_bf16_vectorized(p: SaxpyParams<Bf16>) {
        half_vectorized(p)
    }
}

step! {
    kernel: saxpy_s04_bf16_vectorized,
    technique: "bf16 data, f32 math: grid-stride loop of 128-bit loads/stores of 8 halves, scalar head and tail",
    dtype: Bf16,
    accepts: Any,
    grid: Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 8 },
}
