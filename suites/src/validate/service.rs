//! `[benchmark.service]` and `[benchmark.load]` → `ServiceSpec`.

use std::time::Duration;

use toml::Spanned;

use super::{check_program, Context};
use crate::error::SuiteError;
use crate::raw::{RawLoad, RawService};
use crate::service::{LoadSpec, Readiness, ServiceSpec, Via, PORT_PLACEHOLDER};
use crate::units::parse_duration;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];

impl Context<'_> {
    pub(super) fn service(
        &self,
        raw: &Spanned<RawService>,
        load: Option<&Spanned<RawLoad>>,
        dir: &std::path::Path,
    ) -> Result<ServiceSpec, SuiteError> {
        let s = raw.get_ref();
        let argv = s.command.get_ref().clone();
        check_program(&argv, dir).map_err(|m| self.at(&s.command, "command", m))?;
        let chooses = argv.iter().any(|a| a.contains(PORT_PLACEHOLDER));
        let port = match (&s.port, chooses) {
            (Some(p), true) => {
                return Err(self.at(
                    p,
                    "port",
                    "the command holds {port}, so calibench chooses the port: remove `port`",
                ))
            }
            (Some(p), false) => Some(u16::try_from(*p.get_ref()).ok().filter(|p| *p > 0).ok_or_else(|| {
                self.at(p, "port", format!("`{}` is not a TCP port (1-65535)", p.get_ref()))
            })?),
            (None, true) => None,
            (None, false) => {
                return Err(self.at_span(
                    raw.span(),
                    "command",
                    "the server's port is unknown",
                    Some("put {port} in the command (calibench picks a free port per side) or set port = 8000"),
                ))
            }
        };
        let ready = match &s.ready {
            None => Readiness::Tcp,
            Some(r) => parse_readiness(r.get_ref()).ok_or_else(|| {
                self.at(
                    r,
                    "ready",
                    format!("`{}`: use \"tcp\" or \"http:/path\"", r.get_ref()),
                )
            })?,
        };
        let ready_timeout = match &s.ready_timeout {
            Some(t) => self.positive_duration(t, "ready_timeout")?,
            None => Duration::from_secs(30),
        };
        let via = match &s.via {
            None => Via::Published,
            Some(v) => Via::parse(v.get_ref()).ok_or_else(|| {
                self.at(
                    v,
                    "via",
                    format!("unknown path `{}`: use published or address", v.get_ref()),
                )
            })?,
        };
        let load = match load {
            Some(l) => self.load(l.get_ref())?,
            None => LoadSpec::default(),
        };
        Ok(ServiceSpec {
            argv,
            port,
            ready,
            ready_timeout,
            via,
            load,
        })
    }

    fn load(&self, raw: &RawLoad) -> Result<LoadSpec, SuiteError> {
        let mut l = LoadSpec {
            body: raw.body.clone(),
            headers: raw.headers.clone(),
            ..LoadSpec::default()
        };
        if let Some(m) = &raw.method {
            let method = m.get_ref().to_ascii_uppercase();
            if !METHODS.contains(&method.as_str()) {
                return Err(self.at(
                    m,
                    "method",
                    format!(
                        "unknown method `{}`: use one of {}",
                        m.get_ref(),
                        METHODS.join(", ")
                    ),
                ));
            }
            l.method = method;
        }
        if let Some(p) = &raw.path {
            if !p.get_ref().starts_with('/') {
                return Err(self.at(p, "path", "the path starts with `/`"));
            }
            l.path = p.get_ref().clone();
        }
        if let Some(c) = &raw.connections {
            l.connections = u32::try_from(*c.get_ref())
                .ok()
                .filter(|c| (1..=10_000).contains(c))
                .ok_or_else(|| self.at(c, "connections", "connections must be 1 to 10000"))?;
        }
        if let Some(r) = &raw.rate {
            let v = *r.get_ref();
            if !(v.is_finite() && v > 0.0 && v <= 1_000_000.0) {
                return Err(self.at(
                    r,
                    "rate",
                    "rate is requests per second, above 0 and at most 1000000",
                ));
            }
            l.rate = v;
        }
        if let Some(d) = &raw.duration {
            l.duration = self.positive_duration(d, "duration")?;
        }
        if let Some(t) = &raw.timeout {
            l.timeout = self.positive_duration(t, "timeout")?;
        }
        if let Some(f) = &raw.max_error_fraction {
            let v = *f.get_ref();
            if !(0.0..=1.0).contains(&v) {
                return Err(self.at(
                    f,
                    "max_error_fraction",
                    "a fraction from 0 to 1 (0.01 is 1 %)",
                ));
            }
            l.max_error_fraction = v;
        }
        Ok(l)
    }

    fn positive_duration(&self, t: &Spanned<String>, key: &str) -> Result<Duration, SuiteError> {
        let d = parse_duration(t.get_ref()).map_err(|m| self.at(t, key, m))?;
        if d.is_zero() {
            return Err(self.at(t, key, format!("{key} must be above zero")));
        }
        Ok(d)
    }
}

