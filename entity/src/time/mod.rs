//! `UtcTime`, the instant type of every entity (hand-written; `generate.sh` points the generated
//! columns at it). It reads like `DateTime<Utc>` but is bound as a timestamp-with-offset value,
//! which each backend takes as its column wants: `timestamptz` on PostgreSQL, RFC 3339 text (the
//! same text as before) on SQLite, and on MySQL a naive UTC string for `datetime(6)`. A
//! `DateTime<Utc>` would be bound on MySQL as a TIMESTAMP parameter, which MariaDB turns into
//! NULL after 2038-01-19.
use std::ops::Deref;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{ArrayType, ColumnType, Nullable, ValueType, ValueTypeErr};
use sea_orm::{ColIdx, QueryResult, TryGetError, TryGetable, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTime(pub DateTime<Utc>);

impl From<DateTime<Utc>> for UtcTime {
    fn from(t: DateTime<Utc>) -> Self {
        UtcTime(t)
    }
}

impl From<UtcTime> for DateTime<Utc> {
    fn from(t: UtcTime) -> Self {
        t.0
    }
}

impl Deref for UtcTime {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl PartialEq<DateTime<Utc>> for UtcTime {
    fn eq(&self, other: &DateTime<Utc>) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<DateTime<Utc>> for UtcTime {
    fn partial_cmp(&self, other: &DateTime<Utc>) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl From<UtcTime> for Value {
    fn from(t: UtcTime) -> Self {
        Value::ChronoDateTimeWithTimeZone(Some(t.0.fixed_offset()))
    }
}

impl TryGetable for UtcTime {
    fn try_get_by<I: ColIdx>(res: &QueryResult, idx: I) -> Result<Self, TryGetError> {
        <DateTime<Utc> as TryGetable>::try_get_by(res, idx).map(UtcTime)
    }
}

impl ValueType for UtcTime {
    fn try_from(v: Value) -> Result<Self, ValueTypeErr> {
        match v {
            Value::ChronoDateTimeWithTimeZone(Some(t)) => Ok(UtcTime(t.with_timezone(&Utc))),
            Value::ChronoDateTimeUtc(Some(t)) => Ok(UtcTime(t)),
            _ => Err(ValueTypeErr),
        }
    }

    fn type_name() -> String {
        "UtcTime".to_owned()
    }

    fn array_type() -> ArrayType {
        ArrayType::ChronoDateTimeWithTimeZone
    }

    fn column_type() -> ColumnType {
        ColumnType::TimestampWithTimeZone
    }
}

impl Nullable for UtcTime {
    fn null() -> Value {
        Value::ChronoDateTimeWithTimeZone(None)
    }
}

impl sea_orm::IntoActiveValue<UtcTime> for UtcTime {
    fn into_active_value(self) -> sea_orm::ActiveValue<UtcTime> {
        sea_orm::ActiveValue::Set(self)
    }
}
