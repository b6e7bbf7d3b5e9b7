//! Suite file → validated `Suite`, with errors that name file, line, column and key.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::cpuset::CpuSet;
use crate::error::SuiteError;
use crate::location::{dotted, key_on_line, line_column, table_at};
use crate::model::BuildStep;
use crate::model::{
    Benchmark, BenchmarkKind, ContainerSettings, Dimension, Network, RunSettings, Suite,
};
use crate::probes::ProbeKind;
use crate::raw::{RawBenchmark, RawContainer, RawFile, RawSettings};
use crate::units::{parse_duration, parse_size};

mod service;

/// Reads and validates the suite file at `path`. Relative command paths and working
/// directories are resolved against `base_dir` (the directory calibench runs in).
pub fn load_suite(path: &Path, base_dir: &Path) -> Result<Suite, SuiteError> {
    let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_suite(&text, path, base_dir)
}

/// Reads only the `[build]` table of the suite file at `path`: what `calibench ab` runs
/// in each worktree before the suite (whose programs may not exist before it) is loaded
/// there.
pub fn load_build_step(path: &Path) -> Result<Option<BuildStep>, SuiteError> {
    let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let cx = Context {
        text: &text,
        path,
        base_dir: Path::new("."),
    };
    let raw: RawFile = toml::from_str(&text).map_err(|e| cx.toml_error(&e))?;
    match raw.build {
        Some(b) if b.command.get_ref().is_empty() => {
            Err(cx.at(&b.command, "command", "the [build] command is empty"))
        }
        Some(b) => Ok(Some(BuildStep {
            command: b.command.into_inner(),
            env: b.env,
        })),
        None => Ok(None),
    }
}

/// Validates suite `text` (named `path` in errors).
pub fn parse_suite(text: &str, path: &Path, base_dir: &Path) -> Result<Suite, SuiteError> {
    let cx = Context {
        text,
        path,
        base_dir,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| cx.toml_error(&e))?;
    cx.build(raw)
}

struct Context<'a> {
    text: &'a str,
    path: &'a Path,
    base_dir: &'a Path,
}

