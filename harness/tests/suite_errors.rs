//! Broken suite files: exit 2 with a message naming the file, line, column and key.

mod common;

use common::Scratch;

fn rejects(text: &str, expected: &str) {
    let s = Scratch::new();
    let path = s.suite("broken.toml", text);
    let out = s
        .calibench()
        .args(["run", "--runtime", "host", "--suite"])
        .arg(&path)
        .output()
        .expect("calibench runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    let wanted = format!("{}:{expected}", path.display());
    assert!(
        stderr.contains(&wanted),
        "expected `{wanted}` in:\n{stderr}"
    );
}

const HEAD: &str = "[suite]\nname = \"t\"\n";

#[test]
fn unknown_key() {
    rejects(
        &format!("{HEAD}[[benchmark]]\nname = \"a\"\nprobe = \"cpu\"\nrepeat = 3\n"),
        "6:1: benchmark[1].repeat: unknown field `repeat`",
    );
}

#[test]
fn wrong_type() {
    rejects(
        &format!("{HEAD}min_runs = \"many\"\n[[benchmark]]\nname = \"a\"\nprobe = \"cpu\"\n"),
        "3:12: suite.min_runs: invalid type",
    );
}

#[test]
fn empty_suite() {
    rejects(
        HEAD,
        "1:1: benchmark: the suite has no [[benchmark]] entries",
    );
}

#[test]
fn duplicate_names() {
    rejects(
        &format!("{HEAD}[[benchmark]]\nname = \"a\"\nprobe = \"cpu\"\n[[benchmark]]\nname = \"a\"\ncommand = [\"true\"]\n"),
        "7:8: benchmark[2].name: duplicate benchmark name `a`",
    );
}

#[test]
fn missing_command() {
    rejects(
        &format!("{HEAD}[[benchmark]]\nname = \"a\"\ndimension = \"cpu\"\n"),
        "3:1: benchmark[1].command: benchmark `a` has no `command`, `probe`, `[benchmark.service]` or `[benchmark.criterion]`",
    );
}

#[test]
fn non_existent_command() {
    rejects(
        &format!("{HEAD}[[benchmark]]\nname = \"a\"\ncommand = [\"./no/such/binary\"]\n"),
        "5:11: benchmark[1].command: program `./no/such/binary` does not exist",
    );
}

#[test]
fn missing_suite_table() {
    rejects(
        "[[benchmark]]\nname = \"a\"\nprobe = \"cpu\"\n",
        "1:1: suite: missing field `suite`",
    );
}

#[test]
fn missing_file_is_bad_input() {
    let s = Scratch::new();
    let out = s
        .calibench()
        .args(["run", "--runtime", "host", "--suite", "nope.toml"])
        .output()
        .expect("calibench runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml: cannot read the suite file"));
}
