//! Sites and the nearby search.
use chrono::{DateTime, Utc};
use entity::sites;
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseTransaction, EntityTrait, QueryFilter,
};

use crate::audit::service::{Change, record};
use crate::db::Db;
use crate::error::{ApiError, FieldErrors, FieldIssue, MAX_ROW_ERRORS};
use crate::geo::{Point, bounding_box, distance_m};
use crate::http::paging::{self, Page, PageQuery};

use super::dto::{
    DEFAULT_RADIUS_M, Imported, NewSite, Site, SiteCategory, SiteFilter, SiteRow, SiteSearch,
    SiteStatus, UpdateSite,
};

/// The search radius when none is asked for, and the most that may be.
pub const DEFAULT_WITHIN_M: f64 = 5_000.0;
pub const MAX_WITHIN_M: f64 = 50_000.0;

const ACTIVE: &str = "active";
const HIDDEN: &str = "hidden";

pub fn status_str(status: SiteStatus) -> &'static str {
    match status {
        SiteStatus::Active => ACTIVE,
        SiteStatus::Hidden => HIDDEN,
    }
}

pub fn to_dto(s: sites::Model, distance_m: Option<f64>) -> Site {
    Site {
        category: SiteCategory::parse(&s.category).unwrap_or(SiteCategory::Other),
        status: if s.status == HIDDEN {
            SiteStatus::Hidden
        } else {
            SiteStatus::Active
        },
        id: s.id,
        name: s.name,
        description: s.description,
        address: s.address,
        region: s.region,
        lat: s.lat,
        lng: s.lng,
        radius_m: s.radius_m,
        opening_hours: s.opening_hours,
        cover_media_id: s.cover_media_id,
        distance_m: distance_m.map(|d| d.round()),
        created_at: s.created_at.into(),
        updated_at: s.updated_at.into(),
    }
}

/// Sites members may see and check in at.
fn open() -> Condition {
    Condition::all()
        .add(sites::Column::Status.eq(ACTIVE))
        .add(sites::Column::DeletedAt.is_null())
}

