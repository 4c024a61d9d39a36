//! A scripted S3 service and the shell around the machine: it carries out each command at once
//! (answers, hashes, credentials, checkpoints), on a clock the test moves, with faults a test
//! injects per request.

use partwise::actions::Operation;
use partwise::bucket::SignedRequest;
use partwise::checksum::ChecksumAlgorithm;
use partwise::hash::{md5, multipart_etag};
use partwise::http::{Body, Method, Response};
use partwise::signing::Credentials;
use partwise::timestamp::Timestamp;
use partwise::upload::checkpoint::Checkpoint;
use partwise::upload::{
    Client, Command, Config, Event, FetchedCredentials, FileInfo, Input, JobId, Keyring, Machine, ObjectSpec,
    Presigned, Signing, Upload, UploadResult,
};
use partwise::{Bucket, BucketConfig, Error, Provider};
use std::collections::{BTreeMap, VecDeque};

pub(crate) const MIB: u64 = 1024 * 1024;
pub(crate) const KEY: &str = "media/talk.bin";
/// 2026-12-01T00:00:00Z in milliseconds.
pub(crate) const START_MS: u64 = 1_795_996_800_000;

/// The file: its bytes are abstract; a range's digest depends on its place and `version`, and
/// parts listed in `changed` have other bytes than before.
#[derive(Clone, Debug, Default)]
pub(crate) struct File {
    pub(crate) size: u64,
    pub(crate) changed: Vec<u64>,
}

impl File {
    pub(crate) fn digest(&self, ranges: &[(u64, u64)]) -> [u8; 16] {
        let text: Vec<String> = ranges
            .iter()
            .map(|(offset, len)| format!("{offset}+{len}{}", if self.changed.contains(offset) { "'" } else { "" }))
            .collect();
        md5(text.join(",").as_bytes())
    }

    /// The real bytes of a range, for flexible checksums: a pattern that differs from byte to byte
    /// (and, for parts listed in `changed`, from what it was).
    pub(crate) fn bytes(&self, offset: u64, len: u64) -> Vec<u8> {
        // A block of a prime length, repeated: copied, not computed byte by byte (tests hash megabytes).
        const PERIOD: u64 = 4099;
        let changed = self.changed.contains(&offset);
        let block: Vec<u8> = (0..2 * PERIOD)
            .map(|i| {
                let byte = ((i % PERIOD).wrapping_mul(2_654_435_761) >> 13) as u8;
                if changed { !byte } else { byte }
            })
            .collect();
        let mut bytes = Vec::with_capacity(usize::try_from(len).expect("fits"));
        let mut at = offset;
        while at < offset + len {
            let start = usize::try_from(at % PERIOD).expect("fits");
            let take = usize::try_from((offset + len - at).min(PERIOD)).expect("fits");
            bytes.extend_from_slice(&block[start..start + take]);
            at += take as u64;
        }
        bytes
    }

    /// `algorithm`'s digest of the ranges, in order.
    pub(crate) fn checksum(&self, algorithm: ChecksumAlgorithm, ranges: &[(u64, u64)]) -> Vec<u8> {
        let mut hasher = algorithm.hasher();
        for (offset, len) in ranges {
            hasher.update(&self.bytes(*offset, *len));
        }
        hasher.finish()
    }
}

/// What the scripted service does with one request instead of answering it normally.
#[derive(Clone, Debug)]
pub(crate) enum Fault {
    /// An error answer: status, code, extra headers.
    Answer(u16, &'static str, Vec<(&'static str, String)>),
    /// The connection fails; `performed`: after the service carried the request out.
    Lost { performed: bool, offline: bool },
    /// No answer, ever.
    Stall,
    /// A 2xx answer without an `ETag` header (hidden by CORS).
    HideEtag,
    /// Complete answered `200` with an `<Error>` body.
    ErrorIn200(&'static str),
}

/// What the app's `credentials` or `presign` callback does on one call instead of answering.
#[derive(Clone, Debug)]
pub(crate) enum CallbackFault {
    /// It throws or rejects with this error.
    Fail(Error),
    /// It never answers.
    Hang,
}

type Rule = Box<dyn FnMut(Operation, &SignedRequest) -> Option<Fault>>;

