//! Progress while a suite runs: a bar on a terminal, plain lines otherwise. Written to
//! stderr so stdout stays the table or the JSON document.

use std::io::{IsTerminal, Write};

use calibench_results::Runtime;
use indicatif::{ProgressBar, ProgressStyle};

use super::format::quantity;
use crate::events::{Event, EventSink};

/// Reports events as they come.
pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    total: usize,
    done: usize,
    units: std::collections::HashMap<String, String>,
}

impl Progress {
    /// `total` is benchmarks × runtimes; `units` maps benchmark names to units.
    pub fn new(
        total: usize,
        units: std::collections::HashMap<String, String>,
        quiet: bool,
    ) -> Self {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            quiet,
            total,
            done: 0,
            units,
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn unit(&self, name: &str) -> &str {
        self.units.get(name).map_or("s", String::as_str)
    }
}

fn label(name: &str, runtime: Runtime) -> String {
    format!("{name} ({})", runtime.as_str())
}

impl EventSink for Progress {
    fn event(&mut self, event: &Event) {
        if self.quiet {
            return;
        }
        match event {
            Event::Started { name, runtime, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!("{} warming up", label(name, *runtime)));
                }
            }
            Event::Sample {
                name,
                runtime,
                index,
                value,
            } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!(
                        "{} run {} {}",
                        label(name, *runtime),
                        index + 1,
                        quantity(*value, self.unit(name))
                    ));
                    bar.tick();
                }
            }
            Event::Finished {
                name,
                runtime,
                measurement,
            } => {
                self.done += 1;
                let status = match &measurement.failure {
                    Some(_) => "FAILED".to_string(),
                    None => format!("{} runs", measurement.samples.len()),
                };
                match &self.bar {
                    Some(bar) => {
                        bar.inc(1);
                        bar.println(format!("  {} {status}", label(name, *runtime)));
                    }
                    None => {
                        let mut err = std::io::stderr();
                        let _ = writeln!(
                            err,
                            "[{}/{}] {} {status}",
                            self.done,
                            self.total,
                            label(name, *runtime)
                        );
                    }
                }
            }
        }
    }
}
