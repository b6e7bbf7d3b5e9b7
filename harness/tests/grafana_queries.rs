//! Every query of the provisioned Grafana dashboard, run against plain PostgreSQL and
//! TimescaleDB stores that hold a real run on both sides: each returns rows, including
//! the daily panel for a run stored a moment ago.

mod common;
use common::expect_exit;

use common::{
    docker_available_or_skip, fresh_postgres, fresh_timescale, psql_rows, workspace_root, Scratch,
    QUICK_SUITE,
};

/// Pairs of a name (panel title or variable name) and its SQL.
type NamedSql = Vec<(String, String)>;

/// Every `rawSql` of the dashboards, with its panel title, and the variable queries.
fn dashboard_queries() -> (NamedSql, NamedSql) {
    let mut panels = Vec::new();
    let mut variables = Vec::new();
    let dir = workspace_root().join("grafana/dashboards");
    for entry in std::fs::read_dir(&dir).expect("dashboards") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        for panel in doc["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(sql) = target["rawSql"].as_str() {
                    let title = panel["title"].as_str().unwrap_or("?").to_string();
                    panels.push((title, sql.to_string()));
                }
            }
        }
        for var in doc["templating"]["list"].as_array().into_iter().flatten() {
            if let (Some(name), Some(q)) = (var["name"].as_str(), var["query"].as_str()) {
                variables.push((name.to_string(), q.to_string()));
            }
        }
    }
    (panels, variables)
}

/// Grafana's macros and variables, replaced as the PostgreSQL data source would for a
/// dashboard showing the last 7 days with every value of each variable selected.
fn substitute(sql: &str, values: &[(String, Vec<String>)]) -> String {
    let mut out = sql.to_string();
    while let Some(start) = out.find("$__timeFilter(") {
        let open = start + "$__timeFilter(".len();
        let close = open + out[open..].find(')').expect("macro closes");
        let column = out[open..close].to_string();
        out.replace_range(
            start..=close,
            &format!("{column} BETWEEN now() - INTERVAL '7 days' AND now() + INTERVAL '1 hour'"),
        );
    }
    for (name, vals) in values {
        let quoted: Vec<String> = vals
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "''")))
            .collect();
        out = out.replace(&format!("${name}"), &quoted.join(","));
    }
    assert!(!out.contains('$'), "a macro or variable is left: {out}");
    out
}

#[test]
fn every_dashboard_query_returns_rows_on_plain_and_timescale() {
    let test = "every_dashboard_query_returns_rows_on_plain_and_timescale";
    if !docker_available_or_skip(test) {
        return;
    }
    let (panels, variables) = dashboard_queries();
    assert!(panels.len() >= 3, "{panels:?}");
    for (mode, db) in [
        ("plain", fresh_postgres(test)),
        ("timescale", fresh_timescale(test)),
    ] {
        let Some(db) = db else { continue };
        let s = Scratch::new();
        let suite = s.suite("quick.toml", QUICK_SUITE);
        let run = s
            .calibench()
            .args([
                "run",
                "--runtime",
                "both",
                "--quiet",
                "--db",
                &db,
                "--suite",
            ])
            .arg(&suite)
            .output()
            .expect("run");
        expect_exit(&run, 0);
        let values: Vec<(String, Vec<String>)> = variables
            .iter()
            .map(|(name, q)| (name.clone(), psql_rows(&db, q)))
            .collect();
        assert!(
            values.iter().all(|(_, v)| !v.is_empty()),
            "{mode}: {values:?}"
        );
        for (title, sql) in &panels {
            let rows = psql_rows(&db, &substitute(sql, &values));
            assert!(!rows.is_empty(), "{mode}: panel `{title}` returned no rows");
        }
    }
}
