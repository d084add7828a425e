//! The question bank as a sheet (CSV or XLSX): one question a row, under a header row. Pure:
//! reading a file into rows, a row into a question (every problem named by row and column),
//! and a question back into a row, so an export imports again unchanged.
//!
//! Columns (any order; `type`, `stem`, `answer` and `category` required):
//! `type` (single/multiple/judge/fill, or 单选/多选/判断/填空), `stem`, `option_a` … `option_h`
//! (choice questions, in order), `answer` (single/multiple: the option letters, e.g. `B` or
//! `A,C`; judge: 正确/错误, 对/错, true/false; fill: the blanks separated by `;`, each blank's
//! accepted answers by `|`), `explanation`, `category`, `tags` (separated by `,` or `、`),
//! `difficulty` (1–5, default 3), `source`, `status` (draft/active/retired, default active).
use std::collections::HashMap;
use std::io::Cursor;

use crate::error::{ApiError, FieldIssue, RowIssue};
use crate::http::export::Cell;

use super::dto::{AuthoredOption, NewQuestion, Question, QuestionStatus, QuestionType};

pub const OPTION_COLUMNS: [&str; 8] = [
    "option_a", "option_b", "option_c", "option_d", "option_e", "option_f", "option_g", "option_h",
];

/// The header, in the order exports and the template write it.
pub fn header() -> Vec<&'static str> {
    let mut columns = vec!["type", "stem"];
    columns.extend(OPTION_COLUMNS);
    columns.extend([
        "answer",
        "explanation",
        "category",
        "tags",
        "difficulty",
        "source",
        "status",
    ]);
    columns
}

const REQUIRED: [&str; 4] = ["type", "stem", "answer", "category"];

/// The file's cells as text, row by row: XLSX (by its zip signature) or UTF-8 CSV (a BOM is
/// skipped).
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            ApiError::field(
                "file",
                FieldIssue::new("invalid_type").with("reason", e.to_string()),
            )
        })?;
        rows.push(record.iter().map(str::to_owned).collect());
    }
    Ok(rows)
}

/// What an XLSX upload may unpack to: a few thousand rows of text fit many times over, a zip
/// bomb does not.
const MAX_UNPACKED: u64 = 64 << 20;
/// Rows and columns read from a sheet: the row limit's worth, the template's columns and more.
const MAX_SHEET_ROWS: u32 = 5_002;
const MAX_SHEET_COLUMNS: u32 = 32;

/// The first sheet, cell by cell (no dense grid of the sheet's claimed dimensions), after
/// checking what the file unpacks to.
fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    use calamine::Reader;
    let unreadable = || ApiError::field("file", FieldIssue::new("invalid"));
    // What the entries really unpack to, counted (the sizes a zip declares can lie), before
    // calamine reads them whole.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| unreadable())?;
        let left = MAX_UNPACKED - unpacked;
        let mut bounded = std::io::Read::take(entry, left + 1);
        unpacked += std::io::copy(&mut bounded, &mut std::io::sink()).map_err(|_| unreadable())?;
        if unpacked > MAX_UNPACKED {
            return Err(ApiError::PayloadTooLarge {
                limit: MAX_UNPACKED as usize,
            });
        }
    }
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let first = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ApiError::field("file", FieldIssue::new("required")))?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable())?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable())? {
        let (row, column) = cell.get_position();
        if row >= MAX_SHEET_ROWS {
            return Err(ApiError::TooManyRows {
                max_rows: (MAX_SHEET_ROWS - 2) as usize,
            });
        }
        if column >= MAX_SHEET_COLUMNS {
            continue;
        }
        let (row, column) = (row as usize, column as usize);
        if rows.len() <= row {
            rows.resize(row + 1, Vec::new());
        }
        if rows[row].len() <= column {
            rows[row].resize(column + 1, String::new());
        }
        rows[row][column] = calamine::Data::from(cell.get_value().clone()).to_string();
    }
    Ok(rows)
}

/// A text cell an export protected from spreadsheet formulas (see `http::export`), as written.
fn unprotected(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(crate::http::export::FORMULA_STARTS) => rest,
        _ => text,
    }
}

fn kind_of(text: &str) -> Option<QuestionType> {
    match text.trim() {
        "单选" | "单选题" => Some(QuestionType::Single),
        "多选" | "多选题" => Some(QuestionType::Multiple),
        "判断" | "判断题" => Some(QuestionType::Judge),
        "填空" | "填空题" => Some(QuestionType::Fill),
        other => QuestionType::parse(&other.to_lowercase()),
    }
}

fn judge_of(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "正确" | "对" | "√" | "true" | "t" | "yes" | "是" => Some(true),
        "错误" | "错" | "×" | "false" | "f" | "no" | "否" => Some(false),
        _ => None,
    }
}

