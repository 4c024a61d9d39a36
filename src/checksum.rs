//! Checksums beyond Content-MD5: S3's flexible checksums (CRC32, CRC32C, CRC64NVME, SHA256) of each
//! part, the CRC-64/ECMA that OSS and KS3 report for an object, and the whole object's CRC combined
//! from the parts' CRCs (as zlib's `crc32_combine`), so the file is never read twice.

use base64ct::{Base64, Encoding};
use crc::{CRC_32_ISCSI, CRC_32_ISO_HDLC, CRC_64_NVME, CRC_64_XZ, Crc, Table};
use sha2::{Digest as _, Sha256};
use std::sync::OnceLock;

// Slice-by-16 tables (16, 16, 32 and 32 KiB) for the speed the hash Workers need, built on first
// use rather than as statics, which would put them in the wasm module (+95 KB gzipped).
static CRC32: OnceLock<Crc<u32, Table<16>>> = OnceLock::new();
static CRC32C: OnceLock<Crc<u32, Table<16>>> = OnceLock::new();
static CRC64NVME: OnceLock<Crc<u64, Table<16>>> = OnceLock::new();
static CRC64ECMA: OnceLock<Crc<u64, Table<16>>> = OnceLock::new();

/// The `checksum` option: what each part is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checksum {
    /// Nothing: parts are not hashed.
    None,
    /// `Content-MD5` on every part (every service).
    Md5,
    /// One of S3's flexible checksums on every part and, for the CRCs, the whole object's CRC
    /// on Complete. The parts' MD5s are still computed, to check their ETags and a resume.
    Flexible(ChecksumAlgorithm),
}

impl Checksum {
    /// The option's value by name: `'md5'`, `'none'` or an algorithm's [`ChecksumAlgorithm::option`].
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "md5" => Some(Self::Md5),
            "none" => Some(Self::None),
            other => ChecksumAlgorithm::FLEXIBLE.into_iter().find(|a| a.option() == other).map(Self::Flexible),
        }
    }

    /// Whether parts are hashed.
    pub fn hashes(self) -> bool {
        self != Self::None
    }

    /// What the hash Workers compute beside the MD5: the flexible checksum chosen or, with `'md5'`
    /// on a service that reports the object's CRC-64/ECMA (`reports_crc64`), that CRC, to check the
    /// object after Complete.
    pub fn computed(self, reports_crc64: bool) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Flexible(algorithm) => Some(algorithm),
            Self::Md5 if reports_crc64 => Some(ChecksumAlgorithm::Crc64Ecma),
            _ => None,
        }
    }

    /// The flexible checksum algorithm, if one is chosen.
    pub fn algorithm(self) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Flexible(algorithm) => Some(algorithm),
            _ => None,
        }
    }
}

/// A checksum algorithm: one of S3's `x-amz-checksum-*` family, or the CRC-64/ECMA of OSS and KS3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (ISO-HDLC, as zlib).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-256.
    Sha256,
    /// CRC-64/ECMA-182 (CRC-64/XZ), which OSS and KS3 report, in decimal, for a part and for the
    /// whole object (not one of S3's: never sent, only compared).
    Crc64Ecma,
}

