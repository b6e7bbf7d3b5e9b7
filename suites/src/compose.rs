//! Container limits from a docker-compose file, so the benchmark container gets
//! production's limits: `cpus`, `cpuset`, `mem_limit`, `memswap_limit`, `pids_limit`,
//! `network_mode` and `deploy.resources.limits.{cpus,memory,pids}` of one service.
//!
//! Keys that shape a container's resources but that calibench does not apply (CPU
//! shares, reservations, custom networks, ...) stop the import, named, rather than be
//! dropped silently; so do the two spellings of one limit disagreeing. Keys about the
//! application itself (image, command, ports, volumes, environment) are not limits and
//! are left to the suite.

use std::path::{Path, PathBuf};

use yaml_serde::Value;

use crate::cpuset::CpuSet;
use crate::model::{ContainerSettings, Network};
use crate::units::parse_size;

/// Why a compose file could not give limits.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("cannot read compose file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A key that is unsupported, conflicting or invalid, by its dotted path.
    #[error("{path}: {key}: {message}")]
    Key {
        path: PathBuf,
        key: String,
        message: String,
    },
}

/// Service-level keys that shape resources and that calibench cannot apply.
const UNSUPPORTED: [&str; 18] = [
    "cpu_count",
    "cpu_percent",
    "cpu_shares",
    "cpu_quota",
    "cpu_period",
    "cpu_rt_runtime",
    "cpu_rt_period",
    "mem_reservation",
    "mem_swappiness",
    "oom_kill_disable",
    "oom_score_adj",
    "shm_size",
    "blkio_config",
    "ulimits",
    "networks",
    "runtime",
    "isolation",
    "sysctls",
];

/// Reads the limits of `service` in the compose file at `path`.
pub fn load_compose(path: &Path, service: &str) -> Result<ContainerSettings, ComposeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ComposeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_compose(&text, path, service)
}

/// Parses compose `text` (named `path` in errors) and returns the limits of `service`.
pub fn parse_compose(
    text: &str,
    path: &Path,
    service: &str,
) -> Result<ContainerSettings, ComposeError> {
    let doc: Value = yaml_serde::from_str(text).map_err(|e| {
        let at = e.location();
        ComposeError::Syntax {
            path: path.to_path_buf(),
            line: at.as_ref().map_or(1, |l| l.line()),
            column: at.as_ref().map_or(1, |l| l.column()),
            message: e.to_string(),
        }
    })?;
    let key_error = |key: &str, message: String| ComposeError::Key {
        path: path.to_path_buf(),
        key: key.to_string(),
        message,
    };
    let services = doc
        .get("services")
        .and_then(Value::as_mapping)
        .ok_or_else(|| key_error("services", "the file has no `services` mapping".into()))?;
    let names: Vec<String> = services
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    let svc = services.get(service).ok_or_else(|| {
        key_error(
            &format!("services.{service}"),
            format!("no such service; the file has: {}", names.join(", ")),
        )
    })?;
    let base = format!("services.{service}");
    let k = |rest: &str| format!("{base}.{rest}");
    for name in UNSUPPORTED {
        if svc.get(name).is_some() {
            return Err(key_error(
                &k(name),
                "shapes the container's resources, and calibench cannot apply it; remove it or benchmark without it".into(),
            ));
        }
    }
    let deploy_resources = svc.get("deploy").and_then(|d| d.get("resources"));
    if let Some(r) = deploy_resources {
        if r.get("reservations").is_some() {
            return Err(key_error(
                &k("deploy.resources.reservations"),
                "reservations are not limits; calibench cannot apply them".into(),
            ));
        }
        if let Some(limits) = r.get("limits").and_then(Value::as_mapping) {
            for key in limits.keys().filter_map(Value::as_str) {
                if !["cpus", "memory", "pids"].contains(&key) {
                    return Err(key_error(
                        &k(&format!("deploy.resources.limits.{key}")),
                        "unsupported limit (calibench takes cpus, memory and pids)".into(),
                    ));
                }
            }
        }
    }
    let limit = |name: &str| {
        deploy_resources
            .and_then(|r| r.get("limits"))
            .and_then(|l| l.get(name))
    };

    // Each limit can be written as a service key or under deploy.resources.limits.
    let spellings = |own: &str, deploy: &str| {
        let under = format!("deploy.resources.limits.{deploy}");
        [
            svc.get(own).map(|v| (k(own), v)),
            limit(deploy).map(|v| (k(&under), v)),
        ]
    };
    let cpus_limit = agree(spellings("cpus", "cpus"), cpus, |a, b| (a - b).abs() < 1e-9)
        .map_err(|(key, m)| key_error(&key, m))?;
    let memory_limit = agree(spellings("mem_limit", "memory"), size, |a, b| a == b)
        .map_err(|(key, m)| key_error(&key, m))?;
    let pids_limit = agree(spellings("pids_limit", "pids"), int, |a, b| a == b)
        .map_err(|(key, m)| key_error(&key, m))?;
    let mut c = ContainerSettings {
        cpus: cpus_limit,
        memory_bytes: memory_limit,
        pids_limit,
        ..ContainerSettings::default()
    };
    if let Some(v) = svc.get("memswap_limit") {
        let key = k("memswap_limit");
        let swap = if int(v, &key).ok() == Some(-1) {
            return Err(key_error(
                &key,
                "unlimited swap (-1) is not a limit calibench can compare; set a size".into(),
            ));
        } else {
            size(v, &key).map_err(|(key, m)| key_error(&key, m))?
        };
        match c.memory_bytes {
            Some(m) if swap < m => {
                return Err(key_error(
                    &key,
                    format!("memswap_limit ({swap} bytes) is below the memory limit ({m} bytes)"),
                ))
            }
            None => {
                return Err(key_error(
                    &key,
                    "memswap_limit without a memory limit".into(),
                ))
            }
            Some(_) => c.memory_swap_bytes = Some(swap),
        }
    }
    if let Some(v) = svc.get("cpuset") {
        let key = k("cpuset");
        let text = scalar_text(v)
            .ok_or_else(|| key_error(&key, "expected a CPU list such as \"0-1\"".into()))?;
        c.cpuset = Some(CpuSet::parse(&text).map_err(|m| key_error(&key, m))?);
    }
    if let Some(v) = svc.get("network_mode") {
        let key = k("network_mode");
        let text = v.as_str().unwrap_or_default();
        c.network = Some(Network::parse(text).ok_or_else(|| {
            key_error(
                &key,
                format!("`{text}`: calibench runs host or bridge networks only"),
            )
        })?);
    }
    Ok(c)
}

