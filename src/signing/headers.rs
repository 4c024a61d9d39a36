//! Header canonicalisation shared by the signers.

use crate::sorted_map::SortedMap;

/// Headers by lower-case name, in sorted order, with the values of repeated names joined by `,`.
pub(crate) type CanonicalHeaders = SortedMap<String, String>;

/// How a value is normalised before signing.
#[derive(Clone, Copy)]
pub(crate) enum Trim {
    /// Trim both ends (what a browser sends).
    Ends,
    /// Trim both ends and collapse inner runs of spaces and tabs (SigV4 `trimall`).
    All,
}

/// Collects the headers `keep` selects, lower-casing names and normalising values.
pub(crate) fn canonical<'h>(
    headers: impl IntoIterator<Item = (&'h str, &'h str)>,
    trim: Trim,
    mut keep: impl FnMut(&str) -> bool,
) -> CanonicalHeaders {
    let mut out = CanonicalHeaders::new();
    for (name, value) in headers {
        let name = name.trim_ascii().to_ascii_lowercase();
        if !keep(&name) {
            continue;
        }
        let value = normalise(value, trim);
        match out.get_mut(&name) {
            Some(joined) => {
                joined.push(',');
                joined.push_str(&value);
            }
            None => {
                out.insert(name, value);
            }
        }
    }
    out
}

/// The value of header `name` (case-insensitive), trimmed.
pub(crate) fn find<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim_matches([' ', '\t']))
}

fn normalise(value: &str, trim: Trim) -> String {
    let trimmed = value.trim_matches([' ', '\t']);
    match trim {
        Trim::Ends => trimmed.to_owned(),
        Trim::All => {
            let mut out = String::with_capacity(trimmed.len());
            let mut in_space = false;
            for c in trimmed.chars() {
                if c == ' ' || c == '\t' {
                    if !in_space {
                        out.push(' ');
                    }
                    in_space = true;
                } else {
                    out.push(c);
                    in_space = false;
                }
            }
            out
        }
    }
}

/// `name:value\n` for every header, in order.
pub(crate) fn lines(headers: &CanonicalHeaders) -> String {
    headers.iter().map(|(n, v)| format!("{n}:{v}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_repeats_and_trims() {
        let h = [("My-Header", " a   b "), ("my-header", "c"), ("other", "x")];
        let c = canonical(h, Trim::All, |n| n.starts_with("my-"));
        assert_eq!(lines(&c), "my-header:a b,c\n");
        let c = canonical(h, Trim::Ends, |_| true);
        assert_eq!(c.get("my-header").map(String::as_str), Some("a   b,c"));
    }
}
