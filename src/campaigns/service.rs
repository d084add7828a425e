//! Campaigns: who takes part, and which ones a member sees.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{campaign_orgs, campaign_routes, campaign_themes, campaigns, routes};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

use crate::audit::service::{Change, record};
use crate::auth::scope::AdminScope;
use crate::db::Db;
use crate::error::{ApiError, FieldIssue};
use crate::http::paging::{self, Page, PageQuery};

use super::dto::{Campaign, CampaignRoute, NewCampaign};

/// The campaigns of the member's org (through any ancestor taking part); none outside an org.
async fn visible_ids(conn: &impl ConnectionTrait, member_id: i64) -> Result<Vec<i64>, ApiError> {
    let ancestors = crate::auth::scope::member_org_and_ancestors(conn, member_id).await?;
    let mut ids: Vec<i64> = campaign_orgs::Entity::find()
        .filter(campaign_orgs::Column::OrgId.is_in(ancestors))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.campaign_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

async fn to_dtos(
    conn: &impl ConnectionTrait,
    rows: Vec<campaigns::Model>,
    now: DateTime<Utc>,
) -> Result<Vec<Campaign>, ApiError> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut org_ids: HashMap<i64, Vec<i64>> = HashMap::new();
    for row in campaign_orgs::Entity::find()
        .filter(campaign_orgs::Column::CampaignId.is_in(ids.clone()))
        .order_by_asc(campaign_orgs::Column::OrgId)
        .all(conn)
        .await?
    {
        org_ids.entry(row.campaign_id).or_default().push(row.org_id);
    }
    let mut route_list: HashMap<i64, Vec<CampaignRoute>> = HashMap::new();
    for (link, route) in campaign_routes::Entity::find()
        .filter(campaign_routes::Column::CampaignId.is_in(ids))
        .find_also_related(routes::Entity)
        .order_by_asc(campaign_routes::Column::RouteId)
        .all(conn)
        .await?
    {
        if let Some(route) = route {
            route_list
                .entry(link.campaign_id)
                .or_default()
                .push(CampaignRoute {
                    id: route.id,
                    name: route.name,
                });
        }
    }
    let mut themes: HashMap<i64, Vec<String>> = HashMap::new();
    for row in campaign_themes::Entity::find()
        .filter(campaign_themes::Column::CampaignId.is_in(rows.iter().map(|c| c.id)))
        .all(conn)
        .await?
    {
        themes.entry(row.campaign_id).or_default().push(row.theme);
    }
    Ok(rows
        .into_iter()
        .map(|c| Campaign {
            themes: themes.remove(&c.id).unwrap_or_default(),
            two_stage_review: c.two_stage_review,
            active: c.starts_at <= now && now < c.ends_at.into(),
            org_ids: org_ids.remove(&c.id).unwrap_or_default(),
            routes: route_list.remove(&c.id).unwrap_or_default(),
            id: c.id,
            title: c.title,
            description: c.description,
            starts_at: c.starts_at.into(),
            ends_at: c.ends_at.into(),
        })
        .collect())
}

/// The campaigns the member's org takes part in, newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    member_id: i64,
    page: &PageQuery,
    now: DateTime<Utc>,
) -> Result<Page<Campaign>, ApiError> {
    let visible = visible_ids(conn, member_id).await?;
    let query = campaigns::Entity::find().filter(campaigns::Column::Id.is_in(visible));
    let rows = page
        .window(query, campaigns::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    let (rows, next_cursor) = paging::cut(rows, page.limit(), |c| c.id);
    Ok(Page {
        items: to_dtos(conn, rows, now).await?,
        next_cursor,
    })
}

/// One campaign the member's org takes part in; others are `not_found`.
pub async fn get(
    conn: &impl ConnectionTrait,
    member_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Campaign, ApiError> {
    if !visible_ids(conn, member_id).await?.contains(&id) {
        return Err(ApiError::NotFound);
    }
    let row = campaigns::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    to_dtos(conn, vec![row], now)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}

/// Creates a campaign for some org subtrees (platform admins: campaigns span enterprises).
pub async fn create(
    db: &Db,
    actor: i64,
    new: NewCampaign,
    now: DateTime<Utc>,
) -> Result<Campaign, ApiError> {
    if new.starts_at >= new.ends_at {
        return Err(ApiError::field("ends_at", FieldIssue::new("after_start")));
    }
    crate::http::validate::storable_instant("starts_at", new.starts_at)?;
    crate::http::validate::storable_instant("ends_at", new.ends_at)?;
    let mut org_ids = new.org_ids.clone();
    org_ids.sort_unstable();
    org_ids.dedup();
    let mut route_ids = new.route_ids.clone();
    route_ids.sort_unstable();
    route_ids.dedup();
    let mut themes: Vec<String> = Vec::new();
    for theme in &new.themes {
        let theme = theme.trim().to_owned();
        if !themes.contains(&theme) {
            themes.push(theme);
        }
    }
    let (new, org_ids, route_ids, themes) = (&new, &org_ids, &route_ids, &themes);
    let created = db
        .write(|tx| async move {
            let mut first_path = None;
            for id in org_ids {
                let org = AdminScope::Platform.find_org(tx.as_ref(), *id).await?;
                first_path.get_or_insert(org.path);
            }
            let found = routes::Entity::find()
                .filter(routes::Column::Id.is_in(route_ids.clone()))
                .all(tx.as_ref())
                .await?;
            if found.len() != route_ids.len() {
                return Err(ApiError::NotFound);
            }
            let campaign = campaigns::ActiveModel {
                title: Set(new.title.trim().to_owned()),
                description: Set(new.description.clone()),
                starts_at: Set(new.starts_at.into()),
                ends_at: Set(new.ends_at.into()),
                created_by: Set(actor),
                created_at: Set(now.into()),
                two_stage_review: Set(new.two_stage_review),
                ..Default::default()
            }
            .insert(tx.as_ref())
            .await?;
            for theme in themes {
                campaign_themes::ActiveModel {
                    campaign_id: Set(campaign.id),
                    theme: Set(theme.clone()),
                }
                .insert(tx.as_ref())
                .await?;
            }
            for org_id in org_ids {
                campaign_orgs::ActiveModel {
                    campaign_id: Set(campaign.id),
                    org_id: Set(*org_id),
                }
                .insert(tx.as_ref())
                .await?;
            }
            for route_id in route_ids {
                campaign_routes::ActiveModel {
                    campaign_id: Set(campaign.id),
                    route_id: Set(*route_id),
                }
                .insert(tx.as_ref())
                .await?;
            }
            let change = Change {
                actor_id: actor,
                action: "campaign.create",
                entity_type: "campaign",
                entity_id: campaign.id,
                scope_path: first_path.as_deref(),
                before: None,
                after: Some(
                    json!({"title": campaign.title, "org_ids": org_ids, "route_ids": route_ids, "themes": themes, "two_stage_review": new.two_stage_review}),
                ),
            };
            record(tx.as_ref(), change, now).await?;
            Ok(campaign)
        })
        .await?;
    to_dtos(db.conn(), vec![created], now)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)
}