#[derive(Clone, Debug, Default)]
pub(crate) struct StoredUpload {
    pub(crate) parts: BTreeMap<u16, (String, u64)>,
    /// Each part's range of the file.
    pub(crate) ranges: BTreeMap<u16, (u64, u64)>,
    /// The flexible checksum declared on Initiate.
    pub(crate) algorithm: Option<ChecksumAlgorithm>,
}

/// The service's state.
#[derive(Debug, Default)]
pub(crate) struct Service {
    pub(crate) uploads: BTreeMap<String, StoredUpload>,
    pub(crate) objects: BTreeMap<String, (u64, String)>,
    pub(crate) list_page: usize,
    /// ETags that are no MD5 (S3 under SSE-KMS and SSE-C): 32 hex digits all the same.
    pub(crate) opaque_etags: bool,
    /// Complete reports an object checksum that is not the stored bytes' (a damaged object).
    pub(crate) wrong_object_checksum: bool,
    /// The header in which Complete reports the object's CRC-64/ECMA (OSS and KS3).
    pub(crate) crc64_header: Option<&'static str>,
    next_upload: u32,
}

/// The machine, the service and everything in between.
pub(crate) struct World {
    pub(crate) upload: Upload,
    pub(crate) client: Client,
    pub(crate) file: File,
    pub(crate) service: Service,
    pub(crate) now: u64,
    /// Added to the clock in request signatures as the service sees them (the client's error).
    pub(crate) client_clock_error_s: i64,
    pub(crate) rules: Vec<Rule>,
    pub(crate) checkpoints: BTreeMap<String, Checkpoint>,
    pub(crate) events: Vec<Event>,
    /// Every command, in order, for tests of ordering.
    pub(crate) log: Vec<Command>,
    /// (operation, part number) of every request sent.
    pub(crate) sent: Vec<(Operation, Option<u16>)>,
    pub(crate) credential_calls: u32,
    pub(crate) credentials_lifetime_s: Option<i64>,
    pub(crate) offline_until: Option<u64>,
    /// Hashes fail with this error (a Blob the browser cannot read).
    pub(crate) hash_error: Option<Error>,
    /// The app caches its credentials: every call answers the first ones again.
    pub(crate) cached_credentials: Option<Option<FetchedCredentials>>,
    /// What the app's presign callback makes of the right URL for a request.
    pub(crate) presign_answer: Option<Box<dyn FnMut(Operation, String) -> String>>,
    /// What the next calls of the `credentials` callback do instead of answering.
    pub(crate) credentials_faults: VecDeque<CallbackFault>,
    /// What the next calls of the `presign` callback do instead of answering.
    pub(crate) presign_faults: VecDeque<CallbackFault>,
    /// Another tab holds the Web Lock: a lock request is answered `LockBusy` and waits (the test
    /// hands `Locked` in).
    pub(crate) lock_held_elsewhere: bool,
    /// The browser has no Web Locks: a lock request is answered `Unguarded`.
    pub(crate) no_web_locks: bool,
    /// The names of the locks asked for.
    pub(crate) locks: Vec<String>,
    /// The names of the locks let go.
    pub(crate) unlocks: Vec<String>,
    pending: VecDeque<Input>,
    operations: BTreeMap<JobId, Operation>,
    wake: Option<u64>,
}

pub(crate) enum Mode {
    Sts,
    Presigned,
}

/// The scripted file's description.
pub(crate) fn file_info(size: u64) -> FileInfo {
    FileInfo { name: "talk.bin".into(), size, last_modified: 1_700_000_000_000, mime: String::new() }
}

fn object() -> ObjectSpec {
    ObjectSpec { key: KEY.into(), ..ObjectSpec::default() }
}

pub(crate) fn config() -> Config {
    Config { part_size: Some(5 * MIB), ..Config::default() }
}

pub(crate) fn client(mode: Mode) -> Client {
    client_of(Provider::S3, mode)
}

/// A client of `provider`'s service at the scripted address.
pub(crate) fn client_of(provider: Provider, mode: Mode) -> Client {
    let bucket = Bucket::new(&BucketConfig {
        provider,
        endpoint: "http://127.0.0.1:9000",
        name: "bucket",
        region: Some("us-east-1"),
        path_style: Some(true),
        scheme: None,
    })
    .expect("bucket");
    let signing = match mode {
        Mode::Sts => Signing::Credentials(Keyring::default()),
        Mode::Presigned => Signing::Presigned,
    };
    Client::new(bucket, "http://127.0.0.1:9000".into(), signing)
}

