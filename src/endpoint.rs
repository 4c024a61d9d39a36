//! Service endpoints and the two addressing styles: where a request for a bucket and key goes.

use crate::error::{Error, Result};
use crate::signing::encode::{path_encode, uri_encode};

/// How the bucket appears in a request URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Addressing {
    /// `https://bucket.endpoint/key`: the default for named endpoints.
    Virtual,
    /// `https://endpoint/bucket/key`: the default for IP-address and `localhost` endpoints.
    Path,
}

/// A service endpoint: scheme, host and optional port, without a bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    secure: bool,
    host: String,
    port: Option<u16>,
}

impl Endpoint {
    /// Parses `http[s]://host[:port]` (a trailing `/` is allowed).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for another scheme, a missing host, a bad port, or a path or query.
    pub fn parse(url: &str) -> Result<Self> {
        let bad = |reason: &str| Error::invalid("endpoint", format!("\"{url}\": {reason}"));
        let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("must start with http:// or https://"));
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            return Err(bad("has no host"));
        }
        if authority.contains(['/', '?', '#', '@']) {
            return Err(bad("must be scheme, host and port only, without a path"));
        }
        let (host, port) = split_port(authority).ok_or_else(|| bad("has an invalid port"))?;
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        Ok(Endpoint { secure, host: host.to_ascii_lowercase(), port })
    }

    /// Path style for IP addresses and `localhost`, virtual-hosted style otherwise.
    pub fn default_addressing(&self) -> Addressing {
        // Only IPv6 addresses are written in brackets in a URL's host.
        let host = &self.host;
        if host == "localhost" || host.ends_with(".localhost") || host.starts_with('[') || is_ipv4(host) {
            Addressing::Path
        } else {
            Addressing::Virtual
        }
    }

    /// The `Host` a browser sends for this endpoint, bucket and addressing style.
    pub(crate) fn host_for(&self, addressing: Addressing, bucket: &str) -> String {
        let default_port = if self.secure { 443 } else { 80 };
        let port = match self.port {
            Some(p) if p != default_port => format!(":{p}"),
            _ => String::new(),
        };
        match addressing {
            Addressing::Virtual => format!("{bucket}.{}{port}", self.host),
            Addressing::Path => format!("{}{port}", self.host),
        }
    }

    /// `scheme://host[:port]` for this bucket and addressing style.
    pub(crate) fn origin_for(&self, addressing: Addressing, bucket: &str) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://{}", self.host_for(addressing, bucket))
    }
}

/// The percent-encoded request path: `/key` (virtual) or `/bucket/key` (path; `/bucket` without a key).
pub(crate) fn request_path(addressing: Addressing, bucket: &str, key: &str) -> String {
    match addressing {
        Addressing::Virtual => format!("/{}", path_encode(key)),
        Addressing::Path if key.is_empty() => format!("/{bucket}"),
        Addressing::Path => format!("/{bucket}/{}", path_encode(key)),
    }
}

/// The full request URL: origin, encoded path and encoded query (`key` alone when a value is empty).
pub fn request_url(
    endpoint: &Endpoint,
    addressing: Addressing,
    bucket: &str,
    key: &str,
    query: &[(String, String)],
) -> String {
    let mut url = endpoint.origin_for(addressing, bucket);
    url.push_str(&request_path(addressing, bucket, key));
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| if v.is_empty() { uri_encode(k) } else { format!("{}={}", uri_encode(k), uri_encode(v)) })
        .collect();
    if !pairs.is_empty() {
        url.push('?');
        url.push_str(&pairs.join("&"));
    }
    url
}

fn split_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let port_start = if authority.starts_with('[') {
        let close = authority.find(']')?;
        match &authority[close + 1..] {
            "" => return Some((authority, None)),
            rest => rest.strip_prefix(':').map(|_| close + 1)?,
        }
    } else {
        match authority.rfind(':') {
            Some(i) => i,
            None => return Some((authority, None)),
        }
    };
    let port = authority[port_start + 1..].parse::<u16>().ok().filter(|p| *p != 0)?;
    Some((&authority[..port_start], Some(port)))
}

/// Whether `host` is a dotted-quad IPv4 address (four decimal octets, no leading zeros), as
/// `std::net::Ipv4Addr` parses one (whose parser would add 3 KB to the module).
fn is_ipv4(host: &str) -> bool {
    let mut octets = 0;
    let all_octets = host.split('.').all(|octet| {
        octets += 1;
        let digits = !octet.is_empty() && octet.bytes().all(|b| b.is_ascii_digit());
        digits && (octet == "0" || !octet.starts_with('0')) && octet.parse::<u8>().is_ok()
    });
    all_octets && octets == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_builds_hosts() {
        let e = Endpoint::parse("http://127.0.0.1:8333/").expect("valid");
        assert_eq!(e.default_addressing(), Addressing::Path);
        assert_eq!(e.host_for(Addressing::Path, "b"), "127.0.0.1:8333");
        let e = Endpoint::parse("https://s3.amazonaws.com:443").expect("valid");
        assert_eq!(e.default_addressing(), Addressing::Virtual);
        assert_eq!(e.host_for(Addressing::Virtual, "b"), "b.s3.amazonaws.com");
        assert_eq!(e.origin_for(Addressing::Virtual, "b"), "https://b.s3.amazonaws.com");
        let e = Endpoint::parse("http://[::1]:9000").expect("valid");
        assert_eq!(e.default_addressing(), Addressing::Path);
        assert_eq!(e.host_for(Addressing::Path, "b"), "[::1]:9000");
        assert_eq!(Endpoint::parse("http://localhost").expect("valid").default_addressing(), Addressing::Path);
    }

    #[test]
    fn ipv4_as_std_parses_it() {
        for host in [
            "1.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "192.168.0.10",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.00",
            "1..2.3",
            "a.b.c.d",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1.2.3.-4",
            "",
            "s3.amazonaws.com",
            "1.2.3.1000",
        ] {
            assert_eq!(is_ipv4(host), host.parse::<std::net::Ipv4Addr>().is_ok(), "{host:?}");
        }
    }

    #[test]
    fn rejects_bad_endpoints() {
        for bad in ["", "ftp://x", "https://", "https://x/path", "https://x:0", "https://x:99999", "https://[::1"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths() {
        assert_eq!(request_path(Addressing::Virtual, "b", "a b/c+d"), "/a%20b/c%2Bd");
        assert_eq!(request_path(Addressing::Path, "b", ""), "/b");
        assert_eq!(request_path(Addressing::Path, "b", "k"), "/b/k");
        assert_eq!(request_path(Addressing::Virtual, "b", ""), "/");
    }
}
