//! What the app's `presign` callback may answer: an absolute http(s) URL to this bucket's endpoint
//! (either addressing style) that names the request's own upload id and part number. Anything else
//! is refused before a byte is sent: a relative URL would go to the page's own origin, and a URL
//! for another part would store the wrong bytes under that number.

use crate::bucket::Bucket;
use crate::error::{Error, Result};
use crate::http::Request;
use crate::signing::encode::percent_decode;

/// Query parameters that tie a presigned URL to one request.
const OWN: [&str; 2] = ["uploadId", "partNumber"];

/// Checks `url`, presigned for `request` to `bucket`.
///
/// # Errors
/// [`Error::Credentials`] saying what is wrong (never the URL itself: it carries a signature).
pub(crate) fn check(bucket: &Bucket, request: &Request, url: &str) -> Result<()> {
    let refuse = |what: String| Err(Error::unusable(format!("the presign callback answered {what}")));
    let Some((origin, rest)) = split_origin(url) else {
        return refuse("something that is not an absolute http:// or https:// URL".into());
    };
    if !bucket.origins().contains(&origin) {
        return refuse(format!("a URL for {origin}, not for the bucket's endpoint"));
    }
    let query = rest.split(['#']).next().unwrap_or_default().split_once('?').map_or("", |(_, q)| q);
    for name in OWN {
        let Some((_, own)) = request.query.iter().find(|(n, _)| n == name) else { continue };
        let given = query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| percent_decode(value))
        });
        if given.as_deref() != Some(own.as_str()) {
            return refuse(format!("a URL whose {name} is not this request's"));
        }
    }
    Ok(())
}

/// `scheme://host[:port]` (lower case, without the scheme's default port) and the rest of `url`.
fn split_origin(url: &str) -> Option<(String, &str)> {
    let (scheme, default_port, rest) = if url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://")) {
        ("https", ":443", &url[8..])
    } else if url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://")) {
        ("http", ":80", &url[7..])
    } else {
        return None;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest[..end].to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some((format!("{scheme}://{authority}"), &rest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bucket::BucketConfig;
    use crate::http::{Body, Method};
    use crate::provider::Provider;

    fn bucket(endpoint: &str) -> Bucket {
        let config = BucketConfig {
            provider: Provider::S3,
            endpoint,
            name: "photos",
            region: Some("us-east-1"),
            path_style: None,
            scheme: None,
        };
        Bucket::new(&config).expect("bucket")
    }

    fn part(number: u16) -> Request {
        let query = vec![("partNumber".into(), number.to_string()), ("uploadId".into(), "a/b+c".into())];
        Request { method: Method::Put, key: "k".into(), query, headers: Vec::new(), body: Body::Empty }
    }

    #[test]
    fn only_urls_to_the_bucket_for_this_very_request_pass() {
        let s3 = bucket("https://s3.us-east-1.amazonaws.com");
        let good = "https://photos.s3.us-east-1.amazonaws.com/k?partNumber=2&uploadId=a%2Fb%2Bc&X-Amz-Signature=s";
        assert_eq!(check(&s3, &part(2), good), Ok(()));
        let path_style = "HTTPS://S3.us-east-1.amazonaws.com:443/photos/k?uploadId=a%2Fb%2Bc&partNumber=2";
        assert_eq!(check(&s3, &part(2), path_style), Ok(()), "either addressing style, default port, any case");
        for (url, why) in [
            ("not a url", "not an absolute"),
            ("/photos/k?partNumber=2&uploadId=a%2Fb%2Bc", "not an absolute"),
            ("ftp://photos.s3.us-east-1.amazonaws.com/k", "not an absolute"),
            ("https://evil.example/k?partNumber=2&uploadId=a%2Fb%2Bc", "evil.example"),
            ("https://photos.s3.us-east-1.amazonaws.com@evil.example/k", "not an absolute"),
            ("http://photos.s3.us-east-1.amazonaws.com/k?partNumber=2&uploadId=a%2Fb%2Bc", "http://photos"),
            ("https://photos.s3.us-east-1.amazonaws.com/k?partNumber=1&uploadId=a%2Fb%2Bc", "partNumber"),
            ("https://photos.s3.us-east-1.amazonaws.com/k?partNumber=2&uploadId=other", "uploadId"),
            ("https://photos.s3.us-east-1.amazonaws.com/k?partNumber=2", "uploadId"),
        ] {
            let error = check(&s3, &part(2), url).expect_err(url);
            assert_eq!(error.code(), "CredentialsError");
            assert!(error.to_string().contains(why), "{url}: {error}");
            assert!(!error.to_string().contains("Signature"), "the URL is never echoed");
        }
        let local = bucket("http://127.0.0.1:8333");
        let initiate = Request {
            method: Method::Post,
            key: "k".into(),
            query: vec![("uploads".into(), String::new())],
            ..part(1)
        };
        assert_eq!(check(&local, &initiate, "http://127.0.0.1:8333/photos/k?uploads&X-Amz-Signature=s"), Ok(()));
        assert!(check(&local, &initiate, "http://127.0.0.1:9999/photos/k?uploads").is_err(), "another port");
    }
}
