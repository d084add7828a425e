//! What an admin may see and touch: everything (platform admin) or a set of org subtrees.
//! Services check every id and filter every list against it; the handler never decides.
use std::collections::{HashMap, HashSet};

use entity::{org_members, orgs};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::roles::{Role, RoleGrant};
use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminScope {
    Platform,
    /// Materialized paths of the orgs whose subtrees are covered.
    Orgs(Vec<String>),
}

/// The half-open range of paths in the subtree rooted at `path` ("/1/7/" → ["/1/7/", "/1/70")):
/// one range scan on the path index, no recursion. Works because ids are digits, all > '/'.
pub fn subtree_range(path: &str) -> (String, String) {
    let stem = path.strip_suffix('/').unwrap_or(path);
    (path.to_owned(), format!("{stem}0"))
}

/// Rows whose `col` lies in the subtree of `path`.
pub fn in_subtree<C: ColumnTrait>(col: C, path: &str) -> Condition {
    let (start, end) = subtree_range(path);
    Condition::all().add(col.gte(start)).add(col.lt(end))
}

/// The ids of members whose org lies in the subtree at `path`, as a subquery.
pub fn members_under(path: &str) -> SelectStatement {
    let (start, end) = subtree_range(path);
    Query::select()
        .column((org_members::Entity, org_members::Column::MemberId))
        .from(org_members::Entity)
        .inner_join(
            orgs::Entity,
            Expr::col((orgs::Entity, orgs::Column::Id))
                .equals((org_members::Entity, org_members::Column::OrgId)),
        )
        .and_where(Expr::col((orgs::Entity, orgs::Column::Path)).gte(start))
        .and_where(Expr::col((orgs::Entity, orgs::Column::Path)).lt(end))
        .to_owned()
}

impl AdminScope {
    /// A filter keeping rows whose member column `col` names a member inside the scope.
    pub fn member_filter<C: ColumnTrait + Copy>(&self, col: C) -> Condition {
        match self {
            AdminScope::Platform => Condition::all(),
            AdminScope::Orgs(roots) => roots.iter().fold(Condition::any(), |any, root| {
                any.add(col.in_subquery(members_under(root)))
            }),
        }
    }

