//! `calibench report` and `calibrate --plot` render from real stored runs.

mod common;
use common::expect_exit;

use common::{store_host_run as store_run, Scratch};

fn report(s: &Scratch, args: &[&str]) -> String {
    let out = s
        .calibench()
        .arg("report")
        .args(args)
        .output()
        .expect("report");
    expect_exit(&out, 0);
    let path = args
        .iter()
        .skip_while(|a| **a != "--out")
        .nth(1)
        .expect("--out given");
    std::fs::read_to_string(s.path().join(path)).unwrap_or_default()
}

const SUITE: &str = "[suite]\nname = \"r\"\nwarmup = 0\nmin_runs = 8\ntime_budget = \"0s\"\n\
[[benchmark]]\nname = \"kernel\"\nprobe = \"cpu\"\nwork = 300000\n\
[[benchmark]]\nname = \"spawn\"\ncommand = [\"true\"]\n";

#[test]
fn run_compare_and_history_reports_render_from_stored_runs() {
    let s = Scratch::new();
    for tag in ["v1", "v2", "v3"] {
        store_run(&s, "r.toml", SUITE, tag);
    }
    let html = report(&s, &["--run", "v3", "--out", "run.html"]);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && html.contains("<table>")
    );
    assert!(
        html.contains("% of the benchmark"),
        "the axis names its unit"
    );
    assert!(!html.contains("<script") && !html.contains("<link") && !html.contains("src=\"http"));
    let svg = report(&s, &["--run", "v3", "--out", "run.svg"]);
    assert!(svg.contains("<svg") && svg.contains("kernel · host"));
    report(&s, &["--run", "v3", "--out", "run.png"]);
    let png = std::fs::read(s.path().join("run.png")).expect("png written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000);

    let cmp = report(
        &s,
        &[
            "--compare",
            "v1",
            "v2",
            "--max-regression",
            "5%",
            "--out",
            "cmp.svg",
        ],
    );
    assert!(cmp.contains("change of the median (%") && cmp.contains("threshold at 5"));
    let page = report(&s, &["--compare", "v1", "v2", "--out", "cmp.html"]);
    assert!(page.contains("<svg") && page.contains("verdict"));

    let hist = report(&s, &["--history", "kernel", "--out", "hist.html"]);
    assert!(hist.contains("<svg") && hist.contains("median (") && hist.contains("run time (UTC)"));

    let bad = s
        .calibench()
        .args(["report", "--run", "v1", "--out", "x.pdf"])
        .output()
        .expect("report");
    assert_eq!(bad.status.code(), Some(2));
    let missing = s
        .calibench()
        .args(["report", "--history", "nope", "--out", "x.svg"])
        .output()
        .expect("report");
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn one_benchmark_and_a_hundred_with_long_names_both_render_legibly() {
    let s = Scratch::new();
    store_run(&s, "one.toml", "[suite]\nname = \"one\"\nwarmup = 0\nmin_runs = 3\ntime_budget = \"0s\"\n[[benchmark]]\nname = \"only\"\ncommand = [\"true\"]\n", "one");
    let one = report(&s, &["--run", "one", "--out", "one.svg"]);
    assert!(one.contains("only · host"));

    let mut big =
        String::from("[suite]\nname = \"many\"\nwarmup = 0\nmin_runs = 2\ntime_budget = \"0s\"\n");
    for i in 0..100 {
        big.push_str(&format!(
            "[[benchmark]]\nname = \"a-rather-long-benchmark-name-that-describes-everything-{i:03}\"\ncommand = [\"true\"]\n"
        ));
    }
    store_run(&s, "many.toml", &big, "many");
    let svg = report(&s, &["--run", "many", "--out", "many.svg"]);
    // One row per benchmark, 24 px each: the chart grows instead of squeezing labels.
    let height: u32 = svg
        .split("height=\"")
        .nth(1)
        .and_then(|h| h.split('"').next())
        .and_then(|h| h.parse().ok())
        .expect("svg height");
    assert!(height >= 100 * 24, "height {height}");
    // Long names are shortened, never run into the plot.
    let labels: Vec<&str> = svg
        .split("<text")
        .filter(|t| t.contains("a-rather-long"))
        .collect();
    assert_eq!(labels.len(), 100);
    assert!(labels.iter().all(|t| t.contains('…')));
    report(&s, &["--run", "many", "--out", "many.png"]);
}

#[test]
fn calibrate_plot_draws_overhead_with_error_bars() {
    let s = Scratch::new();
    let out = s
        .calibench()
        .args([
            "calibrate",
            "--aa",
            "--dimensions",
            "cpu",
            "--max-time",
            "20s",
            "--quiet",
            "--plot",
            "cal.svg",
        ])
        .output()
        .expect("calibrate");
    expect_exit(&out, 0);
    let svg = std::fs::read_to_string(s.path().join("cal.svg")).expect("plot written");
    assert!(
        svg.contains("overhead (% of host time")
            && svg.contains("cpu · cpu")
            && svg.contains("no overhead")
    );
}
