//! The facts the JS API states and the Rust core declares once agree: error codes, task states,
//! event names, operation names and option defaults. `js/index.d.ts`, the wrapper's list of codes
//! in `js/index.js` and the README's API tables are read as text; each check fails naming what
//! differs.
#![cfg(not(target_arch = "wasm32"))]

use partwise::actions::Operation;
use partwise::error::CODES;
use partwise::provider::{EncryptionNames, MetadataEncoding, ObjectHeaderNames, Provider};
use partwise::upload::{Config, EVENT_NAMES, TaskState};
use std::collections::BTreeSet;
use std::path::Path;

type Names = BTreeSet<String>;

fn source(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn declarations() -> String {
    source("js/index.d.ts")
}

fn names<'a>(items: impl IntoIterator<Item = &'a str>) -> Names {
    items.into_iter().map(str::to_owned).collect()
}

/// Where the one occurrence of `marker` starts.
fn position(text: &str, marker: &str, file: &str) -> usize {
    let mut found = text.match_indices(marker).map(|(at, _)| at);
    match (found.next(), found.next()) {
        (Some(at), None) => at,
        (None, _) => panic!("{file} has no `{marker}`"),
        (Some(_), Some(_)) => panic!("{file} has `{marker}` more than once"),
    }
}

/// The text after the one occurrence of `marker`.
fn after<'a>(text: &'a str, marker: &str, file: &str) -> &'a str {
    &text[position(text, marker, file) + marker.len()..]
}

/// The strings in single quotes.
fn quoted(text: &str) -> Names {
    text.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The members of `export type NAME = 'a' | 'b' | …;`.
fn union(dts: &str, name: &str) -> Names {
    let rest = after(dts, &format!("export type {name} ="), "index.d.ts");
    let end = rest.find(';').unwrap_or_else(|| panic!("type {name} has no closing `;`"));
    quoted(&rest[..end])
}

/// The member names of `export interface NAME { … }`, top level only.
fn interface_members(dts: &str, name: &str) -> Names {
    let rest = after(dts, &format!("export interface {name} {{"), "index.d.ts");
    let mut members = Names::new();
    let mut add = |member: &str| {
        let key = member.split(':').next().unwrap_or_default().trim();
        if !key.is_empty() && !key.starts_with(['/', '*']) {
            members.insert(key.trim_start_matches("readonly ").trim_end_matches('?').to_owned());
        }
    };
    let (mut depth, mut member) = (0_usize, String::new());
    for c in rest.chars() {
        match c {
            '}' if depth == 0 => break,
            ';' | '\n' if depth == 0 => {
                add(&member);
                member.clear();
                continue;
            }
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        member.push(c);
    }
    add(&member);
    members
}

/// The `N` of "(default N)" in the doc comment right above the declaration of `member?:`.
fn documented_default(dts: &str, member: &str) -> u64 {
    let above = dts[..position(dts, &format!("{member}?:"), "index.d.ts")].trim_end();
    let comment = above
        .strip_suffix("*/")
        .and_then(|a| a.rfind("/**").map(|start| &a[start..]))
        .unwrap_or_else(|| panic!("`{member}` has no doc comment"));
    let default = after(comment, "(default ", &format!("the doc comment of `{member}`"));
    let digits: String = default.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or_else(|_| panic!("`{member}`: \"(default {default}\" is not a number"))
}

fn assert_same(what: &str, declared: &Names, rust: &Names) {
    let only_declared: Vec<&String> = declared.difference(rust).collect();
    let only_rust: Vec<&String> = rust.difference(declared).collect();
    assert!(
        only_declared.is_empty() && only_rust.is_empty(),
        "{what} differ: only in the JS API {only_declared:?}; only in Rust {only_rust:?}"
    );
}

#[test]
fn error_codes() {
    let rust = names(CODES.iter().copied());
    assert_same("ErrorCode (index.d.ts) and error::CODES", &union(&declarations(), "ErrorCode"), &rust);
    let wrapper = source("js/index.js");
    let listed = after(&wrapper, "const ERROR_CODES = new Set([", "index.js");
    let end = listed.find("])").expect("ERROR_CODES is closed by `])`");
    assert_same("ERROR_CODES (index.js) and error::CODES", &quoted(&listed[..end]), &rust);
}

#[test]
fn task_states() {
    let rust = names(TaskState::ALL.map(TaskState::name));
    assert_same("TaskState and upload::TaskState::ALL", &union(&declarations(), "TaskState"), &rust);
}

#[test]
fn event_names() {
    let declared = interface_members(&declarations(), "UploadTaskEventMap");
    assert_same("UploadTaskEventMap keys and upload::EVENT_NAMES", &declared, &names(EVENT_NAMES));
}

#[test]
fn operations() {
    let rust = names(Operation::ALL.map(Operation::name));
    assert_same("Operation and actions::Operation::ALL", &union(&declarations(), "Operation"), &rust);
}

#[test]
fn option_defaults() {
    let dts = declarations();
    let config = Config::default();
    let facts = [
        ("concurrency", u64::try_from(config.concurrency).expect("fits")),
        ("maxRequests", u64::try_from(config.max_requests).expect("fits")),
        ("stallTimeoutMs", config.stall_timeout_ms),
        ("callbackTimeoutMs", config.callback_timeout_ms),
        ("attempts", u64::from(config.retry.attempts)),
        ("baseDelayMs", config.retry.base_delay_ms),
        ("maxDelayMs", config.retry.max_delay_ms),
    ];
    for (member, rust) in facts {
        assert_eq!(
            documented_default(&dts, member),
            rust,
            "the documented default of `{member}` is not Config::default()'s"
        );
    }
}

/// The README's table rows `| \`name\` | cell | …`: the first cell after the name, by name.
fn readme_rows() -> std::collections::BTreeMap<String, String> {
    source("README.md")
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("| `")?.split_once("` | ")?;
            Some((name.to_owned(), rest.split(" |").next().unwrap_or_default().to_owned()))
        })
        .collect()
}

