//! The command line (clap derive). These types live in the binary only; commands turn
//! them into validated plans once.

use std::path::PathBuf;

use calibench::plan::{ContainerOverrides, RuntimeSelection};
use calibench_suites::Network;
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "calibench",
    version,
    about = "A benchmark harness that tells the truth about containers",
    long_about = "calibench runs one benchmark suite on bare metal and in a pinned-resource Docker \
container, measures what the container costs, stores every result with its execution \
environment, and compares releases.\n\nExit codes: 0 ok, 1 a benchmark failed or a regression \
was found, 2 bad input (suite file, flags), 3 environment (Docker or database unreachable; \
results are still spooled)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a suite on the host and/or in a pinned container and store the results
    Run(RunArgs),
    /// List stored runs, newest first
    Runs(RunsArgs),
    /// Measure what the container costs per dimension (paired, interleaved rounds) and
    /// store the profile that adjusts later container results
    Calibrate(CalibrateArgs),
    /// Compare a candidate with a baseline (each a tag, a run id or `latest`)
    Compare(CompareArgs),
    /// Fail (exit 1) when the candidate regressed beyond a threshold
    Gate(GateArgs),
    /// Two git refs (or two commands) measured interleaved in one session, A against B
    Ab(AbArgs),
    /// Store results of another harness (hyperfine, criterion, Google Benchmark,
    /// pytest-benchmark, go test -bench) as a run, to compare and gate like any other
    Import(ImportArgs),
    /// Draw a run, a comparison or a benchmark's history (.html, .svg or .png)
    Report(ReportArgs),
    /// Show one stored run (a run id, a unique prefix of one, a tag, or `latest`)
    Show(ShowArgs),
    /// Store every spooled run (safe to repeat or interrupt)
    Push(DbArgs),
    /// Remove containers left behind by killed runs
    Gc,
    /// Inspect the results database
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Serve HTTP on a port, answering every request with 200 after a fixed delay (a
    /// server for trying service benchmarks)
    Serve(ServeArgs),
    /// Run one built-in probe in this process and print its report (used by the runner)
    #[command(hide = true)]
    Probe(ProbeArgs),
    /// Measure one benchmark inside a container and stream events (used by the runner)
    #[command(hide = true)]
    Inner(InnerArgs),
    /// Wait until killed (the main process of calibration containers)
    #[command(hide = true)]
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Table,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline: a tag (its runs pooled), a run id or prefix, or `latest`
    pub baseline: String,
    /// The candidate: a tag, a run id or prefix, or `latest`
    pub candidate: String,
    /// Output format
    #[arg(long, value_enum, default_value = "table")]
    pub format: CompareFormat,
    /// Compare raw values even where host, runtime or limits differ
    #[arg(long)]
    pub allow_mismatch: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("builds").required(true).args(["ref_a", "cmd_a"])))]
pub struct AbArgs {
    /// Build A (the baseline): a commit, tag or branch of the repository you stand in
    #[arg(requires_all = ["ref_b", "suite"])]
    pub ref_a: Option<String>,
    /// Build B (the candidate)
    pub ref_b: Option<String>,
    /// The suite file; commands and workdirs resolve inside each ref's worktree, after
    /// its `[build]` step
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Instead of refs: command A, run with `sh -c` (like hyperfine's commands, but paired)
    #[arg(long, value_name = "CMD", requires = "cmd_b", conflicts_with_all = ["ref_a", "suite"])]
    pub cmd_a: Option<String>,
    /// Command B
    #[arg(long, value_name = "CMD")]
    pub cmd_b: Option<String>,
    /// Where to measure
    #[arg(long, value_enum, default_value = "host")]
    pub runtime: RuntimeChoice,
    /// Stop a benchmark once the change's 95 % interval is this narrow (half-width)
    #[arg(long, value_name = "PCT", default_value = "1%")]
    pub target_ci: String,
    /// ...or after this long per benchmark and runtime
    #[arg(long, value_name = "DUR", default_value = "120s")]
    pub max_time: String,
    /// Paired rounds before any interval is judged
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub min_rounds: usize,
    /// Make it a gate: exit 1 when B is slower than A by more than this, or when that
    /// cannot be excluded
    #[arg(long, value_name = "PCT")]
    pub max_regression: Option<String>,
    /// With --max-regression: pass although a benchmark is inconclusive
    #[arg(long)]
    pub allow_inconclusive: bool,
    /// Write a markdown summary here (and append it to $GITHUB_STEP_SUMMARY when set)
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Print the comparison as one JSON document
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub container: ContainerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The baseline: a tag (its runs pooled), a run id or prefix, or `latest`
    pub baseline: String,
    /// The candidate: a tag, a run id or prefix, or `latest`
    pub candidate: String,
    /// Largest slowdown allowed, e.g. 5% or 5
    #[arg(long, value_name = "PCT")]
    pub max_regression: String,
    /// Write a markdown summary here (and append it to $GITHUB_STEP_SUMMARY when set)
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Print the verdict as one JSON document
    #[arg(long)]
    pub json: bool,
    /// Measure flagged benchmarks again before failing (needs --suite). When each side's
    /// stored runs were measured at one clean commit of this repository, both commits
    /// are built and measured interleaved (at least N paired rounds; inconclusive
    /// benchmarks too); otherwise the candidate is re-run N times from the suite file
    #[arg(long, value_name = "N")]
    pub confirm: Option<u32>,
    /// The suite file, for --confirm
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Compare raw values even where host, runtime or limits differ
    #[arg(long)]
    pub allow_mismatch: bool,
    /// Pass although a benchmark failed or is missing in the candidate
    #[arg(long)]
    pub allow_missing: bool,
    /// Pass although a benchmark is inconclusive (no change shown, but a change above
    /// the threshold could not have been seen either)
    #[arg(long)]
    pub allow_inconclusive: bool,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["run", "compare", "history"])))]
