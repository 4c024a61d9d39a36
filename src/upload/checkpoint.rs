//! The resume record of an upload, owned by the core and stored by the shell as JSON (IndexedDB),
//! written and read by the core's own small JSON module.
//! It holds where the upload goes, which file it is, and the parts already stored — never
//! credentials, tokens, URLs or an SSE-C key (the app passes that again to resume).

use super::parts::KeptPart;
use crate::actions::{ListedPart, held_parts};
use crate::error::{Error, Result};
use crate::hash::{etags_equal, md5_from_hex};
use crate::json::{self, ObjectWriter, Value};
use crate::plan::PartPlan;
use crate::sorted_map::sorted_positions;

/// The checkpoint format this build writes and reads.
pub const SCHEMA: u32 = 1;

/// Bytes hashed at each end of a file for its fingerprint.
pub const SAMPLE_BYTES: u64 = 64 * 1024;

/// What identifies a file across page loads: its metadata plus the MD5 of its first and last
/// [`SAMPLE_BYTES`], so a file with the same name and size but other bytes is not taken for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint {
    /// `File.name` (empty for a `Blob`).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// `File.lastModified`, milliseconds since the epoch (0 for a `Blob`).
    pub last_modified: i64,
    /// `Blob.type`.
    pub mime: String,
    /// Hex MD5 of the [`Fingerprint::sample_ranges`] bytes, in order.
    pub sample_md5: String,
}

impl Fingerprint {
    fn to_json(&self) -> String {
        ObjectWriter::new()
            .string("name", &self.name)
            .integer("size", self.size)
            .integer("lastModified", self.last_modified)
            .string("mime", &self.mime)
            .string("sampleMd5", &self.sample_md5)
            .finish()
    }

    /// The byte ranges `(offset, len)` whose MD5 goes into `sample_md5`: the start and the end of
    /// the file (one range when they overlap).
    pub fn sample_ranges(size: u64) -> Vec<(u64, u64)> {
        if size <= 2 * SAMPLE_BYTES {
            vec![(0, size)]
        } else {
            vec![(0, SAMPLE_BYTES), (size - SAMPLE_BYTES, SAMPLE_BYTES)]
        }
    }
}

/// A part the service has stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DonePart {
    /// Part number.
    pub number: u16,
    /// Size in bytes.
    pub size: u64,
    /// The `ETag` the service returned.
    pub etag: String,
    /// Hex MD5 of the bytes sent, when checksums are on: under SSE-KMS and SSE-C the ETag is no
    /// MD5, so a resume checks the file against this. A digest of a part, not a secret.
    pub md5: Option<String>,
    /// Base64 flexible checksum of the bytes sent (`x-amz-checksum-*`), when one is chosen.
    pub checksum: Option<String>,
}

impl DonePart {
    fn to_json(&self) -> String {
        ObjectWriter::new()
            .integer("number", self.number)
            .integer("size", self.size)
            .string("etag", &self.etag)
            .optional_string("md5", self.md5.as_deref())
            .optional_string("checksum", self.checksum.as_deref())
            .finish()
    }

    /// The recorded MD5.
    fn digest(&self) -> Option<[u8; 16]> {
        md5_from_hex(self.md5.as_deref()?)
    }
}

/// Everything needed to resume an upload after a reload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Format version ([`SCHEMA`]).
    pub schema: u32,
    /// The service (`s3`, `oss`, …).
    pub provider: String,
    /// The endpoint URL.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// The multipart upload id.
    pub upload_id: String,
    /// The part size the upload was planned with.
    pub part_size: u64,
    /// The flexible checksum the upload was declared with on Initiate (`crc32`…), if any: a
    /// resume with another `checksum` starts a new upload, as S3 takes only the declared one.
    pub checksum: Option<String>,
    /// The file.
    pub fingerprint: Fingerprint,
    /// Parts already stored, in any order.
    pub parts: Vec<DonePart>,
    /// When the upload started, milliseconds since the epoch.
    pub created_at: i64,
}

impl Checkpoint {
    /// The record's id: one per destination and file, so an upload of the same file to the same
    /// place finds it again. It is a JSON array (service, endpoint, bucket, key, then the whole
    /// fingerprint), so no two destinations or files share an id, whatever their names hold.
    pub fn id(&self) -> String {
        format!("{}{}]", self.destination(), self.fingerprint.to_json())
    }

