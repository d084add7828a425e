//! The one shape every figure's query takes, pure: rows of a fact table (`f`) of members whose
//! org (`o`, their org now) lies under some subtrees, filtered by local day, aggregated in SQL
//! by a key. Only aggregated rows ever leave the database.
use chrono::NaiveDate;
use sea_orm::{DatabaseBackend, Statement, Value};

use crate::auth::scope::subtree_range;
use crate::db;

/// A fact: where its rows come from and what to add up.
pub struct Fact {
    /// The `FROM` item(s), naming the rows `f` (or, with no `member`, the orgs `o`).
    pub from: String,
    /// Values for the `?`s in `from`.
    pub values: Vec<Value>,
    /// The column naming the member; `None`: `from` is `orgs o` itself.
    pub member: Option<&'static str>,
    /// The column holding the row's local day, if the fact has days.
    pub day: Option<&'static str>,
    /// More conditions, with `?`s.
    pub filter: Option<&'static str>,
    pub filter_values: Vec<Value>,
    /// Named whole-number aggregates (`("checkins", "COUNT(*)")`): each read back as a
    /// 64-bit integer, 0 over no rows.
    pub aggs: Vec<(&'static str, &'static str)>,
    /// The aggregates are read as they come (a `MAX` of a day), not as integers.
    pub raw: bool,
}

impl Fact {
    pub fn new(
        from: impl Into<String>,
        member: &'static str,
        aggs: Vec<(&'static str, &'static str)>,
    ) -> Self {
        Self {
            from: from.into(),
            values: Vec::new(),
            member: Some(member),
            day: None,
            filter: None,
            filter_values: Vec::new(),
            aggs,
            raw: false,
        }
    }

    pub fn day(mut self, day: &'static str) -> Self {
        self.day = Some(day);
        self
    }

    pub fn filter(mut self, filter: &'static str, values: Vec<Value>) -> Self {
        self.filter = Some(filter);
        self.filter_values = values;
        self
    }

    pub fn values(mut self, values: Vec<Value>) -> Self {
        self.values = values;
        self
    }
}