impl Context<'_> {
    fn error(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
        hint: Option<&str>,
    ) -> SuiteError {
        let at = line_column(self.text, span.start);
        SuiteError::Invalid {
            path: self.path.to_path_buf(),
            line: at.line,
            column: at.column,
            key: key.to_string(),
            message: message.into(),
            hint: hint.map(str::to_string),
        }
    }

    /// An error about a spanned value, keyed by its table and the key on its line.
    fn at<T>(
        &self,
        value: &Spanned<T>,
        fallback_key: &str,
        message: impl Into<String>,
    ) -> SuiteError {
        self.at_span(value.span(), fallback_key, message, None)
    }

    fn at_span(
        &self,
        span: Range<usize>,
        fallback_key: &str,
        message: impl Into<String>,
        hint: Option<&str>,
    ) -> SuiteError {
        let key = key_on_line(self.text, span.start).unwrap_or_else(|| fallback_key.to_string());
        let key = dotted(&table_at(self.text, span.start), &key);
        self.error(span, &key, message, hint)
    }

    fn toml_error(&self, e: &toml::de::Error) -> SuiteError {
        let known_span = e.span();
        let span = known_span.clone().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        // A span over the whole document is about the top level, not its first table.
        let whole_document = known_span.is_none()
            || (span.start == 0 && (span.is_empty() || span.end >= self.text.trim_end().len()));
        let table = if whole_document {
            String::new()
        } else {
            table_at(self.text, span.start)
        };
        // serde names the offending field in backticks for unknown and missing fields.
        let named = message
            .split('`')
            .nth(1)
            .filter(|_| {
                message.starts_with("unknown field") || message.starts_with("missing field")
            })
            .map(str::to_string);
        let key = named
            .or_else(|| key_on_line(self.text, span.start))
            .unwrap_or_default();
        let hint = if message.starts_with("unknown field") {
            Some("remove the key or fix its spelling; the suite format is in README.md")
        } else if message.starts_with("missing field `suite`") {
            Some("a suite file starts with a [suite] table holding at least `name`")
        } else {
            None
        };
        self.error(span, &dotted(&table, &key), message, hint)
    }

    fn build(&self, raw: RawFile) -> Result<Suite, SuiteError> {
        let suite_span = raw.suite.span();
        let raw_suite = raw.suite.into_inner();
        let name = raw_suite.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.at(&raw_suite.name, "name", "the suite name is empty"));
        }
        let settings = self.settings(&raw_suite.settings(), &RunSettings::default())?;
        let container = match raw.container {
            Some(c) => self.container(&c)?,
            None => ContainerSettings::default(),
        };
        if raw.benchmark.is_empty() {
            return Err(self.error(
                suite_span,
                "benchmark",
                "the suite has no [[benchmark]] entries",
                Some("add at least one [[benchmark]] with a `command` or a `probe`"),
            ));
        }
        let mut seen = HashSet::new();
        let mut benchmarks = Vec::with_capacity(raw.benchmark.len());
        for entry in &raw.benchmark {
            let bench = self.benchmark(entry, &settings)?;
            if !seen.insert(bench.name.clone()) {
                return Err(self.at(
                    &entry.get_ref().name,
                    "name",
                    format!("duplicate benchmark name `{}`", bench.name),
                ));
            }
            benchmarks.push(bench);
        }
        let build = match raw.build {
            Some(b) => {
                if b.command.get_ref().is_empty() {
                    return Err(self.at(&b.command, "command", "the [build] command is empty"));
                }
                Some(BuildStep {
                    command: b.command.into_inner(),
                    env: b.env,
                })
            }
            None => None,
        };
        Ok(Suite {
            name,
            path: self.path.to_path_buf(),
            settings,
            container,
            build,
            benchmarks,
        })
    }

    fn settings(
        &self,
        raw: &RawSettings<'_>,
        base: &RunSettings,
    ) -> Result<RunSettings, SuiteError> {
        let mut s = base.clone();
        if let Some(w) = raw.warmup {
            s.warmup = w;
        }
        if let Some(m) = raw.min_runs {
            if *m.get_ref() == 0 {
                return Err(self.at(m, "min_runs", "min_runs must be at least 1"));
            }
            s.min_runs = *m.get_ref();
        }
        if let Some(m) = raw.max_runs {
            s.max_runs = *m.get_ref();
        }
        if s.max_runs < s.min_runs {
            let span = raw.max_runs.or(raw.min_runs).map_or(0..0, Spanned::span);
            return Err(self.at_span(
                span,
                "max_runs",
                format!(
                    "max_runs ({}) is below min_runs ({})",
                    s.max_runs, s.min_runs
                ),
                None,
            ));
        }
        if let Some(t) = raw.time_budget {
            s.time_budget =
                parse_duration(t.get_ref()).map_err(|m| self.at(t, "time_budget", m))?;
        }
        if let Some(t) = raw.target_ci {
            let text = t.get_ref().trim().trim_end_matches('%').trim();
            match text.parse::<f64>() {
                Ok(v) if v.is_finite() && v > 0.0 && v < 100.0 => s.target_ci = Some(v / 100.0),
                _ => {
                    return Err(self.at(
                        t,
                        "target_ci",
                        format!(
                            "`{}` is not a percentage between 0 and 100 (example: \"1%\")",
                            t.get_ref()
                        ),
                    ))
                }
            }
        }
        if let Some(t) = raw.timeout {
            s.timeout = parse_duration(t.get_ref()).map_err(|m| self.at(t, "timeout", m))?;
            if s.timeout.is_zero() {
                return Err(self.at(t, "timeout", "timeout must be above zero"));
            }
        }
        Ok(s)
    }

    fn container(&self, raw: &RawContainer) -> Result<ContainerSettings, SuiteError> {
        let mut c = ContainerSettings {
            image: raw.image.clone(),
            nofile: raw.nofile,
            privileged: raw.privileged,
            ..ContainerSettings::default()
        };
        if let Some(set) = &raw.cpuset {
            c.cpuset = Some(CpuSet::parse(set.get_ref()).map_err(|m| self.at(set, "cpuset", m))?);
        }
        if let Some(cpus) = &raw.cpus {
            let v = *cpus.get_ref();
            if !(v.is_finite() && v > 0.0) {
                return Err(self.at(cpus, "cpus", "cpus must be a positive number such as 1.0"));
            }
            c.cpus = Some(v);
        }
        if let Some(mem) = &raw.memory {
            c.memory_bytes =
                Some(parse_size(mem.get_ref()).map_err(|m| self.at(mem, "memory", m))?);
        }
        if let Some(net) = &raw.network {
            c.network = Some(Network::parse(net.get_ref()).ok_or_else(|| {
                self.at(
                    net,
                    "network",
                    format!("unknown network `{}`: use host or bridge", net.get_ref()),
                )
            })?);
        }
        if let Some(p) = &raw.pids_limit {
            if *p.get_ref() < 1 {
                return Err(self.at(p, "pids_limit", "pids_limit must be at least 1"));
            }
            c.pids_limit = Some(*p.get_ref());
        }
        match (&raw.compose, &raw.service) {
            (Some(file), Some(service)) => self.compose(&mut c, raw, file, service)?,
            (Some(file), None) => {
                return Err(self.at(
                    file,
                    "compose",
                    "name the compose service too: service = \"api\"",
                ))
            }
            (None, Some(service)) => {
                return Err(self.at(
                    service,
                    "service",
                    "`service` names a service of `compose`, which is not set",
                ))
            }
            (None, None) => {}
        }
        Ok(c)
    }

    /// Takes the limits of `service` in the compose file `file` (relative to the suite
    /// file); a limit also set in this table is a conflict.
    fn compose(
        &self,
        c: &mut ContainerSettings,
        raw: &RawContainer,
        file: &Spanned<String>,
        service: &Spanned<String>,
    ) -> Result<(), SuiteError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let path = dir.join(file.get_ref());
        let from = crate::compose::load_compose(&path, service.get_ref())
            .map_err(|e| self.at(file, "compose", e.to_string()))?;
        let both = [
            (
                raw.cpus.as_ref().map(Spanned::span),
                from.cpus.is_some(),
                "cpus",
            ),
            (
                raw.cpuset.as_ref().map(Spanned::span),
                from.cpuset.is_some(),
                "cpuset",
            ),
            (
                raw.memory.as_ref().map(Spanned::span),
                from.memory_bytes.is_some(),
                "memory",
            ),
            (
                raw.network.as_ref().map(Spanned::span),
                from.network.is_some(),
                "network",
            ),
            (
                raw.pids_limit.as_ref().map(Spanned::span),
                from.pids_limit.is_some(),
                "pids_limit",
            ),
        ];
        for (span, in_compose, key) in both {
            if let (Some(span), true) = (span, in_compose) {
                return Err(self.at_span(
                    span,
                    key,
                    format!(
                        "`{key}` is also set by service `{}` of {}; keep one",
                        service.get_ref(),
                        path.display()
                    ),
                    None,
                ));
            }
        }
        c.cpus = c.cpus.or(from.cpus);
        c.cpuset = c.cpuset.take().or(from.cpuset);
        c.memory_bytes = c.memory_bytes.or(from.memory_bytes);
        c.memory_swap_bytes = from.memory_swap_bytes;
        c.network = c.network.or(from.network);
        c.pids_limit = c.pids_limit.or(from.pids_limit);
        Ok(())
    }

    fn benchmark(
        &self,
        entry: &Spanned<RawBenchmark>,
        suite_settings: &RunSettings,
    ) -> Result<Benchmark, SuiteError> {
        let raw = entry.get_ref();
        let name = raw.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(self.at(&raw.name, "name", "the benchmark name is empty"));
        }
        let settings = self.settings(&raw.settings(), suite_settings)?;
        let workdir = match &raw.workdir {
            Some(w) => {
                let dir = self.base_dir.join(w.get_ref());
                if !dir.is_dir() {
                    return Err(self.at(
                        w,
                        "workdir",
                        format!("directory `{}` does not exist", dir.display()),
                    ));
                }
                Some(dir)
            }
            None => None,
        };
        let (kind, natural_dimension) = match (&raw.command, &raw.probe, &raw.service) {
            (None, None, None) if raw.criterion.is_some() => {
                let c = raw.criterion.as_ref().map(Spanned::get_ref).ok_or_else(|| {
                    self.at_span(entry.span(), "criterion", "missing", None)
                })?;
                let dir = workdir.as_deref().unwrap_or(self.base_dir);
                check_program(c.command.get_ref(), dir)
                    .map_err(|m| self.at(&c.command, "command", m))?;
                let mut argv = c.command.get_ref().clone();
                argv.extend(c.filter.clone());
                (BenchmarkKind::Criterion { argv }, Dimension::Cpu)
            }
            (None, None, None) => {
                return Err(self.at_span(
                    entry.span(),
                    "command",
                    format!("benchmark `{name}` has no `command`, `probe`, `[benchmark.service]` or `[benchmark.criterion]`"),
                    Some("add command = [\"program\", \"arg\"], probe = \"cpu\", or a [benchmark.service] or [benchmark.criterion] table"),
                ))
            }
            (Some(cmd), None, None) => {
                if let Some(work) = &raw.work {
                    return Err(self.at(work, "work", "`work` applies to probes only"));
                }
                let argv = cmd.get_ref().clone();
                let dir = workdir.as_deref().unwrap_or(self.base_dir);
                check_program(&argv, dir).map_err(|m| self.at(cmd, "command", m))?;
                (BenchmarkKind::Command { argv }, Dimension::Cpu)
            }
            (None, Some(probe), None) => {
                let kind = ProbeKind::parse(probe.get_ref()).ok_or_else(|| {
                    self.at(
                        probe,
                        "probe",
                        format!(
                            "unknown probe `{}`; known probes: {}",
                            probe.get_ref(),
                            ProbeKind::names().join(", ")
                        ),
                    )
                })?;
                let work = match &raw.work {
                    Some(w) if *w.get_ref() == 0 => {
                        return Err(self.at(w, "work", "work must be at least 1"))
                    }
                    Some(w) => Some(*w.get_ref()),
                    None => None,
                };
                (BenchmarkKind::Probe { probe: kind, work }, kind.dimension())
            }
            (None, None, Some(service)) => {
                let dir = workdir.as_deref().unwrap_or(self.base_dir);
                let spec = self.service(service, raw.load.as_ref(), dir)?;
                (BenchmarkKind::Service(Box::new(spec)), Dimension::Network)
            }
            (_, _, _) if raw.criterion.is_some() => {
                return Err(self.at_span(
                    raw.criterion.as_ref().map_or(entry.span(), Spanned::span),
                    "",
                    "a benchmark has one of `command`, `probe`, `[benchmark.service]` or `[benchmark.criterion]`",
                    None,
                ))
            }
            (_, _, Some(service)) => {
                return Err(self.at_span(
                    service.span(),
                    "",
                    "a benchmark has one of `command`, `probe` or `[benchmark.service]`",
                    None,
                ))
            }
            (Some(_), Some(probe), None) => {
                return Err(self.at(
                    probe,
                    "probe",
                    "a benchmark has either `command` or `probe`, not both",
                ))
            }
        };
        if let (Some(load), false) = (&raw.load, matches!(kind, BenchmarkKind::Service(_))) {
            return Err(self.at_span(
                load.span(),
                "",
                "`load` applies to a service benchmark (add a [benchmark.service] table)",
                None,
            ));
        }
        let dimension = match &raw.dimension {
            Some(d) => Dimension::parse(d.get_ref()).ok_or_else(|| {
                self.at(
                    d,
                    "dimension",
                    format!(
                        "unknown dimension `{}`: use cpu, memory, io or latency",
                        d.get_ref()
                    ),
                )
            })?,
            None => natural_dimension,
        };
        // A criterion bench writes its output under its working directory, which the
        // runner must know on both sides: always set it.
        let workdir = match (&kind, workdir) {
            (BenchmarkKind::Criterion { .. }, None) => Some(absolute(self.base_dir)),
            (_, w) => w,
        };
        Ok(Benchmark {
            name,
            kind,
            dimension,
            env: raw.env.clone(),
            workdir,
            settings,
        })
    }
}

