//! Device helpers shared by the fused attention steps: K/V/Q tile copies into shared memory
//! (plain or 128-byte XOR swizzled rows), the two warp-level products on `mma.sync`
//! (`S = Q·Kᵀ` with `K` read by plain `ldmatrix`, `O += P·V` with `V` read by
//! `ldmatrix.trans`), the online-softmax update, the packing of `P` from the score
//! accumulators into A fragments, masking, and the epilogue.
//!
//! **Fragments.** A warp owns 16 query rows. Its scores of a `bk`-key tile are `bk / 8`
//! accumulators ([`FragC`]): lane `(g, t) = (lane / 4, lane % 4)` holds rows `g` and `g + 8`,
//! keys `8j + 2t, 8j + 2t + 1` of accumulator `j`. The four lanes of a group share a row, so
//! a row's max and sum need two butterfly shuffles. Accumulators `2k, 2k + 1` are, element for
//! element, the A fragment of keys `16k .. 16k + 16` of `P` (the FlashAttention-2 register
//! reuse: `P` never leaves registers).

use super::AttentionParams;
use crate::gpu::cp_async;
use crate::gpu::ldmatrix::{load_a_x4, load_b_x4_trans};
use crate::gpu::math;
use crate::gpu::mma::{FragA, FragB, FragC};
use crate::gpu::shared::SharedPtr;
use crate::gpu::unroll::unroll;
use crate::gpu::warp;
use crate::half::{Bf16, Bf16x2, Bf16x8};
use crate::ptr::GlobalPtr;
use crate::swizzle::swizzle_128b;

/// Byte offset of 16-byte chunk `chunk` of row `row` in a shared tile of `D` bf16 per row:
/// 128-byte XOR swizzled when `SWZ`, plain row-major otherwise.
#[inline(always)]
pub const fn chunk_offset<const D: u32, const SWZ: bool>(row: u32, chunk: u32) -> u32 {
    if SWZ {
        swizzle_128b(row, chunk, 2 * D)
    } else {
        row * 2 * D + 16 * chunk
    }
}

/// Byte offset of element `(row, col)` (`col % 8 == 0`: the start of an `ldmatrix` row).
#[inline(always)]
pub const fn elem_offset<const D: u32, const SWZ: bool>(row: u32, col: u32) -> u32 {
    chunk_offset::<D, SWZ>(row, col / 8) + 2 * (col % 8)
}

/// Chunk `j` of thread `tid` when `THREADS` threads copy a tile `D` wide: `(row, chunk)`,
/// consecutive threads on consecutive chunks of a row (coalesced).
#[inline(always)]
const fn chunk_of_thread<const D: u32, const THREADS: u32>(tid: u32, j: u32) -> (u32, u32) {
    let q = tid + THREADS * j;
    (q / (D / 8), q % (D / 8))
}

/// Synchronously copies this thread's `N` chunks of rows `row0 ..` of the `rows × D` head
/// matrix at `src` into the shared tile at `base` (plain layout): `ld.global.nc.v4` then
/// `st.shared.v4`, zeros for rows at or past `rows`.
#[inline(always)]
pub unsafe fn load_tile<const D: u32, const THREADS: u32, const N: usize>(
    src: GlobalPtr<Bf16>,
    rows: u32,
    row0: u32,
    base: u32,
    tid: u32,
) {
    unroll::<N>(
        #[inline(always)]
        |j| {
            let (r, ch) = chunk_of_thread::<D, THREADS>(tid, j as u32);
            let gr = row0 + r;
            let v = if gr < rows {
                unsafe { src.load_bf16x8((gr as usize * D as usize) / 8 + ch as usize) }
            } else {
                Bf16x8::default()
            };
            let to = SharedPtr::<Bf16>::from_addr(base + chunk_offset::<D, false>(r, ch));
            unsafe { to.store_bf16x8(0, v) };
        },
    );
}

/// Starts copying this thread's `N` chunks of rows `row0 ..` of the `rows × D` head matrix at
/// `src` into the shared tile at `base` (`chunk_offset::<D, SWZ>`): `cp.async.cg` 16 bytes
/// each, zero-filled (nothing read) for rows at or past `rows`. The caller commits.
#[inline(always)]
pub unsafe fn copy_tile_async<const D: u32, const THREADS: u32, const N: usize, const SWZ: bool>(
    src: GlobalPtr<Bf16>,
    rows: u32,
    row0: u32,
    base: u32,
    tid: u32,
) {
    unroll::<N>(
        #[inline(always)]
        |j| {
            let (r, ch) = chunk_of_thread::<D, THREADS>(tid, j as u32);
            let gr = row0 + r;
            let inside = gr < rows;
            let from = if inside {
                src.offset(gr as usize * D as usize + 8 * ch as usize)
                    .addr()
            } else {
                src.addr()
            };
            let to = SharedPtr::<Bf16>::from_addr(base + chunk_offset::<D, SWZ>(r, ch));
            unsafe { cp_async::copy_cg_16_zfill(to, from, if inside { 16 } else { 0 }) };
        },
    );
}

