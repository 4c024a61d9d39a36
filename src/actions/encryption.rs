//! Server-side encryption of an upload: the mode the app picks and the headers each request of the
//! upload carries for it, in the service's names ([`crate::provider::EncryptionNames`]).

use super::checked_value;
use crate::error::{Error, Result};
use crate::hash::md5;
use crate::json::ObjectWriter;
use crate::provider::Profile;
use base64ct::{Base64, Encoding};
use std::fmt;

/// A customer-provided 256-bit key (SSE-C). Never printed, never stored in a checkpoint: the app
/// passes it again to resume.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerKey([u8; 32]);

impl CustomerKey {
    /// The key from its base64 form.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] unless `base64` decodes to 32 bytes.
    pub fn from_base64(base64: &str) -> Result<Self> {
        let bytes = Base64::decode_vec(base64.trim_ascii()).map_err(|_| bad_key())?;
        bytes.try_into().map(CustomerKey).map_err(|_| bad_key())
    }
}

/// An encryption context as the JSON object SSE-KMS takes: keys in order, a repeated key's last value.
fn context_json(context: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(context.len());
    for (key, value) in context {
        match pairs.binary_search_by(|(k, _)| k.cmp(&key.as_str())) {
            Ok(at) => pairs[at].1 = value,
            Err(at) => pairs.insert(at, (key, value)),
        }
    }
    let mut object = ObjectWriter::new();
    for (k, v) in pairs {
        object.string(k, v);
    }
    object.finish()
}

fn bad_key() -> Error {
    Error::invalid("encryption", "key must be a base64 256-bit (32-byte) key")
}

impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::redact::REDACTED)
    }
}

/// How the service encrypts the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// With keys the service manages (SSE-S3, SSE-OSS, SSE-OBS, …).
    Managed,
    /// With a key in the service's KMS (SSE-KMS): its id (the service's default key without) and
    /// an encryption context, sent as base64 JSON.
    Kms {
        /// The KMS key.
        key_id: Option<String>,
        /// The encryption context's pairs.
        context: Vec<(String, String)>,
    },
    /// With the app's own key (SSE-C), sent with each request that reads or writes the data.
    Customer(CustomerKey),
}

/// The requests of an upload that carry encryption headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncryptedRequest {
    /// InitiateMultipartUpload and PutObject: every header of the mode.
    Create,
    /// UploadPart: the customer key.
    Part,
    /// CompleteMultipartUpload: the customer key where the service asks for it.
    Complete,
    /// HeadObject (the check after a lost Complete): the customer key, without which the service
    /// does not answer.
    Head,
}

impl Encryption {
    /// Whether a part's `ETag` is still its MD5. Under SSE-KMS and SSE-C it is not (S3), so parts
    /// are checked by the service against their Content-MD5 instead.
    pub fn keeps_md5_etags(&self) -> bool {
        matches!(self, Encryption::Managed)
    }