/// `tcp`, `http` (GET /) or `http:/path`.
fn parse_readiness(text: &str) -> Option<Readiness> {
    match text {
        "tcp" => Some(Readiness::Tcp),
        "http" => Some(Readiness::Http { path: "/".into() }),
        _ => text
            .strip_prefix("http:")
            .filter(|p| p.starts_with('/'))
            .map(|p| Readiness::Http { path: p.into() }),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::model::BenchmarkKind;
    use crate::validate::parse_suite;

    fn parse(text: &str) -> Result<crate::Suite, String> {
        parse_suite(text, Path::new("t.toml"), Path::new(".")).map_err(|e| e.to_string())
    }

    const HEAD: &str = "[suite]\nname = \"x\"\n[[benchmark]]\nname = \"s\"\n";

    #[test]
    fn a_service_with_its_load_is_read() -> Result<(), String> {
        let s = parse(&format!("{HEAD}[benchmark.service]\ncommand = [\"sh\", \"-c\", \"serve {{port}}\"]\nready = \"http:/health\"\n[benchmark.load]\nrate = 250\nconnections = 8\nduration = \"3s\"\nmethod = \"post\"\nbody = \"{{}}\"\n"))?;
        let BenchmarkKind::Service(spec) = &s.benchmarks[0].kind else {
            return Err("not a service".into());
        };
        assert!(spec.chooses_port());
        assert_eq!(spec.argv_for(9), vec!["sh", "-c", "serve 9"]);
        assert_eq!(
            spec.ready,
            super::Readiness::Http {
                path: "/health".into()
            }
        );
        assert_eq!(spec.load.method, "POST");
        assert!((spec.load.rate - 250.0).abs() < 1e-9);
        assert_eq!(spec.load.connections, 8);
        assert_eq!(s.benchmarks[0].dimension, crate::Dimension::Network);
        Ok(())
    }

    #[test]
    fn service_mistakes_name_their_key() {
        let e = parse(&format!("{HEAD}[benchmark.service]\ncommand = [\"sh\"]\n"))
            .err()
            .unwrap_or_default();
        assert!(
            e.starts_with("t.toml:5:1: benchmark[1].service.command: the server's port is unknown"),
            "{e}"
        );
        let e = parse(&format!(
            "{HEAD}[benchmark.service]\ncommand = [\"sh\"]\nport = 70000\n"
        ))
        .err()
        .unwrap_or_default();
        assert!(
            e.starts_with("t.toml:7:8: benchmark[1].service.port:"),
            "{e}"
        );
        let e = parse(&format!("{HEAD}[benchmark.service]\ncommand = [\"sh\"]\nport = 80\n[benchmark.load]\nrate = -3\n")).err().unwrap_or_default();
        assert!(e.starts_with("t.toml:9:8: benchmark[1].load.rate:"), "{e}");
        let e = parse(&format!(
            "{HEAD}command = [\"true\"]\n[benchmark.service]\ncommand = [\"sh\"]\nport = 80\n"
        ))
        .err()
        .unwrap_or_default();
        assert!(
            e.contains("benchmark[1].service: a benchmark has one of"),
            "{e}"
        );
        let e = parse(&format!(
            "{HEAD}probe = \"cpu\"\n[benchmark.load]\nrate = 3\n"
        ))
        .err()
        .unwrap_or_default();
        assert!(
            e.contains("benchmark[1].load: `load` applies to a service"),
            "{e}"
        );
    }
}