impl ChecksumAlgorithm {
    /// S3's flexible checksums, the `checksum` option's algorithms.
    pub const FLEXIBLE: [ChecksumAlgorithm; 4] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha256];

    /// Every algorithm a hash Worker computes.
    pub const ALL: [ChecksumAlgorithm; 5] = [Self::Crc32, Self::Crc32c, Self::Crc64Nvme, Self::Sha256, Self::Crc64Ecma];

    /// The name of the `checksum` option's value (`'crc32'`…).
    pub fn option(self) -> &'static str {
        match self {
            Self::Crc32 => "crc32",
            Self::Crc32c => "crc32c",
            Self::Crc64Nvme => "crc64nvme",
            Self::Sha256 => "sha256",
            Self::Crc64Ecma => "crc64ecma",
        }
    }

    /// S3's name, as in `x-amz-checksum-algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha256 => "SHA256",
            Self::Crc64Ecma => "CRC64ECMA",
        }
    }

    /// The header carrying a part's (or the object's) checksum: `x-amz-checksum-crc32`….
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.option())
    }

    /// The XML element of a part's (or the object's) checksum: `ChecksumCRC32`….
    pub fn element(self) -> String {
        format!("Checksum{}", self.name())
    }

    /// Whether the object's checksum is of its whole bytes (`FULL_OBJECT`, the CRCs), combined from
    /// the parts', or a checksum of the parts' checksums (`COMPOSITE`, SHA256).
    pub fn full_object(self) -> bool {
        self != Self::Sha256
    }

    /// `x-amz-checksum-type`.
    pub fn checksum_type(self) -> &'static str {
        if self.full_object() { "FULL_OBJECT" } else { "COMPOSITE" }
    }

    /// A new running digest.
    pub fn hasher(self) -> Hasher {
        Hasher(match self {
            Self::Crc32 => State::Crc32(CRC32.get_or_init(|| Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC)).digest()),
            Self::Crc32c => State::Crc32(CRC32C.get_or_init(|| Crc::<u32, Table<16>>::new(&CRC_32_ISCSI)).digest()),
            Self::Crc64Nvme => {
                State::Crc64(CRC64NVME.get_or_init(|| Crc::<u64, Table<16>>::new(&CRC_64_NVME)).digest())
            }
            Self::Sha256 => State::Sha256(Sha256::new()),
            Self::Crc64Ecma => State::Crc64(CRC64ECMA.get_or_init(|| Crc::<u64, Table<16>>::new(&CRC_64_XZ)).digest()),
        })
    }

    /// The digest of `data` (big-endian, as S3 writes it in base64).
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut hasher = self.hasher();
        hasher.update(data);
        hasher.finish()
    }

    /// The object's checksum as the service reports it, from its parts' digests and sizes in order:
    /// for S3's CRCs the CRC of the whole object (base64), for SHA256 the digest of the parts'
    /// digests followed by `-<parts>`, for CRC-64/ECMA the object's CRC in decimal. `None` when a
    /// digest has the wrong length.
    pub fn object(self, parts: &[(Vec<u8>, u64)]) -> Option<String> {
        match self {
            Self::Crc32 | Self::Crc32c => {
                let poly = reflected(
                    u64::from(if self == Self::Crc32 { CRC_32_ISO_HDLC.poly } else { CRC_32_ISCSI.poly }),
                    32,
                );
                let crc = combine_all(parts, poly, 32)?;
                Some(Base64::encode_string(&u32::try_from(crc).ok()?.to_be_bytes()))
            }
            Self::Crc64Nvme => {
                Some(Base64::encode_string(&combine_all(parts, reflected(CRC_64_NVME.poly, 64), 64)?.to_be_bytes()))
            }
            Self::Crc64Ecma => Some(combine_all(parts, reflected(CRC_64_XZ.poly, 64), 64)?.to_string()),
            Self::Sha256 => {
                let mut hasher = Sha256::new();
                for (digest, _) in parts {
                    hasher.update(digest);
                }
                Some(format!("{}-{}", Base64::encode_string(&hasher.finalize()), parts.len()))
            }
        }
    }
}

/// A running digest of one [`ChecksumAlgorithm`].
#[derive(Clone)]
pub struct Hasher(State);

