//! Tables for download: CSV (UTF-8 with a BOM, so Excel shows Chinese) or XLSX
//! (`rust_xlsxwriter` in constant-memory mode), built row by row. [`download`] answers a small
//! table at once; [`stream`] writes the rows a database cursor yields into a temporary file and
//! sends it (a CSV while it is written), in bounded memory however many there are.
use std::io::{Cursor, Seek, SeekFrom, Write};

use actix_web::HttpResponse;
use actix_web::http::header;
use bytes::Bytes;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use futures_util::future::LocalBoxFuture;
use futures_util::{Stream, StreamExt};
use rust_xlsxwriter::{ExcelDateTime, Workbook, XlsxError};
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
    /// An Excel workbook, a header row first; numbers, dates and times are typed cells.
    Xlsx,
}

impl Format {
    fn mime_and_ext(self) -> (&'static str, &'static str) {
        match self {
            Format::Csv => ("text/csv; charset=utf-8", "csv"),
            Format::Xlsx => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        }
    }
}

/// What a text cell may not start with unprotected: a spreadsheet's formula marks (and their
/// full-width forms, which some tools fold), a tab, a line break, and the protecting `'` itself (so a text that begins with one reads back
/// as written).
pub const FORMULA_STARTS: [char; 12] = [
    '=', '+', '-', '@', '\t', '\r', '\n', '\'', '＝', '＋', '－', '＠',
];

/// One cell: text, a number, a day or a local time (XLSX keeps their types), or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// A local date and time (the server's timezone).
    Time(NaiveDateTime),
    Empty,
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

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
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
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Empty => String::new(),
        }
    }
}

fn xlsx(e: XlsxError) -> anyhow::Error {
    anyhow::Error::from(e)
}

/// The rows an XLSX sheet holds besides its header; a longer table goes on in another sheet.
const SHEET_ROWS: u32 = 1_048_575;

/// A workbook written row by row in constant memory.
struct XlsxTable {
    book: Workbook,
    header: Vec<String>,
    sheet: usize,
    row: u32,
    bold: rust_xlsxwriter::Format,
    quoted: rust_xlsxwriter::Format,
    date: rust_xlsxwriter::Format,
    time: rust_xlsxwriter::Format,
}

impl XlsxTable {
    fn new(header: &[&str]) -> anyhow::Result<Self> {
        let mut table = XlsxTable {
            book: Workbook::new(),
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            sheet: 0,
            row: 0,
            bold: rust_xlsxwriter::Format::new().set_bold(),
            // Excel's own mark for "text, even if it looks like a formula": the cell keeps
            // its text exactly, and editing it never turns it into a formula.
            quoted: rust_xlsxwriter::Format::new().set_quote_prefix(),
            date: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd"),
            time: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        };
        table.new_sheet()?;
        Ok(table)
    }

    fn new_sheet(&mut self) -> anyhow::Result<()> {
        self.book.add_worksheet_with_constant_memory();
        self.sheet = self.book.worksheets_mut().len() - 1;
        let sheet = self.book.worksheet_from_index(self.sheet).map_err(xlsx)?;
        for (c, name) in self.header.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, name, &self.bold)
                .map_err(xlsx)?;
        }
        self.row = 0;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        if self.row == SHEET_ROWS {
            self.new_sheet()?;
        }
        self.row += 1;
        let r = self.row;
        let sheet = self.book.worksheet_from_index(self.sheet).map_err(xlsx)?;
        for (c, cell) in cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) if s.starts_with(FORMULA_STARTS) => {
                    sheet.write_string_with_format(r, c, s, &self.quoted)
                }
                Cell::Text(s) => sheet.write_string(r, c, s),
                Cell::Number(n) => sheet.write_number(r, c, *n),
                Cell::Date(d) => {
                    let at =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(xlsx)?;
                    sheet.write_datetime_with_format(r, c, &at, &self.date)
                }
                Cell::Time(t) => {
                    let at =
                        ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)
                            .and_then(|d| {
                                d.and_hms(t.hour() as u16, t.minute() as u8, t.second() as f64)
                            })
                            .map_err(xlsx)?;
                    sheet.write_datetime_with_format(r, c, &at, &self.time)
                }
                Cell::Empty => continue,
            }
            .map_err(xlsx)?;
        }
        Ok(())
    }
}

