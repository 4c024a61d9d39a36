//! The five services as data: limits, header names, checksum encoding and signing schemes.

use crate::error::{Error, Result};
use crate::signing::Scheme;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// A storage service partwise uploads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// Amazon S3 and S3-compatible stores (SeaweedFS, MinIO, …).
    S3,
    /// Alibaba Cloud OSS.
    Oss,
    /// Huawei Cloud OBS.
    Obs,
    /// NetEase NOS.
    Nos,
    /// Kingsoft Cloud KS3.
    Ks3,
}

/// How a service wants the `Content-MD5` header written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Md5Encoding {
    /// RFC 1864: base64 of the 16-byte digest.
    Base64,
    /// Lower-case hex of the digest (NOS).
    Hex,
}

/// How a service wants a user metadata value that a header cannot carry as it is (non-ASCII).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataEncoding {
    /// An RFC 2047 encoded word, `=?UTF-8?B?<base64>?=`: S3 decodes it on store (AWS's
    /// user-defined metadata documentation).
    Rfc2047,
    /// UTF-8 percent-encoding (RFC 3986 unreserved characters kept), stored as sent: what OBS
    /// documents; OSS, NOS and KS3 document no rule and store header values as sent.
    Percent,
}

/// The headers a service records the typed object options in: `None` where it has no such option
/// (`providers.md` §2.5, §3.5, §4.5, §5.6, §6.4 and the §7 summary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectHeaderNames {
    /// Storage class (`x-amz-storage-class`, …).
    pub storage_class: Option<&'static str>,
    /// Canned ACL (`x-amz-acl`, OSS `x-oss-object-acl`, …).
    pub acl: Option<&'static str>,
    /// Tags, `k=v&k2=v2` (`x-amz-tagging`, …).
    pub tagging: Option<&'static str>,
    /// Encoding of non-ASCII metadata values.
    pub metadata_encoding: MetadataEncoding,
}

/// The headers of server-side encryption (`providers.md` §2.5, §3.5, §4.5, §5.6, §6.4; KS3's
/// SDKs for SSE-C): `None` where the service has no such mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncryptionNames {
    /// The header naming the mode (`x-amz-server-side-encryption`).
    pub header: &'static str,
    /// Its value for keys the service manages (SSE-S3 and its kin), if offered.
    pub managed: Option<&'static str>,
    /// SSE-KMS, if offered.
    pub kms: Option<KmsNames>,
    /// SSE-C, if offered.
    pub customer: Option<CustomerKeyNames>,
}

/// SSE-KMS: sent on Initiate (and PutObject) only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmsNames {
    /// The mode header's value (`aws:kms`, OSS `KMS`, OBS `kms`).
    pub value: &'static str,
    /// The header naming the KMS key.
    pub key_id: &'static str,
    /// The header of the encryption context (base64 JSON), if the service takes one.
    pub context: Option<&'static str>,
}

/// SSE-C: the customer's key on Initiate, every UploadPart and, where the service asks for it,
/// Complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomerKeyNames {
    /// The algorithm header (`AES256`).
    pub algorithm: &'static str,
    /// The base64 key header.
    pub key: &'static str,
    /// The header of the key's base64 MD5.
    pub key_md5: &'static str,
    /// Whether CompleteMultipartUpload carries the key too (S3; not OBS and KS3, whose SDKs send
    /// it on Initiate and the parts only).
    pub on_complete: bool,
}

/// Part and object size limits of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartLimits {
    /// Smallest size of every part but the last.
    pub min_part_size: u64,
    /// Largest size of any part.
    pub max_part_size: u64,
    /// Most parts in one upload (part numbers run 1..=max_parts).
    pub max_parts: u16,
    /// Largest object.
    pub max_object_size: u64,
    /// Longest object key, in bytes of UTF-8.
    pub max_key_bytes: usize,
}

