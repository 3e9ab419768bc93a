//! Hopper warpgroup MMA (`wgmma`, sm_90a only: compiled into the sm_90a module, behind
//! `cfg(target_feature = "sm_90a")`): a warpgroup (4 consecutive warps, 128 threads) multiplies
//! operands read straight from shared memory, asynchronously, into f32 accumulators in
//! registers.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `mma_m64n256k16_bf16::<TA, TB>` (and `n128`, `n64`) | `wgmma.mma_async.sync.aligned.m64nNk16.f32.bf16.bf16` | `HGMMA.64xNx16.F32.BF16` |
//! | `fence()` | `wgmma.fence.sync.aligned` | `WARPGROUP.ARRIVE` |
//! | `commit_group()` | `wgmma.commit_group.sync.aligned` | (`HGMMA ... gsb0`) |
//! | `wait_group::<N>()` | `wgmma.wait_group.sync.aligned N` | `WARPGROUP.DEPBAR.LE gsb0, N` |
//! | `fence_proxy_async_shared()` | `fence.proxy.async.shared::cta` | `FENCE.VIEW.ASYNC.S` |
//! | `desc_sw128(addr, lbo, sbo)` | arithmetic: the 64-bit shared-memory matrix descriptor | — |
//!
//! **Descriptors** (PTX ISA, "Matrix Descriptor Format"): bits 0–13 the start address >> 4,
//! 16–29 the leading-dimension byte offset (LBO) >> 4, 32–45 the stride-dimension byte offset
//! (SBO) >> 4, 49–51 a base offset (0 here: tiles 1024-byte aligned), 62–63 the swizzle (1:
//! 128 B). With the 128-byte swizzle (`crate::swizzle`: chunk `c` of a 128-byte row `r` at
//! chunk `c ^ (r % 8)`, on a 1024-byte aligned tile) the canonical layouts are (CUTLASS's
//! `make_gmma_desc`, in 16-byte chunks):
//!
//! ```text
//! K-major  (A: M rows of 64 K-elements, 128 B each):      ((8,m),2) : ((8, SBO), 1)
//!     rows 128 B apart, 8-row groups SBO = 1024 B apart, LBO unused (1); the k16 step s
//!     starts 32·s bytes into the rows.
//! MN-major (B: K rows of 64 N-elements per 128-B panel):  ((8,n),(8,k)) : ((1, LBO), (8, SBO))
//!     k rows 128 B apart, 8-row groups SBO = 1024 B apart, 64-element panels along N LBO
//!     apart; the k16 step s starts 16 rows (2048 B) further; `TRANS_B = 1`.
//! ```
//!
//! **Accumulators** (PTX ISA, "wgmma 64xNx16 D fragment"): thread `t` of the warpgroup, warp
//! `w = t / 32`, `g = (t % 32) / 4`, `q = t % 4`, holds `d[4j + e]` = D[16w + g + 8·(e/2)][8j +
//! 2q + (e%2)] for `j < N/8`: per 8-column block exactly an mma.sync C fragment
//! ([`super::mma::FragC::coords`]) of the warp's 16 rows.
//!
//! **Ordering.** Shared memory written by threads (`st.shared`, `cp.async`) is seen by wgmma
//! (the async proxy) only after the writer's `fence_proxy_async_shared` and a barrier. While a
//! wgmma group is in flight its accumulators must not be touched and its shared memory not
//! overwritten: `wait_group::<N>` leaves at most `N` groups in flight. All of these are
//! warpgroup-collective or ordering instructions: asm without `pure` or `nomem`.

use core::arch::asm;

/// `wgmma.fence.sync.aligned`: orders earlier register and shared-memory accesses of the
/// accumulators and operands before the following wgmmas. Before the first wgmma of a batch.
#[inline(always)]
pub fn fence() {
    // SAFETY: no operands; a warpgroup-collective ordering instruction.
    unsafe { asm!("wgmma.fence.sync.aligned;", options(nostack)) };
}

