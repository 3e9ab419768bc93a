//! Self-test of thread-block clusters and distributed shared memory (`gpu::cluster`, sm_90a
//! module only): `tests/gpu/device_api/cluster.rs` checks it exactly, on the GPU (compute
//! capability 9.0) and in the emulator.

#[allow(unused_imports)]
use super::SelftestParams;
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
use crate::gpu::{cluster, thread};

/// Largest cluster `selftest_cluster` takes (the portable limit): its shared arrays have a
/// slot per rank.
pub const CLUSTER_MAX: usize = 8;
/// `u32` outputs per block of `selftest_cluster`.
pub const CLUSTER_U32_OUTPUTS: usize = 8;
/// `f32` outputs per block of `selftest_cluster`.
pub const CLUSTER_F32_OUTPUTS: usize = 2;

kernel! {
    #[arch(sm_90a)]
    /// DSMEM exchange in clusters of `c` ≤ [`CLUSTER_MAX`] blocks (any block size ≥ `c`):
    /// thread `t < c` of the block of rank `r` maps the block's `slots` (f32) and `ranks`
    /// (u32) arrays to rank `t` (`mapa`) and stores `input[blockIdx.x]` into slot `r` of
    /// `slots` and `r` into slot `r` of `ranks` there (`st.shared::cluster`); `cluster_sync()`;
    /// thread 0 then reads its own slots: `out[2b] = Σ_k slots[k]` (k in rank order),
    /// `out_u32[8b + 6] = Σ_k ranks[k] << 4k`, and the peer `q = (r + 1) % c`'s memory
    /// (`ld.shared::cluster`): `out[2b + 1] = slots_q[r]` (its own value, as `q` holds it) and
    /// `out_u32[8b + 7] = ranks_q[q]`; `out_u32[8b ..]` also gets `%cluster_ctarank`,
    /// `%cluster_nctarank`, `%clusterid.x`, `%cluster_ctaid.x`, `%cluster_nctaid.x` and
    /// `%nclusterid.x`. Ends with `cluster_arrive()` / `cluster_wait()`, so no block exits
    /// while a peer reads its memory. Launch in clusters of `c` along x (`n` ≥ the grid).
    fn selftest_cluster(p: SelftestParams) {
        let slots = shared_array!(selftest_cluster_slots: [f32; CLUSTER_MAX]);
        let ranks = shared_array!(selftest_cluster_ranks: [u32; CLUSTER_MAX]);
        let tid = thread::thread_idx_x();
        let (rank, c) = (cluster::cluster_ctarank(), cluster::cluster_nctarank());
        let b = thread::block_idx_x() as usize;
        if tid < c {
            let v = unsafe { p.input.load(b) };
            unsafe {
                cluster::map_shared_rank(slots, tid).store(rank, v);
                cluster::map_shared_rank(ranks, tid).store(rank, rank);
            }
        }
        cluster::cluster_sync();
        if tid == 0 {
            let (mut sum, mut word) = (0.0f32, 0u32);
            let mut k = 0;
            while k < c {
                unsafe {
                    sum += slots.load(k);
                    word |= ranks.load(k) << (4 * k);
                }
                k += 1;
            }
            let q = if rank + 1 == c { 0 } else { rank + 1 };
            let (theirs, their_rank) = unsafe {
                (
                    cluster::map_shared_rank(slots, q).load(rank),
                    cluster::map_shared_rank(ranks, q).load(q),
                )
            };
            let info = [
                rank,
                c,
                cluster::cluster_id_x(),
                cluster::cluster_ctaid_x(),
                cluster::cluster_nctaid_x(),
                cluster::cluster_nclusterid_x(),
                word,
                their_rank,
            ];
            unsafe {
                p.out.store(CLUSTER_F32_OUTPUTS * b, sum);
                p.out.store(CLUSTER_F32_OUTPUTS * b + 1, theirs);
                let mut i = 0;
                while i < CLUSTER_U32_OUTPUTS {
                    p.out_u32.store(CLUSTER_U32_OUTPUTS * b + i, info[i]);
                    i += 1;
                }
            }
        }
        cluster::cluster_arrive();
        cluster::cluster_wait();
    }
}