fn split<'a>(text: &'a str, seps: &'a [char]) -> impl Iterator<Item = String> + 'a {
    text.split(seps)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The file's column for a field a check names.
pub fn column_of(field: &str, code: &str) -> String {
    if let Some(rest) = field.strip_prefix("options[")
        && let Some(i) = rest.split(']').next().and_then(|n| n.parse::<usize>().ok())
        && i < OPTION_COLUMNS.len()
    {
        return OPTION_COLUMNS[i].to_owned();
    }
    match field {
        // Which options are right is the answer column's say.
        "options" if matches!(code, "one_right" | "two_right") => "answer".into(),
        "options" => "option_a".into(),
        "blanks" | "answer" => "answer".into(),
        other => other.split(['.', '[']).next().unwrap_or(other).to_owned(),
    }
}

/// The answer cells of a row of `kind`: (options, judge answer, blanks), or the first problem.
type AnswerFields = (
    Option<Vec<AuthoredOption>>,
    Option<bool>,
    Option<Vec<Vec<String>>>,
);

fn answer_fields(
    kind: QuestionType,
    texts: &[&str],
    answer: &str,
) -> Result<AnswerFields, (&'static str, FieldIssue)> {
    let choice = matches!(kind, QuestionType::Single | QuestionType::Multiple);
    if !choice && !texts.is_empty() {
        return Err(("option_a", FieldIssue::new("not_for_type")));
    }
    match kind {
        QuestionType::Single | QuestionType::Multiple => {
            if let Some(gap) = texts.iter().position(|t| t.is_empty()) {
                return Err((OPTION_COLUMNS[gap], FieldIssue::new("required")));
            }
            let letters: Vec<usize> = answer
                .chars()
                .filter(char::is_ascii_alphabetic)
                .map(|c| (c.to_ascii_uppercase() as u8 - b'A') as usize)
                .collect();
            if letters.iter().any(|l| *l >= texts.len()) {
                return Err(("answer", FieldIssue::new("unknown_option")));
            }
            let options = texts
                .iter()
                .enumerate()
                .map(|(i, t)| AuthoredOption {
                    text: (*t).to_owned(),
                    correct: letters.contains(&i),
                })
                .collect();
            Ok((Some(options), None, None))
        }
        QuestionType::Judge => match judge_of(answer) {
            Some(a) => Ok((None, Some(a), None)),
            None => Err(("answer", FieldIssue::new("invalid"))),
        },
        QuestionType::Fill => {
            let blanks = split(answer, &[';', '；'])
                .map(|b| split(&b, &['|', '｜']).collect())
                .collect();
            Ok((None, None, Some(blanks)))
        }
    }
}

/// Every data row that reads as a question (with its row number, the header being row 1),
/// and every problem of the others. The bank's own rules (`service::check`, one stem per type)
/// are the service's to apply.
pub fn parse(table: &[Vec<String>]) -> (Vec<(usize, NewQuestion)>, Vec<RowIssue>) {
    let mut issues = Vec::new();
    let Some(head) = table.first() else {
        let missing = RowIssue {
            row: 1,
            column: "type".into(),
            issue: FieldIssue::new("required"),
        };
        return (Vec::new(), vec![missing]);
    };
    let mut at: HashMap<&str, usize> = HashMap::new();
    let known = header();
    for (i, name) in head.iter().enumerate() {
        let name = name.trim().to_lowercase();
        match known.iter().find(|k| **k == name) {
            Some(k) => {
                at.insert(k, i);
            }
            None if name.is_empty() => {}
            None => issues.push(RowIssue {
                row: 1,
                column: name,
                issue: FieldIssue::new("unknown_column"),
            }),
        }
    }
    for required in REQUIRED {
        if !at.contains_key(required) {
            issues.push(RowIssue {
                row: 1,
                column: required.into(),
                issue: FieldIssue::new("required"),
            });
        }
    }
    if !issues.is_empty() {
        return (Vec::new(), issues);
    }
    let mut questions = Vec::new();
    for (i, cells) in table.iter().enumerate().skip(1) {
        let row = i + 1;
        let get = |column: &str| {
            at.get(column)
                .and_then(|c| cells.get(*c))
                .map(|s| unprotected(s.trim()))
                .unwrap_or("")
        };
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let problem = |issues: &mut Vec<RowIssue>, column: &str, issue: FieldIssue| {
            issues.push(RowIssue {
                row,
                column: column.to_owned(),
                issue,
            })
        };
        // Every problem of the row that can be told apart is listed; the checks on the whole
        // question (lengths, right answers) run once its cells read.
        let before = issues.len();
        let kind = kind_of(get("type"));
        if kind.is_none() {
            problem(&mut issues, "type", FieldIssue::new("invalid"));
        }
        let texts: Vec<&str> = OPTION_COLUMNS.iter().map(|c| get(c)).collect();
        let last = texts.iter().rposition(|t| !t.is_empty());
        let texts = &texts[..last.map_or(0, |l| l + 1)];
        let answers = kind.map(|kind| answer_fields(kind, texts, get("answer")));
        if let Some(Err((column, issue))) = &answers {
            problem(&mut issues, column, issue.clone());
        }
        let difficulty = match get("difficulty") {
            "" => 3,
            d => match d.parse::<f64>() {
                Ok(v) if v.fract() == 0.0 && (1.0..=5.0).contains(&v) => v as i16,
                _ => {
                    let issue = FieldIssue::new("range").with("min", 1).with("max", 5);
                    problem(&mut issues, "difficulty", issue);
                    3
                }
            },
        };
        let status = match get("status") {
            "" => None,
            s => {
                let status = QuestionStatus::parse(&s.to_lowercase());
                if status.is_none() {
                    problem(&mut issues, "status", FieldIssue::new("invalid"));
                }
                status
            }
        };
        for column in [
            "stem",
            "category",
            "explanation",
            "source",
            "tags",
            "answer",
        ]
        .into_iter()
        .chain(OPTION_COLUMNS)
        {
            if !crate::http::text::is_clean(get(column)) {
                problem(&mut issues, column, FieldIssue::new("control_characters"));
            }
        }
        let (Some(kind), Some(Ok((options, answer, blanks)))) = (kind, answers) else {
            continue;
        };
        if issues.len() > before {
            continue;
        }
        let optional = |column: &str| Some(get(column).to_owned()).filter(|s| !s.is_empty());
        let question = NewQuestion {
            kind,
            stem: get("stem").to_owned(),
            options,
            answer,
            blanks,
            explanation: optional("explanation"),
            category: get("category").to_owned(),
            tags: split(get("tags"), &[',', '，', '、']).collect(),
            difficulty,
            source: optional("source"),
            status,
        };
        let fields = match validator::Validate::validate(&question) {
            Ok(()) => {
                questions.push((row, question));
                continue;
            }
            Err(errors) => match ApiError::from(errors) {
                ApiError::Validation(fields) => fields,
                _ => Default::default(),
            },
        };
        for (field, list) in fields {
            for issue in list {
                let column = column_of(&field, &issue.code);
                problem(&mut issues, &column, issue);
            }
        }
    }
    (questions, issues)
}

/// A question as a row under [`header`].
pub fn row_of(q: &Question) -> Vec<Cell> {
    let options = q.options.as_deref().unwrap_or_default();
    let letters: Vec<String> = options
        .iter()
        .enumerate()
        .filter(|(_, o)| o.correct)
        .map(|(i, _)| char::from(b'A' + i as u8).to_string())
        .collect();
    let answer = match q.kind {
        QuestionType::Single | QuestionType::Multiple => letters.join(","),
        QuestionType::Judge => if q.answer == Some(true) {
            "正确"
        } else {
            "错误"
        }
        .into(),
        QuestionType::Fill => q
            .blanks
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|b| b.join("|"))
            .collect::<Vec<_>>()
            .join(";"),
    };
    let mut row: Vec<Cell> = vec![q.kind.as_str().into(), q.stem.as_str().into()];
    row.extend(
        (0..OPTION_COLUMNS.len())
            .map(|i| Cell::from(options.get(i).map_or("", |o| o.text.as_str()))),
    );
    row.extend([
        answer.into(),
        q.explanation.as_deref().unwrap_or_default().into(),
        q.category.as_str().into(),
        q.tags.join(",").into(),
        i32::from(q.difficulty).into(),
        q.source.as_deref().unwrap_or_default().into(),
        q.status.as_str().into(),
    ]);
    row
}