#[derive(Clone)]
enum State {
    Crc32(crc::Digest<'static, u32, Table<16>>),
    Crc64(crc::Digest<'static, u64, Table<16>>),
    Sha256(Sha256),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.0 {
            State::Crc32(d) => d.update(data),
            State::Crc64(d) => d.update(data),
            State::Sha256(d) => d.update(data),
        }
    }

    /// The digest, big-endian.
    pub fn finish(self) -> Vec<u8> {
        match self.0 {
            State::Crc32(d) => d.finalize().to_be_bytes().to_vec(),
            State::Crc64(d) => d.finalize().to_be_bytes().to_vec(),
            State::Sha256(d) => d.finalize().to_vec(),
        }
    }
}

/// Whether a checksum the service reported equals ours (compared as written).
pub fn checksums_equal(reported: &str, ours: &str) -> bool {
    reported.trim_ascii() == ours.trim_ascii()
}

/// The bit-reversed polynomial of a reflected CRC of `width` bits.
fn reflected(poly: u64, width: u32) -> u64 {
    poly.reverse_bits() >> (64 - width)
}

/// The CRC of the concatenated parts from their big-endian CRCs and sizes.
fn combine_all(parts: &[(Vec<u8>, u64)], poly: u64, width: u32) -> Option<u64> {
    let mut crcs = parts.iter().map(|(digest, len)| {
        let bytes: [u8; 8] = match width {
            32 => {
                let four: [u8; 4] = digest.as_slice().try_into().ok()?;
                u64::from(u32::from_be_bytes(four)).to_be_bytes()
            }
            _ => digest.as_slice().try_into().ok()?,
        };
        Some((u64::from_be_bytes(bytes), *len))
    });
    let (first, _) = crcs.next()??;
    crcs.try_fold(first, |crc, part| part.map(|(next, len)| combine(crc, next, len, poly, width)))
}

/// `a(x)·b(x) mod P(x)` in the reflected bit order of a `width`-bit CRC with polynomial `poly`.
fn multiply(a: u64, mut b: u64, poly: u64, width: u32) -> u64 {
    let mut product = 0;
    let mut bit = 1u64 << (width - 1);
    while bit != 0 {
        if a & bit != 0 {
            product ^= b;
        }
        b = if b & 1 == 1 { (b >> 1) ^ poly } else { b >> 1 };
        bit >>= 1;
    }
    product
}

/// The CRC of `A‖B` from `crc(A)`, `crc(B)` and `B`'s length (zlib's `crc32_combine`, for any
/// reflected CRC whose initial value equals its final XOR, as all here).
fn combine(crc_a: u64, crc_b: u64, len_b: u64, poly: u64, width: u32) -> u64 {
    // x^(8·len_b) mod P, by squaring: start from x^8 (x^1 squared three times).
    let mut square = 1u64 << (width - 2);
    for _ in 0..3 {
        square = multiply(square, square, poly, width);
    }
    let mut power = 1u64 << (width - 1);
    let mut n = len_b;
    while n != 0 {
        if n & 1 == 1 {
            power = multiply(square, power, poly, width);
        }
        square = multiply(square, square, poly, width);
        n >>= 1;
    }
    multiply(power, crc_a, poly, width) ^ crc_b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that are not all alike.
    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| u8::try_from((i * 7919 + i / 251) % 256).unwrap_or(0)).collect()
    }

    #[test]
    fn known_values() {
        let check = b"123456789";
        assert_eq!(ChecksumAlgorithm::Crc32.digest(check), 0xcbf4_3926_u32.to_be_bytes());
        assert_eq!(ChecksumAlgorithm::Crc32c.digest(check), 0xe306_9283_u32.to_be_bytes());
        assert_eq!(ChecksumAlgorithm::Crc64Nvme.digest(check), 0xae8b_1486_0a79_9888_u64.to_be_bytes());
        // oss2's `utils.Crc64` gives 0x995dc9bbdf1939fa for "123456789" too.
        assert_eq!(ChecksumAlgorithm::Crc64Ecma.digest(check), 0x995d_c9bb_df19_39fa_u64.to_be_bytes());
        // S3's documented example: CRC32 of "Hello World" is "ShexVg==".
        assert_eq!(Base64::encode_string(&ChecksumAlgorithm::Crc32.digest(b"Hello World")), "ShexVg==");
    }

    #[test]
    fn combined_crcs_equal_the_whole_files() {
        let file = data(100_003);
        for cuts in [vec![0, 100_003], vec![0, 1, 100_003], vec![0, 33_333, 66_667, 100_003], vec![0, 99_999, 100_003]]
        {
            let parts: Vec<&[u8]> = cuts.windows(2).map(|w| &file[w[0]..w[1]]).collect();
            for algorithm in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
                let digests: Vec<(Vec<u8>, u64)> =
                    parts.iter().map(|p| (algorithm.digest(p), p.len() as u64)).collect();
                assert_eq!(
                    algorithm.object(&digests),
                    Some(Base64::encode_string(&algorithm.digest(&file))),
                    "{algorithm:?} {cuts:?}"
                );
            }
            let ecma = ChecksumAlgorithm::Crc64Ecma;
            let digests: Vec<(Vec<u8>, u64)> = parts.iter().map(|p| (ecma.digest(p), p.len() as u64)).collect();
            let whole = u64::from_be_bytes(ecma.digest(&file).try_into().unwrap_or_default());
            assert_eq!(ecma.object(&digests), Some(whole.to_string()), "{cuts:?}");
        }
    }

    #[test]
    fn sha256_is_composite() {
        let parts = [(ChecksumAlgorithm::Sha256.digest(b"a"), 1), (ChecksumAlgorithm::Sha256.digest(b"b"), 1)];
        let joined = [parts[0].0.clone(), parts[1].0.clone()].concat();
        let expected = format!("{}-2", Base64::encode_string(&Sha256::digest(&joined)));
        assert_eq!(ChecksumAlgorithm::Sha256.object(&parts), Some(expected));
        assert_eq!(ChecksumAlgorithm::Sha256.checksum_type(), "COMPOSITE");
        assert_eq!(ChecksumAlgorithm::Crc64Nvme.header(), "x-amz-checksum-crc64nvme");
        assert_eq!(ChecksumAlgorithm::Crc32c.element(), "ChecksumCRC32C");
    }

    #[test]
    fn bad_digests_give_no_object_checksum() {
        assert_eq!(ChecksumAlgorithm::Crc32.object(&[(vec![1, 2], 2)]), None);
        assert_eq!(ChecksumAlgorithm::Crc32.object(&[]), None);
    }
}