/// `dir` as an absolute path (joined to the current directory when relative).
fn absolute(dir: &Path) -> PathBuf {
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .unwrap_or_else(|_| dir.to_path_buf())
}

/// The program must exist: a path (relative to `dir`) or a name found on PATH.
fn check_program(argv: &[String], dir: &Path) -> Result<(), String> {
    let program = argv
        .first()
        .ok_or("the command is empty: give at least the program")?;
    if program.trim().is_empty() {
        return Err("the program name is empty".into());
    }
    if program.contains('/') {
        let path = dir.join(program);
        if path.is_file() {
            Ok(())
        } else {
            Err(format!(
                "program `{program}` does not exist (looked at {})",
                path.display()
            ))
        }
    } else if find_on_path(program).is_some() {
        Ok(())
    } else {
        Err(format!("program `{program}` is not on PATH"))
    }
}

/// First executable file named `program` in the directories of `PATH`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| {
            p.metadata()
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Suite, SuiteError> {
        parse_suite(text, Path::new("t.toml"), Path::new("."))
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(_) => "parsed".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn minimal_suite_gets_defaults() -> Result<(), SuiteError> {
        let s = parse("[suite]\nname = \"x\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n")?;
        assert_eq!(s.settings, RunSettings::default());
        assert_eq!(s.benchmarks[0].dimension, Dimension::Cpu);
        assert_eq!(s.benchmarks[0].unit(), "s");
        Ok(())
    }

    #[test]
    fn benchmark_settings_override_suite_settings() -> Result<(), SuiteError> {
        let s = parse("[suite]\nname = \"x\"\nmin_runs = 4\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\nmin_runs = 7\n[[benchmark]]\nname = \"d\"\nprobe = \"cpu\"\n")?;
        assert_eq!(s.benchmarks[0].settings.min_runs, 7);
        assert_eq!(s.benchmarks[1].settings.min_runs, 4);
        Ok(())
    }

    #[test]
    fn target_ci_and_build_are_read_and_checked() -> Result<(), SuiteError> {
        let s = parse("[suite]\nname = \"x\"\ntarget_ci = \"1.5%\"\n[build]\ncommand = [\"make\"]\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n")?;
        assert_eq!(s.benchmarks[0].settings.target_ci, Some(0.015));
        assert_eq!(s.build.map(|b| b.command), Some(vec!["make".to_string()]));
        let e = err("[suite]\nname = \"x\"\ntarget_ci = \"lots\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n");
        assert!(e.starts_with("t.toml:3:13: suite.target_ci:"), "{e}");
        Ok(())
    }

    #[test]
    fn errors_name_line_column_and_key() {
        let e = err(
            "[suite]\nname = \"x\"\nwarmpu = 2\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n",
        );
        assert!(
            e.starts_with("t.toml:3:1: suite.warmpu: unknown field"),
            "{e}"
        );
        let e = err("[suite]\nname = \"x\"\nmin_runs = \"ten\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n");
        assert!(e.starts_with("t.toml:3:12: suite.min_runs:"), "{e}");
        let e = err("[suite]\nname = \"x\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n");
        assert!(
            e.starts_with("t.toml:7:8: benchmark[2].name: duplicate"),
            "{e}"
        );
        let e = err("[suite]\nname = \"x\"\n");
        assert!(e.contains("t.toml:1:1: benchmark: the suite has no"), "{e}");
        let e = err("[suite]\nname = \"x\"\n[[benchmark]]\nname = \"c\"\ncommand = [\"no-such-program-xyz\"]\n");
        assert!(
            e.starts_with(
                "t.toml:5:11: benchmark[1].command: program `no-such-program-xyz` is not on PATH"
            ),
            "{e}"
        );
        let e = err("[suite]\nname = \"x\"\n[[benchmark]]\nname = \"c\"\nprobe = \"gpu\"\n");
        assert!(
            e.starts_with("t.toml:5:9: benchmark[1].probe: unknown probe `gpu`"),
            "{e}"
        );
        let e = err("[suite]\nname = \"x\"\n[container]\nmemory = \"lots\"\n[[benchmark]]\nname = \"c\"\nprobe = \"cpu\"\n");
        assert!(e.starts_with("t.toml:4:10: container.memory:"), "{e}");
    }
}
