//! `calibench ab`: two builds measured in one session. Each benchmark alternates build A
//! and build B in randomised ABBA rounds (the same interleaved sampler as `run`, with a
//! precision goal), and the pairs are judged by `calibench_calibrator::paired`. The builds
//! are two git refs checked out into worktrees under `.calibench/worktrees/` and built
//! with the suite's `[build]` step, or two shell commands.

use std::path::{Path, PathBuf};
use std::process::Command;

use calibench_calibrator::{benjamini_hochberg, judge_paired, Change, CONFIDENCE};
use calibench_results::compare::{
    empty, gate_verdict, Basis, BenchmarkComparison, CompareOptions, ComparisonReport,
    ReportVerdict, RowVerdict, SideRef,
};
use calibench_results::{
    now, Environment, ExecutionEnvironment, GitState, RunId, RunReport, Runtime, SCHEMA_VERSION,
};
use calibench_suites::{
    load_build_step, load_suite, Benchmark, BenchmarkKind, BuildStep, ContainerSettings, Dimension,
    RunSettings, Suite,
};
use std::collections::BTreeMap;

use crate::docker::spec::real_path;
use crate::exit::ExitContext;

use crate::docker::engine::Engine;
use crate::docker::spec::ContainerSpec;
use crate::events::{EventSink, NullSink};
use crate::executor::docker::DockerExecutor;
use crate::executor::host::HostExecutor;
use crate::executor::{Block, Executor, ExecutorError, Runs};
use crate::exit::{CliError, Exit};
use crate::plan::{factory, host_launcher};
use crate::sampler::{measure, paired_rounds, Goal, SideResult};

/// One of the two builds.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    /// What the user named it: a ref, or `A`/`B` for commands.
    pub name: String,
    /// The commit, for refs.
    pub sha: Option<String>,
    /// Where its commands run.
    pub dir: PathBuf,
}

fn git(repo: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Checks `reference` out (detached) into `.calibench/worktrees/<sha>` of the repository
/// holding `repo`, reusing a worktree already there.
pub fn worktree(repo: &Path, reference: &str) -> Result<Build, CliError> {
    let bad = |m: String| CliError::bad_input(anyhow::anyhow!(m));
    let top = git(repo, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        bad(format!(
            "`calibench ab REF_A REF_B` needs a git repository: {e}"
        ))
    })?;
    let sha = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{reference}^{{commit}}"),
        ],
    )
    .map_err(|_| {
        bad(format!(
            "`{reference}` is not a commit, tag or branch of {top}"
        ))
    })?;
    let dir = Path::new(&top)
        .join(".calibench/worktrees")
        .join(&sha[..12.min(sha.len())]);
    if !dir.join(".git").exists() {
        git(
            Path::new(&top),
            &[
                "worktree",
                "add",
                "--detach",
                "--force",
                &dir.display().to_string(),
                &sha,
            ],
        )
        .map_err(|e| CliError::environment(anyhow::anyhow!("git worktree add failed: {e}")))?;
    }
    Ok(Build {
        name: reference.to_string(),
        sha: Some(sha),
        dir,
    })
}

/// Runs the `[build]` step in the build's directory; a failed build is exit 1 with the
/// tail of its output.
pub fn build(b: &Build, step: &BuildStep) -> Result<(), CliError> {
    let out = Command::new(&step.command[0])
        .args(&step.command[1..])
        .envs(&step.env)
        .current_dir(&b.dir)
        .output()
        .map_err(|e| {
            CliError::bad_input(anyhow::anyhow!(
                "[build] command `{}` cannot start in {}: {e}",
                step.command[0],
                b.dir.display()
            ))
        })?;
    if out.status.success() {
        return Ok(());
    }
    let tail: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    Err(CliError {
        exit: Exit::Failed,
        error: anyhow::anyhow!("building `{}` failed ({}):\n{tail}", b.name, out.status),
    })
}

/// An executor that always runs its own benchmark (build A's or build B's), whatever
/// the sampler passes: the sampler sees one benchmark measured on two sides.
pub struct OwnBenchmark {
    pub inner: Box<dyn Executor>,
    pub bench: Benchmark,
}

impl Executor for OwnBenchmark {
    fn runtime(&self) -> Runtime {
        self.inner.runtime()
    }
    fn begin(&mut self, _: &Benchmark) -> Result<(), ExecutorError> {
        self.inner.begin(&self.bench)
    }
    fn block(&mut self, _: &Benchmark, first: usize, runs: Runs) -> Result<Block, ExecutorError> {
        self.inner.block(&self.bench, first, runs)
    }
    fn end(&mut self, _: &Benchmark) -> Result<ExecutionEnvironment, ExecutorError> {
        self.inner.end(&self.bench)
    }
}

/// Makes a build's executor for a runtime: a host launcher or a container factory
/// working in the build's directory, with the session's container spec.
pub struct BuildExecutors<'a> {
    pub engine: Option<&'a Engine>,
    pub spec: &'a ContainerSpec,
    pub exe: &'a Path,
    /// Labels the containers, so an interrupted session's are found and removed.
    pub run_id: String,
    pub rt: &'a tokio::runtime::Runtime,
}