/// `wgmma.commit_group.sync.aligned`: the wgmmas issued since the last commit form a group.
#[inline(always)]
pub fn commit_group() {
    // SAFETY: as `fence`.
    unsafe { asm!("wgmma.commit_group.sync.aligned;", options(nostack)) };
}

/// `wgmma.wait_group.sync.aligned N`: waits until at most `N` of this warpgroup's groups are in
/// flight; the accumulators of the completed ones may then be read, and their shared memory
/// reused (after a barrier, by other warpgroups too).
#[inline(always)]
pub fn wait_group<const N: u32>() {
    // SAFETY: as `fence`.
    unsafe { asm!("wgmma.wait_group.sync.aligned {n};", n = const N, options(nostack)) };
}

/// `fence.proxy.async.shared::cta`: this thread's earlier shared-memory writes (generic proxy:
/// `st.shared`, completed `cp.async`) become visible to the async proxy (wgmma, TMA). Then a
/// barrier, then the wgmma.
#[inline(always)]
pub fn fence_proxy_async_shared() {
    // SAFETY: no operands; a memory fence.
    unsafe { asm!("fence.proxy.async.shared::cta;", options(nostack)) };
}

/// The shared-memory matrix descriptor of an operand at shared address `addr` in a
/// 128-byte-swizzled layout with leading-dimension byte offset `lbo` and stride-dimension byte
/// offset `sbo` (module docs). `addr` 16-byte aligned, its 1024-byte atom aligned.
#[inline(always)]
pub const fn desc_sw128(addr: u32, lbo: u32, sbo: u32) -> u64 {
    desc_field(addr) | desc_field(lbo) << 16 | desc_field(sbo) << 32 | 1u64 << 62
}

/// A byte count or address as a 14-bit descriptor field (in 16-byte units).
#[inline(always)]
const fn desc_field(bytes: u32) -> u64 {
    ((bytes as u64) >> 4) & 0x3fff
}

