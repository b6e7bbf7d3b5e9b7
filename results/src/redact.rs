//! Passwords never leave calibench: database URLs and any message that may echo one are
//! redacted before they are shown or stored.

/// A database URL with any password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = redact_query_password(tail);
    format!("{scheme}://{authority}{tail}")
}

fn redact_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Redacts every URL-looking substring of a message (driver errors may echo URLs).
pub fn redact_text(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            if w.contains("://") {
                redact_url(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://bench:s3cr3t@db:5432/calibench"),
            "postgres://bench:***@db:5432/calibench"
        );
        assert_eq!(
            redact_url("postgres://db/calibench?user=a&password=x"),
            "postgres://db/calibench?user=a&password=***"
        );
        assert_eq!(
            redact_url("sqlite://.calibench/results.db"),
            "sqlite://.calibench/results.db"
        );
        assert!(!redact_text("error connecting to postgres://u:pw@h/db: refused").contains("pw"));
    }
}
