//! The upload's checkpoint while it runs: saved with the upload id once Initiate answered, then
//! with every part stored so far each time a part is stored.

use super::Upload;
use crate::hash::hex;
use crate::upload::checkpoint::DonePart;
use crate::upload::commands::Command;

impl Upload {
    /// The record takes the upload id Initiate answered and is saved.
    pub(super) fn save_upload_id(&mut self, upload_id: String) {
        if let Some(record) = self.record.as_mut() {
            record.upload_id = upload_id;
            self.out.push(Command::SaveCheckpoint(record.clone()));
        }
    }

    /// The record, once it has an upload id, takes every part stored so far and is saved.
    pub(super) fn save_done_parts(&mut self) {
        let Some(session) = self.session.as_ref() else { return };
        let parts: Vec<DonePart> = session
            .done_parts()
            .into_iter()
            .map(|p| DonePart {
                number: p.spec.number,
                size: p.spec.size,
                checksum: self.part_checksum(p.spec.number).map(|(_, value)| value),
                etag: p.etag,
                md5: p.md5.map(|m| hex(&m)),
            })
            .collect();
        if let Some(record) = self.record.as_mut().filter(|r| !r.upload_id.is_empty()) {
            record.parts = parts;
            self.out.push(Command::SaveCheckpoint(record.clone()));
        }
    }
}