#[test]
fn readme_defaults_and_codes() {
    let rows = readme_rows();
    let retry = Config::default().retry;
    let config = Config::default();
    let expected = [
        ("concurrency", config.concurrency.to_string()),
        ("maxRequests", config.max_requests.to_string()),
        ("stallTimeoutMs", config.stall_timeout_ms.to_string()),
        ("callbackTimeoutMs", config.callback_timeout_ms.to_string()),
        (
            "retry",
            format!(
                "`{{attempts: {}, baseDelayMs: {}, maxDelayMs: {}}}`",
                retry.attempts, retry.base_delay_ms, retry.max_delay_ms
            ),
        ),
        ("checkpoints", config.checkpoints.to_string()),
    ];
    for (option, rust) in expected {
        assert_eq!(rows.get(option), Some(&rust), "README's default of `{option}` is not Config::default()'s");
    }
    let documented: Names = CODES.iter().filter(|code| rows.contains_key(**code)).map(|c| (*c).to_owned()).collect();
    assert_same("README's error table and error::CODES", &documented, &names(CODES.iter().copied()));
}

#[test]
fn the_readers_see_what_is_there() {
    let dts = "export type T =\n  | 'a' | 'b';\nexport interface M {\n  x: A<{ y: B }>;\n  /** z */\n  readonly z?: C;\n}\n\
               export interface N { a: A; b?: B }\n\
               /** Things (default 12). */\n  count?: number;";
    assert_eq!(union(dts, "T"), names(["a", "b"]));
    assert_eq!(interface_members(dts, "M"), names(["x", "z"]));
    assert_eq!(interface_members(dts, "N"), names(["a", "b"]));
    assert_eq!(documented_default(dts, "count"), 12);
}

/// The README's encryption table: the service columns of `mode`'s row, in `Provider::ALL` order.
fn encryption_cells(mode: &str) -> Vec<String> {
    let readme = source("README.md");
    let row = readme
        .lines()
        .find(|line| line.starts_with(&format!("| {mode} | ")))
        .unwrap_or_else(|| panic!("README has no encryption row for {mode}"));
    row.trim_matches('|').split(" | ").skip(1).map(|cell| cell.trim().trim_matches('`').to_owned()).collect()
}

#[test]
fn encryption_modes() {
    let cells = |get: fn(&EncryptionNames) -> String| -> Vec<String> {
        Provider::ALL.iter().map(|p| get(&p.profile().encryption)).collect()
    };
    fn or_dash(value: Option<&str>) -> String {
        value.unwrap_or("—").to_owned()
    }
    assert_eq!(encryption_cells("header"), cells(|e| e.header.to_owned()), "header row");
    assert_eq!(encryption_cells("SSE-S3"), cells(|e| or_dash(e.managed)), "SSE-S3 row");
    assert_eq!(encryption_cells("SSE-KMS"), cells(|e| or_dash(e.kms.map(|k| k.value))), "SSE-KMS row");
    assert_eq!(
        encryption_cells("SSE-C"),
        cells(|e| match e.customer {
            Some(c) if c.on_complete => "Initiate, parts, Complete".to_owned(),
            Some(_) => "Initiate, parts".to_owned(),
            None => "—".to_owned(),
        }),
        "SSE-C row"
    );
}

/// The README's object options table: the service columns of `option`'s row, in `Provider::ALL` order.
fn object_option_cells(option: &str) -> Vec<String> {
    let readme = source("README.md");
    let row = readme
        .lines()
        .find(|line| line.starts_with(&format!("| `{option}` | ")))
        .unwrap_or_else(|| panic!("README has no object options row for `{option}`"));
    row.trim_matches('|').split(" | ").skip(2).map(|cell| cell.trim().trim_matches('`').to_owned()).collect()
}

#[test]
fn object_option_headers() {
    let cells = |get: fn(&ObjectHeaderNames) -> Option<&'static str>| -> Vec<String> {
        Provider::ALL.iter().map(|p| get(&p.profile().object_headers).unwrap_or("—").to_owned()).collect()
    };
    assert_eq!(object_option_cells("storageClass"), cells(|h| h.storage_class), "storageClass row");
    assert_eq!(object_option_cells("acl"), cells(|h| h.acl), "acl row");
    assert_eq!(object_option_cells("tagging"), cells(|h| h.tagging), "tagging row");
    let encodings: Vec<String> = Provider::ALL
        .iter()
        .map(|p| match p.profile().object_headers.metadata_encoding {
            MetadataEncoding::Rfc2047 => "RFC 2047".to_owned(),
            MetadataEncoding::Percent => "percent".to_owned(),
        })
        .collect();
    assert_eq!(object_option_cells("metadata"), encodings, "metadata row");
    let options = [
        "contentType",
        "contentDisposition",
        "cacheControl",
        "contentEncoding",
        "expires",
        "storageClass",
        "acl",
        "tagging",
        "metadata",
    ];
    for option in options {
        assert_eq!(object_option_cells(option).len(), Provider::ALL.len(), "README row `{option}`");
    }
    let declared = interface_members(&declarations(), "UploadOptions");
    let expected = names(options.into_iter().chain(["key", "headers", "encryption", "signal"]));
    assert_same("UploadOptions members and the README's object options", &declared, &expected);
}