impl Service {
    /// No uploads or objects; ListParts answers pages of 1,000.
    pub(crate) fn new() -> Self {
        Service { list_page: 1000, ..Service::default() }
    }

    /// What the service answers to a request for `file`'s bytes it carries out at `true_now`
    /// (seconds since the epoch).
    pub(crate) fn answer(&mut self, request: &SignedRequest, file: &File, true_now: i64) -> Response {
        let q = query(&request.url);
        let key = key_of(&request.url);
        let header = |name: &str| request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v);
        if let Some(date) = header("x-amz-date") {
            let seen = parse_amz_date(date);
            if (seen - true_now).abs() > 15 * 60 {
                let date = http_date(true_now);
                return error(403, "RequestTimeTooSkewed", vec![("date", date)]);
            }
        }
        let digest = |request: &SignedRequest, file: &File| match request.body {
            Body::Range { offset, len } => file.digest(&[(offset, len)]),
            _ => md5(b""),
        };
        match (request.method, q.get("uploadId"), q.get("partNumber")) {
            (Method::Post, None, _) => {
                self.next_upload += 1;
                let id = format!("u{}", self.next_upload);
                let algorithm = header("x-amz-checksum-algorithm")
                    .map(|name| *ChecksumAlgorithm::FLEXIBLE.iter().find(|a| a.name() == name).expect("an algorithm"));
                self.uploads.insert(id.clone(), StoredUpload { algorithm, ..StoredUpload::default() });
                ok(format!(
                    "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>{key}</Key><UploadId>{id}</UploadId></InitiateMultipartUploadResult>"
                ))
            }
            (Method::Put, Some(id), Some(number)) => {
                let d = digest(request, file);
                if header("content-md5").is_some_and(|m| *m != base64(&d)) {
                    return error(400, "BadDigest", Vec::new());
                }
                if !checksums_hold(request, file) {
                    return error(400, "BadDigest", Vec::new());
                }
                let Some(upload) = self.uploads.get_mut(id) else { return no_such_upload() };
                let etag = format!("\"{}\"", hex::encode(if self.opaque_etags { md5(&d) } else { d }));
                let Body::Range { offset, len } = request.body else { panic!("a part without a body") };
                let number = number.parse().expect("number");
                upload.parts.insert(number, (etag.clone(), len));
                upload.ranges.insert(number, (offset, len));
                with_etag(&etag)
            }
            (Method::Put, None, _) => {
                if !checksums_hold(request, file) {
                    return error(400, "BadDigest", Vec::new());
                }
                let Body::Range { len, .. } = request.body else { panic!("a put without a body") };
                let etag = format!("\"{}\"", hex::encode(digest(request, file)));
                self.objects.insert(key, (len, etag.clone()));
                with_etag(&etag)
            }
            (Method::Post, Some(id), _) => {
                let Some(upload) = self.uploads.remove(id) else { return no_such_upload() };
                let digests: Vec<[u8; 16]> = upload
                    .parts
                    .values()
                    .map(|(etag, _)| {
                        let mut d = [0u8; 16];
                        hex::decode_to_slice(etag.trim_matches('"'), &mut d).expect("hex");
                        d
                    })
                    .collect();
                let etag = if self.opaque_etags {
                    format!("\"{}\"", hex::encode(md5(&digests.concat())))
                } else {
                    multipart_etag(&digests)
                };
                let size = upload.parts.values().map(|(_, s)| s).sum();
                // The object's checksum: of its bytes (a CRC) or of the parts' digests (SHA256),
                // checked against the one Complete names, as S3 does.
                let mut checksum = String::new();
                if let Some(algorithm) = upload.algorithm {
                    let ranges: Vec<(u64, u64)> = upload.ranges.values().copied().collect();
                    let mut value = if algorithm.full_object() {
                        base64(&file.checksum(algorithm, &ranges))
                    } else {
                        let parts: Vec<_> = ranges.iter().map(|r| (file.checksum(algorithm, &[*r]), r.1)).collect();
                        algorithm.object(&parts).expect("digests")
                    };
                    if header(&algorithm.header()).is_some_and(|named| *named != value) {
                        return error(400, "BadDigest", Vec::new());
                    }
                    if self.wrong_object_checksum {
                        value = base64(&file.checksum(algorithm, &[(0, 1)]));
                    }
                    checksum = format!(
                        "<{0}>{value}</{0}><ChecksumType>{1}</ChecksumType>",
                        algorithm.element(),
                        algorithm.checksum_type()
                    );
                }
                self.objects.insert(key.clone(), (size, etag.clone()));
                let mut response = ok(format!(
                    "<CompleteMultipartUploadResult><Location>x</Location><Bucket>bucket</Bucket><Key>{key}</Key><ETag>{}</ETag>{checksum}</CompleteMultipartUploadResult>",
                    etag.replace('"', "&quot;")
                ));
                if let Some(name) = self.crc64_header {
                    let ranges: Vec<(u64, u64)> = upload.ranges.values().copied().collect();
                    let ranges = if self.wrong_object_checksum { vec![(0, 1)] } else { ranges };
                    let crc = file.checksum(ChecksumAlgorithm::Crc64Ecma, &ranges);
                    let decimal = u64::from_be_bytes(crc.try_into().expect("eight bytes")).to_string();
                    response.headers.push((name.into(), decimal));
                }
                response
            }
            (Method::Delete, Some(id), _) => match self.uploads.remove(id) {
                Some(_) => Response { status: 204, headers: Vec::new(), body: Vec::new() },
                None => no_such_upload(),
            },
            (Method::Get, Some(id), _) => {
                let Some(upload) = self.uploads.get(id) else { return no_such_upload() };
                let marker: u16 = q.get("part-number-marker").and_then(|m| m.parse().ok()).unwrap_or(0);
                let parts: Vec<_> = upload.parts.iter().filter(|(n, _)| **n > marker).collect();
                let page: Vec<_> = parts.iter().take(self.list_page).collect();
                let truncated = parts.len() > page.len();
                let mut body = String::from("<ListPartsResult>");
                for (n, (etag, size)) in &page {
                    body.push_str(&format!(
                        "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag><Size>{size}</Size></Part>",
                        etag.replace('"', "&quot;")
                    ));
                }
                let next = page.last().map_or(0, |(n, _)| **n);
                body.push_str(&format!(
                    "<IsTruncated>{truncated}</IsTruncated><NextPartNumberMarker>{next}</NextPartNumberMarker></ListPartsResult>"
                ));
                ok(body)
            }
            (Method::Head, None, _) => match self.objects.get(&key) {
                Some((size, etag)) => Response {
                    status: 200,
                    headers: vec![("content-length".into(), size.to_string()), ("etag".into(), etag.clone())],
                    body: Vec::new(),
                },
                None => Response { status: 404, headers: Vec::new(), body: Vec::new() },
            },
            other => panic!("unexpected request {other:?} {}", request.url),
        }
    }
}