    /// The headers `request` carries for `profile`'s service.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a mode the service lacks, or a key id or context a header
    /// cannot carry.
    pub fn headers(&self, profile: &Profile, request: EncryptedRequest) -> Result<Vec<(String, String)>> {
        let names = profile.encryption;
        let service = profile.provider.name();
        let lacks = |mode: &str| Error::invalid("encryption", format!("{mode} is not supported by {service}"));
        let pair = |name: &str, value: String| (name.to_owned(), value);
        match self {
            Encryption::Managed => {
                let value = names.managed.ok_or_else(|| lacks("SSE-S3"))?;
                Ok(if request == EncryptedRequest::Create { vec![pair(names.header, value.into())] } else { vec![] })
            }
            Encryption::Kms { key_id, context } => {
                let kms = names.kms.ok_or_else(|| lacks("SSE-KMS"))?;
                let mut out = vec![pair(names.header, kms.value.into())];
                if let Some(key_id) = key_id {
                    out.push(pair(kms.key_id, checked_value("encryption", key_id)?));
                }
                if !context.is_empty() {
                    let header = kms.context.ok_or_else(|| lacks("an SSE-KMS context"))?;
                    out.push(pair(header, Base64::encode_string(context_json(context).as_bytes())));
                }
                Ok(if request == EncryptedRequest::Create { out } else { vec![] })
            }
            Encryption::Customer(CustomerKey(key)) => {
                let customer = names.customer.ok_or_else(|| lacks("SSE-C"))?;
                if request == EncryptedRequest::Complete && !customer.on_complete {
                    return Ok(vec![]);
                }
                Ok(vec![
                    pair(customer.algorithm, "AES256".into()),
                    pair(customer.key, Base64::encode_string(key)),
                    pair(customer.key_md5, Base64::encode_string(&md5(key))),
                ])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // "0123456789abcdef" twice

    #[test]
    fn context_is_the_json_object_serde_json_wrote() {
        let context: Vec<(String, String)> = [("b", "1"), ("a\"", "é\n"), ("b", "3"), ("", "")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let map: serde_json::Map<String, serde_json::Value> =
            context.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
        assert_eq!(context_json(&context), serde_json::Value::Object(map).to_string());
        assert_eq!(context_json(&context), r#"{"":"","a\"":"é\n","b":"3"}"#);
        assert_eq!(context_json(&[]), "{}");
    }

    fn names(headers: &[(String, String)]) -> Vec<&str> {
        headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn customer_keys_are_checked_and_never_printed() {
        let key = CustomerKey::from_base64(KEY).expect("32 bytes");
        assert_eq!(format!("{:?}", Encryption::Customer(key)), "Customer(<redacted>)");
        for bad in ["", "not base64!", "MDEyMzQ1Njc4OWFiY2RlZg=="] {
            assert_eq!(CustomerKey::from_base64(bad).expect_err(bad).code(), "InvalidInput");
        }
    }

    #[test]
    fn s3_sse_c_goes_on_every_write_and_complete() {
        let sse_c = Encryption::Customer(CustomerKey::from_base64(KEY).expect("key"));
        let s3 = Provider::S3.profile();
        for request in
            [EncryptedRequest::Create, EncryptedRequest::Part, EncryptedRequest::Complete, EncryptedRequest::Head]
        {
            let h = sse_c.headers(s3, request).expect("S3 has SSE-C");
            assert_eq!(
                h,
                vec![
                    ("x-amz-server-side-encryption-customer-algorithm".into(), "AES256".into()),
                    ("x-amz-server-side-encryption-customer-key".into(), KEY.into()),
                    // base64(md5("0123456789abcdef0123456789abcdef"))
                    ("x-amz-server-side-encryption-customer-key-MD5".into(), "hRasmdxgYDKV3nvbahU1MA==".into()),
                ]
            );
        }
        let obs = Provider::Obs.profile();
        assert_eq!(
            names(&sse_c.headers(obs, EncryptedRequest::Part).expect("OBS has SSE-C"))[1],
            "x-obs-server-side-encryption-customer-key"
        );
        assert!(sse_c.headers(obs, EncryptedRequest::Complete).expect("none").is_empty());
        assert!(sse_c.headers(Provider::Ks3.profile(), EncryptedRequest::Complete).expect("none").is_empty());
        for p in [Provider::Oss, Provider::Nos] {
            let e = sse_c.headers(p.profile(), EncryptedRequest::Create).expect_err("no SSE-C");
            assert!(e.code() == "InvalidInput" && e.to_string().contains("SSE-C"), "{e}");
        }
    }

    #[test]
    fn kms_goes_on_create_only() {
        let kms = Encryption::Kms { key_id: Some("alias/uploads".into()), context: vec![("team".into(), "α".into())] };
        let h = kms.headers(Provider::S3.profile(), EncryptedRequest::Create).expect("S3 has SSE-KMS");
        assert_eq!(h[0], ("x-amz-server-side-encryption".into(), "aws:kms".into()));
        assert_eq!(h[1], ("x-amz-server-side-encryption-aws-kms-key-id".into(), "alias/uploads".into()));
        assert_eq!(Base64::decode_vec(&h[2].1).expect("base64"), "{\"team\":\"α\"}".as_bytes());
        assert!(kms.headers(Provider::S3.profile(), EncryptedRequest::Part).expect("none").is_empty());
        let plain = Encryption::Kms { key_id: Some("k".into()), context: vec![] };
        let oss = plain.headers(Provider::Oss.profile(), EncryptedRequest::Create).expect("OSS has KMS");
        assert_eq!(names(&oss), ["x-oss-server-side-encryption", "x-oss-server-side-encryption-key-id"]);
        assert_eq!(oss[0].1, "KMS");
        let obs = plain.headers(Provider::Obs.profile(), EncryptedRequest::Create).expect("OBS has KMS");
        assert_eq!(obs[0].1, "kms");
        assert_eq!(obs[1].0, "x-obs-server-side-encryption-kms-key-id");
        let e = kms.headers(Provider::Oss.profile(), EncryptedRequest::Create).expect_err("no context on OSS");
        assert!(e.to_string().contains("context"), "{e}");
        for p in [Provider::Nos, Provider::Ks3] {
            assert!(plain.headers(p.profile(), EncryptedRequest::Create).is_err());
        }
    }

    #[test]
    fn managed_keys_everywhere() {
        for p in Provider::ALL {
            let h = Encryption::Managed.headers(p.profile(), EncryptedRequest::Create).expect("every service");
            assert_eq!(h, vec![(format!("{}server-side-encryption", p.profile().header_prefix), "AES256".into())]);
            assert!(Encryption::Managed.headers(p.profile(), EncryptedRequest::Part).expect("none").is_empty());
        }
        assert!(Encryption::Managed.keeps_md5_etags());
        assert!(!Encryption::Kms { key_id: None, context: vec![] }.keeps_md5_etags());
    }
}
