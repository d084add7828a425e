//! Tables for download: CSV (UTF-8 with a BOM, so Excel shows Chinese) or XLSX
//! (`rust_xlsxwriter`), from one header and rows of cells.
use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// `?format=` of a download.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// UTF-8 with a BOM, a header row first.
    #[default]
    Csv,
    /// An Excel workbook with one sheet, a header row first.
    Xlsx,
}

/// What a CSV text cell may not start with unprotected: a spreadsheet's formula marks, a tab,
/// a carriage return, and the protecting `'` itself (so a text that begins with one reads back
/// as written).
pub const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// One cell: text or a number (XLSX keeps numbers as numbers).
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Self {
        Cell::Number(f64::from(n))
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

impl Cell {
    /// As CSV text. A text cell a spreadsheet would take for a formula ([`FORMULA_STARTS`]: a
    /// nickname such as `=HYPERLINK(…)`) is written after a `'`, which Excel shows as plain
    /// text; the question import strips it again.
    fn text(&self) -> String {
        match self {
            Cell::Text(s) if s.starts_with(FORMULA_STARTS) => format!("'{s}"),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// The bytes of the table in `format`.
pub fn bytes(format: Format, header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, ApiError> {
    match format {
        Format::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut writer = csv::Writer::from_writer(&mut out);
                writer.write_record(header).map_err(anyhow::Error::from)?;
                for row in rows {
                    writer
                        .write_record(row.iter().map(Cell::text))
                        .map_err(anyhow::Error::from)?;
                }
                writer.flush().map_err(anyhow::Error::from)?;
            }
            Ok(out)
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let sheet = book.add_worksheet();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let xlsx = |e: rust_xlsxwriter::XlsxError| ApiError::from(anyhow::Error::from(e));
            for (c, name) in header.iter().enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, *name, &bold)
                    .map_err(xlsx)?;
            }
            for (r, row) in rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    match cell {
                        Cell::Text(s) => sheet.write_string(r, c as u16, s),
                        Cell::Number(n) => sheet.write_number(r, c as u16, *n),
                    }
                    .map_err(xlsx)?;
                }
            }
            book.save_to_buffer().map_err(xlsx)
        }
    }
}

/// The table as a download named `name` (without extension).
pub fn download(
    format: Format,
    name: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
) -> Result<HttpResponse, ApiError> {
    let (mime, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{ext}\""),
        ))
        .body(bytes(format, header, rows)?))
}