    /// The scope the roles give, if any: `None` means the caller is no admin at all.
    pub async fn of(
        conn: &impl ConnectionTrait,
        roles: &[RoleGrant],
    ) -> Result<Option<Self>, ApiError> {
        if roles.iter().any(|g| g.role == Role::PlatformAdmin) {
            return Ok(Some(AdminScope::Platform));
        }
        let org_ids: Vec<i64> = roles
            .iter()
            .filter(|g| g.role == Role::OrgAdmin)
            .filter_map(|g| g.org_id)
            .collect();
        if org_ids.is_empty() {
            return Ok(None);
        }
        let paths = orgs::Entity::find()
            .filter(orgs::Column::Id.is_in(org_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|o| o.path)
            .collect();
        Ok(Some(AdminScope::Orgs(paths)))
    }

    /// The org `id` if it is inside the scope; `not_found` otherwise, exactly as if it did
    /// not exist. The one place an org id from a request is checked against a scope.
    pub async fn find_org(
        &self,
        conn: &impl ConnectionTrait,
        id: i64,
    ) -> Result<orgs::Model, ApiError> {
        orgs::Entity::find_by_id(id)
            .one(conn)
            .await?
            .filter(|org| self.covers(&org.path))
            .ok_or(ApiError::NotFound)
    }

    pub fn is_platform(&self) -> bool {
        matches!(self, AdminScope::Platform)
    }

    /// Whether the org at `path` is inside the scope.
    pub fn covers(&self, path: &str) -> bool {
        match self {
            AdminScope::Platform => true,
            AdminScope::Orgs(roots) => roots.iter().any(|root| path.starts_with(root.as_str())),
        }
    }

    /// A filter keeping rows whose path column `col` is inside the scope.
    pub fn filter<C: ColumnTrait + Copy>(&self, col: C) -> Condition {
        match self {
            AdminScope::Platform => Condition::all(),
            AdminScope::Orgs(roots) => roots
                .iter()
                .fold(Condition::any(), |any, root| any.add(in_subtree(col, root))),
        }
    }
}

/// What is given to orgs (an exam, an online class) as (item id, org id) pairs, grouped:
/// each item's org ids in id order.
pub fn orgs_by_item(mut pairs: Vec<(i64, i64)>) -> HashMap<i64, Vec<i64>> {
    pairs.sort_unstable();
    let mut by_item: HashMap<i64, Vec<i64>> = HashMap::new();
    for (item, org) in pairs {
        by_item.entry(item).or_default().push(org);
    }
    by_item
}

/// The orgs something is given to (an exam, a class), each checked to exist, sorted and
/// without repeats; and its campaign, if any, checked to exist (422 `campaign_id`).
pub async fn audience(
    conn: &impl ConnectionTrait,
    org_ids: &[i64],
    campaign_id: Option<i64>,
) -> Result<Vec<i64>, ApiError> {
    let mut org_ids = org_ids.to_vec();
    org_ids.sort_unstable();
    org_ids.dedup();
    for id in &org_ids {
        AdminScope::Platform.find_org(conn, *id).await?;
    }
    if let Some(campaign) = campaign_id
        && entity::campaigns::Entity::find_by_id(campaign)
            .one(conn)
            .await?
            .is_none()
    {
        return Err(ApiError::field(
            "campaign_id",
            crate::error::FieldIssue::new("invalid"),
        ));
    }
    Ok(org_ids)
}

/// The orgs an admin may see among each item's: those inside their scope.
pub async fn visible_orgs(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    mut by_item: HashMap<i64, Vec<i64>>,
) -> Result<HashMap<i64, Vec<i64>>, ApiError> {
    if scope.is_platform() {
        return Ok(by_item);
    }
    let ids: Vec<i64> = by_item.values().flatten().copied().collect();
    let covered: HashSet<i64> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .filter(|o| scope.covers(&o.path))
        .map(|o| o.id)
        .collect();
    for ids in by_item.values_mut() {
        ids.retain(|id| covered.contains(id));
    }
    Ok(by_item)
}

/// The items of `pairs` that reach an org inside `scope`: given to one, or to an org above it
/// (whose subtree holds the scope's orgs).
pub async fn reaching(
    conn: &impl ConnectionTrait,
    scope: &AdminScope,
    pairs: Vec<(i64, i64)>,
) -> Result<HashSet<i64>, ApiError> {
    let AdminScope::Orgs(roots) = scope else {
        return Ok(pairs.into_iter().map(|(item, _)| item).collect());
    };
    let paths: HashMap<i64, String> = orgs::Entity::find()
        .filter(orgs::Column::Id.is_in(pairs.iter().map(|(_, org)| *org).collect::<HashSet<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    Ok(pairs
        .into_iter()
        .filter(|(_, org)| {
            paths.get(org).is_some_and(|path| {
                scope.covers(path) || roots.iter().any(|r| r.starts_with(path.as_str()))
            })
        })
        .map(|(item, _)| item)
        .collect())
}

/// "/1/7/42/" → ["/1/", "/1/7/", "/1/7/42/"]: an org and its ancestors, whose campaigns and
/// exams it is in.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut prefix = String::from("/");
    for id in path.split('/').filter(|s| !s.is_empty()) {
        prefix.push_str(id);
        prefix.push('/');
        paths.push(prefix.clone());
    }
    paths
}

/// The ids of the member's org and every org above it; none outside an org. Whatever is given
/// to an org (a campaign, an exam) is given to its subtree, so these are what reach the member.
pub async fn member_org_and_ancestors(
    conn: &impl sea_orm::ConnectionTrait,
    member_id: i64,
) -> Result<Vec<i64>, crate::error::ApiError> {
    use entity::{org_members, orgs};
    use sea_orm::{EntityTrait, QueryFilter};
    let Some((_, Some(org))) = org_members::Entity::find_by_id(member_id)
        .find_also_related(orgs::Entity)
        .one(conn)
        .await?
    else {
        return Ok(Vec::new());
    };
    Ok(orgs::Entity::find()
        .filter(orgs::Column::Path.is_in(ancestor_paths(&org.path)))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_org_reaches_itself_and_its_ancestors() {
        assert_eq!(
            super::ancestor_paths("/1/7/42/"),
            ["/1/", "/1/7/", "/1/7/42/"]
        );
        assert_eq!(super::ancestor_paths("/3/"), ["/3/"]);
    }

    use super::*;

    #[test]
    fn a_subtree_range_holds_descendants_and_not_siblings_with_longer_ids() {
        let (start, end) = subtree_range("/1/7/");
        let inside = |p: &str| p >= start.as_str() && p < end.as_str();
        assert!(inside("/1/7/"));
        assert!(inside("/1/7/42/"));
        assert!(inside("/1/7/9/100/"));
        assert!(!inside("/1/70/"));
        assert!(!inside("/1/71/"));
        assert!(!inside("/1/6/"));
        assert!(!inside("/1/"));
    }

    #[test]
    fn an_org_scope_covers_only_its_subtrees() {
        let scope = AdminScope::Orgs(vec!["/1/7/".into()]);
        assert!(scope.covers("/1/7/8/"));
        assert!(!scope.covers("/1/70/"));
        assert!(!scope.covers("/1/"));
        assert!(AdminScope::Platform.covers("/anything/"));
    }
}