/// What the rows are grouped by.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// One row for everything.
    Total,
    /// The fact's local day.
    Day,
    /// An integer column (a site id, an org id).
    Id(&'static str),
    /// A text column (a theme, a ledger source).
    Text(&'static str),
    /// Which of these subtrees (id, path) the member's org lies in; 0 for none.
    Subtrees(&'a [(i64, String)]),
}

/// The condition "the org `o` lies under one of `roots`" (none: false), its values pushed.
pub fn within(roots: &[String], values: &mut Vec<Value>) -> String {
    let mut any = Vec::new();
    for root in roots {
        let (start, end) = subtree_range(root);
        any.push("(o.path >= ? AND o.path < ?)");
        values.push(start.into());
        values.push(end.into());
    }
    if any.is_empty() {
        any.push("1 = 0");
    }
    format!("({})", any.join(" OR "))
}

/// ` FROM … WHERE …` of `fact`'s rows of members under `roots` (`None`: every member in an
/// org) on the days `days` (inclusive), if given; its values are pushed onto `values`, which
/// holds those of the `SELECT` before it. Statistics and exports read their rows through it.
pub fn from_where(
    fact: &Fact,
    roots: Option<&[String]>,
    days: Option<(NaiveDate, NaiveDate)>,
    values: &mut Vec<Value>,
) -> String {
    let mut sql = format!(" FROM {}", fact.from);
    values.extend(fact.values.iter().cloned());
    if let Some(member) = fact.member {
        sql.push_str(&format!(
            " JOIN org_members om ON om.member_id = {member} JOIN orgs o ON o.id = om.org_id"
        ));
    }
    sql.push_str(" WHERE 1 = 1");
    if let (Some(day), Some((from, to))) = (fact.day, days) {
        sql.push_str(&format!(" AND {day} >= ? AND {day} <= ?"));
        values.push(from.into());
        values.push(to.into());
    }
    if let Some(filter) = fact.filter {
        sql.push_str(&format!(" AND ({filter})"));
        values.extend(fact.filter_values.iter().cloned());
    }
    if let Some(roots) = roots {
        sql.push_str(&format!(" AND {}", within(roots, values)));
    }
    sql
}

/// The query for `fact` grouped by `key`, over members under `roots` (`None`: every member in
/// an org) and the days `days` (inclusive), if given.
pub fn statement(
    backend: DatabaseBackend,
    fact: &Fact,
    key: Key<'_>,
    roots: Option<&[String]>,
    days: Option<(NaiveDate, NaiveDate)>,
) -> Statement {
    let int = db::int_type(backend);
    let mut values: Vec<Value> = Vec::new();
    let key_sql = match key {
        Key::Total => format!("CAST(0 AS {int})"),
        Key::Day => {
            debug_assert!(fact.day.is_some(), "grouping by day a fact without days");
            fact.day.unwrap_or("NULL").to_owned()
        }
        Key::Id(col) => format!("CAST({col} AS {int})"),
        Key::Text(col) => col.to_owned(),
        // No subtrees: one group, 0 (a CASE needs a WHEN).
        Key::Subtrees([]) => format!("CAST(0 AS {int})"),
        Key::Subtrees(trees) => {
            let mut case = String::from("CASE");
            for (id, path) in trees {
                let (start, end) = subtree_range(path);
                case.push_str(&format!(" WHEN o.path >= ? AND o.path < ? THEN {id}"));
                values.push(start.into());
                values.push(end.into());
            }
            case.push_str(" ELSE 0 END");
            format!("CAST({case} AS {int})")
        }
    };
    let aggs: Vec<String> = fact
        .aggs
        .iter()
        .map(|(_, a)| {
            if fact.raw {
                (*a).to_owned()
            } else {
                format!("CAST(COALESCE({a}, 0) AS {int})")
            }
        })
        .collect();
    let mut sql = format!(
        "SELECT {key_sql} AS k, {}{}",
        aggs.join(", "),
        from_where(fact, roots, days, &mut values)
    );
    if !matches!(key, Key::Total) {
        sql.push_str(" GROUP BY 1");
    }
    db::raw(backend, &sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checkins() -> Fact {
        Fact::new("checkins f", "f.member_id", vec![("n", "COUNT(*)")])
            .day("f.local_date")
            .filter("f.status = ?", vec!["accepted".into()])
    }

    #[test]
    fn groups_by_subtree_with_parameters_in_order() {
        let trees = [(7, "/1/7/".to_owned()), (8, "/1/8/".to_owned())];
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let st = statement(
            DatabaseBackend::Postgres,
            &checkins(),
            Key::Subtrees(&trees),
            Some(&["/1/".to_owned()]),
            Some((day, day)),
        );
        assert_eq!(
            st.sql,
            "SELECT CAST(CASE WHEN o.path >= $1 AND o.path < $2 THEN 7 WHEN o.path >= $3 AND \
             o.path < $4 THEN 8 ELSE 0 END AS BIGINT) AS k, CAST(COALESCE(COUNT(*), 0) AS BIGINT) \
             FROM checkins f JOIN org_members om ON om.member_id = f.member_id JOIN orgs o ON \
             o.id = om.org_id WHERE 1 = 1 AND f.local_date >= $5 AND f.local_date <= $6 AND \
             (f.status = $7) AND ((o.path >= $8 AND o.path < $9)) GROUP BY 1"
        );
        let values = st.values.unwrap().0;
        assert_eq!(values[0], Value::from("/1/7/"));
        assert_eq!(values[1], Value::from("/1/70"));
        assert_eq!(values[6], Value::from("accepted"));
        assert_eq!(values[8], Value::from("/10"));
    }

    #[test]
    fn no_roots_means_nobody_and_none_means_everybody() {
        let st = statement(
            DatabaseBackend::Sqlite,
            &checkins(),
            Key::Total,
            Some(&[]),
            None,
        );
        assert!(st.sql.ends_with("AND (1 = 0)"), "{}", st.sql);
        let st = statement(DatabaseBackend::Sqlite, &checkins(), Key::Total, None, None);
        assert!(st.sql.ends_with("(f.status = ?)"), "{}", st.sql);
    }
}