/// Everything partwise needs to know about a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The service.
    pub provider: Provider,
    /// Prefix of the service's own headers (`x-amz-`, `x-oss-`, …).
    pub header_prefix: &'static str,
    /// Response header that carries the request id.
    pub request_id_header: &'static str,
    /// Encoding of `Content-MD5`.
    pub content_md5: Md5Encoding,
    /// Size limits.
    pub limits: PartLimits,
    /// Part size used when the caller names none (raised for very large files).
    pub default_part_size: u64,
    /// Signature schemes the service accepts, preferred first.
    pub schemes: &'static [Scheme],
    /// Whether CompleteMultipartUpload's `ETag` is [`crate::hash::multipart_etag`] of the parts'
    /// MD5s, so the finished object can be checked against them. True only where the dossier says
    /// so (`providers.md` §2.5, S3); §3.5 OSS, §4.5 OBS, §5.6 NOS and §6.4 KS3 do not, so there the
    /// check is skipped. Even on S3 it holds only for unencrypted and SSE-S3 objects (§1, item 6).
    pub complete_etag_is_md5_of_md5s: bool,
    /// Whether the service takes S3's flexible checksums (`x-amz-checksum-*`): S3 only.
    pub flexible_checksums: bool,
    /// The response header with the object's (and a part's) CRC-64/ECMA in decimal: OSS's
    /// `x-oss-hash-crc64ecma` (`providers.md` §3.5), KS3's `x-kss-checksum-crc64ecma` (§6.4). OBS
    /// documents one whose support is unverified (§4.5): not read.
    pub crc64_header: Option<&'static str>,
    /// Where the typed object options go.
    pub object_headers: ObjectHeaderNames,
    /// Server-side encryption.
    pub encryption: EncryptionNames,
}

const TEN_THOUSAND: u16 = 10_000;

const S3: Profile = Profile {
    provider: Provider::S3,
    header_prefix: "x-amz-",
    request_id_header: "x-amz-request-id",
    content_md5: Md5Encoding::Base64,
    limits: PartLimits {
        min_part_size: 5 * MIB,
        max_part_size: 5 * GIB,
        max_parts: TEN_THOUSAND,
        max_object_size: 10_000 * 5 * GIB,
        max_key_bytes: 1024,
    },
    default_part_size: 8 * MIB,
    schemes: &[Scheme::AwsV4],
    complete_etag_is_md5_of_md5s: true,
    flexible_checksums: true,
    crc64_header: None,
    object_headers: ObjectHeaderNames {
        storage_class: Some("x-amz-storage-class"),
        acl: Some("x-amz-acl"),
        tagging: Some("x-amz-tagging"),
        metadata_encoding: MetadataEncoding::Rfc2047,
    },
    encryption: EncryptionNames {
        header: "x-amz-server-side-encryption",
        managed: Some("AES256"),
        kms: Some(KmsNames {
            value: "aws:kms",
            key_id: "x-amz-server-side-encryption-aws-kms-key-id",
            context: Some("x-amz-server-side-encryption-context"),
        }),
        customer: Some(CustomerKeyNames {
            algorithm: "x-amz-server-side-encryption-customer-algorithm",
            key: "x-amz-server-side-encryption-customer-key",
            key_md5: "x-amz-server-side-encryption-customer-key-MD5",
            on_complete: true,
        }),
    },
};

const OSS: Profile = Profile {
    provider: Provider::Oss,
    header_prefix: "x-oss-",
    request_id_header: "x-oss-request-id",
    content_md5: Md5Encoding::Base64,
    limits: PartLimits {
        min_part_size: 100 * KIB,
        max_part_size: 5 * GIB,
        max_parts: TEN_THOUSAND,
        max_object_size: 10_000 * 5 * GIB,
        max_key_bytes: 1024,
    },
    default_part_size: 8 * MIB,
    schemes: &[Scheme::OssV4, Scheme::OssV1],
    complete_etag_is_md5_of_md5s: false,
    flexible_checksums: false,
    crc64_header: Some("x-oss-hash-crc64ecma"),
    object_headers: ObjectHeaderNames {
        storage_class: Some("x-oss-storage-class"),
        acl: Some("x-oss-object-acl"),
        tagging: Some("x-oss-tagging"),
        metadata_encoding: MetadataEncoding::Percent,
    },
    encryption: EncryptionNames {
        header: "x-oss-server-side-encryption",
        managed: Some("AES256"),
        kms: Some(KmsNames { value: "KMS", key_id: "x-oss-server-side-encryption-key-id", context: None }),
        customer: None,
    },
};

