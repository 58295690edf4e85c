//! Performance hints shared by the hot loops of the landscape sweep and the kMC engine.

/// Ask the CPU to bring the cache line holding `slice[idx]` into L1 (x86-64 `prefetcht0`;
/// nothing elsewhere). A hint only: it never faults and never changes a result, whatever
/// `idx` is (out-of-range indices are allowed and simply waste the hint).
#[inline(always)]
pub fn prefetch<T>(slice: &[T], idx: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let p = slice.as_ptr().wrapping_add(idx) as *const i8;
        // SAFETY: a prefetch is a hint that never faults, whatever the address.
        #[allow(unused_unsafe)]
        unsafe {
            std::arch::x86_64::_mm_prefetch(p, std::arch::x86_64::_MM_HINT_T0)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (slice, idx);
    }
}
