//! The container configuration a confirmation measures under: the one the candidate's
//! stored results were measured under, not whatever the suite file says today. A run made
//! with `--cpus 1 --cpuset 0` is confirmed with those limits, even when the suite file's
//! `[container]` table names none.

use calibench_results::{RunReport, Runtime};
use calibench_suites::Network;

use crate::plan::ContainerOverrides;

/// Overrides that reproduce the stored runs' limits: CPUs, pinning, memory and network
/// from their container results' applied limits (pinning from the host results' when no
/// container ran). Empty when the runs recorded none.
pub fn stored_overrides(runs: &[RunReport]) -> ContainerOverrides {
    let results = || runs.iter().flat_map(|r| &r.benchmarks);
    let limits = results()
        .filter(|b| b.runtime == Runtime::Docker)
        .find_map(|b| b.execution_environment.limits.as_ref());
    let pinned = results().find_map(|b| b.execution_environment.pinned_cpus.clone());
    let Some(l) = limits else {
        return ContainerOverrides {
            cpuset: pinned,
            ..ContainerOverrides::default()
        };
    };
    ContainerOverrides {
        cpus: l.nano_cpus.filter(|n| *n > 0).map(|n| n as f64 / 1e9),
        cpuset: l.cpuset_cpus.clone().filter(|c| !c.is_empty()).or(pinned),
        memory: l.memory_bytes.filter(|m| *m > 0).map(|m| m.to_string()),
        network: l.network_mode.as_deref().and_then(Network::parse),
        image: None,
        compose: None,
    }
}

#[cfg(test)]
mod tests {
    use calibench_results::testing::{fixture_result, fixture_run};
    use calibench_results::AppliedLimits;

    use super::*;

    #[test]
    fn the_stored_container_limits_become_the_confirmation_s_flags() {
        let mut run = fixture_run(None, 0, 0);
        let mut host = fixture_result("x", Runtime::Host, vec![1.0; 3]);
        host.execution_environment.pinned_cpus = Some("1".into());
        let mut docker = fixture_result("x", Runtime::Docker, vec![1.0; 3]);
        docker.execution_environment.limits = Some(AppliedLimits {
            nano_cpus: Some(500_000_000),
            cpu_quota: None,
            cpu_period: None,
            cpuset_cpus: Some("0".into()),
            memory_bytes: Some(256 << 20),
            memory_swap_bytes: Some(256 << 20),
            pids_limit: None,
            nofile: None,
            network_mode: Some("bridge".into()),
            readonly_rootfs: true,
            privileged: false,
            security_opt: vec![],
        });
        run.benchmarks = vec![host.clone(), docker];
        let o = stored_overrides(std::slice::from_ref(&run));
        assert_eq!(o.cpus, Some(0.5));
        assert_eq!(o.cpuset.as_deref(), Some("0"));
        assert_eq!(o.memory.as_deref(), Some("268435456"));
        assert_eq!(o.network, Some(Network::Bridge));
        // Host results alone: their pinning, nothing else.
        run.benchmarks = vec![host];
        let o = stored_overrides(&[run]);
        assert_eq!((o.cpus, o.cpuset.as_deref()), (None, Some("1")));
        assert!(o.memory.is_none() && o.network.is_none());
    }
}
