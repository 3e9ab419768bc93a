#[allow(unused_imports)]
use super::{GemmBf16Params, Grid, MmaTile};
use {
    super::common::{a_vec_ok, b_vec_ok, copy_tile_async, epilogue, mma_sweep},
    crate::gpu::ldmatrix::{ldmatrix_x4, ldmatrix_x4_trans},
    crate::gpu::mma::{FragA, FragB, FragC},
    crate::gpu::{cp_async, shared::dynamic_shared, sync_threads, thread, unroll::unroll},
    crate::half::Bf16,
};

/// Step 4's tile: 128×256 per block of 8 warps (2 along M × 4 along N), each warp 64×64
/// (4 × 8 mma tiles, 128 f32 accumulators per thread), 64 deep (128-byte rows of `A`, so the
/// 128-byte swizzle applies), 3 stages of 48 KiB.
pub const S04_TILE: MmaTile = MmaTile {
    bm: 128,
    bn: 256,
    bk: 64,
    wm: 64,
    wn: 64,
    stages: 3,
};
const _: () = assert!(S04_TILE.is_valid() && S04_TILE.stages >= 2);
const _: () = assert!(S04_TILE.bk * 2 == 128, "A rows must be 128 bytes for swizzle_128b");

const T: MmaTile = S04_TILE;
const MI: usize = T.mi();
const NI: usize = T.ni();
const A_ROW: u32 = 2 * T.bk;
const B_ROW: u32 = 2 * T.bn;
const A_BYTES: u32 = 2 * T.bm * T.bk;
/// 16-deep k-steps per k-tile.
const KSTEPS: usize = (T.bk / 16) as usize;

/// Starts the copies of k-tile `kt` (if it exists) into stage `s`, swizzled; the caller
/// commits.
#[inline(always)]
unsafe fn issue(
    p: &GemmBf16Params,
    v: (bool, bool),
    (bm0, bn0): (u32, u32),
    kt: u32,
    s: u32,
    tid: u32,
) {
    const THREADS: u32 = S04_TILE.threads();
    const NA: usize = S04_TILE.a_chunks();
    const NB: usize = S04_TILE.b_chunks();
    let base = dynamic_shared::<u8>().addr() + s * T.stage_bytes();
    let k0 = kt * T.bk;
    let (a_tile, b_tile) = ((p.m, p.k), (p.k, p.n));
    unsafe {
        copy_tile_async::<{ S04_TILE.bk }, A_ROW, true, THREADS, NA>(
            p.a,
            a_tile,
            v.0,
            (bm0, k0),
            base,
            tid,
        );
        copy_tile_async::<{ S04_TILE.bn }, B_ROW, true, THREADS, NB>(
            p.b,
            b_tile,
            v.1,
            (k0, bn0),
            base + A_BYTES,
            tid,
        );
    }
}

/// The shared-memory offsets of one lane's `ldmatrix` rows in step 4's swizzled tiles,
/// computed once: per k-step for `A`, per n16 pair for `B`; everything else is a constant.
///
/// Lane `l` points at row `r = l % 16` and chunk `h = l / 16` of a 16×16 piece
/// (`x4_row_of_lane`). The warp's rows start at multiples of 8 (`wm`, `16i`, `16·ks`), so the
/// swizzle term of every row it touches is `r % 8 = l % 8`, and the chunk indices XORed with it
/// stay below 8 (`A`: `2·ks + h`, four k-steps; `B`: `2·jj + h` past the warp's `wn / 8`, four
/// pairs). With `c0 = h ^ (l % 8)`: `(2·x + h) ^ (l % 8) = 2·x ^ c0`. So
///
/// ```text
/// A(i, ks)  = a_row + 16·((2·ks) ^ c0) + i·16·A_ROW          a_row = (wm + r)·A_ROW
/// B(jj, ks) = b_row + 16·((2·jj) ^ c0) + ks·16·B_ROW         b_row = r·B_ROW + 2·wn
/// ```
///
/// eight per-lane registers instead of one address per (tile, k-step).
struct LaneOffsets {
    a: [u32; KSTEPS],
    b: [u32; NI / 2],
}