/// A table being written into `W`: CSV as it goes, or a workbook saved into it at the end.
enum Table<W: Write + Seek + Send> {
    Csv(Box<csv::Writer<W>>),
    Xlsx(Box<XlsxTable>, W),
}

impl<W: Write + Seek + Send> Table<W> {
    fn new(format: Format, header: &[&str], mut out: W) -> anyhow::Result<Self> {
        match format {
            Format::Csv => {
                out.write_all(b"\xEF\xBB\xBF")?;
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(header)?;
                Ok(Table::Csv(Box::new(writer)))
            }
            Format::Xlsx => Ok(Table::Xlsx(Box::new(XlsxTable::new(header)?), out)),
        }
    }

    fn row(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        match self {
            Table::Csv(writer) => Ok(writer.write_record(cells.iter().map(Cell::text))?),
            Table::Xlsx(table, _) => table.row(cells),
        }
    }

    /// The output, complete.
    fn finish(self) -> anyhow::Result<W> {
        match self {
            Table::Csv(writer) => writer
                .into_inner()
                .map_err(|e| anyhow::anyhow!("flushing CSV: {}", e.error())),
            Table::Xlsx(mut table, mut out) => {
                table.book.save_to_writer(&mut out).map_err(xlsx)?;
                Ok(out)
            }
        }
    }
}

/// The bytes of a whole table in `format`.
pub fn bytes(format: Format, header: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, ApiError> {
    let mut table = Table::new(format, header, Cursor::new(Vec::new()))?;
    for row in rows {
        table.row(row)?;
    }
    Ok(table.finish()?.into_inner())
}

fn attachment(format: Format, name: &str) -> actix_web::HttpResponseBuilder {
    let (mime, ext) = format.mime_and_ext();
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, mime))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.{ext}\""),
        ));
    res
}

/// The table as a download named `name` (without extension).
pub fn download(
    format: Format,
    name: &str,
    header: &[&str],
    rows: &[Vec<Cell>],
) -> Result<HttpResponse, ApiError> {
    Ok(attachment(format, name).body(bytes(format, header, rows)?))
}

/// How a streamed download ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Rows written (the header not counted).
    pub rows: u64,
    /// Every row was sent; false when the client went away or the source failed.
    pub complete: bool,
}

/// Files are sent in pieces of this size.
const CHUNK: usize = 64 * 1024;

/// Streamed downloads written at once by one instance: each holds a database connection
/// while it reads and a core while it writes, and the pool and the cores are few.
static WRITING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

fn failed() -> std::io::Error {
    std::io::Error::other("the export failed; see the server log")
}

/// What the file writer is handed.
enum Feed {
    Row(Vec<Cell>),
    /// The source failed: write no file.
    Failed,
}

/// A turn to write an export: take it before opening the cursor, so that exports waiting for
/// their turn hold no database connection.
pub async fn turn() -> tokio::sync::SemaphorePermit<'static> {
    // The semaphore is never closed.
    WRITING
        .acquire()
        .await
        .expect("the export semaphore stays open")
}