pub struct ReportArgs {
    /// A run: its samples per benchmark on the host, in the container and adjusted
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Two runs or tags: change per benchmark with its CI
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    pub compare: Option<Vec<String>>,
    /// A benchmark's median per run over time
    #[arg(long, value_name = "BENCH")]
    pub history: Option<String>,
    /// Output file: .html (self-contained page), .svg or .png (one chart)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// With --compare: draw this regression threshold, e.g. 5%
    #[arg(long, value_name = "PCT")]
    pub max_regression: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Take the container configuration from this suite's [container] table
    #[arg(long, value_name = "FILE")]
    pub suite: Option<PathBuf>,
    /// Dimensions to measure [default: cpu,memory,io,latency; with --check: those the stored profile adjusts]
    #[arg(long, value_delimiter = ',')]
    pub dimensions: Option<Vec<String>>,
    /// Stop a probe once its 95 % CI half-width is at most this many percentage points
    #[arg(long, value_name = "PCT", default_value_t = 0.5)]
    pub target_ci: f64,
    /// Time for the whole calibration, e.g. 4m or 90s [default: 4m; with --check: 60s]
    #[arg(long, value_name = "DUR")]
    pub max_time: Option<String>,
    /// At most this many rounds per probe
    #[arg(long, default_value_t = 200)]
    pub max_rounds: usize,
    /// Host against host: the method's own false-positive behaviour (no Docker needed)
    #[arg(long)]
    pub aa: bool,
    /// Re-measure briefly and say whether the stored profile of this configuration still
    /// holds (exit 1 when it drifted beyond its interval); nothing is stored
    #[arg(long, conflicts_with = "aa")]
    pub check: bool,
    #[command(flatten)]
    pub container: ContainerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the profile as one JSON document
    #[arg(long)]
    pub json: bool,
    /// Also draw the overhead per probe to this file (.html, .svg or .png)
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct InnerArgs {
    /// The benchmark, as JSON
    #[arg(long)]
    pub benchmark: String,
    /// Runs in this block
    #[arg(long, default_value_t = 1)]
    pub count: usize,
    /// Runs of the benchmark before this block (failure messages count from it)
    #[arg(long, default_value_t = 0)]
    pub first: usize,
    /// Runs to make and discard before the block's runs, while the switch from the
    /// other side settles
    #[arg(long, default_value_t = 0)]
    pub settle: usize,
    /// The runs are warm-ups: run them, report no samples
    #[arg(long)]
    pub warmup: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuntimeChoice {
    Host,
    Docker,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContextChoice {
    Local,
    Ci,
    Production,
    Release,
}

impl ContextChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            ContextChoice::Local => "local",
            ContextChoice::Ci => "ci",
            ContextChoice::Production => "production",
            ContextChoice::Release => "release",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkChoice {
    Host,
    Bridge,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import, or a criterion output directory (target/criterion)
    pub path: PathBuf,
    /// Its format; told from the content when not given
    #[arg(long, value_enum)]
    pub format: Option<ImportFormatChoice>,
    /// Label for the run, e.g. a release tag or a git sha
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// What the run is for
    #[arg(long, value_enum, default_value = "local")]
    pub context: ContextChoice,
    /// Suite name the run is stored under (default: imported-<format>)
    #[arg(long, value_name = "NAME")]
    pub suite: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the run as one JSON document instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormatChoice {
    Hyperfine,
    Criterion,
    Gbench,
    Pytest,
    Go,
}

impl From<ImportFormatChoice> for calibench::import::ImportFormat {
    fn from(c: ImportFormatChoice) -> Self {
        use calibench::import::ImportFormat as F;
        match c {
            ImportFormatChoice::Hyperfine => F::Hyperfine,
            ImportFormatChoice::Criterion => F::Criterion,
            ImportFormatChoice::Gbench => F::Gbench,
            ImportFormatChoice::Pytest => F::Pytest,
            ImportFormatChoice::Go => F::Go,
        }
    }
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// Database URL (sqlite://PATH or postgres://USER@HOST/DB); default: CALIBENCH_DATABASE_URL,
    /// else sqlite://.calibench/results.db
    #[arg(long, value_name = "URL")]
    pub db: Option<String>,
}

/// Container resources; they override the suite's `[container]` table.
#[derive(Debug, Args, Clone)]
pub struct ContainerArgs {
    /// Container CPU limit (NanoCpus), e.g. 1 or 0.5
    #[arg(long, value_name = "N")]
    pub cpus: Option<f64>,
    /// CPUs to pin both sides to, e.g. 0 or 0-1
    #[arg(long, value_name = "LIST")]
    pub cpuset: Option<String>,
    /// Container memory limit, swap equal (no swap), e.g. 512m or 2g
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Container network
    #[arg(long, value_enum)]
    pub network: Option<NetworkChoice>,
    /// An image the engine already has, instead of the host-mirror image
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,
    /// Take the container's limits (cpus, cpuset, memory, pids, network) from this
    /// docker-compose file; the flags above still override them
    #[arg(long, value_name = "FILE", requires = "service")]
    pub compose: Option<PathBuf>,
    /// The compose service whose limits to take
    #[arg(long, value_name = "NAME", requires = "compose")]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The suite file (TOML)
    #[arg(long, value_name = "FILE")]
    pub suite: PathBuf,
    /// Label for this run, e.g. a release tag or a git sha; compare and gate select by it
    #[arg(long, value_name = "T")]
    pub tag: Option<String>,
    /// Where to run: `both` when a Docker engine answers, else `host`
    #[arg(long, value_enum)]
    pub runtime: Option<RuntimeChoice>,
    /// What the run is for
    #[arg(long, value_enum, default_value = "local")]
    pub context: ContextChoice,
    #[command(flatten)]
    pub container: ContainerArgs,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the run as one JSON document (schema in docs/json.md) instead of a table
    #[arg(long)]
    pub json: bool,
    /// No progress output
    #[arg(long, short)]
    pub quiet: bool,
    /// With host and container sides: measure each benchmark until its "vs host" interval
    /// (paired rounds) is this narrow (half-width, e.g. 3%), after at least 10 rounds and
    /// the suite's min_runs on each side; the suite's time_budget gives way, its max_runs
    /// still caps. A benchmark that stops short of it gets a note
    #[arg(long, value_name = "PCT")]
    pub target_ci: Option<String>,
    /// With --target-ci: stop a benchmark after this long (once it has the suite's
    /// min_runs) even if the interval is wider
    #[arg(
        long,
        value_name = "DUR",
        default_value = "120s",
        requires = "target_ci"
    )]
    pub max_time: String,
    /// Measure the suite this many times, each a run of its own under the same tag, so
    /// that comparisons can treat the run as the unit (run-to-run variation); with
    /// --json, one document per line
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
}

#[derive(Debug, Args)]
pub struct RunsArgs {
    /// How many runs to list
    #[arg(long, default_value_t = 20)]
    pub limit: i64,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A run id, a unique prefix of one, a tag (its latest run), or `latest`
    pub run: String,
    #[command(flatten)]
    pub db: DbArgs,
    /// Print the run's JSON document
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Backend, mode (embedded, plain or timescale), schema version and row counts
    Status(DbArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port to listen on
    #[arg(long)]
    pub port: u16,
    /// Address to listen on
    #[arg(long, default_value = "0.0.0.0")]
    pub bind: std::net::IpAddr,
    /// How long each answer takes (e.g. 2ms; 0 answers at once)
    #[arg(long, default_value = "0ms")]
    pub delay: String,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Probe name, or `cgroup` to print this process's cgroup limits and usage
    pub name: String,
    /// Work size (probe-specific units)
    #[arg(long)]
    pub work: Option<u64>,
    /// Directory IO probes write in (default: the current directory)
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
    /// For `read-file`: exit 0 only when the file (named by --dir) holds exactly this
    #[arg(long, hide = true)]
    pub expect: Option<String>,
}

impl From<RuntimeChoice> for RuntimeSelection {
    fn from(c: RuntimeChoice) -> Self {
        match c {
            RuntimeChoice::Host => RuntimeSelection::Host,
            RuntimeChoice::Docker => RuntimeSelection::Docker,
            RuntimeChoice::Both => RuntimeSelection::Both,
        }
    }
}

impl From<NetworkChoice> for Network {
    fn from(c: NetworkChoice) -> Self {
        match c {
            NetworkChoice::Host => Network::Host,
            NetworkChoice::Bridge => Network::Bridge,
        }
    }
}

impl From<&ContainerArgs> for ContainerOverrides {
    fn from(a: &ContainerArgs) -> Self {
        ContainerOverrides {
            cpus: a.cpus,
            cpuset: a.cpuset.clone(),
            memory: a.memory.clone(),
            network: a.network.map(Into::into),
            image: a.image.clone(),
            compose: a.compose.clone().zip(a.service.clone()),
        }
    }
}
