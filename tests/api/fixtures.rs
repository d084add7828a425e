//! A small organisation tree built through the API, and members holding each kind of role.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp, session_from};

pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// 委员会 → {企业 A → 支部 A1, 企业 B → 支部 B1}.
pub struct Tree {
    pub committee: i64,
    pub org_a: i64,
    pub branch_a: i64,
    pub org_b: i64,
    pub branch_b: i64,
}

impl TestApp {
    /// A platform admin, created as `redtrail admin create` would, and logged in.
    pub async fn platform_admin(&self) -> Session {
        let db = redtrail::db::Db::connect(&self.db_url).await.unwrap();
        redtrail::sessions::service::create_platform_admin(
            &db,
            "root",
            ADMIN_PASSWORD,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        db.close().await.unwrap();
        session_from(self.admin_login("root", ADMIN_PASSWORD).await).await
    }

    /// The platform admin of [`Self::platform_admin`], logged in again (after the clock moved).
    pub async fn root_again(&self) -> Session {
        session_from(self.admin_login("root", ADMIN_PASSWORD).await).await
    }

    pub async fn patch(&self, path: &str, body: &Value, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.patch(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("request")
    }

    /// Creates an org and returns its id; panics on anything but 201.
    pub async fn create_org(&self, token: &str, body: Value) -> i64 {
        let res = self.post("/api/v1/admin/orgs", &body, Some(token)).await;
        let status = res.status();
        let org: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{org}");
        org["id"].as_i64().unwrap()
    }

    pub async fn tree(&self, admin: &Session) -> Tree {
        let t = admin.access_token.as_str();
        let committee = self
            .create_org(
                t,
                json!({"name": "互联网行业党委", "kind": "industry_committee"}),
            )
            .await;
        let org_a = self
            .create_org(t, json!({"name": "甲公司党委", "kind": "party_org", "parent_id": committee,
                                  "enterprise": {"name": "甲网络科技有限公司", "staff_count": 320}}))
            .await;
        let branch_a = self
            .create_org(
                t,
                json!({"name": "甲公司第一支部", "kind": "branch", "parent_id": org_a}),
            )
            .await;
        let org_b = self
            .create_org(
                t,
                json!({"name": "乙公司党委", "kind": "party_org", "parent_id": committee}),
            )
            .await;
        let branch_b = self
            .create_org(
                t,
                json!({"name": "乙公司第一支部", "kind": "branch", "parent_id": org_b}),
            )
            .await;
        Tree {
            committee,
            org_a,
            branch_a,
            org_b,
            branch_b,
        }
    }

    /// A dev-login member placed in `org_id` by the platform admin.
    pub async fn member_in(&self, admin: &Session, openid: &str, org_id: i64) -> Session {
        let member = self.dev_login(openid).await;
        let res = self
            .patch(
                &format!("/api/v1/admin/members/{}", member.member_id),
                &json!({"org_id": org_id}),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{}",
            res.text().await.unwrap()
        );
        member
    }

    /// Replaces `member_id`'s roles as `admin`; returns the status and body.
    pub async fn set_roles(
        &self,
        admin: &Session,
        member_id: i64,
        roles: Value,
    ) -> (StatusCode, Value) {
        let res = self
            .put(
                &format!("/api/v1/admin/members/{member_id}/roles"),
                &json!({ "roles": roles }),
                Some(&admin.access_token),
            )
            .await;
        (res.status(), res.json().await.unwrap_or(Value::Null))
    }

    /// A member in `org_id` holding `org_admin` there.
    pub async fn org_admin_of(&self, admin: &Session, openid: &str, org_id: i64) -> Session {
        let member = self.member_in(admin, openid, org_id).await;
        let (status, body) = self
            .set_roles(
                admin,
                member.member_id,
                json!([{"role": "org_admin", "org_id": org_id}]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        member
    }

    /// The member's all-time points total, as `GET /me/points` answers it.
    pub async fn total_points(&self, who: &Session) -> i64 {
        let points: Value = self
            .get("/api/v1/me/points", Some(&who.access_token))
            .await
            .json()
            .await
            .unwrap();
        points["total"].as_i64().unwrap()
    }

    pub async fn json(&self, res: reqwest::Response) -> (StatusCode, Value) {
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}