/// The warp's `KS = D / 16` A fragments of its 16 query rows (`row0 ..` of the shared `Q`
/// tile at `base`): one `ldmatrix.x4` each.
#[inline(always)]
pub unsafe fn load_q<const D: u32, const SWZ: bool, const KS: usize>(
    base: u32,
    row0: u32,
    lane: u32,
) -> [FragA<Bf16>; KS] {
    let mut qa = [FragA::<Bf16>::zero(); KS];
    unroll::<KS>(
        #[inline(always)]
        |ks| {
            qa[ks] = unsafe {
                load_a_x4(lane, |r, c| {
                    base + elem_offset::<D, SWZ>(row0 + r, 16 * ks as u32 + c)
                })
            };
        },
    );
    qa
}

/// `s[j] += Q·Kᵀ` for the `NT` key groups of 8 of the shared `K` tile at `base`: per pair of
/// groups and 16-deep slice of `D`, one `ldmatrix.x4` (no `.trans`: a row of `K` is a column
/// of `Kᵀ`, which is the B fragment's layout) feeds two mmas. `K` rows `16i .. 16i + 16`,
/// columns `16ks ..`: matrices (keys 0–7, d 0–7), (keys 8–15, d 0–7), (keys 0–7, d 8–15),
/// (keys 8–15, d 8–15), so registers 0 and 2 are the B fragment of keys 0–7, 1 and 3 of
/// keys 8–15.
#[inline(always)]
pub unsafe fn qk<const D: u32, const SWZ: bool, const KS: usize, const NT: usize>(
    s: &mut [FragC; NT],
    qa: &[FragA<Bf16>; KS],
    base: u32,
    lane: u32,
) {
    unroll::<NT>(
        #[inline(always)]
        |j| {
            if j % 2 == 0 {
                unroll::<KS>(
                    #[inline(always)]
                    |ks| {
                        let x: FragA<Bf16> = unsafe {
                            load_a_x4(lane, |r, c| {
                                base + elem_offset::<D, SWZ>(8 * j as u32 + r, 16 * ks as u32 + c)
                            })
                        };
                        let [r0, r1, r2, r3] = x.regs;
                        s[j].mma(&qa[ks], &FragB::from_regs([r0, r2]));
                        s[j + 1].mma(&qa[ks], &FragB::from_regs([r1, r3]));
                    },
                );
            }
        },
    );
}

/// `o[j] += P·V` for the `DT = D / 8` column groups of the output, over the `KK = bk / 16`
/// key slices of `P` (A fragments) and the shared row-major `V` tile at `base` (B fragments
/// by `ldmatrix.x4.trans`, two column groups each).
#[inline(always)]
pub unsafe fn pv<const D: u32, const SWZ: bool, const KK: usize, const DT: usize>(
    o: &mut [FragC; DT],
    pa: &[FragA<Bf16>; KK],
    base: u32,
    lane: u32,
) {
    unroll::<KK>(
        #[inline(always)]
        |kk| {
            unroll::<DT>(
                #[inline(always)]
                |j| {
                    if j % 2 == 0 {
                        let (b0, b1) = unsafe {
                            load_b_x4_trans(lane, |k, n| {
                                base + elem_offset::<D, SWZ>(16 * kk as u32 + k, 8 * j as u32 + n)
                            })
                        };
                        o[j].mma(&pa[kk], &b0);
                        o[j + 1].mma(&pa[kk], &b1);
                    }
                },
            );
        },
    );
}

/// Sets to `-inf` the scores the mask removes: keys at or past `seq_k`, and with `causal`
/// keys after the query row. `key0`: the tile's first key; `row0`: the warp's first query row.
#[inline(always)]
pub fn mask<const NT: usize>(
    s: &mut [FragC; NT],
    (key0, row0): (u32, u32),
    lane: u32,
    seq_k: u32,
    causal: bool,
) {
    unroll::<NT>(
        #[inline(always)]
        |j| {
            unroll::<4>(
                #[inline(always)]
                |i| {
                    let (r, c) = FragC::coords(lane, i as u32);
                    let key = key0 + 8 * j as u32 + c;
                    if key >= seq_k || (causal && key > row0 + r) {
                        s[j].0[i] = f32::NEG_INFINITY;
                    }
                },
            )
        },
    );
}

