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

    /// Entity and field names are schema identifiers (ASCII, nothing to escape); `value` is JSON text as
    /// stored. Written byte by byte rather than through `write!`: a county's pull is 4 M of these.
    pub(crate) fn push(&mut self, seq: Seq, entity: &str, row: &Uuid, field: &str, value: &[u8], hlc: Hlc) {
        let out = &mut self.out;
        if self.last_row != Some(*row) {
            if self.last_row.is_some() {
                out.extend_from_slice(b"]},");
            }
            out.extend_from_slice(b"{\"e\":\"");
            out.extend_from_slice(entity.as_bytes());
            out.extend_from_slice(b"\",\"r\":\"");
            out.extend_from_slice(row.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
            out.extend_from_slice(b"\",\"f\":[");
            self.last_row = Some(*row);
        } else {
            out.push(b',');
        }
        out.extend_from_slice(b"[\"");
        out.extend_from_slice(field.as_bytes());
        out.extend_from_slice(b"\",");
        out.extend_from_slice(value);
        out.push(b',');
        out.extend_from_slice(itoa::Buffer::new().format(seq).as_bytes());
        out.push(b']');
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

#[cfg(test)]
mod tests {
    use super::*;
    use zoufang_sync::{FieldValue, PullResponse};

    /// What the writer puts out byte by byte reads back as the protocol's page.
    #[test]
    fn a_written_page_reads_as_a_pull_response() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(u128::MAX - 7));
        let mut page = PageWriter::new(3);
        page.push(7, "household", &a, "head_name", br#""\u738b\u79c0\u82f1""#, Hlc(5));
        page.push(9, "household", &a, "card_population", b"4", Hlc(9));
        page.push(u64::MAX >> 1, "member", &b, "deleted", b"true", Hlc(6));
        let body = page.finish(3, 40);
        let read: PullResponse = serde_json::from_slice(&body.json).unwrap();
        assert_eq!((read.cursor, read.more, read.head, read.max_hlc), (body.cursor, body.more, 40, Hlc(9)));
        assert_eq!((body.cursor, body.more), (u64::MAX >> 1, true));
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[0].row, a);
        assert_eq!(
            read.rows[0].fields,
            [
                FieldValue("head_name".into(), serde_json::json!("王秀英"), 7),
                FieldValue("card_population".into(), serde_json::json!(4), 9)
            ]
        );
        assert_eq!(read.rows[1].row, b);
        assert_eq!(read.rows[1].fields, [FieldValue("deleted".into(), serde_json::json!(true), u64::MAX >> 1)]);
    }
}
