//! How much memory this machine can give a computation, so that sizes a user sets (grids,
//! supercells) are refused with the numbers before anything is allocated.

/// The memory available to new allocations, bytes: `MemAvailable` of `/proc/meminfo` (Linux);
/// `None` where it cannot be read.
pub fn available_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// The share of the available memory one computation may plan to use.
pub const USABLE_FRACTION: f64 = 0.8;

/// [`USABLE_FRACTION`] of [`available_bytes`], or `u64::MAX` when unknown.
pub fn usable_bytes() -> u64 {
    available_bytes().map_or(u64::MAX, |b| (b as f64 * USABLE_FRACTION) as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn available_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let b = super::available_bytes().expect("MemAvailable in /proc/meminfo");
            assert!(b > 1 << 20, "{b}");
            assert!(super::usable_bytes() < b);
        }
    }
}