impl World {
    pub(crate) fn new(size: u64, config: Config, mode: Mode) -> Self {
        Self::with_object(size, config, mode, object())
    }

    /// As [`World::new`], uploading to `object` (its key and options).
    pub(crate) fn with_object(size: u64, config: Config, mode: Mode, object: ObjectSpec) -> Self {
        Self::of(Provider::S3, size, config, mode, object)
    }

    /// As [`World::with_object`], on `provider`'s service.
    pub(crate) fn of(provider: Provider, size: u64, config: Config, mode: Mode, object: ObjectSpec) -> Self {
        let mut client = client_of(provider, mode);
        let crc64_header = client.bucket.profile().crc64_header;
        let upload = Upload::new(config, &mut client, object, file_info(size), 2, START_MS, 7).expect("plan");
        World {
            upload,
            client,
            file: File { size, changed: Vec::new() },
            service: Service { crc64_header, ..Service::new() },
            now: START_MS,
            client_clock_error_s: 0,
            rules: Vec::new(),
            checkpoints: BTreeMap::new(),
            events: Vec::new(),
            log: Vec::new(),
            sent: Vec::new(),
            credential_calls: 0,
            credentials_lifetime_s: None,
            offline_until: None,
            hash_error: None,
            presign_answer: None,
            cached_credentials: None,
            credentials_faults: VecDeque::new(),
            presign_faults: VecDeque::new(),
            lock_held_elsewhere: false,
            no_web_locks: false,
            locks: Vec::new(),
            unlocks: Vec::new(),
            pending: VecDeque::new(),
            operations: BTreeMap::new(),
            wake: None,
        }
    }