/// The template's example rows, one of each type.
pub fn examples() -> Vec<Vec<Cell>> {
    let row = |cells: [&str; 17]| cells.into_iter().map(Cell::from).collect();
    vec![
        row([
            "single",
            "番禺区互联网行业党委成立于何时？",
            "2012年11月",
            "2018年11月",
            "2021年7月",
            "",
            "",
            "",
            "",
            "",
            "B",
            "番禺区互联网行业党委成立于2018年11月。",
            "行业党建",
            "番禺,党建",
            "2",
            "番禺区党史学习教育报道",
            "active",
        ]),
        row([
            "multiple",
            "“双比双争”中的“双比”是？",
            "比学习",
            "比规模",
            "比贡献",
            "",
            "",
            "",
            "",
            "",
            "A,C",
            "比学习、比贡献。",
            "行业党建",
            "",
            "2",
            "",
            "active",
        ]),
        row([
            "judge",
            "“百家网企 网心向党”活动以“线下徒步 线上打卡”的形式开展。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "正确",
            "",
            "红色遗址",
            "",
            "1",
            "",
            "active",
        ]),
        row([
            "fill",
            "中共番禺县工委旧址位于（ ），由（ ）领导。",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "松露小学;中国共产党|中共",
            "",
            "红色遗址",
            "",
            "3",
            "",
            "draft",
        ]),
    ]
}