/// Rows from `rows` (a database cursor) as a download named `name`, in bounded memory
/// however many there are: the rows are written as they are read into a temporary file (a
/// CSV, or an XLSX in constant-memory mode), and the cursor, its connection and the `turn` are
/// let go as soon as the last row is written, however slow the client. A CSV is sent while it
/// is written (its first bytes leave after the first rows); a workbook is complete only when
/// saved, so it is sent after. A client that leaves stops the reading; a failing source ends
/// the body broken, never as a shorter file that looks whole. `finished` is told how it
/// ended: complete only when the client took the last byte.
pub fn stream<S>(
    format: Format,
    name: &str,
    header: Vec<&'static str>,
    rows: S,
    turn: tokio::sync::SemaphorePermit<'static>,
    finished: impl FnOnce(Outcome) -> LocalBoxFuture<'static, ()> + 'static,
) -> HttpResponse
where
    S: Stream<Item = anyhow::Result<Vec<Cell>>> + 'static,
{
    let (body, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    // Fired when the response body has given out its last piece.
    let (taken, all_taken) = tokio::sync::oneshot::channel::<()>();
    actix_web::rt::spawn(async move {
        let mut outcome = match format {
            Format::Csv => send_growing(header, rows, turn, body).await,
            Format::Xlsx => send_spooled(format, header, rows, turn, body).await,
        };
        outcome.complete &= all_taken.await.is_ok();
        finished(outcome).await;
    });
    let body = futures_util::stream::unfold((rx, Some(taken)), |(mut rx, mut taken)| async move {
        match rx.recv().await {
            Some(item) => Some((item, (rx, taken))),
            None => {
                if let Some(taken) = taken.take() {
                    let _ = taken.send(());
                }
                None
            }
        }
    });
    attachment(format, name).streaming(body)
}

type Body = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

fn broken(rows: u64) -> Outcome {
    Outcome {
        rows,
        complete: false,
    }
}

/// Spools the rows in its `turn`, then sends the file; the body ends when this returns.
async fn send_spooled<S>(
    format: Format,
    header: Vec<&'static str>,
    rows: S,
    turn: tokio::sync::SemaphorePermit<'static>,
    body: Body,
) -> Outcome
where
    S: Stream<Item = anyhow::Result<Vec<Cell>>>,
{
    let spooled = match tempfile::tempfile() {
        Ok(file) => spool(format, header, rows, &body, file).await,
        Err(e) => {
            tracing::error!(error = %e, "no temporary file for an export");
            None
        }
    };
    drop(turn);
    let Some((file, rows)) = spooled else {
        let _ = body.send(Err(failed())).await;
        return broken(0);
    };
    send_rest(&std::sync::Arc::new(file), 0, rows, &body).await
}

/// Sends the file whole from `at` on, `rows` in it.
async fn send_rest(
    file: &std::sync::Arc<std::fs::File>,
    mut at: u64,
    rows: u64,
    body: &Body,
) -> Outcome {
    loop {
        match piece(file, at).await {
            Ok(bytes) if bytes.is_empty() => {
                return Outcome {
                    rows,
                    complete: true,
                };
            }
            Ok(bytes) => {
                at += bytes.len() as u64;
                if body.send(Ok(bytes)).await.is_err() {
                    return broken(rows);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "reading a spooled export failed");
                let _ = body.send(Err(failed())).await;
                return broken(rows);
            }
        }
    }
}

/// Up to [`CHUNK`] bytes of `file` from `at` (empty at its end), read off the async workers.
/// Positioned reads: the writer's offset on the shared file is left alone.
async fn piece(file: &std::sync::Arc<std::fs::File>, at: u64) -> std::io::Result<Bytes> {
    use std::os::unix::fs::FileExt;
    let file = file.clone();
    tokio::task::spawn_blocking(move || {
        let mut buf = vec![0; CHUNK];
        let n = file.read_at(&mut buf, at)?;
        buf.truncate(n);
        Ok(Bytes::from(buf))
    })
    .await
    .map_err(std::io::Error::other)?
}

/// A file being written that tells how many bytes it holds so far.
struct Told {
    file: std::fs::File,
    written: u64,
    tell: tokio::sync::watch::Sender<u64>,
}

impl Write for Told {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        self.tell.send_replace(self.written);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl Seek for Told {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

/// A CSV sent as it is spooled: the sender trails the writer through the same temporary file,
/// so a slow client only lets the file grow; the `turn` and the cursor go when the last row is
/// written.
async fn send_growing<S>(
    header: Vec<&'static str>,
    rows: S,
    turn: tokio::sync::SemaphorePermit<'static>,
    body: Body,
) -> Outcome
where
    S: Stream<Item = anyhow::Result<Vec<Cell>>>,
{
    let opened = tempfile::tempfile().and_then(|f| Ok((f.try_clone()?, f)));
    let (file, reader) = match opened {
        Ok(pair) => pair,
        Err(e) => {
            tracing::error!(error = %e, "no temporary file for an export");
            let _ = body.send(Err(failed())).await;
            return broken(0);
        }
    };
    let reader = std::sync::Arc::new(reader);
    let (tell, mut written) = tokio::sync::watch::channel(0u64);
    let out = Told {
        file,
        written: 0,
        tell,
    };
    let spooling = async {
        // The file (and with it `tell`) is dropped here: the sender then knows it is whole.
        let spooled = spool(Format::Csv, header, rows, &body, out).await;
        drop(turn);
        spooled.map(|(_, rows)| rows)
    };
    let sending = async {
        let mut at = 0;
        loop {
            let ready = *written.borrow_and_update();
            while at < ready {
                match piece(&reader, at).await {
                    Ok(bytes) if bytes.is_empty() => break,
                    Ok(bytes) => {
                        at += bytes.len() as u64;
                        if body.send(Ok(bytes)).await.is_err() {
                            return None;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading a spooled export failed");
                        // Broken at once: the body closes, so the spooling stops too.
                        let _ = body.send(Err(failed())).await;
                        return None;
                    }
                }
            }
            if written.changed().await.is_err() {
                return Some(at);
            }
        }
    };
    let (spooled, sent) = tokio::join!(spooling, sending);
    let (Some(rows), Some(at)) = (spooled, sent) else {
        let _ = body.send(Err(failed())).await;
        return broken(spooled.unwrap_or(0));
    };
    // What the last write added after the sender last looked.
    send_rest(&reader, at, rows, &body).await
}

/// Writes every row of `rows` into `out`, apart from the async workers (it touches files and
/// compresses): `out` rewound to its start and the rows in it, or `None` if anything failed
/// or the client left. The cursor is dropped before this returns.
async fn spool<S, W>(
    format: Format,
    header: Vec<&'static str>,
    rows: S,
    body: &Body,
    out: W,
) -> Option<(W, u64)>
where
    S: Stream<Item = anyhow::Result<Vec<Cell>>>,
    W: Write + Seek + Send + 'static,
{
    let (feed, mut fed) = tokio::sync::mpsc::channel::<Feed>(256);
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<W>> {
        let mut table = Table::new(format, &header, out)?;
        while let Some(item) = fed.blocking_recv() {
            match item {
                Feed::Row(cells) => table.row(&cells)?,
                Feed::Failed => return Ok(None),
            }
        }
        let mut out = table.finish()?;
        out.seek(SeekFrom::Start(0))?;
        Ok(Some(out))
    });
    let mut read = 0;
    {
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.next().await {
            let item = match row {
                // Nobody is waiting for the file any more.
                Ok(_) if body.is_closed() => Feed::Failed,
                Ok(cells) => Feed::Row(cells),
                Err(e) => {
                    tracing::error!(error = %e, rows = read, "reading an export failed");
                    Feed::Failed
                }
            };
            let stop = matches!(item, Feed::Failed);
            if feed.send(item).await.is_err() || stop {
                break;
            }
            read += 1;
        }
    }
    drop(feed);
    match writer.await {
        Ok(Ok(out)) => out.map(|o| (o, read)),
        Ok(Err(e)) => {
            tracing::error!(error = %e, rows = read, "writing an export failed");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "the export writer panicked");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CSV's first bytes leave while the cursor still has rows to give: the client does not
    /// wait for the whole file (an export of a million rows starts at once).
    #[tokio::test]
    async fn a_csv_is_sent_while_it_is_written() {
        let (go_on, resume) = tokio::sync::oneshot::channel::<()>();
        let first = futures_util::stream::iter(
            (0..2_000).map(|i| Ok(vec![Cell::from(i as i64), Cell::from("第一批")])),
        );
        let rest = futures_util::stream::once(async move {
            let _ = resume.await;
            Ok(vec![Cell::from(-1i64), Cell::from("最后一行")])
        });
        let rows = first.chain(rest);
        let (body, mut rx) = tokio::sync::mpsc::channel(4);
        let sending = tokio::spawn(async move {
            let turn = turn().await;
            send_growing(vec!["编号", "批次"], rows, turn, body).await
        });
        let early = tokio::time::timeout(std::time::Duration::from_secs(20), rx.recv())
            .await
            .expect("bytes before the last row was read")
            .expect("a piece")
            .expect("not broken");
        assert!(early.starts_with(b"\xEF\xBB\xBF"), "the BOM first");
        go_on.send(()).unwrap();
        let mut all = early.to_vec();
        while let Some(piece) = rx.recv().await {
            all.extend_from_slice(&piece.unwrap());
        }
        let outcome = sending.await.unwrap();
        assert_eq!(
            outcome,
            Outcome {
                rows: 2_001,
                complete: true
            }
        );
        let text = String::from_utf8(all[3..].to_vec()).unwrap();
        assert!(text.starts_with("编号,批次\n0,第一批\n"), "{}", &text[..40]);
        assert!(text.ends_with("1999,第一批\n-1,最后一行\n"));
        assert_eq!(text.lines().count(), 2_002);
    }
}