    /// A fresh machine for the same file (a reload), keeping the service and the checkpoints.
    pub(crate) fn reload(&mut self, config: Config) {
        self.reload_object(config, object());
    }

    /// As [`World::reload`], uploading to `object` (the app passes its options again).
    pub(crate) fn reload_object(&mut self, config: Config, object: ObjectSpec) {
        let info = FileInfo {
            name: "talk.bin".into(),
            size: self.file.size,
            last_modified: 1_700_000_000_000,
            mime: String::new(),
        };
        self.client.budget.leave(self.upload.id());
        self.upload = Upload::new(config, &mut self.client, object, info, 2, self.now, 11).expect("plan");
        self.pending.clear();
        self.events.clear();
        self.log.clear();
        self.sent.clear();
        self.wake = None;
    }

    /// Runs until part `number` is stored; then another tab's upload of a file that differs in
    /// that part stores its own part `number` in this upload (two tabs without Web Locks sharing
    /// one checkpoint).
    pub(crate) fn another_tab_replaces_part(&mut self, number: u16) {
        self.run_until(|w| w.events.iter().any(|e| matches!(e, Event::Part { number: n, .. } if *n == number)));
        let upload = self.service.uploads.values_mut().next().expect("the upload");
        let (etag, _) = upload.parts.get_mut(&number).expect("the part");
        *etag = format!("\"{}\"", hex::encode(md5(b"the other file's part")));
    }

    pub(crate) fn rule(&mut self, rule: impl FnMut(Operation, &SignedRequest) -> Option<Fault> + 'static) {
        self.rules.push(Box::new(rule));
    }

    /// Runs until the machine reports an outcome, or `steps` inputs have gone in.
    pub(crate) fn run(&mut self) -> Result<UploadResult, Error> {
        self.run_until(|_| false).expect("an outcome")
    }

    /// Runs until an outcome or until `stop` says so after a step (`None` then).
    pub(crate) fn run_until(&mut self, mut stop: impl FnMut(&World) -> bool) -> Option<Result<UploadResult, Error>> {
        for _ in 0..100_000 {
            let commands = self.upload.poll(self.now, &mut self.client);
            self.execute(commands);
            if let Some(outcome) = self.upload.outcome() {
                return Some(outcome);
            }
            if stop(self) {
                return None;
            }
            if let Some(input) = self.pending.pop_front() {
                self.input(input);
                continue;
            }
            let next = [self.wake.take(), self.offline_until].into_iter().flatten().filter(|t| *t > self.now).min();
            match next {
                Some(at) => self.now = at,
                None => panic!("the machine waits for nothing: {:?}", self.log.last()),
            }
            if self.offline_until.is_some_and(|t| t <= self.now) {
                self.offline_until = None;
                self.pending.push_back(Input::Online);
            }
        }
        panic!("no outcome after 100,000 steps");
    }

    /// Polls the machine once and carries out what it asks.
    pub(crate) fn upload_poll(&mut self) -> Vec<Command> {
        let commands = self.upload.poll(self.now, &mut self.client);
        self.execute(commands.clone());
        commands
    }

    pub(crate) fn input(&mut self, input: Input) {
        let commands = self.upload.handle(input, self.now, &mut self.client);
        self.execute(commands);
    }

