//! Secrets kept out of `Debug` output: the `Authorization` header, signatures, session tokens,
//! credentials and SSE-C keys, whether they travel in headers or in a presigned URL's query.

/// What a secret's value prints as.
pub(crate) const REDACTED: &str = "<redacted>";

/// Whether a header or query parameter named `name` carries a secret.
pub(crate) fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "authorization"
        || ["signature", "token", "credential"].iter().any(|s| name.contains(s))
        || name.ends_with("server-side-encryption-customer-key")
}

/// `pairs` with every secret value replaced by [`REDACTED`].
pub(crate) fn pairs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs.iter().map(|(n, v)| (n.as_str(), if is_secret(n) { REDACTED } else { v.as_str() })).collect()
}

/// `url` with the values of its secret query parameters replaced by [`REDACTED`].
pub(crate) fn url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else { return url.to_owned() };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// `text` with every secret value of `pairs` replaced by [`REDACTED`].
pub(crate) fn text(text: &str, pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .filter(|(n, v)| is_secret(n) && !v.is_empty())
        .fold(text.to_owned(), |text, (_, v)| text.replace(v.as_str(), REDACTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_named_and_hidden() {
        assert!(is_secret("Authorization") && is_secret("X-Amz-Signature") && is_secret("x-oss-security-token"));
        assert!(is_secret("X-Amz-Credential") && !is_secret("X-Amz-Date") && !is_secret("content-md5"));
        assert!(
            is_secret("x-amz-server-side-encryption-customer-key")
                && is_secret("x-obs-server-side-encryption-customer-key")
        );
        assert!(!is_secret("x-amz-server-side-encryption-customer-key-MD5"));
        assert_eq!(
            url("https://h/k?partNumber=1&X-Amz-Signature=abc&X-Amz-Security-Token=t"),
            "https://h/k?partNumber=1&X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>"
        );
        let headers = vec![("x-amz-security-token".to_owned(), "TOKEN".to_owned())];
        assert_eq!(text("a\nTOKEN\nb", &headers), "a\n<redacted>\nb");
        assert_eq!(pairs(&headers), vec![("x-amz-security-token", REDACTED)]);
    }
}
