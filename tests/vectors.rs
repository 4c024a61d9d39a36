//! Runs every signing vector in `tests/vectors/` and in each extra folder named by the
//! `PARTWISE_VECTORS` environment variable (colon-separated). A case fails, naming its id, when any
//! expected header or query value differs, or when its scheme is not implemented.
#![cfg(not(target_arch = "wasm32"))]

use partwise::endpoint::request_url;
use partwise::signing::{Auth, Credentials, Scheme, SigningInput, SigningParams, sign};
use partwise::{Addressing, Endpoint, Timestamp};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct VectorFile {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    scheme: String,
    auth: String,
    credentials: CaseCredentials,
    region: Option<String>,
    time: String,
    expires_in: Option<u32>,
    request: CaseRequest,
    expect: Expect,
}

#[derive(Deserialize)]
struct CaseCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

#[derive(Deserialize)]
struct CaseRequest {
    method: String,
    endpoint: String,
    addressing: String,
    bucket: String,
    key: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    #[serde(default)]
    additional_headers: Vec<String>,
}

#[derive(Deserialize)]
struct Expect {
    headers: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    string_to_sign: Option<String>,
}

/// Signs one case and compares every expected value; `Err` says what differed.
fn run_case(case: &Case) -> Result<(), String> {
    let scheme =
        Scheme::from_name(&case.scheme).ok_or_else(|| format!("scheme {:?} is not implemented", case.scheme))?;
    let auth = match case.auth.as_str() {
        "header" => Auth::Header,
        "query" => Auth::Query { expires_in: case.expires_in.ok_or("query auth without expires_in")? },
        other => return Err(format!("auth {other:?} is not implemented")),
    };
    let addressing = match case.request.addressing.as_str() {
        "virtual" => Addressing::Virtual,
        "path" => Addressing::Path,
        other => return Err(format!("addressing {other:?} is not implemented")),
    };
    let endpoint = Endpoint::parse(&case.request.endpoint).map_err(|e| e.to_string())?;
    let c = &case.credentials;
    let credentials = Credentials::new(&c.access_key_id, &c.secret_access_key, c.session_token.clone());
    let input = SigningInput {
        method: &case.request.method,
        endpoint: &endpoint,
        addressing,
        bucket: &case.request.bucket,
        key: &case.request.key,
        query: &case.request.query,
        headers: &case.request.headers,
        additional_headers: &case.request.additional_headers,
    };
    let params = SigningParams {
        scheme,
        credentials: &credentials,
        region: case.region.as_deref(),
        time: Timestamp::parse_rfc3339(&case.time).map_err(|e| e.to_string())?,
        auth,
    };
    let signed = sign(&input, &params).map_err(|e| e.to_string())?;

    let mut problems = Vec::new();
    for (name, want) in &case.expect.headers {
        let got = signed.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        if got != Some(want) {
            problems.push(format!("header {name}: want {want:?}, got {got:?}"));
        }
    }
    // Query values are checked in the URL the browser will fetch, after percent-decoding.
    let all_query: Vec<(String, String)> = case.request.query.iter().chain(&signed.query).cloned().collect();
    let url = request_url(&endpoint, addressing, &case.request.bucket, &case.request.key, &all_query);
    let sent = decoded_query(&url);
    for (name, want) in &case.expect.query {
        let got = sent.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        if got != Some(want) {
            problems.push(format!("query {name}: want {want:?}, got {got:?} (url {url})"));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if let Some(want) = &case.expect.string_to_sign
        && *want != signed.string_to_sign
    {
        problems.push(format!("string to sign: want {want:?}, got {:?}", signed.string_to_sign));
    }
    Err(problems.join("; "))
}

fn decoded_query(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let decode = |s: &str| percent_decode(s);
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Runs every `*.json` file of `dir`; returns the number of cases and the failures.
fn run_folder(dir: &Path) -> (usize, Vec<String>) {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            return (0, vec![format!("{}: cannot read the folder: {e}", dir.display())]);
        }
    };
    files.sort();
    if files.is_empty() {
        return (0, vec![format!("{}: no *.json vector files", dir.display())]);
    }
    let mut count = 0;
    let mut failures = Vec::new();
    for file in files {
        let parsed = std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::from_str::<VectorFile>(&text).map_err(|e| e.to_string()));
        match parsed {
            Ok(vectors) => {
                for case in &vectors.cases {
                    count += 1;
                    if let Err(why) = run_case(case) {
                        failures.push(format!("{} ({}): {why}", case.id, file.display()));
                    }
                }
            }
            Err(e) => failures.push(format!("{}: not a vector file: {e}", file.display())),
        }
    }
    (count, failures)
}

fn assert_folders(dirs: &[PathBuf]) {
    let mut failures = Vec::new();
    for dir in dirs {
        let (count, mut failed) = run_folder(dir);
        println!("{}: {count} cases, {} failed", dir.display(), failed.len());
        failures.append(&mut failed);
    }
    assert!(failures.is_empty(), "{} failing vector cases:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn vendor_vectors() {
    assert_folders(&[Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")]);
}

#[test]
fn extra_vectors_from_env() {
    let dirs: Vec<PathBuf> = std::env::var("PARTWISE_VECTORS")
        .unwrap_or_default()
        .split(':')
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .collect();
    if dirs.is_empty() {
        println!("PARTWISE_VECTORS is not set: no extra vector folders");
    }
    assert_folders(&dirs);
}