/// `wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16` (SASS `HGMMA.64x256x16.F32.BF16`):
/// `d = a·b + d` (`accumulate`) or `d = a·b`, for the whole warpgroup, `a` (64×16) and `b`
/// (16×256) read from shared memory through their descriptors ([`desc_sw128`]); `TRANS_A` /
/// `TRANS_B`: 0 for K-major, 1 for MN-major (transposed) operands. Asynchronous: the
/// accumulators are valid after [`commit_group`] and [`wait_group`]; issue [`fence`] first.
/// Every thread of the warpgroup must call it together.
#[inline(always)]
pub fn mma_m64n256k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    d: &mut [f32; 128],
    a: u64,
    b: u64,
    accumulate: bool,
) {
    // SAFETY: reads shared memory through the descriptors (the caller's layout), writes only
    // the accumulators; warpgroup-collective, hence not `pure` (gpu::mma's docs).
    unsafe {
        asm!(
            "{{ .reg .pred p; setp.ne.b32 p, {130}, 0;\n",
            "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, {12}, {13}, {14}, {15}, {16}, {17}, {18}, {19}, {20}, {21}, {22}, {23}, {24}, {25}, {26}, {27}, {28}, {29}, {30}, {31}, {32}, {33}, {34}, {35}, {36}, {37}, {38}, {39}, {40}, {41}, {42}, {43}, {44}, {45}, {46}, {47}, {48}, {49}, {50}, {51}, {52}, {53}, {54}, {55}, {56}, {57}, {58}, {59}, {60}, {61}, {62}, {63}, {64}, {65}, {66}, {67}, {68}, {69}, {70}, {71}, {72}, {73}, {74}, {75}, {76}, {77}, {78}, {79}, {80}, {81}, {82}, {83}, {84}, {85}, {86}, {87}, {88}, {89}, {90}, {91}, {92}, {93}, {94}, {95}, {96}, {97}, {98}, {99}, {100}, {101}, {102}, {103}, {104}, {105}, {106}, {107}, {108}, {109}, {110}, {111}, {112}, {113}, {114}, {115}, {116}, {117}, {118}, {119}, {120}, {121}, {122}, {123}, {124}, {125}, {126}, {127}}}, {128}, {129}, p, 1, 1, {ta}, {tb}; }}",
            inout(reg32) d[0],
            inout(reg32) d[1],
            inout(reg32) d[2],
            inout(reg32) d[3],
            inout(reg32) d[4],
            inout(reg32) d[5],
            inout(reg32) d[6],
            inout(reg32) d[7],
            inout(reg32) d[8],
            inout(reg32) d[9],
            inout(reg32) d[10],
            inout(reg32) d[11],
            inout(reg32) d[12],
            inout(reg32) d[13],
            inout(reg32) d[14],
            inout(reg32) d[15],
            inout(reg32) d[16],
            inout(reg32) d[17],
            inout(reg32) d[18],
            inout(reg32) d[19],
            inout(reg32) d[20],
            inout(reg32) d[21],
            inout(reg32) d[22],
            inout(reg32) d[23],
            inout(reg32) d[24],
            inout(reg32) d[25],
            inout(reg32) d[26],
            inout(reg32) d[27],
            inout(reg32) d[28],
            inout(reg32) d[29],
            inout(reg32) d[30],
            inout(reg32) d[31],
            inout(reg32) d[32],
            inout(reg32) d[33],
            inout(reg32) d[34],
            inout(reg32) d[35],
            inout(reg32) d[36],
            inout(reg32) d[37],
            inout(reg32) d[38],
            inout(reg32) d[39],
            inout(reg32) d[40],
            inout(reg32) d[41],
            inout(reg32) d[42],
            inout(reg32) d[43],
            inout(reg32) d[44],
            inout(reg32) d[45],
            inout(reg32) d[46],
            inout(reg32) d[47],
            inout(reg32) d[48],
            inout(reg32) d[49],
            inout(reg32) d[50],
            inout(reg32) d[51],
            inout(reg32) d[52],
            inout(reg32) d[53],
            inout(reg32) d[54],
            inout(reg32) d[55],
            inout(reg32) d[56],
            inout(reg32) d[57],
            inout(reg32) d[58],
            inout(reg32) d[59],
            inout(reg32) d[60],
            inout(reg32) d[61],
            inout(reg32) d[62],
            inout(reg32) d[63],
            inout(reg32) d[64],
            inout(reg32) d[65],
            inout(reg32) d[66],
            inout(reg32) d[67],
            inout(reg32) d[68],
            inout(reg32) d[69],
            inout(reg32) d[70],
            inout(reg32) d[71],
            inout(reg32) d[72],
            inout(reg32) d[73],
            inout(reg32) d[74],
            inout(reg32) d[75],
            inout(reg32) d[76],
            inout(reg32) d[77],
            inout(reg32) d[78],
            inout(reg32) d[79],
            inout(reg32) d[80],
            inout(reg32) d[81],
            inout(reg32) d[82],
            inout(reg32) d[83],
            inout(reg32) d[84],
            inout(reg32) d[85],
            inout(reg32) d[86],
            inout(reg32) d[87],
            inout(reg32) d[88],
            inout(reg32) d[89],
            inout(reg32) d[90],
            inout(reg32) d[91],
            inout(reg32) d[92],
            inout(reg32) d[93],
            inout(reg32) d[94],
            inout(reg32) d[95],
            inout(reg32) d[96],
            inout(reg32) d[97],
            inout(reg32) d[98],
            inout(reg32) d[99],
            inout(reg32) d[100],
            inout(reg32) d[101],
            inout(reg32) d[102],
            inout(reg32) d[103],
            inout(reg32) d[104],
            inout(reg32) d[105],
            inout(reg32) d[106],
            inout(reg32) d[107],
            inout(reg32) d[108],
            inout(reg32) d[109],
            inout(reg32) d[110],
            inout(reg32) d[111],
            inout(reg32) d[112],
            inout(reg32) d[113],
            inout(reg32) d[114],
            inout(reg32) d[115],
            inout(reg32) d[116],
            inout(reg32) d[117],
            inout(reg32) d[118],
            inout(reg32) d[119],
            inout(reg32) d[120],
            inout(reg32) d[121],
            inout(reg32) d[122],
            inout(reg32) d[123],
            inout(reg32) d[124],
            inout(reg32) d[125],
            inout(reg32) d[126],
            inout(reg32) d[127],
            in(reg64) a,
            in(reg64) b,
            in(reg32) accumulate as u32,
            ta = const TRANS_A,
            tb = const TRANS_B,
            options(nostack),
        )
    };
}