impl LaneOffsets {
    #[inline(always)]
    fn new(lane: u32, (wm, wn): (u32, u32)) -> Self {
        let (r, h) = (lane % 16, lane / 16);
        let c0 = h ^ (lane % 8);
        let mut o = LaneOffsets {
            a: [0; KSTEPS],
            b: [0; NI / 2],
        };
        unroll::<KSTEPS>(
            #[inline(always)]
            |ks| o.a[ks] = (wm + r) * A_ROW + 16 * ((2 * ks as u32) ^ c0),
        );
        unroll::<{ NI / 2 }>(
            #[inline(always)]
            |jj| o.b[jj] = r * B_ROW + 2 * wn + 16 * ((2 * jj as u32) ^ c0),
        );
        o
    }
}

/// The warp's fragments of k-step `ks` of stage `s` (A: 4 `ldmatrix.x4`, B: 4
/// `ldmatrix.x4.trans`), at the swizzled addresses of [`LaneOffsets`] (the edge loop).
#[inline(always)]
fn load_frags(
    s: u32,
    ks: usize,
    o: &LaneOffsets,
    fa: &mut [FragA<Bf16>; MI],
    fb: &mut [FragB<Bf16>; NI],
) {
    let a = dynamic_shared::<u8>().addr() + s * T.stage_bytes();
    let b = a + A_BYTES;
    unroll::<MI>(
        #[inline(always)]
        |i| {
            let addr = a + o.a[ks] + (16 * A_ROW) * i as u32;
            fa[i] = FragA::from_regs(unsafe { ldmatrix_x4(addr) });
        },
    );
    unroll::<{ NI / 2 }>(
        #[inline(always)]
        |jj| {
            let addr = b + o.b[jj] + (16 * B_ROW) * ks as u32;
            let [r0, r1, r2, r3] = unsafe { ldmatrix_x4_trans(addr) };
            fb[2 * jj] = FragB::from_regs([r0, r1]);
            fb[2 * jj + 1] = FragB::from_regs([r2, r3]);
        },
    );
}

/// The warp's A fragments of k-step `ks` of stage `s` (4 `ldmatrix.x4`).
#[inline(always)]
fn load_a(s: u32, ks: usize, o: &LaneOffsets, fa: &mut [FragA<Bf16>; MI]) {
    let a = dynamic_shared::<u8>().addr() + s * T.stage_bytes();
    unroll::<MI>(
        #[inline(always)]
        |i| {
            let addr = a + o.a[ks] + (16 * A_ROW) * i as u32;
            fa[i] = FragA::from_regs(unsafe { ldmatrix_x4(addr) });
        },
    );
}

/// The warp's B fragments of n16 pair `jj` (n8 tiles `2·jj`, `2·jj + 1`) of k-step `ks` of
/// stage `s` (one `ldmatrix.x4.trans`).
#[inline(always)]
fn load_b_pair(s: u32, ks: usize, jj: usize, o: &LaneOffsets) -> (FragB<Bf16>, FragB<Bf16>) {
    let b = dynamic_shared::<u8>().addr() + s * T.stage_bytes() + A_BYTES;
    let addr = b + o.b[jj] + (16 * B_ROW) * ks as u32;
    let [r0, r1, r2, r3] = unsafe { ldmatrix_x4_trans(addr) };
    (FragB::from_regs([r0, r1]), FragB::from_regs([r2, r3]))
}

