//! Where calibench keeps its files: `.calibench/` in the directory it runs in.

use std::path::PathBuf;

use calibench_results::Spool;

/// The state directory (`CALIBENCH_HOME`, else `.calibench`).
pub fn state_dir() -> PathBuf {
    std::env::var_os("CALIBENCH_HOME").map_or_else(|| PathBuf::from(".calibench"), PathBuf::from)
}

/// The spool of runs not yet stored.
pub fn spool() -> Spool {
    Spool::new(state_dir().join("spool"))
}

/// `--db`, else `CALIBENCH_DATABASE_URL`, else the SQLite file in the state directory.
pub fn database_url(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| {
            std::env::var("CALIBENCH_DATABASE_URL")
                .ok()
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| format!("sqlite://{}", state_dir().join("results.db").display()))
}