    fn execute(&mut self, commands: Vec<Command>) {
        for command in commands {
            self.log.push(command.clone());
            match command {
                Command::Send { id, request } => self.send(id, &request),
                Command::Presign { id, operation, request } => {
                    self.operations.insert(id, operation);
                    match self.presign_faults.pop_front() {
                        Some(CallbackFault::Fail(error)) => {
                            self.pending.push_back(Input::Presigned { id, result: Err(error) });
                            continue;
                        }
                        Some(CallbackFault::Hang) => continue,
                        None => {}
                    }
                    let mut url = self.client.bucket.url(&request);
                    if let Some(answer) = &mut self.presign_answer {
                        url = answer(operation, url);
                    }
                    self.pending.push_back(Input::Presigned { id, result: Ok(Presigned { url, headers: Vec::new() }) });
                }
                Command::FetchCredentials { id } => {
                    self.credential_calls += 1;
                    match self.credentials_faults.pop_front() {
                        Some(CallbackFault::Fail(error)) => {
                            self.pending.push_back(Input::Credentials { id, result: Err(error) });
                            continue;
                        }
                        Some(CallbackFault::Hang) => continue,
                        None => {}
                    }
                    let n = self.credential_calls;
                    let true_now = i64::try_from(self.now / 1000).expect("ms") + self.client_clock_error_s;
                    let expiration =
                        self.credentials_lifetime_s.map(|s| Timestamp::from_unix(true_now + s).expect("time"));
                    let credentials = Credentials::new(format!("key-{n}"), "secret", Some(format!("token-{n}")));
                    let mut fetched = FetchedCredentials { credentials, expiration };
                    if let Some(cache) = &mut self.cached_credentials {
                        fetched = cache.get_or_insert(fetched).clone();
                    }
                    self.pending.push_back(Input::Credentials { id, result: Ok(fetched) });
                }
                Command::Hash { id, ranges, md5, checksum } => self.pending.push_back(match &self.hash_error {
                    Some(error) => Input::Failure { id, error: error.clone(), offline: false },
                    None => Input::Hashed {
                        id,
                        md5: md5.then(|| self.file.digest(&ranges)),
                        checksum: checksum.map(|a| self.file.checksum(a, &ranges)),
                    },
                }),
                Command::Cancel(id) => self.pending.retain(|input| input_id(input) != Some(id)),
                Command::Lock { name } => {
                    self.locks.push(name);
                    let answer = match (self.lock_held_elsewhere, self.no_web_locks) {
                        (true, _) => Input::LockBusy,
                        (false, true) => Input::Unguarded,
                        (false, false) => Input::Locked,
                    };
                    self.pending.push_back(answer);
                }
                Command::Unlock { name } => self.unlocks.push(name),
                Command::LoadCheckpoints { destination } => {
                    let records = self.checkpoints.iter().filter(|(id, _)| id.starts_with(&destination));
                    let records = records.map(|(_, record)| record.clone()).collect();
                    self.pending.push_back(Input::CheckpointsLoaded(records));
                }
                Command::SaveCheckpoint(checkpoint) => {
                    self.checkpoints.insert(checkpoint.id(), checkpoint);
                }
                Command::DeleteCheckpoint(id) => {
                    self.checkpoints.remove(&id);
                }
                Command::WaitOnline => {}
                Command::Sleep { until_ms } => {
                    let earlier = self.wake.filter(|w| *w > self.now && *w < until_ms);
                    self.wake = Some(earlier.unwrap_or(until_ms));
                }
                Command::Emit(event) => self.events.push(event),
            }
        }
    }

    fn send(&mut self, id: JobId, request: &SignedRequest) {
        let operation = operation_of(request);
        let part = query(&request.url).get("partNumber").and_then(|n| n.parse().ok());
        self.sent.push((operation, part));
        let mut fault = None;
        for rule in &mut self.rules {
            if let Some(f) = rule(operation, request) {
                fault = Some(f);
                break;
            }
        }
        if self.offline_until.is_some() {
            fault = Some(Fault::Lost { performed: false, offline: true });
        }
        let response = match fault {
            None => self.answer(request),
            Some(Fault::Answer(status, code, headers)) => error(status, code, headers),
            Some(Fault::Lost { performed, offline }) => {
                if performed {
                    self.answer(request);
                }
                let error = Error::Network { message: "the connection failed".into() };
                return self.pending.push_back(Input::Failure { id, error, offline });
            }
            Some(Fault::Stall) => return,
            Some(Fault::HideEtag) => {
                let mut response = self.answer(request);
                response.headers.retain(|(n, _)| n != "etag");
                response
            }
            Some(Fault::ErrorIn200(code)) => {
                let body = format!("<?xml version=\"1.0\"?>\n\n<Error><Code>{code}</Code><Message>m</Message></Error>");
                Response { status: 200, headers: Vec::new(), body: body.into_bytes() }
            }
        };
        if let Body::Range { len, .. } = request.body {
            self.pending.push_back(Input::Activity { id, sent: len });
        }
        self.pending.push_back(Input::Answer { id, response });
    }

