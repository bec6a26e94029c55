//! A pull page as the `PullResponse` JSON, written straight from stored rows by either backend.

use uuid::Uuid;
use zoufang_sync::{Hlc, Seq};

/// Writes a pull page as JSON (the `PullResponse` shape) straight from the stored rows: values are
/// stored as validated JSON text and go out as they are, without being parsed and printed again.
pub(crate) struct PageWriter {
    out: Vec<u8>,
    limit: usize,
    pub(crate) n: usize,
    last_row: Option<Uuid>,
    last_seq: Seq,
    max_hlc: Hlc,
}

impl PageWriter {
    pub(crate) fn new(limit: usize) -> Self {
        let mut out = Vec::with_capacity(limit * 56 + 256);
        out.extend_from_slice(b"{\"rows\":[");
        PageWriter { out, limit, n: 0, last_row: None, last_seq: 0, max_hlc: Hlc(0) }
    }

    /// Entity and field names are schema identifiers (ASCII, nothing to escape); `value` is JSON.
    pub(crate) fn push(&mut self, seq: Seq, entity: &str, row: &Uuid, field: &str, value: &str, hlc: Hlc) {
        use std::io::Write;
        if self.last_row != Some(*row) {
            if self.last_row.is_some() {
                self.out.extend_from_slice(b"]},");
            }
            let _ = write!(self.out, "{{\"e\":\"{entity}\",\"r\":\"{row}\",\"f\":[");
            self.last_row = Some(*row);
        } else {
            self.out.push(b',');
        }
        let _ = write!(self.out, "[\"{field}\",{value},{seq}]");
        self.n += 1;
        self.last_seq = seq;
        self.max_hlc = self.max_hlc.max(hlc);
    }

    pub(crate) fn finish(mut self, after: Seq, head: Seq) -> PageBody {
        use std::io::Write;
        if self.last_row.is_some() {
            self.out.extend_from_slice(b"]}");
        }
        let more = self.n == self.limit;
        // With nothing more in scope, the device may skip to the newest entry this snapshot holds.
        let cursor = if more { self.last_seq.max(after) } else { head };
        let _ =
            write!(self.out, "],\"cursor\":{cursor},\"more\":{more},\"head\":{head},\"max_hlc\":{}}}", self.max_hlc.0);
        PageBody { json: self.out, cursor, more }
    }
}

/// A pull page's JSON, and where the next page starts: the API also sends these two in headers, so a
/// device can ask for the next page before it has read this one.
#[derive(Debug)]
pub struct PageBody {
    pub json: Vec<u8>,
    pub cursor: Seq,
    pub more: bool,
}
