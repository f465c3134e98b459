//! The audit log's export encodings: CSV (for spreadsheets; cells that look
//! like formulas are defused) and JSON Lines (every stored field, hashes
//! included, so a copy can be verified offline — docs/user-guide.md: Audit log).

use super::chain::format_time;
use crate::db::audit_events::StoredEvent;

/// The two export formats of the audit log.
#[derive(Clone, Copy)]
pub enum ExportFormat {
    Csv,
    JsonLines,
}

const CSV_COLUMNS: [&str; 19] = [
    "id",
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_email",
    "actor_name",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "ip",
    "user_agent",
    "request_id",
    "trace_id",
    "details",
    "org_id",
    "prev_hash",
    "hash",
];

/// Spreadsheet programs run cells that start like a formula; a leading `'` stops that.
pub fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() }
}

/// One event with every stored field, hashes included (a JSON Lines
/// line, and an event of the management API's audit list).
pub fn json(e: &StoredEvent) -> serde_json::Value {
    serde_json::json!({
        "id": e.id, "org_id": e.org_id, "seq": e.seq, "occurred_at": format_time(&e.occurred_at),
        "actor_type": e.actor_type, "actor_id": e.actor_id, "actor_email": e.actor_email,
        "actor_name": e.actor_name, "action": e.action, "target_type": e.target_type,
        "target_id": e.target_id, "target_label": e.target_label, "ip": e.ip, "user_agent": e.user_agent,
        "request_id": e.request_id, "trace_id": e.trace_id, "details": e.details,
        "prev_hash": e.prev_hash, "hash": e.hash,
    })
}

/// One batch of events in the export format (`with_header`: the CSV header row first).
pub fn encode(events: &[StoredEvent], format: ExportFormat, with_header: bool) -> Result<Vec<u8>, csv::Error> {
    match format {
        ExportFormat::JsonLines => {
            let mut out = Vec::new();
            for e in events {
                out.extend_from_slice(json(e).to_string().as_bytes());
                out.push(b'\n');
            }
            Ok(out)
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if with_header {
                writer.write_record(CSV_COLUMNS)?;
            }
            for e in events {
                let opt = |v: &Option<String>| csv_cell(v.as_deref().unwrap_or_default());
                let record = [
                    e.id.to_string(),
                    e.seq.to_string(),
                    format_time(&e.occurred_at),
                    csv_cell(&e.actor_type),
                    e.actor_id.map(|i| i.to_string()).unwrap_or_default(),
                    opt(&e.actor_email),
                    opt(&e.actor_name),
                    csv_cell(&e.action),
                    opt(&e.target_type),
                    opt(&e.target_id),
                    opt(&e.target_label),
                    opt(&e.ip),
                    opt(&e.user_agent),
                    opt(&e.request_id),
                    opt(&e.trace_id),
                    csv_cell(&e.details),
                    e.org_id.to_string(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ];
                writer.write_record(&record)?;
            }
            writer.into_inner().map_err(|e| e.into_error().into())
        }
    }
}
