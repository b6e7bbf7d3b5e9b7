//! What a run selector names, parsed once for every backend.

/// A run selector as the user wrote it: `latest`, a tag, or a run id (or a unique prefix
/// of at least 8 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// The newest run.
    Latest,
    /// A tag first; when no run carries it and it looks like an id, an id prefix.
    Named {
        tag: String,
        /// The lower-cased text, when it may be a run id or a prefix of one.
        id_prefix: Option<String>,
    },
}

/// Shortest id prefix accepted: 8 hex digits make a collision among a store's runs rare.
pub const MIN_ID_PREFIX: usize = 8;

impl Selector {
    pub fn parse(text: &str) -> Self {
        if text == "latest" {
            return Selector::Latest;
        }
        let looks_like_id =
            text.len() >= MIN_ID_PREFIX && text.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        Selector::Named {
            tag: text.to_string(),
            id_prefix: looks_like_id.then(|| text.to_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(Selector::parse("latest"), Selector::Latest);
        assert_eq!(
            Selector::parse("v1.4.0"),
            Selector::Named {
                tag: "v1.4.0".into(),
                id_prefix: None
            }
        );
        assert_eq!(
            Selector::parse("0A1B2C3D"),
            Selector::Named {
                tag: "0A1B2C3D".into(),
                id_prefix: Some("0a1b2c3d".into())
            }
        );
        // Too short to be taken as an id prefix.
        assert!(matches!(
            Selector::parse("abc"),
            Selector::Named {
                id_prefix: None,
                ..
            }
        ));
    }
}