/// An open site, or `not_found`.
pub async fn find_open(conn: &impl ConnectionTrait, id: i64) -> Result<sites::Model, ApiError> {
    sites::Entity::find_by_id(id)
        .filter(open())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// A site admins may still edit (hidden ones included), or `not_found` once deleted.
async fn find_not_deleted(conn: &impl ConnectionTrait, id: i64) -> Result<sites::Model, ApiError> {
    sites::Entity::find_by_id(id)
        .filter(sites::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Part of the name or address.
fn matching(q: &str) -> Condition {
    Condition::any()
        .add(sites::Column::Name.contains(q))
        .add(sites::Column::Address.contains(q))
}

/// Every site not deleted, hidden ones too, newest first (platform admins).
pub async fn list_all(
    conn: &impl ConnectionTrait,
    filter: &SiteFilter,
    page: &PageQuery,
) -> Result<Page<Site>, ApiError> {
    let mut query = sites::Entity::find().filter(sites::Column::DeletedAt.is_null());
    if let Some(status) = filter.status {
        query = query.filter(sites::Column::Status.eq(status_str(status)));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        query = query.filter(matching(q));
    }
    let rows = page
        .window(query, sites::Column::Id, Order::Desc)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(
        rows,
        page.limit(),
        |s| s.id,
        |s| to_dto(s, None),
    ))
}

/// With `lat`/`lng`: the open sites within `within_m`, nearest first. The database narrows to a
/// bounding box on the (lat, lng) index; only those rows get an exact distance.
pub async fn search(
    conn: &impl ConnectionTrait,
    search: SiteSearch,
    page: &PageQuery,
) -> Result<Page<Site>, ApiError> {
    let mut filter = open();
    if let Some(q) = search.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        filter = filter.add(matching(q));
    }
    if let Some(category) = search.category {
        filter = filter.add(sites::Column::Category.eq(category.as_str()));
    }
    let centre = match (search.lat, search.lng) {
        (Some(lat), Some(lng))
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) =>
        {
            Point { lat, lng }
        }
        (None, None) => {
            let query = sites::Entity::find().filter(filter);
            let rows = page
                .window(query, sites::Column::Id, Order::Asc)?
                .all(conn)
                .await?;
            return Ok(Page::from_rows(
                rows,
                page.limit(),
                |s| s.id,
                |s| to_dto(s, None),
            ));
        }
        _ => return Err(ApiError::field("lat", FieldIssue::new("coordinates"))),
    };
    let within = search
        .within_m
        .filter(|w| w.is_finite())
        .unwrap_or(DEFAULT_WITHIN_M)
        .clamp(1.0, MAX_WITHIN_M);
    let (min_lat, max_lat, min_lng, max_lng) = bounding_box(centre, within);
    let candidates = sites::Entity::find()
        .filter(filter)
        .filter(sites::Column::Lat.between(min_lat, max_lat))
        .filter(sites::Column::Lng.between(min_lng, max_lng))
        .all(conn)
        .await?;
    let mut near: Vec<(f64, sites::Model)> = candidates
        .into_iter()
        .map(|s| {
            (
                distance_m(
                    centre,
                    Point {
                        lat: s.lat,
                        lng: s.lng,
                    },
                ),
                s,
            )
        })
        .filter(|(d, _)| *d <= within)
        .collect();
    near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let start = page.offset()?;
    let rest: Vec<(f64, sites::Model)> = near.into_iter().skip(start as usize).collect();
    let (rows, more) = paging::cut_offset(rest, page.limit());
    Ok(Page {
        items: rows.into_iter().map(|(d, s)| to_dto(s, Some(d))).collect(),
        next_cursor: more.then(|| paging::offset_cursor(start + page.limit())),
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: i64) -> Result<Site, ApiError> {
    Ok(to_dto(find_open(conn, id).await?, None))
}

fn summary(s: &sites::Model) -> serde_json::Value {
    serde_json::to_value(to_dto(s.clone(), None)).unwrap_or_default()
}

async fn audit(
    conn: &impl ConnectionTrait,
    actor: i64,
    action: &str,
    id: i64,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let change = Change {
        actor_id: actor,
        action,
        entity_type: "site",
        entity_id: id,
        scope_path: None,
        before,
        after,
    };
    record(conn, change, now).await
}

pub async fn create(
    db: &Db,
    actor: i64,
    new: NewSite,
    now: DateTime<Utc>,
) -> Result<Site, ApiError> {
    let new = &new;
    db.write(|tx| async move { insert(&tx, actor, new, now).await })
        .await
}

/// Adds a site inside the caller's transaction (audited as `actor`'s).
pub async fn insert(
    tx: &DatabaseTransaction,
    actor: i64,
    new: &NewSite,
    now: DateTime<Utc>,
) -> Result<Site, ApiError> {
    let created = sites::ActiveModel {
        name: Set(new.name.trim().to_owned()),
        description: Set(new.description.clone()),
        address: Set(new.address.clone()),
        region: Set(new.region.clone()),
        category: Set(new.category.as_str().to_owned()),
        lat: Set(new.lat),
        lng: Set(new.lng),
        radius_m: Set(new.radius_m.unwrap_or(DEFAULT_RADIUS_M)),
        opening_hours: Set(new.opening_hours.clone()),
        cover_media_id: Set(new.cover_media_id),
        status: Set(status_str(new.status.unwrap_or(SiteStatus::Active)).to_owned()),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    audit(
        tx,
        actor,
        "site.create",
        created.id,
        None,
        Some(summary(&created)),
        now,
    )
    .await?;
    Ok(to_dto(created, None))
}

pub async fn update(
    db: &Db,
    actor: i64,
    id: i64,
    edit: UpdateSite,
    now: DateTime<Utc>,
) -> Result<Site, ApiError> {
    let edit = &edit;
    db.write(|tx| async move {
        let site = find_not_deleted(tx.as_ref(), id).await?;
        let before = summary(&site);
        let mut row: sites::ActiveModel = site.into();
        if let Some(v) = &edit.name {
            row.name = Set(v.trim().to_owned());
        }
        if let Some(v) = &edit.description {
            row.description = Set(Some(v.clone()));
        }
        if let Some(v) = &edit.address {
            row.address = Set(Some(v.clone()));
        }
        if let Some(v) = &edit.region {
            row.region = Set(Some(v.clone()));
        }
        if let Some(v) = edit.category {
            row.category = Set(v.as_str().to_owned());
        }
        if let Some(v) = edit.lat {
            row.lat = Set(v);
        }
        if let Some(v) = edit.lng {
            row.lng = Set(v);
        }
        if let Some(v) = edit.radius_m {
            row.radius_m = Set(v);
        }
        if let Some(v) = &edit.opening_hours {
            row.opening_hours = Set(Some(v.clone()));
        }
        if let Some(v) = edit.cover_media_id {
            row.cover_media_id = Set(Some(v));
        }
        if let Some(v) = edit.status {
            row.status = Set(status_str(v).to_owned());
        }
        row.updated_at = Set(now.into());
        let saved = row.update(tx.as_ref()).await?;
        audit(
            tx.as_ref(),
            actor,
            "site.update",
            id,
            Some(before),
            Some(summary(&saved)),
            now,
        )
        .await?;
        Ok(to_dto(saved, None))
    })
    .await
}

/// Soft delete: the site disappears for members; check-ins keep their site.
pub async fn delete(db: &Db, actor: i64, id: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    db.write(|tx| async move {
        let site = find_not_deleted(tx.as_ref(), id).await?;
        let before = summary(&site);
        let mut row: sites::ActiveModel = site.into();
        row.status = Set(HIDDEN.to_owned());
        row.deleted_at = Set(Some(now.into()));
        row.updated_at = Set(now.into());
        row.update(tx.as_ref()).await?;
        audit(
            tx.as_ref(),
            actor,
            "site.delete",
            id,
            Some(before),
            None,
            now,
        )
        .await
    })
    .await
}

/// Most rows one import takes: bigger files are split by the admin.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// Rows per INSERT: short statements, so SQLite's writer is never held for long by one.
const IMPORT_BATCH: usize = 500;

/// Reads a sites CSV (UTF-8, with or without a BOM, header row first) and creates every row, or
/// none: any bad row makes it 422 with each problem under `rows[N].field`, N being the line
/// (the first [`MAX_ROW_ERRORS`], and the count of all). More than [`MAX_IMPORT_ROWS`] rows is
/// 413. Every row is checked before anything is written.
pub async fn import_csv(
    db: &Db,
    actor: i64,
    csv_text: &[u8],
    now: DateTime<Utc>,
) -> Result<Imported, ApiError> {
    let text = csv_text
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(csv_text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text);
    let mut problems = FieldErrors::new();
    let mut total_problems = 0;
    let mut note = |field: String, issues: Vec<FieldIssue>| {
        total_problems += 1;
        if problems.len() < MAX_ROW_ERRORS {
            problems.entry(field).or_default().extend(issues);
        }
    };
    let mut sites = Vec::new();
    for (i, record) in reader.deserialize::<SiteRow>().enumerate() {
        if i == MAX_IMPORT_ROWS {
            return Err(ApiError::TooManyRows {
                max_rows: MAX_IMPORT_ROWS,
            });
        }
        let line = i + 2;
        let row = match record {
            Ok(row) => row,
            Err(e) => {
                let issue = FieldIssue::new("invalid_type").with("reason", e.to_string());
                note(format!("rows[{line}]"), vec![issue]);
                continue;
            }
        };
        // CSV can spell NaN and inf, which every range check lets through.
        if !row.lat.is_finite() || !row.lng.is_finite() {
            let field = if row.lat.is_finite() { "lng" } else { "lat" };
            note(
                format!("rows[{line}].{field}"),
                vec![FieldIssue::new("range")],
            );
            continue;
        }
        let Some(category) = SiteCategory::parse(&row.category) else {
            note(
                format!("rows[{line}].category"),
                vec![FieldIssue::new("invalid")],
            );
            continue;
        };
        let site = NewSite {
            name: row.name,
            description: row.description.filter(|s| !s.is_empty()),
            address: row.address.filter(|s| !s.is_empty()),
            region: row.region.filter(|s| !s.is_empty()),
            category,
            lat: row.lat,
            lng: row.lng,
            radius_m: row.radius_m,
            opening_hours: row.opening_hours.filter(|s| !s.is_empty()),
            cover_media_id: None,
            status: None,
        };
        let clean = [&site.name]
            .into_iter()
            .chain(&site.description)
            .chain(&site.address)
            .chain(&site.region)
            .chain(&site.opening_hours)
            .all(|t| crate::http::text::is_clean(t));
        if !clean {
            note(
                format!("rows[{line}]"),
                vec![FieldIssue::new("control_characters")],
            );
            continue;
        }
        if let Err(errors) = validator::Validate::validate(&site)
            && let ApiError::Validation(fields) = ApiError::from(errors)
        {
            for (field, issues) in fields {
                note(format!("rows[{line}].{field}"), issues);
            }
            continue;
        }
        sites.push(site);
    }
    if total_problems > 0 {
        return Err(ApiError::RowErrors {
            fields: problems,
            total: total_problems,
        });
    }
    if sites.is_empty() {
        return Err(ApiError::field("rows", FieldIssue::new("required")));
    }
    let sites = &sites;
    db.write(|tx| async move {
        for batch in sites.chunks(IMPORT_BATCH) {
            let rows = batch.iter().map(|site| sites::ActiveModel {
                name: Set(site.name.trim().to_owned()),
                description: Set(site.description.clone()),
                address: Set(site.address.clone()),
                region: Set(site.region.clone()),
                category: Set(site.category.as_str().to_owned()),
                lat: Set(site.lat),
                lng: Set(site.lng),
                radius_m: Set(site.radius_m.unwrap_or(DEFAULT_RADIUS_M)),
                opening_hours: Set(site.opening_hours.clone()),
                cover_media_id: Set(None),
                status: Set(ACTIVE.to_owned()),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
                deleted_at: Set(None),
                ..Default::default()
            });
            sites::Entity::insert_many(rows)
                .exec_without_returning(tx.as_ref())
                .await?;
        }
        let after = serde_json::json!({ "created": sites.len() });
        audit(tx.as_ref(), actor, "site.import", 0, None, Some(after), now).await?;
        // No ids: MySQL has no INSERT ... RETURNING to report a batch's ids reliably.
        Ok(Imported {
            created: sites.len(),
        })
    })
    .await
}