impl BuildExecutors<'_> {
    pub fn make(&self, b: &Build, runtime: Runtime) -> Result<Box<dyn Executor>, CliError> {
        match (runtime, self.engine) {
            (Runtime::Docker, Some(engine)) => {
                let (f, image_id) = factory(
                    engine,
                    self.spec,
                    self.exe,
                    &b.dir,
                    self.run_id.clone(),
                    "ab",
                    self.rt,
                )?;
                Ok(Box::new(DockerExecutor::new(
                    f,
                    self.rt.handle().clone(),
                    self.spec.clone(),
                    image_id,
                )))
            }
            _ => Ok(Box::new(HostExecutor::new(
                host_launcher(self.exe, &b.dir, self.spec.cpuset.as_ref()),
                self.spec.cpuset.as_ref().map(|c| c.as_str().to_string()),
            ))),
        }
    }

    /// `bench_a` of build `a` against `bench_b` of build `b`, interleaved until `goal`.
    pub fn measure(
        &self,
        (a, bench_a): (&Build, &Benchmark),
        (b, bench_b): (&Build, &Benchmark),
        runtime: Runtime,
        goal: Goal,
        seed: u64,
    ) -> Result<AbMeasured, CliError> {
        let a = OwnBenchmark {
            inner: self.make(a, runtime)?,
            bench: bench_a.clone(),
        };
        let b = OwnBenchmark {
            inner: self.make(b, runtime)?,
            bench: bench_b.clone(),
        };
        measure_pair(a, b, &mut NullSink, goal, seed).map_err(CliError::environment)
    }
}

/// One benchmark measured on both builds on one runtime.
pub struct AbMeasured {
    pub name: String,
    pub runtime: Runtime,
    pub a: SideResult,
    pub b: SideResult,
    pub pairs: (Vec<f64>, Vec<f64>),
}

/// Measures one benchmark: `a` and `b` alternate until `goal` is met.
pub fn measure_pair(
    a: OwnBenchmark,
    b: OwnBenchmark,
    sink: &mut dyn EventSink,
    goal: Goal,
    seed: u64,
) -> Result<AbMeasured, ExecutorError> {
    let bench = a.bench.clone();
    let runtime = a.runtime();
    let mut executors: Vec<Box<dyn Executor>> = vec![Box::new(a), Box::new(b)];
    let measured = measure(&mut executors, &bench, sink, seed, goal)?;
    let pairs = paired_rounds(&measured.rounds, 0, 1);
    let mut sides = measured.sides.into_iter();
    let (Some(a), Some(b)) = (sides.next(), sides.next()) else {
        return Err(ExecutorError::new(
            "a side of the A/B ended without a result",
        ));
    };
    Ok(AbMeasured {
        name: bench.name,
        runtime,
        a,
        b,
        pairs,
    })
}

/// The comparison of B against A over every measured benchmark: paired judgements,
/// Benjamini–Hochberg across the benchmarks, and the gate's verdict with a threshold.
pub fn ab_report(
    a: &Build,
    b: &Build,
    run_ids: (RunId, RunId),
    measured: &[AbMeasured],
    options: &CompareOptions,
) -> ComparisonReport {
    let judged: Vec<_> = measured
        .iter()
        .map(|m| {
            judge_paired(
                &m.pairs.0,
                &m.pairs.1,
                CONFIDENCE,
                options.alpha,
                options.threshold,
            )
        })
        .collect();
    let p: Vec<f64> = judged
        .iter()
        .filter_map(|j| j.as_ref().ok().map(|j| j.comparison.p_value))
        .collect();
    let mut q = benjamini_hochberg(&p).into_iter();
    let mut rows = Vec::new();
    for (m, j) in measured.iter().zip(judged) {
        let failure =
            m.b.measurement
                .failure
                .clone()
                .or_else(|| m.a.measurement.failure.clone());
        let mut row = BenchmarkComparison {
            n_baseline: m.a.measurement.samples.len(),
            n_candidate: m.b.measurement.samples.len(),
            runs_baseline: 1,
            runs_candidate: 1,
            basis: Basis::Raw,
            ..empty(
                &m.name,
                Some(m.runtime),
                Some(m.runtime),
                RowVerdict::NotComparable,
                failure.clone(),
            )
        };
        match j {
            Ok(j) if failure.is_none() => {
                let qv = q.next().unwrap_or(1.0);
                let c = j.comparison;
                let mut change = j.change;
                if qv > options.alpha && matches!(change, Change::Slower | Change::Faster) {
                    change = if options.threshold.is_some_and(|t| c.ci_high > t) {
                        Change::Inconclusive
                    } else {
                        Change::NoChange
                    };
                }
                row.baseline_median = Some(c.baseline_median);
                row.candidate_median = Some(c.candidate_median);
                row.change_pct = Some(c.change * 100.0);
                row.ci_low_pct = Some(c.ci_low * 100.0);
                row.ci_high_pct = Some(c.ci_high * 100.0);
                row.p_value = Some(c.p_value);
                row.q_value = Some(qv);
                row.mde_pct = c.mde.map(|x| x * 100.0);
                row.replication = Some(j.replication);
                row.more_needed = j.more_needed;
                row.regression = j.regression && change == Change::Slower;
                row.verdict = change.into();
                row.reason = Some(format!("{} paired rounds", m.pairs.0.len()));
            }
            Ok(_) => {
                let _ = q.next();
                row.verdict = if m.b.measurement.failure.is_some() {
                    RowVerdict::MissingInCandidate
                } else {
                    RowVerdict::MissingInBaseline
                };
            }
            Err(e) => {
                row.reason = Some(format!("too few paired rounds: {e}"));
            }
        }
        rows.push(row);
    }
    let verdict = match options.threshold {
        Some(_) => gate_verdict(&rows, options),
        None if rows.iter().any(|r| r.verdict.is_change()) => ReportVerdict::Changed,
        None => ReportVerdict::NoChange,
    };
    let side = |b: &Build, id: RunId| SideRef {
        selector: match &b.sha {
            Some(sha) => format!("{} ({})", b.name, &sha[..12.min(sha.len())]),
            None => b.name.clone(),
        },
        run_ids: vec![id],
    };
    ComparisonReport {
        schema_version: SCHEMA_VERSION,
        verdict,
        baseline: side(a, run_ids.0),
        candidate: side(b, run_ids.1),
        threshold_pct: options.threshold.map(|t| t * 100.0),
        alpha: options.alpha,
        benchmarks: rows,
        notes: vec!["A and B alternated in randomised ABBA rounds in one session; the change is the geometric mean of the per-round ratios".into()],
    }
}

