//! Ledgers as officials keep them: the audit log and the petition registry as CSV for
//! any tool and as XLSX for Excel/WPS. Both carry the same columns in Chinese.

use app::components::labels::{channel_name, petition_kind_name, state_name};
use app::error::EdgeText;
use app::i18n::Locale;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header, request::Parts};
use axum::response::{IntoResponse, Response};
use domain::audit::{AuditAction, AuditEntry, AuditFilter, format_china_time};
use domain::registry::{PetitionSummary, RegistryFilter};
use serde::Deserialize;

use crate::ServerError;
use crate::extract::RequestCaller;
use crate::state::AppState;

/// The audit page's filter, as it appears in its URL.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    user: Option<String>,
    action: Option<String>,
    record: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl AuditQuery {
    fn filter(self) -> AuditFilter {
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let date =
            |v: Option<String>| text(v).and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
        AuditFilter {
            username: text(self.user),
            action: text(self.action).and_then(|a| AuditAction::parse(&a)),
            record: text(self.record),
            from: date(self.from),
            to: date(self.to),
        }
    }
}

const AUDIT_HEADERS: [&str; 9] = [
    "时间（北京时间）",
    "用户",
    "操作",
    "记录类型",
    "记录编号",
    "结果",
    "地址",
    "设备",
    "说明",
];

fn audit_row(e: &AuditEntry) -> [String; 9] {
    [
        format_china_time(e.at),
        e.username.clone().unwrap_or_default(),
        e.action.clone(),
        e.record_kind.clone().unwrap_or_default(),
        e.record_id.clone().unwrap_or_default(),
        e.outcome.as_str().to_owned(),
        e.address.clone().unwrap_or_default(),
        e.user_agent.clone().unwrap_or_default(),
        e.detail.clone().unwrap_or_default(),
    ]
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is
/// prefixed with `'`, so an exported ledger can never execute what someone typed.
fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// UTF-8 with a byte-order mark, which Excel needs to read Chinese correctly.
pub fn to_csv<const N: usize>(
    headers: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<Vec<u8>, ServerError> {
    let mut out = Vec::from(&b"\xEF\xBB\xBF"[..]);
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let fail = |_| ServerError::BadRequest(EdgeText::ExportFailed);
        writer.write_record(headers).map_err(fail)?;
        for row in rows {
            writer.write_record(row.iter().map(|c| defuse(c))).map_err(fail)?;
        }
        writer
            .flush()
            .map_err(|_| ServerError::BadRequest(EdgeText::ExportFailed))?;
    }
    Ok(out)
}

pub fn to_xlsx<const N: usize>(
    sheet_name: &str,
    headers: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name)?;
    let bold = Format::new().set_bold();
    for (col, title) in (0_u16..).zip(headers) {
        sheet.write_string_with_format(0, col, title, &bold)?;
        sheet.set_column_width(col, 18)?;
    }
    for (row, cells) in (1_u32..).zip(rows) {
        for (col, cell) in (0_u16..).zip(cells.iter()) {
            // Strings, never formulas: what someone typed stays text. A cell holds at
            // most 32,767 characters; a longer value is cut rather than failing the file.
            sheet.write_string(row, col, domain::audit::clip(cell, XLSX_CELL_MAX - 1))?;
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// The most characters Excel keeps in one cell.
const XLSX_CELL_MAX: usize = 32_767;

fn download(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /office/audit.csv?…` and `GET /office/audit.xlsx?…`: the audit page's current
/// filter, every matching entry. Admins only (others get "not found"); the export is
/// itself logged.
pub async fn audit_export(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    parts: Parts,
    Query(query): Query<AuditQuery>,
) -> Result<Response, ServerError> {
    let xlsx = parts.uri.path().ends_with(".xlsx");
    let format = if xlsx { "xlsx" } else { "csv" };
    let found = services::audit::export(&state.db, &caller, &query.filter(), format).await?;
    ledger(
        xlsx,
        "审计日志",
        "audit",
        AUDIT_HEADERS,
        found.entries.iter().map(audit_row),
    )
}

/// A ledger as a download: XLSX or CSV, named `<stem>-<China time>.<ext>`.
pub fn ledger<const N: usize>(
    xlsx: bool,
    sheet: &str,
    stem: &str,
    headers: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<Response, ServerError> {
    let stamp = chrono::Utc::now()
        .with_timezone(&domain::audit::china_time())
        .format("%Y%m%d-%H%M");
    if xlsx {
        let bytes = to_xlsx(sheet, headers, rows).map_err(|e| {
            tracing::error!(error = %e, "xlsx export failed");
            ServerError::BadRequest(EdgeText::ExportFailed)
        })?;
        Ok(download(
            bytes,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{stem}-{stamp}.xlsx"),
        ))
    } else {
        Ok(download(
            to_csv(headers, rows)?,
            "text/csv; charset=utf-8",
            &format!("{stem}-{stamp}.csv"),
        ))
    }
}

const REGISTRY_HEADERS: [&str; 9] = [
    "查询码",
    "收到时间（北京时间）",
    "信访形式",
    "信访类别",
    "标题",
    "状态",
    "所涉村(社区)",
    "承办单位",
    "集体访",
];

/// A ledger row. The ledger is kept in Chinese whatever the reader's language, as its
/// column titles are: it is the office's record, filed and compared as such.
fn registry_row(r: &PetitionSummary) -> [String; 9] {
    let zh = Locale::zh_CN;
    [
        r.tracking_code.clone(),
        format_china_time(r.received_at),
        channel_name(zh, r.channel).to_owned(),
        petition_kind_name(zh, r.kind).to_owned(),
        r.subject.clone(),
        state_name(zh, r.state).to_owned(),
        r.village_name.clone().unwrap_or_default(),
        r.department_name.clone().unwrap_or_default(),
        if r.collective { "是" } else { "" }.to_owned(),
    ]
}

/// `GET /office/petitions.xlsx?…` and `.csv?…`: the registry's current filter as a
/// ledger (台账), every matching row.
pub async fn registry_export(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    parts: Parts,
    Query(query): Query<Vec<(String, String)>>,
) -> Result<Response, ServerError> {
    let xlsx = parts.uri.path().ends_with(".xlsx");
    let filter = RegistryFilter::from_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let format = if xlsx { "xlsx" } else { "csv" };
    let rows = services::petition::export(&state.db, &caller, &filter, format).await?;
    ledger(
        xlsx,
        "信访登记簿",
        "petitions",
        REGISTRY_HEADERS,
        rows.iter().map(registry_row),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_chinese_survives() {
        let rows = vec![["=1+1".to_owned(), "张三, \"李四\"".to_owned()]];
        let csv = String::from_utf8(to_csv(["公式", "姓名"], rows.into_iter()).unwrap()).unwrap();
        assert_eq!(csv, "\u{feff}公式,姓名\n'=1+1,\"张三, \"\"李四\"\"\"\n");
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let rows = vec![["东湖村".to_owned()]];
        let bytes = to_xlsx("台账", ["村"], rows.into_iter()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }

    #[test]
    fn a_value_longer_than_a_cell_holds_is_cut_not_a_failed_file() {
        // Excel keeps 32,767 characters in a cell; rust_xlsxwriter refuses more.
        let rows = vec![["详".repeat(40_000), "a".repeat(XLSX_CELL_MAX)]];
        let bytes = to_xlsx("审计日志", ["详情", "名"], rows.into_iter()).unwrap();
        assert_eq!(&bytes[..2], b"PK");
    }
}