/// Step 4's main loop, for shapes whose rows of `A` and `B` are 16-byte aligned (the caller
/// checked): every copy a 16-byte `cp.async`, A fragments double-buffered, B fragments loaded
/// one n16 pair at a time.
#[inline(always)]
fn mainloop_fast(p: GemmBf16Params) {
    let (tid, lane, warp) = (thread::thread_idx_x(), thread::lane_id(), thread::warp_id());
    let warps_n = T.bn / T.wn;
    let wt = (T.wm * (warp / warps_n), T.wn * (warp % warps_n));
    let origin = (thread::block_idx_y() * T.bm, thread::block_idx_x() * T.bn);
    let v = (true, true);
    // SAFETY: all-zero bits are 0.0f32.
    let mut acc: [[FragC; NI]; MI] = unsafe { core::mem::zeroed() };
    let ktiles = p.k.div_ceil(T.bk);
    unroll::<{ (S04_TILE.stages - 1) as usize }>(
        #[inline(always)]
        |s| {
            if (s as u32) < ktiles {
                unsafe { issue(&p, v, origin, s as u32, s as u32, tid) };
            }
            cp_async::commit_group();
        },
    );
    cp_async::wait_group::<{ S04_TILE.stages - 2 }>();
    sync_threads();
    let offsets = LaneOffsets::new(lane, wt);
    let mut fa = [[FragA::<Bf16>::zero(); MI]; 2];
    load_a(0, 0, &offsets, &mut fa[0]);
    let (mut read, mut write) = (0u32, T.stages - 1);
    let mut kt = 0;
    while kt < ktiles {
        unroll::<KSTEPS>(
            #[inline(always)]
            |ks| {
                if ks + 1 < KSTEPS {
                    // The next k-step's A fragments, before this k-step's mmas.
                    load_a(read, ks + 1, &offsets, &mut fa[(ks + 1) % 2]);
                }
                if ks == 0 {
                    // Into the stage everyone finished reading before the last barrier.
                    let nt = kt + T.stages - 1;
                    if nt < ktiles {
                        unsafe { issue(&p, v, origin, nt, write, tid) };
                    }
                    cp_async::commit_group();
                    write = if write == T.stages - 1 { 0 } else { write + 1 };
                }
                // B, one n16 pair (one `ldmatrix.x4.trans`) at a time, each feeding 8 mmas.
                unroll::<{ NI / 2 }>(
                    #[inline(always)]
                    |jj| {
                        let (b0, b1) = load_b_pair(read, ks, jj, &offsets);
                        unroll::<MI>(
                            #[inline(always)]
                            |i| {
                                acc[i][2 * jj].mma(&fa[ks % 2][i], &b0);
                                acc[i][2 * jj + 1].mma(&fa[ks % 2][i], &b1);
                            },
                        );
                    },
                );
            },
        );
        // The next k-tile's stage: complete for this thread, then for all; and everyone is
        // past this tile's reads of the stage that k-step 0 overwrites next.
        cp_async::wait_group::<{ S04_TILE.stages - 2 }>();
        sync_threads();
        read = if read == T.stages - 1 { 0 } else { read + 1 };
        load_a(read, 0, &offsets, &mut fa[0]);
        kt += 1;
    }
    cp_async::wait_group::<0>();
    unsafe { epilogue::<MI, NI>(&p, &acc, (origin.0 + wt.0, origin.1 + wt.1), lane) };
}

/// Step 4's main loop for rows of `A` or `B` that are not 16-byte aligned (`K` or `N` not a
/// multiple of 8): that operand is copied element by element (synchronously), and the
/// fragments are single-buffered (fewer live registers beside the 128 accumulators, so the
/// slow path does not spill). Same tiles, swizzle and stages as the fast loop.
#[inline(always)]
fn mainloop_edge(p: GemmBf16Params) {
    let (tid, lane, warp) = (thread::thread_idx_x(), thread::lane_id(), thread::warp_id());
    let warps_n = T.bn / T.wn;
    let wt = (T.wm * (warp / warps_n), T.wn * (warp % warps_n));
    let origin = (thread::block_idx_y() * T.bm, thread::block_idx_x() * T.bn);
    let v = (a_vec_ok(&p), b_vec_ok(&p));
    // SAFETY: all-zero bits are 0.0f32.
    let mut acc: [[FragC; NI]; MI] = unsafe { core::mem::zeroed() };
    let ktiles = p.k.div_ceil(T.bk);
    unroll::<{ (S04_TILE.stages - 1) as usize }>(
        #[inline(always)]
        |s| {
            if (s as u32) < ktiles {
                unsafe { issue(&p, v, origin, s as u32, s as u32, tid) };
            }
            cp_async::commit_group();
        },
    );
    let offsets = LaneOffsets::new(lane, wt);
    let mut kt = 0;
    while kt < ktiles {
        cp_async::wait_group::<{ S04_TILE.stages - 2 }>();
        sync_threads();
        let next = kt + T.stages - 1;
        if next < ktiles {
            unsafe { issue(&p, v, origin, next, next % T.stages, tid) };
        }
        cp_async::commit_group();
        unroll::<KSTEPS>(
            #[inline(always)]
            |ks| {
                let mut fa = [FragA::<Bf16>::zero(); MI];
                let mut fb = [FragB::<Bf16>::zero(); NI];
                load_frags(kt % T.stages, ks, &offsets, &mut fa, &mut fb);
                mma_sweep(&mut acc, &fa, &fb);
            },
        );
        kt += 1;
    }
    cp_async::wait_group::<0>();
    unsafe { epilogue::<MI, NI>(&p, &acc, (origin.0 + wt.0, origin.1 + wt.1), lane) };
}