    /// The start of [`Checkpoint::id`] shared by every record of this service, endpoint, bucket
    /// and key (whatever the file): the shell finds a key's records by it.
    pub fn destination(&self) -> String {
        let mut prefix = String::from("[");
        for part in [&self.provider, &self.endpoint, &self.bucket, &self.key] {
            json::write_string(&mut prefix, part);
            prefix.push(',');
        }
        prefix
    }

    /// Whether `other` is a record of this record's destination (another file, or this one).
    pub fn same_destination(&self, other: &Checkpoint) -> bool {
        self.belongs_to(&other.provider, &other.endpoint, &other.bucket) && self.key == other.key
    }

    /// The Web Locks name uploads of this file to this destination share.
    pub fn lock_name(&self) -> String {
        format!("partwise:{}", self.id())
    }

    /// Whether the record is of an upload to this service, endpoint and bucket.
    pub fn belongs_to(&self, provider: &str, endpoint: &str, bucket: &str) -> bool {
        self.provider == provider && self.endpoint == endpoint && self.bucket == bucket
    }

    /// How many parts the file is planned in (0 for a record that does not fit its file).
    pub fn parts_total(&self) -> u16 {
        self.plan().map_or(0, |plan| plan.count)
    }

    /// The record as JSON (fields in this order, camelCase, absent options left out).
    pub fn to_json(&self) -> String {
        let parts: Vec<String> = self.parts.iter().map(DonePart::to_json).collect();
        ObjectWriter::new()
            .integer("schema", self.schema)
            .string("provider", &self.provider)
            .string("endpoint", &self.endpoint)
            .string("bucket", &self.bucket)
            .string("key", &self.key)
            .string("uploadId", &self.upload_id)
            .integer("partSize", self.part_size)
            .optional_string("checksum", self.checksum.as_deref())
            .raw("fingerprint", &self.fingerprint.to_json())
            .raw("parts", &format!("[{}]", parts.join(",")))
            .integer("createdAt", self.created_at)
            .finish()
    }

    /// Reads and checks a stored record.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] for malformed JSON, another schema version, or parts that do not fit
    /// the recorded file and part size.
    pub fn from_json(text: &str) -> Result<Self> {
        let bad = |reason: String| Error::Checkpoint { reason };
        let record = json::parse(text).ok_or_else(|| bad("not a checkpoint: not JSON".into()))?;
        let schema: u32 = record
            .field("schema")
            .and_then(Value::as_integer)
            .ok_or_else(|| bad("not a checkpoint: no schema".into()))?;
        if schema != SCHEMA {
            return Err(bad(format!("schema {schema} (this version reads {SCHEMA})")));
        }
        let mut checkpoint = Self::from_value(&record).map_err(|field| bad(format!("malformed: {field}")))?;
        checkpoint.plan()?;
        // Earlier builds stored seconds; in milliseconds, no upload began before 1973.
        if checkpoint.created_at < 100_000_000_000 {
            checkpoint.created_at = checkpoint.created_at.saturating_mul(1000);
        }
        Ok(checkpoint)
    }