    /// What the service answers to a request it carries out.
    fn answer(&mut self, request: &SignedRequest) -> Response {
        let true_now = i64::try_from(self.now / 1000).expect("ms") + self.client_clock_error_s;
        self.service.answer(request, &self.file, true_now)
    }

    /// The parts sent by UploadPart, in order.
    pub(crate) fn parts_sent(&self) -> Vec<u16> {
        self.sent.iter().filter(|(op, _)| *op == Operation::UploadPart).filter_map(|(_, n)| *n).collect()
    }

    pub(crate) fn count(&self, operation: Operation) -> usize {
        self.sent.iter().filter(|(op, _)| *op == operation).count()
    }

    pub(crate) fn retries(&self) -> Vec<(Option<u16>, u64, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Retry { part, delay_ms, error, .. } => Some((*part, *delay_ms, error.code().to_owned())),
                _ => None,
            })
            .collect()
    }
}

fn input_id(input: &Input) -> Option<JobId> {
    match input {
        Input::Answer { id, .. }
        | Input::Failure { id, .. }
        | Input::Activity { id, .. }
        | Input::Hashed { id, .. }
        | Input::Presigned { id, .. }
        | Input::Credentials { id, .. } => Some(*id),
        _ => None,
    }
}

/// Whether every `x-amz-checksum-<algorithm>` a request carries is its body's.
fn checksums_hold(request: &SignedRequest, file: &File) -> bool {
    let Body::Range { offset, len } = request.body else { return true };
    ChecksumAlgorithm::FLEXIBLE.into_iter().all(|algorithm| {
        let named = request.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(&algorithm.header()));
        named.is_none_or(|(_, value)| *value == base64(&file.checksum(algorithm, &[(offset, len)])))
    })
}

pub(crate) fn operation_of(request: &SignedRequest) -> Operation {
    let q = query(&request.url);
    match (request.method, q.contains_key("uploadId"), q.contains_key("partNumber"), q.contains_key("uploads")) {
        (Method::Post, false, _, true) => Operation::CreateMultipartUpload,
        (Method::Put, true, true, _) => Operation::UploadPart,
        (Method::Put, false, _, _) => Operation::PutObject,
        (Method::Post, true, _, _) => Operation::CompleteMultipartUpload,
        (Method::Delete, _, _, _) => Operation::AbortMultipartUpload,
        (Method::Get, true, _, _) => Operation::ListParts,
        (Method::Get, false, _, _) => Operation::ListMultipartUploads,
        (Method::Head, _, _, _) => Operation::HeadObject,
        other => panic!("unknown request {other:?}"),
    }
}

fn query(url: &str) -> BTreeMap<String, String> {
    let Some((_, q)) = url.split_once('?') else { return BTreeMap::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

fn key_of(url: &str) -> String {
    let path = url.split('?').next().unwrap_or_default();
    path.trim_start_matches("http://127.0.0.1:9000/bucket/").replace("%2F", "/")
}

fn ok(body: String) -> Response {
    Response { status: 200, headers: Vec::new(), body: body.into_bytes() }
}

fn with_etag(etag: &str) -> Response {
    Response { status: 200, headers: vec![("etag".into(), etag.into())], body: Vec::new() }
}

pub(crate) fn error(status: u16, code: &str, headers: Vec<(&str, String)>) -> Response {
    let body = format!("<Error><Code>{code}</Code><Message>scripted</Message><RequestId>req-1</RequestId></Error>");
    let headers = headers.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
    Response { status, headers, body: body.into_bytes() }
}

fn no_such_upload() -> Response {
    error(404, "NoSuchUpload", Vec::new())
}

fn base64(digest: &[u8]) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest)
}

/// `20261201T000000Z` as seconds since the epoch.
fn parse_amz_date(text: &str) -> i64 {
    let t = Timestamp::parse_rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &text[0..4],
        &text[4..6],
        &text[6..8],
        &text[9..11],
        &text[11..13],
        &text[13..15]
    ))
    .expect("x-amz-date");
    t.unix()
}

/// An HTTP date for `seconds`.
fn http_date(seconds: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        DAYS[usize::try_from(days.rem_euclid(7)).expect("day")],
        MONTHS[usize::try_from(month - 1).expect("month")],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