type KeyResult<T> = Result<T, (String, String)>;

/// One limit written two ways (service key, `deploy.resources.limits`), each with its
/// dotted key: either, or both when equal.
fn agree<T: Copy + std::fmt::Debug>(
    spellings: [Option<(String, &Value)>; 2],
    parse: fn(&Value, &str) -> KeyResult<T>,
    same: impl Fn(T, T) -> bool,
) -> KeyResult<Option<T>> {
    let [first, second] = spellings.map(|s| s.map(|(key, v)| parse(v, &key).map(|x| (key, x))));
    match (first.transpose()?, second.transpose()?) {
        (Some((k1, x)), Some((k2, y))) if !same(x, y) => Err((
            k2,
            format!("conflicts with {k1} ({x:?} against {y:?}); keep one"),
        )),
        (a, b) => Ok(a.or(b).map(|(_, x)| x)),
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn cpus(v: &Value, key: &str) -> KeyResult<f64> {
    let text = scalar_text(v).ok_or_else(|| {
        (
            key.to_string(),
            "expected a number of CPUs such as \"2\" or 0.5".to_string(),
        )
    })?;
    match text.trim().parse::<f64>() {
        Ok(c) if c.is_finite() && c > 0.0 => Ok(c),
        _ => Err((
            key.to_string(),
            format!("`{text}` is not a positive number of CPUs"),
        )),
    }
}

fn size(v: &Value, key: &str) -> KeyResult<u64> {
    let text = scalar_text(v).ok_or_else(|| {
        (
            key.to_string(),
            "expected a size such as 2G or 512m".to_string(),
        )
    })?;
    parse_size(&text).map_err(|m| (key.to_string(), m))
}

fn int(v: &Value, key: &str) -> KeyResult<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        .ok_or_else(|| (key.to_string(), "expected an integer".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ContainerSettings, String> {
        parse_compose(text, Path::new("compose.yml"), "api").map_err(|e| e.to_string())
    }

    #[test]
    fn production_style_deploy_limits_are_taken() -> Result<(), String> {
        let c = parse("services:\n  api:\n    image: api:1\n    ports: [\"8080:8080\"]\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n          memory: 2G\n          pids: 200\n")?;
        assert_eq!(c.cpus, Some(2.0));
        assert_eq!(c.memory_bytes, Some(2 << 30));
        assert_eq!(c.pids_limit, Some(200));
        assert_eq!(c.network, None);
        Ok(())
    }

    #[test]
    fn service_level_keys_are_taken() -> Result<(), String> {
        let c = parse("services:\n  api:\n    cpus: 0.5\n    cpuset: \"0\"\n    mem_limit: 512m\n    memswap_limit: 1g\n    pids_limit: 64\n    network_mode: bridge\n")?;
        assert_eq!(c.cpus, Some(0.5));
        assert_eq!(c.cpuset.map(|s| s.as_str().to_string()), Some("0".into()));
        assert_eq!(c.memory_bytes, Some(512 << 20));
        assert_eq!(c.memory_swap_bytes, Some(1 << 30));
        assert_eq!(c.pids_limit, Some(64));
        assert_eq!(c.network, Some(Network::Bridge));
        Ok(())
    }

    #[test]
    fn equal_spellings_agree_and_different_ones_conflict() {
        let same = parse("services:\n  api:\n    mem_limit: 2g\n    deploy:\n      resources:\n        limits:\n          memory: 2048M\n");
        assert_eq!(same.map(|c| c.memory_bytes), Ok(Some(2 << 30)));
        let e = parse("services:\n  api:\n    cpus: \"1\"\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n").err().unwrap_or_default();
        assert!(e.starts_with("compose.yml: services.api.deploy.resources.limits.cpus: conflicts with services.api.cpus"), "{e}");
    }

    #[test]
    fn unsupported_and_bad_keys_are_named() {
        let e = parse("services:\n  api:\n    cpu_shares: 512\n")
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("compose.yml: services.api.cpu_shares:"),
            "{e}"
        );
        let e = parse("services:\n  api:\n    deploy:\n      resources:\n        reservations:\n          memory: 1g\n").err().unwrap_or_default();
        assert!(
            e.contains("services.api.deploy.resources.reservations"),
            "{e}"
        );
        let e = parse("services:\n  api:\n    network_mode: \"service:db\"\n")
            .err()
            .unwrap_or_default();
        assert!(e.contains("services.api.network_mode: `service:db`"), "{e}");
        let e = parse("services:\n  web: {}\n").err().unwrap_or_default();
        assert!(
            e.contains("services.api: no such service; the file has: web"),
            "{e}"
        );
        let e = parse("services:\n  api:\n    mem_limit: lots\n")
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("services.api.mem_limit: `lots` is not a size"),
            "{e}"
        );
        let e = parse("services:\n  api:\n    cpus: [\n")
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("compose.yml:"), "{e}");
    }
}