const OBS: Profile = Profile {
    provider: Provider::Obs,
    header_prefix: "x-obs-",
    request_id_header: "x-obs-request-id",
    content_md5: Md5Encoding::Base64,
    limits: PartLimits {
        min_part_size: 100 * KIB,
        max_part_size: 5 * GIB,
        max_parts: TEN_THOUSAND,
        max_object_size: 10_000 * 5 * GIB,
        max_key_bytes: 1024,
    },
    default_part_size: 8 * MIB,
    schemes: &[Scheme::Obs],
    complete_etag_is_md5_of_md5s: false,
    flexible_checksums: false,
    crc64_header: None,
    object_headers: ObjectHeaderNames {
        storage_class: Some("x-obs-storage-class"),
        acl: Some("x-obs-acl"),
        tagging: None,
        metadata_encoding: MetadataEncoding::Percent,
    },
    encryption: EncryptionNames {
        header: "x-obs-server-side-encryption",
        managed: Some("AES256"),
        kms: Some(KmsNames { value: "kms", key_id: "x-obs-server-side-encryption-kms-key-id", context: None }),
        customer: Some(CustomerKeyNames {
            algorithm: "x-obs-server-side-encryption-customer-algorithm",
            key: "x-obs-server-side-encryption-customer-key",
            key_md5: "x-obs-server-side-encryption-customer-key-MD5",
            on_complete: false,
        }),
    },
};

const NOS: Profile = Profile {
    provider: Provider::Nos,
    header_prefix: "x-nos-",
    request_id_header: "x-nos-request-id",
    content_md5: Md5Encoding::Hex,
    limits: PartLimits {
        min_part_size: 16 * KIB,
        max_part_size: 100 * MIB,
        max_parts: TEN_THOUSAND,
        max_object_size: 10_000 * 100 * MIB,
        max_key_bytes: 1000,
    },
    default_part_size: 8 * MIB,
    schemes: &[Scheme::Nos],
    complete_etag_is_md5_of_md5s: false,
    flexible_checksums: false,
    crc64_header: None,
    object_headers: ObjectHeaderNames {
        storage_class: Some("x-nos-storage-class"),
        acl: None,
        tagging: None,
        metadata_encoding: MetadataEncoding::Percent,
    },
    encryption: EncryptionNames {
        header: "x-nos-server-side-encryption",
        managed: Some("AES256"),
        kms: None,
        customer: None,
    },
};

