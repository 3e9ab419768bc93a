#[allow(unused_imports)]
use super::ReadStreamParams;
use crate::gpu::thread;

kernel! {
    /// Read-only streaming ceiling: each thread walks the input in a grid-stride loop of
    /// 128-bit non-coherent loads (`ld.global.nc.v4.f32`, SASS `LDG.E.128.CONSTANT`) and sums
    /// them, so no load can be optimised away; it writes its one partial to `out[thread]`.
    ///
    /// Bytes: `16 · n4` read, `4 · threads` written (negligible for a 256 MiB input).
    /// Two independent accumulators per lane keep two loads in flight per iteration.
    fn ceiling_read_stream(p: ReadStreamParams) {
        let n4 = p.n4 as usize;
        let stride = thread::grid_stride_1d();
        let mut i = thread::index_1d();
        let (mut s0, mut s1) = (0.0f32, 0.0f32);
        while i + stride < n4 {
            let a = unsafe { p.input.load_f32x4(i) }.0;
            let b = unsafe { p.input.load_f32x4(i + stride) }.0;
            s0 += (a[0] + a[1]) + (a[2] + a[3]);
            s1 += (b[0] + b[1]) + (b[2] + b[3]);
            i += 2 * stride;
        }
        if i < n4 {
            let a = unsafe { p.input.load_f32x4(i) }.0;
            s0 += (a[0] + a[1]) + (a[2] + a[3]);
        }
        unsafe { p.out.store(thread::index_1d(), s0 + s1) };
    }
}