    /// The record's fields, or the name of the first that is missing or of the wrong type.
    fn from_value(record: &Value) -> std::result::Result<Self, &'static str> {
        let fingerprint = record.field("fingerprint").ok_or("fingerprint")?;
        let parts = record.field("parts").and_then(Value::as_array).ok_or("parts")?;
        Ok(Checkpoint {
            schema: integer(record, "schema")?,
            provider: string(record, "provider")?,
            endpoint: string(record, "endpoint")?,
            bucket: string(record, "bucket")?,
            key: string(record, "key")?,
            upload_id: string(record, "uploadId")?,
            part_size: integer(record, "partSize")?,
            checksum: optional_string(record, "checksum")?,
            fingerprint: Fingerprint {
                name: string(fingerprint, "name")?,
                size: integer(fingerprint, "size")?,
                last_modified: integer(fingerprint, "lastModified")?,
                mime: string(fingerprint, "mime")?,
                sample_md5: string(fingerprint, "sampleMd5")?,
            },
            parts: parts
                .iter()
                .map(|part| {
                    Ok(DonePart {
                        number: integer(part, "number")?,
                        size: integer(part, "size")?,
                        etag: string(part, "etag")?,
                        md5: optional_string(part, "md5")?,
                        checksum: optional_string(part, "checksum")?,
                    })
                })
                .collect::<std::result::Result<_, &str>>()?,
            created_at: integer(record, "createdAt")?,
        })
    }

    /// The part plan the record implies, checked against its parts.
    fn plan(&self) -> Result<PartPlan> {
        let bad = |reason: String| Error::Checkpoint { reason };
        if self.part_size == 0 || self.upload_id.trim_ascii().is_empty() {
            return Err(bad("no part size or upload id".into()));
        }
        let count = self.fingerprint.size.div_ceil(self.part_size).max(1);
        let count = u16::try_from(count).map_err(|_| bad(format!("{count} parts")))?;
        let plan = PartPlan { total: self.fingerprint.size, part_size: self.part_size, count };
        for part in &self.parts {
            let md5_ok = part.md5.as_deref().is_none_or(|m| md5_from_hex(m).is_some());
            match plan.part(part.number) {
                Some(spec) if spec.size == part.size && !part.etag.trim_ascii().is_empty() && md5_ok => {}
                _ => return Err(bad(format!("part {} does not fit the file", part.number))),
            }
        }
        Ok(plan)
    }

    /// The parts that need not be sent again, as the service holds them ([`held_parts`]): a part recorded here is
    /// kept when the listed size and `ETag` match the record; a listed part the record misses (the
    /// page closed between the part's answer and the checkpoint's save) is kept when its size is the
    /// one the plan gives it. With checksums on, the session checks every kept part against the file
    /// before Complete: by the recorded MD5, else by the ETag. Everything else is uploaded anew.
    pub fn reconcile(&self, listed: &[ListedPart]) -> Vec<KeptPart> {
        let plan = self.plan().ok();
        let held = held_parts(listed);
        let mut kept: Vec<KeptPart> =
            sorted_positions(held.len(), &|a, b| held[a].part_number.cmp(&held[b].part_number))
                .into_iter()
                .map(|at| held[at])
                .filter_map(|l| {
                    match self.parts.iter().find(|p| p.number == l.part_number) {
                        Some(p) => {
                            (p.size == l.size && etags_equal(&l.etag, &p.etag)).then(|| (p.etag.clone(), p.digest()))
                        }
                        None => {
                            let fits = plan
                                .as_ref()
                                .and_then(|plan| plan.part(l.part_number))
                                .is_some_and(|s| s.size == l.size);
                            (fits && !l.etag.trim_ascii().is_empty()).then(|| (l.etag.clone(), None))
                        }
                    }
                    .map(|(etag, md5)| KeptPart { part_number: l.part_number, etag, md5 })
                })
                .collect();
        kept.dedup_by_key(|p| p.part_number);
        kept
    }
}