/// `wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16` (SASS `HGMMA.64x128x16.F32.BF16`):
/// `d = a·b + d` (`accumulate`) or `d = a·b`, for the whole warpgroup, `a` (64×16) and `b`
/// (16×128) read from shared memory through their descriptors ([`desc_sw128`]); `TRANS_A` /
/// `TRANS_B`: 0 for K-major, 1 for MN-major (transposed) operands. Asynchronous: the
/// accumulators are valid after [`commit_group`] and [`wait_group`]; issue [`fence`] first.
/// Every thread of the warpgroup must call it together.
#[inline(always)]
pub fn mma_m64n128k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    d: &mut [f32; 64],
    a: u64,
    b: u64,
    accumulate: bool,
) {
    // SAFETY: reads shared memory through the descriptors (the caller's layout), writes only
    // the accumulators; warpgroup-collective, hence not `pure` (gpu::mma's docs).
    unsafe {
        asm!(
            "{{ .reg .pred p; setp.ne.b32 p, {66}, 0;\n",
            "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, {12}, {13}, {14}, {15}, {16}, {17}, {18}, {19}, {20}, {21}, {22}, {23}, {24}, {25}, {26}, {27}, {28}, {29}, {30}, {31}, {32}, {33}, {34}, {35}, {36}, {37}, {38}, {39}, {40}, {41}, {42}, {43}, {44}, {45}, {46}, {47}, {48}, {49}, {50}, {51}, {52}, {53}, {54}, {55}, {56}, {57}, {58}, {59}, {60}, {61}, {62}, {63}}}, {64}, {65}, p, 1, 1, {ta}, {tb}; }}",
            inout(reg32) d[0],
            inout(reg32) d[1],
            inout(reg32) d[2],
            inout(reg32) d[3],
            inout(reg32) d[4],
            inout(reg32) d[5],
            inout(reg32) d[6],
            inout(reg32) d[7],
            inout(reg32) d[8],
            inout(reg32) d[9],
            inout(reg32) d[10],
            inout(reg32) d[11],
            inout(reg32) d[12],
            inout(reg32) d[13],
            inout(reg32) d[14],
            inout(reg32) d[15],
            inout(reg32) d[16],
            inout(reg32) d[17],
            inout(reg32) d[18],
            inout(reg32) d[19],
            inout(reg32) d[20],
            inout(reg32) d[21],
            inout(reg32) d[22],
            inout(reg32) d[23],
            inout(reg32) d[24],
            inout(reg32) d[25],
            inout(reg32) d[26],
            inout(reg32) d[27],
            inout(reg32) d[28],
            inout(reg32) d[29],
            inout(reg32) d[30],
            inout(reg32) d[31],
            inout(reg32) d[32],
            inout(reg32) d[33],
            inout(reg32) d[34],
            inout(reg32) d[35],
            inout(reg32) d[36],
            inout(reg32) d[37],
            inout(reg32) d[38],
            inout(reg32) d[39],
            inout(reg32) d[40],
            inout(reg32) d[41],
            inout(reg32) d[42],
            inout(reg32) d[43],
            inout(reg32) d[44],
            inout(reg32) d[45],
            inout(reg32) d[46],
            inout(reg32) d[47],
            inout(reg32) d[48],
            inout(reg32) d[49],
            inout(reg32) d[50],
            inout(reg32) d[51],
            inout(reg32) d[52],
            inout(reg32) d[53],
            inout(reg32) d[54],
            inout(reg32) d[55],
            inout(reg32) d[56],
            inout(reg32) d[57],
            inout(reg32) d[58],
            inout(reg32) d[59],
            inout(reg32) d[60],
            inout(reg32) d[61],
            inout(reg32) d[62],
            inout(reg32) d[63],
            in(reg64) a,
            in(reg64) b,
            in(reg32) accumulate as u32,
            ta = const TRANS_A,
            tb = const TRANS_B,
            options(nostack),
        )
    };
}