/// A suite of one benchmark running `cmd` with `sh -c`.
pub fn command_suite(cmd: &str) -> Suite {
    Suite {
        name: "ab".into(),
        path: "command line".into(),
        settings: RunSettings::default(),
        container: ContainerSettings::default(),
        build: None,
        benchmarks: vec![Benchmark {
            name: "command".into(),
            kind: BenchmarkKind::Command {
                argv: vec!["sh".into(), "-c".into(), cmd.to_string()],
            },
            dimension: Dimension::Cpu,
            env: BTreeMap::new(),
            workdir: None,
            settings: RunSettings {
                max_runs: 100_000,
                ..RunSettings::default()
            },
        }],
    }
}

/// The two builds, as the user named them.
#[derive(Debug, Clone, PartialEq)]
pub enum AbSource {
    /// Two shell commands (run with `sh -c`).
    Commands { a: String, b: String },
    /// Two refs of the repository holding the working directory, and the suite file.
    Refs {
        a: String,
        b: String,
        suite: PathBuf,
    },
}

/// The two builds and each one's suite: refs are checked out and built first, then the
/// suite is loaded in each worktree.
pub fn prepare(source: &AbSource, cwd: &Path) -> Result<[(Build, Suite); 2], CliError> {
    if let AbSource::Commands { a, b } = source {
        let side = |name: &str, cmd: &str| {
            (
                Build {
                    name: name.into(),
                    sha: None,
                    dir: cwd.to_path_buf(),
                },
                command_suite(cmd),
            )
        };
        return Ok([side("A", a), side("B", b)]);
    }
    let AbSource::Refs {
        a: ref_a,
        b: ref_b,
        suite,
    } = source
    else {
        return Err(CliError::bad_input(anyhow::anyhow!("no builds named")));
    };
    let suite = real_path(suite);
    let step = load_build_step(&suite).or_bad_input()?;
    let mut out = Vec::new();
    for reference in [ref_a, ref_b] {
        let b = worktree(cwd, reference)?;
        if let Some(step) = &step {
            eprintln!("building {} in {}", b.name, b.dir.display());
            build(&b, step)?;
        }
        let s = load_suite(&suite, &b.dir).or_bad_input()?;
        out.push((b, s));
    }
    let mut it = out.into_iter();
    match (it.next(), it.next()) {
        (Some(a), Some(b)) => Ok([a, b]),
        _ => Err(CliError::environment(anyhow::anyhow!(
            "two builds were expected"
        ))),
    }
}

/// The run of one side, tagged with the build's name and, for refs, its commit.
pub fn run_report(
    build: &Build,
    suite: &Suite,
    run_id: RunId,
    environment: &Environment,
) -> RunReport {
    let mut environment = environment.clone();
    if let Some(sha) = &build.sha {
        environment.git = Some(GitState {
            sha: sha.clone(),
            dirty: false,
        });
    }
    RunReport {
        schema_version: SCHEMA_VERSION,
        run_id,
        tag: Some(build.name.clone()),
        suite: suite.name.clone(),
        context: "local".into(),
        started_at: now(),
        finished_at: now(),
        environment,
        calibration_profile_id: None,
        benchmarks: Vec::new(),
        notices: vec!["measured by calibench ab, interleaved with the other build".into()],
        labels: BTreeMap::from([("ab".to_string(), "interleaved".to_string())]),
    }
}
