//! The environment benchmarks see: the same on the host and in the container, so that
//! locale, PATH-selected tools and their settings cannot make a difference that is not
//! the container's. calibench's own variables stay out (the database URL may carry a
//! password), as do variables that name this particular process or host.

/// Variables never passed to benchmarks.
const WITHHELD: [&str; 5] = [
    "CALIBENCH_DATABASE_URL",
    "CALIBENCH_HOME",
    "CALIBENCH_TEST_POSTGRES_URL",
    "HOSTNAME",
    "DOCKER_HOST",
];

/// This process's environment, minus the withheld variables, sorted by name.
pub fn benchmark_environment() -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| !WITHHELD.contains(&k.as_str()))
        .collect();
    vars.sort();
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_withheld() {
        let env = benchmark_environment();
        assert!(env
            .iter()
            .all(|(k, _)| k != "CALIBENCH_DATABASE_URL" && k != "HOSTNAME"));
        assert!(env.iter().any(|(k, _)| k == "PATH"));
    }
}