/// The online-softmax update of one key tile, for the lane's two rows. With `EXP2` the
/// scores are raw and `c = scale·log2(e)`: `p = 2^(s·c − m·c)` (one FMA and one `ex2` per
/// score); without, they are already scaled and `p = e^(s − m)`. The running max `m` becomes
/// `max(m, rowmax)`, the output and the lane's partial row sum `l` are rescaled by
/// `α = e^(m_old − m_new)`, and `s` is replaced by `p`. A row with no key yet (`m = -inf`)
/// uses 0 as its max, so `p = 0` and `α = 0`, never NaN.
#[inline(always)]
pub fn online_softmax<const NT: usize, const DT: usize, const EXP2: bool>(
    s: &mut [FragC; NT],
    o: &mut [FragC; DT],
    m: &mut [f32; 2],
    l: &mut [f32; 2],
    c: f32,
) {
    unroll::<2>(
        #[inline(always)]
        |r| {
            let mut mx = f32::NEG_INFINITY;
            unroll::<NT>(
                #[inline(always)]
                |j| mx = mx.max(s[j].0[2 * r]).max(s[j].0[2 * r + 1]),
            );
            mx = mx.max(warp::shuffle_xor(mx, 1));
            mx = mx.max(warp::shuffle_xor(mx, 2));
            let m_new = m[r].max(mx);
            let m_use = if m_new == f32::NEG_INFINITY {
                0.0
            } else {
                m_new
            };
            let (alpha, off) = if EXP2 {
                (math::exp2_fast((m[r] - m_use) * c), m_use * c)
            } else {
                (math::exp_fast(m[r] - m_use), m_use)
            };
            m[r] = m_new;
            let mut sum = 0.0f32;
            unroll::<NT>(
                #[inline(always)]
                |j| {
                    unroll::<2>(
                        #[inline(always)]
                        |e| {
                            let x = s[j].0[2 * r + e];
                            let pe = if EXP2 {
                                math::exp2_fast(math::fma(x, c, -off))
                            } else {
                                math::exp_fast(x - off)
                            };
                            s[j].0[2 * r + e] = pe;
                            sum += pe;
                        },
                    )
                },
            );
            l[r] = math::fma(l[r], alpha, sum);
            unroll::<DT>(
                #[inline(always)]
                |j| {
                    o[j].0[2 * r] *= alpha;
                    o[j].0[2 * r + 1] *= alpha;
                },
            );
        },
    );
}

/// Two f32 as one register of bf16 (round to nearest even), the lower one in the low half.
#[inline(always)]
fn pack(lo: f32, hi: f32) -> u32 {
    Bf16x2::pack_lo_hi(lo, hi).to_bits()
}

/// `P` (the scores after [`online_softmax`]) as the `KK = NT / 2` A fragments of `P·V`.
#[inline(always)]
pub fn pack_p<const NT: usize, const KK: usize>(s: &[FragC; NT]) -> [FragA<Bf16>; KK] {
    let mut pa = [FragA::<Bf16>::zero(); KK];
    unroll::<KK>(
        #[inline(always)]
        |kk| {
            let (a, b) = (&s[2 * kk].0, &s[2 * kk + 1].0);
            pa[kk] = FragA::from_regs([
                pack(a[0], a[1]),
                pack(a[2], a[3]),
                pack(b[0], b[1]),
                pack(b[2], b[3]),
            ]);
        },
    );
    pa
}

/// Finishes the warp's 16 rows: the row sums over the group's four lanes, `O / l` stored as
/// bf16 pairs (32-bit stores) and `lse = m·m_scale + ln(l)` (lane `t = 0` of each group), for
/// the rows below `seq_q`. `row0`: the warp's first query row; `m_scale` turns the running max
/// into natural-log units of the scaled scores (1 when the scores were scaled, `scale`
/// otherwise).
#[inline(always)]
pub unsafe fn epilogue<const D: u32, const DT: usize>(
    p: &AttentionParams,
    o: &[FragC; DT],
    (m, l): ([f32; 2], [f32; 2]),
    (bh, row0): (u32, u32),
    lane: u32,
    m_scale: f32,
) {
    let mut sums = l;
    unroll::<2>(
        #[inline(always)]
        |r| {
            sums[r] += warp::shuffle_xor(sums[r], 1);
            sums[r] += warp::shuffle_xor(sums[r], 2);
        },
    );
    let (g, t) = (lane / 4, lane % 4);
    let out = p.o.cast::<Bf16x2>();
    unroll::<2>(
        #[inline(always)]
        |r| {
            let row = row0 + g + 8 * r as u32;
            if row < p.seq_q {
                let inv = math::rcp_fast(sums[r]);
                let base = (bh as usize * p.seq_q as usize + row as usize) * D as usize;
                unroll::<DT>(
                    #[inline(always)]
                    |j| {
                        let col = 8 * j + 2 * t as usize;
                        let v = Bf16x2::pack_lo_hi(o[j].0[2 * r] * inv, o[j].0[2 * r + 1] * inv);
                        unsafe { out.store((base + col) / 2, v) };
                    },
                );
                if t == 0 {
                    let lse = math::fma(m[r], m_scale, math::log_fast(sums[r]));
                    unsafe {
                        p.lse
                            .store(bh as usize * p.seq_q as usize + row as usize, lse)
                    };
                }
            }
        },
    );
}
