//! The part planner: how a file of a given size is cut into parts within a service's limits.

use crate::error::{Error, Result};
use crate::provider::PartLimits;

const MIB: u64 = 1024 * 1024;

/// One part of the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartSpec {
    /// Part number, 1-based.
    pub number: u16,
    /// Offset of the part's first byte in the file.
    pub offset: u64,
    /// Size in bytes (only the last part may be smaller than the part size).
    pub size: u64,
}

/// A file cut into equal parts (the last one may be shorter). Parts are computed on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartPlan {
    /// The file size.
    pub total: u64,
    /// The size of every part but the last.
    pub part_size: u64,
    /// Number of parts: at least 1 (a 0-byte file is one empty part).
    pub count: u16,
}

impl PartPlan {
    /// Plans `total` bytes under `limits`, starting from `preferred` (or `default_part_size`).
    ///
    /// The part size is raised to the service's minimum, lowered to its maximum, and raised (to a
    /// whole MiB) until the file fits in `max_parts` parts.
    ///
    /// # Errors
    /// [`Error::TooLarge`] beyond the service's maximum object size; [`Error::InvalidInput`] for a
    /// preferred part size of 0.
    pub fn new(total: u64, limits: &PartLimits, preferred: Option<u64>, default_part_size: u64) -> Result<Self> {
        if total > limits.max_object_size {
            return Err(Error::TooLarge { size: total, max: limits.max_object_size });
        }
        if preferred == Some(0) {
            return Err(Error::invalid("partSize", "must be at least 1 byte"));
        }
        let mut part_size = preferred.unwrap_or(default_part_size).clamp(limits.min_part_size, limits.max_part_size);
        let max_parts = u64::from(limits.max_parts);
        if total.div_ceil(part_size) > max_parts {
            let needed = total.div_ceil(max_parts);
            part_size = needed.div_ceil(MIB).saturating_mul(MIB).min(limits.max_part_size).max(needed);
        }
        let count = total.div_ceil(part_size).max(1);
        let count = u16::try_from(count)
            .ok()
            .filter(|c| u64::from(*c) <= max_parts)
            .ok_or(Error::TooLarge { size: total, max: limits.max_object_size })?;
        Ok(PartPlan { total, part_size, count })
    }

    /// Whether the file fits in one part (and so goes up with a single PutObject).
    pub fn is_single(&self) -> bool {
        self.count == 1
    }

    /// Part `number` (1-based), or `None` outside `1..=count`.
    pub fn part(&self, number: u16) -> Option<PartSpec> {
        if number == 0 || number > self.count {
            return None;
        }
        let offset = u64::from(number - 1) * self.part_size;
        let size = self.part_size.min(self.total - offset);
        Some(PartSpec { number, offset, size })
    }

    /// Every part in order.
    pub fn parts(&self) -> impl Iterator<Item = PartSpec> + '_ {
        (1..=self.count).filter_map(|n| self.part(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Provider;

    fn plan(p: Provider, total: u64, preferred: Option<u64>) -> Result<PartPlan> {
        let profile = p.profile();
        PartPlan::new(total, &profile.limits, preferred, profile.default_part_size)
    }

    fn check_invariants(p: Provider, plan: &PartPlan) {
        let l = p.profile().limits;
        let parts: Vec<_> = plan.parts().collect();
        assert_eq!(parts.len(), usize::from(plan.count));
        assert!(plan.count >= 1 && plan.count <= l.max_parts);
        assert_eq!(parts.iter().map(|s| s.size).sum::<u64>(), plan.total);
        for (i, s) in parts.iter().enumerate() {
            assert_eq!(usize::from(s.number), i + 1);
            assert!(s.size <= l.max_part_size);
            if i + 1 < parts.len() {
                assert!(s.size >= l.min_part_size);
                assert_eq!(parts[i + 1].offset, s.offset + s.size);
            }
        }
    }

    #[test]
    fn edges_for_every_service() {
        for p in Provider::ALL {
            let profile = p.profile();
            let l = profile.limits;
            let size = profile.default_part_size;

            let empty = plan(p, 0, None).expect("0 B");
            assert_eq!((empty.count, empty.part(1).map(|s| s.size)), (1, Some(0)));
            assert!(empty.is_single());

            let one = plan(p, 1, None).expect("1 B");
            assert_eq!((one.count, one.part(1).map(|s| s.size)), (1, Some(1)));

            let exact = plan(p, 3 * size, None).expect("3 parts");
            assert_eq!(exact.count, 3);
            assert_eq!(exact.part(3).map(|s| s.size), Some(size));
            check_invariants(p, &exact);

            let over = plan(p, 3 * size + 1, None).expect("4 parts");
            assert_eq!((over.count, over.part(4).map(|s| s.size)), (4, Some(1)));

            let boundary = plan(p, u64::from(l.max_parts) * size, None).expect("10,000 parts");
            assert_eq!((boundary.count, boundary.part_size), (l.max_parts, size));
            check_invariants(p, &boundary);

            let raised = plan(p, u64::from(l.max_parts) * size + 1, None).expect("raised");
            assert!(raised.part_size > size && raised.count <= l.max_parts);
            check_invariants(p, &raised);

            let largest = plan(p, l.max_object_size, None).expect("max object");
            assert_eq!(largest.count, l.max_parts);
            check_invariants(p, &largest);

            assert_eq!(
                plan(p, l.max_object_size + 1, None),
                Err(Error::TooLarge { size: l.max_object_size + 1, max: l.max_object_size })
            );
            assert_eq!(
                plan(p, u64::MAX, None).map(|_| ()),
                Err(Error::TooLarge { size: u64::MAX, max: l.max_object_size })
            );
        }
    }

    #[test]
    fn preferred_sizes_are_kept_within_limits() {
        let l = Provider::S3.profile().limits;
        assert_eq!(plan(Provider::S3, 100 * MIB, Some(16 * MIB)).expect("ok").part_size, 16 * MIB);
        assert_eq!(plan(Provider::S3, 100 * MIB, Some(1)).expect("ok").part_size, l.min_part_size);
        assert_eq!(plan(Provider::S3, 100 * MIB, Some(u64::MAX)).expect("ok").part_size, l.max_part_size);
        assert!(matches!(plan(Provider::S3, 1, Some(0)), Err(Error::InvalidInput { .. })));
        let nos = plan(Provider::Nos, 100 * MIB, Some(16 * 1024)).expect("ok");
        assert_eq!(nos.part_size, 16 * 1024);
        assert!(plan(Provider::S3, 5, None).expect("ok").part(2).is_none());
        assert!(plan(Provider::S3, 5, None).expect("ok").part(0).is_none());
    }
}