kernel! {
    #[launch_bounds(256, 1)]
    /// Step 4 — swizzle, 64×64 warp tiles, double-buffered fragments. Three changes on step 3:
    ///
    /// 1. **128-byte XOR swizzle** (`crate::swizzle`): chunk `c` of tile row `r` is stored at
    ///    chunk `c ^ (r % 8)`. The 8 rows one `ldmatrix` reads then sit in 8 different bank
    ///    groups (step 3: `A` 2-way, `B` 8-way conflicts), and the `cp.async` writes of a row
    ///    stay conflict-free. `BK = 64` makes `A`'s rows exactly 128 bytes.
    /// 2. **Bigger warp tiles**: 128×256 per block, 64×64 per warp (4 × 8 mma tiles): per
    ///    k-step 8 `ldmatrix.x4` (4 KiB) feed 32 mmas (step 3: 6 for 16), and per block 85
    ///    FLOP per global byte (was 64). 128 accumulators per thread; `#[launch_bounds(256,
    ///    1)]` lets ptxas use up to 255 registers.
    /// 3. **Register double buffering**: the A fragments of k-step `ks + 1` are loaded before
    ///    the mmas of k-step `ks` issue (those of the next k-tile's first k-step right after its
    ///    barrier), so their `ldmatrix` latency hides behind 32 mmas; B's come one n16 pair
    ///    (one `ldmatrix.x4.trans`) ahead of the 8 mmas that use it. Double-buffering B as well
    ///    needs 32 more registers than the 255 ptxas has: it spilled.
    ///
    /// Pipeline: 3 stages of 48 KiB (144 KiB dynamic shared memory); at k-step 0 the copies of
    /// k-tile `kt + 2` go into the stage the previous k-tile read (every warp is past it: the
    /// barrier at the end of that k-tile); one `wait_group 1` + barrier per k-tile. Rows of `A`
    /// or `B` that are not 16-byte aligned take `mainloop_edge` (guarded loads).
    ///
    /// Napkin math (H200, 132 SMs): 8 warps/SM; per k-step an SM issues 256 HMMA.16816
    /// (1 Mi FLOP) and 64 LDSM.x4 (32 KiB of shared memory at 128 B/clk: 256 clk), plus 12
    /// KiB of cp.async writes; mma.sync reaches ~60–65% of the tensor cores' dense rate on
    /// Hopper (~600 TFLOP/s). Expect 380–470 TFLOP/s at 4096³ (0.52–0.64 of cuBLAS's ~730).
    fn gemm_bf16_s04_swizzled_warptile(p: GemmBf16Params) {
        // Two main loops: all 16-byte copies (the fast path, the one measured), or rows of A
        // or B not 16-byte aligned (`mainloop_edge`). A uniform branch, once.
        if a_vec_ok(&p) && b_vec_ok(&p) {
            mainloop_fast(p)
        } else {
            mainloop_edge(p)
        }
    }
}

step! {
    kernel: gemm_bf16_s04_swizzled_warptile,
    technique: "128B XOR swizzle, 128x256x64 tiles, 64x64 warp tiles, double-buffered fragments",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Tiles {
        bm: S04_TILE.bm,
        bn: S04_TILE.bn,
        threads: S04_TILE.threads(),
        smem: S04_TILE.smem_bytes(),
    },
}