#[cfg(test)]
mod suite_tests {
    use std::path::Path;

    use crate::validate::parse_suite;

    #[test]
    fn a_suite_takes_its_limits_from_a_compose_service() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let compose = "services:\n  api:\n    mem_limit: 1g\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n";
        std::fs::write(dir.path().join("compose.yml"), compose).map_err(|e| e.to_string())?;
        let suite = dir.path().join("s.toml");
        let text = "[suite]\nname = \"x\"\n[container]\ncompose = \"compose.yml\"\nservice = \"api\"\npids_limit = 50\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n";
        let s = parse_suite(text, &suite, Path::new(".")).map_err(|e| e.to_string())?;
        assert_eq!(s.container.cpus, Some(2.0));
        assert_eq!(s.container.memory_bytes, Some(1 << 30));
        assert_eq!(s.container.pids_limit, Some(50));
        let clash = text.replace("pids_limit = 50", "cpus = 1.0");
        let e = parse_suite(&clash, &suite, Path::new("."))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains(":6:8: container.cpus: `cpus` is also set by service `api`"),
            "{e}"
        );
        let missing = text.replace("service = \"api\"", "service = \"web\"");
        let e = parse_suite(&missing, &suite, Path::new("."))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("container.compose:") && e.contains("services.web: no such service"),
            "{e}"
        );
        Ok(())
    }
}
