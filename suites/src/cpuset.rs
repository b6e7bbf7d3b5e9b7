//! A validated CPU list in Docker's syntax (`0`, `0-1`, `0,2-3`): what a container's
//! cpuset and the host side's affinity both pin to.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-empty CPU list, kept with the text it was written as (that text is part of a
/// calibration profile's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuSet {
    text: String,
    cpus: Vec<usize>,
}

impl CpuSet {
    /// Parses `0`, `0-1`, `0,2-3`; ranges must not run backwards.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a CPU list (examples: \"0\", \"0-1\", \"0,2\")");
        if text.trim().is_empty() {
            return Err(bad());
        }
        let mut cpus = Vec::new();
        for part in text.split(',') {
            match part.split_once('-') {
                Some((lo, hi)) => {
                    let lo: usize = lo.trim().parse().map_err(|_| bad())?;
                    let hi: usize = hi.trim().parse().map_err(|_| bad())?;
                    if lo > hi {
                        return Err(bad());
                    }
                    cpus.extend(lo..=hi);
                }
                None => cpus.push(part.trim().parse().map_err(|_| bad())?),
            }
        }
        cpus.sort_unstable();
        cpus.dedup();
        Ok(Self {
            text: text.to_string(),
            cpus,
        })
    }

    /// The CPUs, ascending, without repeats.
    pub fn cpus(&self) -> &[usize] {
        &self.cpus
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// CPUs of the set that `online` (the machine's CPU ids) does not have.
    pub fn missing_from(&self, online: &[usize]) -> Vec<usize> {
        self.cpus
            .iter()
            .copied()
            .filter(|c| !online.contains(c))
            .collect()
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.text)
    }
}

impl Serialize for CpuSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CpuSet::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::CpuSet;

    #[test]
    fn parses_docker_cpu_lists() {
        let cpus = |t: &str| CpuSet::parse(t).ok().map(|c| c.cpus().to_vec());
        assert_eq!(cpus("0"), Some(vec![0]));
        assert_eq!(cpus("0-2,5"), Some(vec![0, 1, 2, 5]));
        assert_eq!(cpus("0-1,3"), Some(vec![0, 1, 3]));
        for bad in ["x", "a", "", "1-0", "0,", "-1"] {
            assert!(CpuSet::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let set = CpuSet::parse("0,2").map_err(|e| e.to_string());
        assert_eq!(set.map(|s| s.missing_from(&[0, 1])), Ok(vec![2]));
    }
}