/// KS3's minimum is 100 KB (2024 documentation) but 5 MB for objects over 5 MB in its older rule:
/// 5 MiB satisfies both.
const KS3: Profile = Profile {
    provider: Provider::Ks3,
    header_prefix: "x-kss-",
    request_id_header: "x-kss-request-id",
    content_md5: Md5Encoding::Base64,
    limits: PartLimits {
        min_part_size: 5 * MIB,
        max_part_size: 5 * GIB,
        max_parts: TEN_THOUSAND,
        max_object_size: 10_000 * 5 * GIB,
        max_key_bytes: 1024,
    },
    default_part_size: 8 * MIB,
    schemes: &[Scheme::Ks3V4, Scheme::Ks3V2],
    complete_etag_is_md5_of_md5s: false,
    flexible_checksums: false,
    crc64_header: Some("x-kss-checksum-crc64ecma"),
    object_headers: ObjectHeaderNames {
        storage_class: Some("x-kss-storage-class"),
        acl: Some("x-kss-acl"),
        tagging: Some("x-kss-tagging"),
        metadata_encoding: MetadataEncoding::Percent,
    },
    encryption: EncryptionNames {
        header: "x-kss-server-side-encryption",
        managed: Some("AES256"),
        kms: None,
        customer: Some(CustomerKeyNames {
            algorithm: "x-kss-server-side-encryption-customer-algorithm",
            key: "x-kss-server-side-encryption-customer-key",
            key_md5: "x-kss-server-side-encryption-customer-key-MD5",
            on_complete: false,
        }),
    },
};

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 5] = [Provider::S3, Provider::Oss, Provider::Obs, Provider::Nos, Provider::Ks3];

    /// The provider's name in options: `s3`, `oss`, `obs`, `nos`, `ks3`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::S3 => "s3",
            Provider::Oss => "oss",
            Provider::Obs => "obs",
            Provider::Nos => "nos",
            Provider::Ks3 => "ks3",
        }
    }

    /// Looks a provider up by [`Provider::name`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for an unknown name.
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| Error::invalid("provider", format!("\"{name}\" is not one of s3, oss, obs, nos, ks3")))
    }

    /// The service's profile.
    pub fn profile(self) -> &'static Profile {
        match self {
            Provider::S3 => &S3,
            Provider::Oss => &OSS,
            Provider::Obs => &OBS,
            Provider::Nos => &NOS,
            Provider::Ks3 => &KS3,
        }
    }
}

impl Profile {
    /// The preferred signature scheme.
    pub fn default_scheme(&self) -> Scheme {
        self.schemes[0]
    }

    /// The header carrying the signing time under the preferred scheme.
    pub fn date_header(&self) -> &'static str {
        self.default_scheme().date_header()
    }

    /// The header carrying an STS session token under the preferred scheme.
    pub fn security_token_header(&self) -> &'static str {
        self.default_scheme().security_token_header()
    }

    /// The prefix of user metadata headers (`x-amz-meta-`, …).
    pub fn metadata_prefix(&self) -> String {
        format!("{}meta-", self.header_prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_consistent() {
        for p in Provider::ALL {
            let profile = p.profile();
            assert_eq!(profile.provider, p);
            assert_eq!(Provider::from_name(p.name()), Ok(p));
            let l = profile.limits;
            assert!(l.min_part_size <= profile.default_part_size && profile.default_part_size <= l.max_part_size);
            assert!(l.max_object_size <= l.max_part_size * u64::from(l.max_parts));
            assert!(profile.date_header().starts_with(profile.header_prefix));
            assert!(profile.security_token_header().starts_with(profile.header_prefix));
        }
        assert_eq!(Provider::Nos.profile().content_md5, Md5Encoding::Hex);
        let checked: Vec<Provider> =
            Provider::ALL.into_iter().filter(|p| p.profile().complete_etag_is_md5_of_md5s).collect();
        assert_eq!(checked, [Provider::S3], "only the dossier's documented form is checked");
        assert!(Provider::from_name("gcs").is_err());
    }

    #[test]
    fn object_headers_carry_the_service_prefix() {
        for p in Provider::ALL {
            let profile = p.profile();
            let h = profile.object_headers;
            for name in [h.storage_class, h.acl, h.tagging].into_iter().flatten() {
                assert!(name.starts_with(profile.header_prefix), "{name} of {}", p.name());
            }
        }
        let lacking = |get: fn(&ObjectHeaderNames) -> Option<&'static str>| -> Vec<&str> {
            Provider::ALL
                .into_iter()
                .filter(|p| get(&p.profile().object_headers).is_none())
                .map(Provider::name)
                .collect()
        };
        assert_eq!(lacking(|h| h.storage_class), Vec::<&str>::new());
        assert_eq!(lacking(|h| h.acl), ["nos"]);
        assert_eq!(lacking(|h| h.tagging), ["obs", "nos"]);
    }
}
