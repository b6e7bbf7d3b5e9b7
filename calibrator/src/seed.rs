//! Seeds for the bootstrap, derived from names so that a stored interval can be
//! recomputed exactly from the stored samples.

/// FNV-1a 64 over `parts`, each followed by a NUL byte: stable across Rust versions and
/// platforms (std's `DefaultHasher` is not), which a value stored in a database or used
/// to reproduce an interval must be (Fowler, Noll & Vo, draft-eastlake-fnv-17).
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn known_answers() {
        // FNV-1a 64 of the empty string is the offset basis; of "\0" one step past it.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[""]), 0xaf63_bd4c_8601_b7df);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