/// A record's string field.
fn string(record: &Value, name: &'static str) -> std::result::Result<String, &'static str> {
    record.field(name).and_then(Value::as_str).map(str::to_owned).ok_or(name)
}

/// A record's optional string field: absent or `null` is none.
fn optional_string(record: &Value, name: &'static str) -> std::result::Result<Option<String>, &'static str> {
    match record.field(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_str().map(|text| Some(text.to_owned())).ok_or(name),
    }
}

/// A record's integer field, which must fit `T`.
fn integer<T: std::str::FromStr>(record: &Value, name: &'static str) -> std::result::Result<T, &'static str> {
    record.field(name).and_then(Value::as_integer).ok_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            schema: SCHEMA,
            provider: "s3".into(),
            endpoint: "http://127.0.0.1:8333".into(),
            bucket: "uploads".into(),
            key: "a/b.bin".into(),
            upload_id: "id".into(),
            part_size: 10,
            fingerprint: Fingerprint {
                name: "b.bin".into(),
                size: 25,
                last_modified: 1_700_000_000_000,
                mime: "application/octet-stream".into(),
                sample_md5: "00".repeat(16),
            },
            parts: vec![
                DonePart { number: 1, size: 10, etag: "\"aa\"".into(), md5: None, checksum: None },
                DonePart { number: 3, size: 5, etag: "\"cc\"".into(), md5: Some("cc".repeat(16)), checksum: None },
            ],
            checksum: None,
            created_at: 1_700_000_000_000,
        }
    }

    #[test]
    fn writes_the_records_and_ids_serde_json_wrote() {
        // As the builds that wrote records with serde_json wrote them, so stored ids still match.
        let mut c = checkpoint();
        c.key = "dir/ünï 😀\u{1}\t\\\"],[x".into();
        c.checksum = Some("crc64nvme".into());
        c.parts[1].checksum = Some("AAAA==".into());
        let json = c.to_json();
        assert_eq!(
            json,
            concat!(
                r#"{"schema":1,"provider":"s3","endpoint":"http://127.0.0.1:8333","bucket":"uploads","#,
                r#""key":"dir/ünï 😀\u0001\t\\\"],[x","uploadId":"id","partSize":10,"checksum":"crc64nvme","#,
                r#""fingerprint":{"name":"b.bin","size":25,"lastModified":1700000000000,"#,
                r#""mime":"application/octet-stream","sampleMd5":"00000000000000000000000000000000"},"#,
                r#""parts":[{"number":1,"size":10,"etag":"\"aa\""},"#,
                r#"{"number":3,"size":5,"etag":"\"cc\"","md5":"cccccccccccccccccccccccccccccccc","checksum":"AAAA=="}],"#,
                r#""createdAt":1700000000000}"#
            )
        );
        assert_eq!(
            c.id(),
            concat!(
                r#"["s3","http://127.0.0.1:8333","uploads","dir/ünï 😀\u0001\t\\\"],[x","#,
                r#"{"name":"b.bin","size":25,"lastModified":1700000000000,"mime":"application/octet-stream","#,
                r#""sampleMd5":"00000000000000000000000000000000"}]"#
            )
        );
        assert_eq!(Checkpoint::from_json(&json), Ok(c.clone()));
        // What JSON.stringify gives back from IndexedDB: the id added, null options, other spacing.
        let stored = json
            .replacen('{', r#"{ "id": "x", "extra": [1, {"a": null}],"#, 1)
            .replace(r#","checksum":"crc64nvme""#, r#","checksum":null"#);
        c.checksum = None;
        assert_eq!(Checkpoint::from_json(&stored), Ok(c));
    }

    fn listed(number: u16, size: u64, etag: &str) -> ListedPart {
        ListedPart { part_number: number, etag: etag.into(), size, last_modified: None }
    }

    #[test]
    fn round_trips_and_holds_no_secrets() {
        let c = checkpoint();
        let json = c.to_json();
        assert_eq!(Checkpoint::from_json(&json), Ok(c));
        for word in ["secret", "token", "signature", "credential", "X-Amz", "http://127.0.0.1:8333/"] {
            assert!(!json.to_lowercase().contains(&word.to_lowercase()), "{word} in {json}");
        }
    }

    #[test]
    fn rejects_corrupt_old_and_inconsistent_records() {
        for text in ["", "{", "null", "[]", "{\"schema\":1}", "{\"schema\":\"1\"}"] {
            assert!(matches!(Checkpoint::from_json(text), Err(Error::Checkpoint { .. })), "{text:?}");
        }
        let old = checkpoint().to_json().replace("\"schema\":1", "\"schema\":0");
        assert!(Checkpoint::from_json(&old).expect_err("old").to_string().contains("schema 0"));
        for bad_part in [
            DonePart { number: 4, size: 5, etag: "e".into(), md5: None, checksum: None },
            DonePart { number: 2, size: 9, etag: "e".into(), md5: None, checksum: None },
            DonePart { number: 2, size: 10, etag: "e".into(), md5: Some("not hex".into()), checksum: None },
        ] {
            let c = Checkpoint { parts: vec![bad_part], ..checkpoint() };
            assert!(Checkpoint::from_json(&c.to_json()).is_err());
        }
        let no_size = Checkpoint { part_size: 0, ..checkpoint() };
        let in_seconds = Checkpoint { created_at: 1_700_000_000, ..checkpoint() };
        assert_eq!(Checkpoint::from_json(&in_seconds.to_json()).map(|c| c.created_at), Ok(1_700_000_000_000));
        assert!(Checkpoint::from_json(&no_size.to_json()).is_err());
    }

    #[test]
    fn keeps_only_parts_the_server_confirms() {
        let c = checkpoint();
        let server = [listed(1, 10, "\"AA\""), listed(2, 10, "\"bb\""), listed(3, 5, "\"other\"")];
        assert_eq!(
            c.reconcile(&server),
            vec![
                KeptPart { part_number: 1, etag: "\"aa\"".into(), md5: None },
                KeptPart { part_number: 2, etag: "\"bb\"".into(), md5: None }, // stored, but not yet recorded
            ],
            "part 3's ETag differs from the record"
        );
        assert!(
            c.reconcile(&[listed(2, 9, "\"bb\""), listed(4, 10, "\"dd\"")]).is_empty(),
            "parts that don't fit the plan"
        );
        assert!(c.reconcile(&[]).is_empty());
        assert!(c.reconcile(&[listed(1, 9, "\"aa\"")]).is_empty(), "a size mismatch is re-sent");
        assert_eq!(
            c.reconcile(&[listed(3, 5, "\"cc\"")]),
            vec![KeptPart { part_number: 3, etag: "\"cc\"".into(), md5: Some([0xcc; 16]) }],
            "the recorded MD5 goes with the part, to check the file against"
        );
    }

    #[test]
    fn a_part_number_listed_twice_is_its_last_entry() {
        // SeaweedFS lists every upload of part 3: the recorded one, then another tab's.
        let c = checkpoint();
        assert!(c.reconcile(&[listed(3, 5, "\"cc\""), listed(3, 5, "\"other\"")]).is_empty());
        let kept = c.reconcile(&[listed(3, 5, "\"other\""), listed(3, 5, "\"cc\"")]);
        assert_eq!(kept.iter().map(|p| p.etag.as_str()).collect::<Vec<_>>(), ["\"cc\""]);
    }

    #[test]
    fn kept_parts_come_in_part_number_order_the_first_of_scattered_repeats() {
        // Part 2 is not recorded, so both of its entries fit; the first one listed is kept.
        let c = checkpoint();
        let kept = c.reconcile(&[
            listed(3, 5, "\"cc\""),
            listed(2, 10, "\"x\""),
            listed(1, 10, "\"aa\""),
            listed(2, 10, "\"y\""),
        ]);
        let kept: Vec<_> = kept.iter().map(|p| (p.part_number, p.etag.as_str())).collect();
        assert_eq!(kept, [(1, "\"aa\""), (2, "\"x\""), (3, "\"cc\"")]);
    }

    #[test]
    fn ids_differ_for_every_destination_and_file() {
        let c = checkpoint();
        assert!(c.id().starts_with(&c.destination()));
        let others = [
            Checkpoint { bucket: "uploads|a".into(), key: "b.bin".into(), ..checkpoint() },
            Checkpoint { bucket: "uploads".into(), key: "a|b.bin".into(), ..checkpoint() },
            Checkpoint { key: "a/b.bin\",\"".into(), ..checkpoint() },
            Checkpoint { key: "a/b.bin2".into(), ..checkpoint() },
            Checkpoint { fingerprint: Fingerprint { name: "c.bin".into(), ..c.fingerprint.clone() }, ..checkpoint() },
            Checkpoint {
                fingerprint: Fingerprint { mime: "text/plain".into(), ..c.fingerprint.clone() },
                ..checkpoint()
            },
        ];
        for other in &others {
            assert_ne!(other.id(), c.id(), "{other:?}");
            let same_place = other.same_destination(&c);
            assert_eq!(other.id().starts_with(&c.destination()), same_place, "{}", other.id());
        }
        let moved = Checkpoint { upload_id: "other".into(), parts: Vec::new(), ..checkpoint() };
        assert_eq!(moved.id(), c.id(), "the id names the destination and file, not the upload");
    }

    #[test]
    fn parts_total_follows_the_plan() {
        assert_eq!(checkpoint().parts_total(), 3, "25 bytes in parts of 10");
        assert_eq!(Checkpoint { part_size: 0, ..checkpoint() }.parts_total(), 0);
    }

    #[test]
    fn samples() {
        assert_eq!(Fingerprint::sample_ranges(0), vec![(0, 0)]);
        assert_eq!(Fingerprint::sample_ranges(2 * SAMPLE_BYTES), vec![(0, 2 * SAMPLE_BYTES)]);
        assert_eq!(
            Fingerprint::sample_ranges(1 << 30),
            vec![(0, SAMPLE_BYTES), ((1 << 30) - SAMPLE_BYTES, SAMPLE_BYTES)]
        );
    }
}
