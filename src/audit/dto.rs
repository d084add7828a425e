use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Entry id; later entries have higher ids.
    pub id: i64,
    /// The member who did it.
    pub actor_id: i64,
    /// What was done, e.g. `org.create`, `member.roles`.
    #[schema(example = "member.roles")]
    pub action: String,
    /// What it was done to, e.g. `org`, `member`, `invite`.
    #[schema(example = "member")]
    pub entity_type: String,
    /// Id of what it was done to; 0 when the write has no single row (point rules, site imports).
    pub entity_id: i64,
    /// A summary of the entity before the write (an object, or a list for writes that touch
    /// several rows, such as role grants); null for creations.
    pub before: Option<Value>,
    /// A summary of the entity after the write, shaped like `before`; null for deletions.
    pub after: Option<Value>,
    /// When the write happened.
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant.
    pub to: Option<DateTime<Utc>>,
}