/// `wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16` (SASS `HGMMA.64x64x16.F32.BF16`):
/// `d = a·b + d` (`accumulate`) or `d = a·b`, for the whole warpgroup, `a` (64×16) and `b`
/// (16×64) read from shared memory through their descriptors ([`desc_sw128`]); `TRANS_A` /
/// `TRANS_B`: 0 for K-major, 1 for MN-major (transposed) operands. Asynchronous: the
/// accumulators are valid after [`commit_group`] and [`wait_group`]; issue [`fence`] first.
/// Every thread of the warpgroup must call it together.
#[inline(always)]
pub fn mma_m64n64k16_bf16<const TRANS_A: u32, const TRANS_B: u32>(
    d: &mut [f32; 32],
    a: u64,
    b: u64,
    accumulate: bool,
) {
    // SAFETY: reads shared memory through the descriptors (the caller's layout), writes only
    // the accumulators; warpgroup-collective, hence not `pure` (gpu::mma's docs).
    unsafe {
        asm!(
            "{{ .reg .pred p; setp.ne.b32 p, {34}, 0;\n",
            "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11}, {12}, {13}, {14}, {15}, {16}, {17}, {18}, {19}, {20}, {21}, {22}, {23}, {24}, {25}, {26}, {27}, {28}, {29}, {30}, {31}}}, {32}, {33}, p, 1, 1, {ta}, {tb}; }}",
            inout(reg32) d[0],
            inout(reg32) d[1],
            inout(reg32) d[2],
            inout(reg32) d[3],
            inout(reg32) d[4],
            inout(reg32) d[5],
            inout(reg32) d[6],
            inout(reg32) d[7],
            inout(reg32) d[8],
            inout(reg32) d[9],
            inout(reg32) d[10],
            inout(reg32) d[11],
            inout(reg32) d[12],
            inout(reg32) d[13],
            inout(reg32) d[14],
            inout(reg32) d[15],
            inout(reg32) d[16],
            inout(reg32) d[17],
            inout(reg32) d[18],
            inout(reg32) d[19],
            inout(reg32) d[20],
            inout(reg32) d[21],
            inout(reg32) d[22],
            inout(reg32) d[23],
            inout(reg32) d[24],
            inout(reg32) d[25],
            inout(reg32) d[26],
            inout(reg32) d[27],
            inout(reg32) d[28],
            inout(reg32) d[29],
            inout(reg32) d[30],
            inout(reg32) d[31],
            in(reg64) a,
            in(reg64) b,
            in(reg32) accumulate as u32,
            ta = const TRANS_A,
            tb = const TRANS_B,
            options(nostack),
        )
    };
}

/// `setmaxnreg.inc.sync.aligned.u32 N`: this warpgroup's threads may use up to `N` registers
/// (taken from the pool others released with [`set_max_registers_dec`]). Every warp of the
/// warpgroup must execute it. Needs the kernel's register count at entry, which ptxas knows
/// only from `.maxnreg` or launch bounds: declare the kernel `#[launch_bounds(T, B)]`.
#[inline(always)]
pub fn set_max_registers_inc<const N: u32>() {
    // SAFETY: no operands; warpgroup-collective.
    unsafe { asm!("setmaxnreg.inc.sync.aligned.u32 {n};", n = const N, options(nostack)) };
}

/// `setmaxnreg.dec.sync.aligned.u32 N`: this warpgroup's threads release registers down to
/// `N` (a producer that only issues copies needs few). As [`set_max_registers_inc`].
#[inline(always)]
pub fn set_max_registers_dec<const N: u32>() {
    // SAFETY: no operands; warpgroup-collective.
    unsafe { asm!("setmaxnreg.dec.sync.aligned.u32 {n};", n = const N, options(nostack)) };
}
