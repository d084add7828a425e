//! Cursor paging, as the contract has it: `?limit=` (default 20, at most 100) and `?cursor=`;
//! answers `{items, next_cursor}`. The cursor is opaque to clients: the position after which
//! the next page starts (the last id seen, or an offset), in decimal, so that any cursor the
//! schema allows names a position and is valid.
use sea_orm::{ColumnTrait, Order, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldIssue};

const DEFAULT_LIMIT: u64 = 20;
const MAX_LIMIT: u64 = 100;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: default 20; more than 100 is treated as 100.
    #[serde(default, deserialize_with = "limit")]
    #[param(value_type = Option<i64>, minimum = 1)]
    pub limit: Option<u64>,
    /// `next_cursor` from the previous page, passed back as it came.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// A `limit` query parameter: a positive 64-bit integer (values past the page size are
/// clamped later, as the contract says; zero and numbers past `i64` are refused, as the
/// schema says).
pub fn limit<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let limit = Option::<u64>::deserialize(d)?;
    match limit {
        Some(n) if n == 0 || n > i64::MAX as u64 => Err(serde::de::Error::custom(
            "limit must be a whole number from 1 to 9223372036854775807",
        )),
        _ => Ok(limit),
    }
}

impl PageQuery {
    pub fn limit(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The position the page starts at, for lists paged by position.
    pub fn offset(&self) -> Result<u64, ApiError> {
        self.decoded().map(|o| o.unwrap_or(0) as u64)
    }

    /// `query` narrowed to this page of the list ordered by `id` in `order` (`Desc`: newest
    /// first): the ids after the cursor, one row more than the limit, so that
    /// [`Page::from_rows`] can tell whether another page follows. Every id-paged list uses it.
    pub fn window<S, C>(&self, query: S, id: C, order: Order) -> Result<S, ApiError>
    where
        S: QueryFilter + QueryOrder + QuerySelect,
        C: ColumnTrait,
    {
        let mut query = query;
        if let Some(after) = self.after()? {
            query = query.filter(match order {
                Order::Desc => id.lt(after),
                _ => id.gt(after),
            });
        }
        Ok(query.order_by(id, order).limit(self.limit() + 1))
    }

    /// The id the page starts after, if any.
    pub fn after(&self) -> Result<Option<i64>, ApiError> {
        self.decoded()
    }

    fn decoded(&self) -> Result<Option<i64>, ApiError> {
        let Some(cursor) = &self.cursor else {
            return Ok(None);
        };
        let digits =
            !cursor.is_empty() && cursor.len() <= 18 && cursor.bytes().all(|b| b.is_ascii_digit());
        digits
            .then(|| cursor.parse().ok())
            .flatten()
            .map(Some)
            .ok_or_else(|| ApiError::field("cursor", FieldIssue::new("cursor")))
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// This page's items, in the list's order.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `rows` were fetched with `limit + 1`: the extra row only says another page exists. Returns
/// the page's rows and the cursor of the next page, if there is one.
pub fn cut<R>(mut rows: Vec<R>, limit: u64, id: impl Fn(&R) -> i64) -> (Vec<R>, Option<String>) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| cursor_for(id(r))))
        .flatten();
    (rows, next_cursor)
}

impl<T> Page<T> {
    pub fn from_rows<R>(
        rows: Vec<R>,
        limit: u64,
        id: impl Fn(&R) -> i64,
        to_item: impl FnMut(R) -> T,
    ) -> Self {
        let (rows, next_cursor) = cut(rows, limit, id);
        Page {
            items: rows.into_iter().map(to_item).collect(),
            next_cursor,
        }
    }
}

/// For lists in computed order (nearest first): the cursor is the position.
pub fn offset_cursor(offset: u64) -> String {
    offset.to_string()
}

/// Like [`cut`], for lists paged by position.
pub fn cut_offset<R>(mut rows: Vec<R>, limit: u64) -> (Vec<R>, bool) {
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    (rows, more)
}

fn cursor_for(id: i64) -> String {
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_clamp() {
        assert_eq!(PageQuery::default().limit(), 20);
        assert_eq!(
            PageQuery {
                limit: Some(500),
                cursor: None
            }
            .limit(),
            100
        );
        assert_eq!(
            PageQuery {
                limit: Some(0),
                cursor: None
            }
            .limit(),
            1
        );
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let page = Page::from_rows(vec![5, 4, 3], 2, |r| *r, |r| r);
        assert_eq!(page.items, [5, 4]);
        let q = PageQuery {
            limit: None,
            cursor: page.next_cursor,
        };
        assert_eq!(q.after().unwrap(), Some(4));
        let bad = PageQuery {
            limit: None,
            cursor: Some("!!".into()),
        };
        assert!(matches!(bad.after(), Err(ApiError::Validation(_))));
        assert_eq!(Page::from_rows(vec![1], 2, |r| *r, |r| r).next_cursor, None);
    }
}