/// Hashing speed over 64 MiB, natively: `cargo test --release --lib checksum::speed -- --ignored --nocapture`.
#[cfg(test)]
mod speed {
    use super::ChecksumAlgorithm;
    use crc::{CRC_32_ISCSI, CRC_64_NVME, Crc, Table};
    use std::time::Instant;

    fn measure(name: &str, data: &[u8], hash: impl Fn(&[u8]) -> Vec<u8>) {
        let start = Instant::now();
        let digest = hash(data);
        let seconds = start.elapsed().as_secs_f64();
        println!("{name}: {:.0} MB/s ({})", data.len() as f64 / seconds / 1e6, hex::encode(digest));
    }

    #[test]
    #[ignore = "a measurement, not a check"]
    fn of_each_algorithm_and_the_one_table_crcs() {
        let data: Vec<u8> = (0..64usize << 20).map(|i| u8::try_from(i * 7919 % 251).unwrap_or(0)).collect();
        for algorithm in ChecksumAlgorithm::ALL {
            measure(algorithm.option(), &data, |d| algorithm.digest(d));
        }
        measure("md5", &data, |d| <md5::Md5 as md5::Digest>::digest(d).to_vec());
        // The smaller tables the crc crate offers, for comparison: 1 KiB (CRC-32C), 2 KiB (CRC-64).
        let crc32c = Crc::<u32, Table<1>>::new(&CRC_32_ISCSI);
        measure("crc32c Table<1>", &data, |d| crc32c.checksum(d).to_be_bytes().to_vec());
        let crc64 = Crc::<u64, Table<1>>::new(&CRC_64_NVME);
        measure("crc64nvme Table<1>", &data, |d| crc64.checksum(d).to_be_bytes().to_vec());
    }
}
