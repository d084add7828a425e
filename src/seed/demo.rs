//! `redtrail seed demo`: a small data set so a newcomer sees something at once. It writes
//! through the same services as the API (so the rules hold) and runs once: a second run finds
//! the demo committee and stops. Members are WeChat members with openids `demo-member-N`, so
//! dev login reaches them; the org admin is an admin account with a printed password.
use chrono::{DateTime, Duration, Utc};
use entity::{members, org_members, orgs};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::articles::dto::{ArticleStatus, NewArticle, NewSeries};
use crate::articles::service as articles_service;
use crate::auth::Admin;
use crate::auth::roles::{Role, RoleGrant};
use crate::auth::scope::AdminScope;
use crate::classes::dto::NewClass;
use crate::classes::service as classes_service;
use crate::db::Db;
use crate::error::ApiError;
use crate::members::dto::PoliticalStatus;
use crate::orgs::dto::{CreateOrg, Enterprise, OrgKind};
use crate::orgs::service as orgs_service;
use crate::questions::dto::{AuthoredOption, NewQuestion, QuestionType};
use crate::questions::service as questions_service;
use crate::routes::dto::NewRoute;
use crate::routes::service as routes_service;
use crate::sessions::service::create_admin_account;
use crate::sites::dto::{NewSite, SiteCategory};
use crate::sites::service as sites_service;

use super::SYSTEM;

pub const COMMITTEE: &str = "番禺区互联网行业党委（演示）";
pub const SECRETARY: &str = "demo-secretary";
pub const SECRETARY_PASSWORD: &str = "redtrail-demo-2026";

struct DemoEnterprise {
    org: &'static str,
    company: &'static str,
    staff: i32,
    /// Party members as the record says (the demo members registered are fewer: a stale record).
    party_members: i32,
    branches: &'static [&'static str],
}

const ENTERPRISES: [DemoEnterprise; 3] = [
    DemoEnterprise {
        org: "南星网络科技有限公司党委",
        company: "南星网络科技有限公司",
        staff: 420,
        party_members: 38,
        branches: &["南星网络第一党支部", "南星网络第二党支部"],
    },
    DemoEnterprise {
        org: "珠江云数据有限公司党支部委员会",
        company: "珠江云数据有限公司",
        staff: 180,
        party_members: 12,
        branches: &["珠江云数据党支部"],
    },
    DemoEnterprise {
        org: "岭南数字传媒有限公司党总支",
        company: "岭南数字传媒有限公司",
        staff: 95,
        party_members: 7,
        branches: &["岭南数字传媒党支部"],
    },
];

const NAMES: [&str; 12] = [
    "陈晓东",
    "李红梅",
    "王建国",
    "张丽华",
    "刘志强",
    "黄小燕",
    "林海涛",
    "何静怡",
    "周文博",
    "吴思远",
    "郑雅琴",
    "梁嘉豪",
];

/// Sites named in the Panyu article (seeds/001): the coordinates are approximate, placed in
/// Panyu district for the demo, and say so in their description.
const SITES: [(&str, SiteCategory, f64, f64); 2] = [
    (
        "中共番禺县工委旧址（松露小学）",
        SiteCategory::FormerSite,
        22.9375,
        113.3842,
    ),
    (
        "何小静、何虹烈士故居",
        SiteCategory::FormerResidence,
        22.9452,
        113.3921,
    ),
];

/// What was created, for the command to print.
pub struct Seeded {
    pub orgs: usize,
    pub members: usize,
    pub sites: usize,
    pub questions: usize,
    pub chapters: usize,
}

/// A short demo series (a book read a chapter a day), its chapters' facts from the seed
/// articles.
const SERIES: &str = "网心向党 天天读（演示）";
const CHAPTERS: [(&str, &str); 3] = [
    (
        "走进松露小学",
        "<p>7 月 26 日，番禺区委网信办、区互联网行业党委组织区互联网企业党组织来到中共番禺县工委旧址松露小学，重温革命先辈的奋斗历程。</p>",
    ),
    (
        "何小静、何虹烈士故居",
        "<p>在何小静、何虹烈士故居，网企党员们聆听烈士事迹，缅怀先烈，赓续共产党人精神血脉。</p>",
    ),
    (
        "流动党员云学习",
        "<p>秦皇岛的流动党员在工作所在地收看线上党课，“云学习”让身在外地的党员也能按时参加组织学习。</p>",
    ),
];

/// A demo question, with facts from the seed articles (../shared/seeds).
struct DemoQuestion {
    kind: QuestionType,
    stem: &'static str,
    /// Choice questions: (text, right).
    options: &'static [(&'static str, bool)],
    answer: Option<bool>,
    blanks: &'static [&'static [&'static str]],
    category: &'static str,
    difficulty: i16,
    explanation: &'static str,
    source: &'static str,
}

const PANYU: &str = "番禺区“百家网企 网心向党”党史学习教育实践活动报道";
const BEIJING: &str = "首都互联网协会党委：推动理论武装走深、走实、走心";
const HENAN: &str = "郑州市互联网企业“双比双争”增添党建新活力";
const CHANGCHUN: &str = "长春市互联网业联合会党建报道";

const QUESTIONS: [DemoQuestion; 12] = [
    DemoQuestion {
        kind: QuestionType::Single,
        stem: "番禺区互联网行业党委成立于何时？",
        options: &[
            ("2018年11月", true),
            ("2012年11月", false),
            ("2021年7月", false),
            ("2003年1月", false),
        ],
        answer: None,
        blanks: &[],
        category: "行业党建",
        difficulty: 2,
        explanation: "番禺区互联网行业党委成立于2018年11月，是广州第一个成立的互联网行业党委。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Fill,
        stem: "番禺区互联网行业党委是广州第（ ）个成立的互联网行业党委。",
        options: &[],
        answer: None,
        blanks: &[&["一", "1"]],
        category: "行业党建",
        difficulty: 1,
        explanation: "它是广州第一个成立的互联网行业党委。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Single,
        stem: "中共番禺县工委旧址位于今天的哪所学校？",
        options: &[
            ("松露小学", true),
            ("市桥中学", false),
            ("番禺中学", false),
            ("沙湾小学", false),
        ],
        answer: None,
        blanks: &[],
        category: "红色遗址",
        difficulty: 2,
        explanation: "活动报道写道：来到中共番禺县工委旧址松露小学。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Judge,
        stem: "“百家网企 网心向党”党史学习教育实践活动以“线下徒步 线上打卡”的形式开展。",
        options: &[],
        answer: Some(true),
        blanks: &[],
        category: "红色遗址",
        difficulty: 1,
        explanation: "活动以“线下徒步 线上打卡”的形式打造徒步矩阵。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Multiple,
        stem: "7月26日的党史学习教育活动中，番禺区互联网企业党组织来到了哪些地方？",
        options: &[
            ("中共番禺县工委旧址", true),
            ("何小静、何虹烈士故居", true),
            ("中共三大会址", false),
            ("黄埔军校旧址", false),
        ],
        answer: None,
        blanks: &[],
        category: "红色遗址",
        difficulty: 3,
        explanation: "报道写道：来到中共番禺县工委旧址松露小学和何小静、何虹烈士故居。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Judge,
        stem: "番禺区互联网行业党委的13名党委成员中，有5人为重点互联网企业党组织书记或副书记。",
        options: &[],
        answer: Some(true),
        blanks: &[],
        category: "行业党建",
        difficulty: 3,
        explanation: "13名党委成员中，有5人为重点互联网企业党组织书记或副书记。",
        source: PANYU,
    },
    DemoQuestion {
        kind: QuestionType::Single,
        stem: "首都互联网协会党委成立于何时？",
        options: &[
            ("2012年11月", true),
            ("2018年11月", false),
            ("2003年", false),
            ("2022年夏", false),
        ],
        answer: None,
        blanks: &[],
        category: "行业党建",
        difficulty: 2,
        explanation: "首都互联网协会党委自2012年11月成立。",
        source: BEIJING,
    },
    DemoQuestion {
        kind: QuestionType::Fill,
        stem: "“北京网络媒体红色故土行”活动从（ ）年开始。",
        options: &[],
        answer: None,
        blanks: &[&["2003", "2003年"]],
        category: "行业党建",
        difficulty: 2,
        explanation: "从2003年开始，通过重走革命道路、重访先烈故里……",
        source: BEIJING,
    },
    DemoQuestion {
        kind: QuestionType::Judge,
        stem: "青年党务工作者丁晓宇的感悟写于他第一次登上“中国革命的摇篮”井冈山之后。",
        options: &[],
        answer: Some(true),
        blanks: &[],
        category: "红色教育",
        difficulty: 2,
        explanation: "那次井冈山之行源自一次“北京网络媒体红色故土行”活动。",
        source: BEIJING,
    },
    DemoQuestion {
        kind: QuestionType::Multiple,
        stem: "河南“双比双争”活动中的“双比”指的是什么？",
        options: &[
            ("比学习", true),
            ("比贡献", true),
            ("比规模", false),
            ("比速度", false),
        ],
        answer: None,
        blanks: &[],
        category: "行业党建",
        difficulty: 2,
        explanation: "“比学习、比贡献、争做合格党员、争做有为青年”。",
        source: HENAN,
    },
    DemoQuestion {
        kind: QuestionType::Single,
        stem: "党的二十大报告强调，全党要把什么作为战略性工作来抓？",
        options: &[
            ("青年工作", true),
            ("宣传工作", false),
            ("统战工作", false),
            ("信息化工作", false),
        ],
        answer: None,
        blanks: &[],
        category: "理论学习",
        difficulty: 1,
        explanation: "全党要把青年工作作为战略性工作来抓。",
        source: BEIJING,
    },
    DemoQuestion {
        kind: QuestionType::Fill,
        stem: "长春市互联网企业单独成立党支部（ ）家，联合组建17家。",
        options: &[],
        answer: None,
        blanks: &[&["45"]],
        category: "行业党建",
        difficulty: 3,
        explanation: "单独成立党支部45家，联合组建17家，党员803名。",
        source: CHANGCHUN,
    },
];

/// Creates the demo data, or returns `None` if it is already there.
pub async fn demo(db: &Db, now: DateTime<Utc>) -> Result<Option<Seeded>, ApiError> {
    let present = orgs::Entity::find()
        .filter(orgs::Column::Name.eq(COMMITTEE))
        .one(db.conn())
        .await?;
    if present.is_some() {
        return Ok(None);
    }
    // The seed acts as the system (actor 0) with the platform's scope.
    let system = Admin {
        member_id: SYSTEM,
        scope: AdminScope::Platform,
    };
    let committee = orgs_service::create(
        db,
        &system,
        CreateOrg {
            name: COMMITTEE.into(),
            kind: OrgKind::IndustryCommittee,
            parent_id: None,
            enterprise: None,
        },
        now,
    )
    .await?;
    let (mut org_count, mut member_count) = (1, 0);
    let mut first_enterprise = None;
    for demo in &ENTERPRISES {
        let org = orgs_service::create(
            db,
            &system,
            CreateOrg {
                name: demo.org.into(),
                kind: OrgKind::PartyOrg,
                parent_id: Some(committee.id),
                enterprise: Some(Enterprise {
                    name: demo.company.into(),
                    credit_code: None,
                    staff_count: Some(demo.staff),
                    contact_name: None,
                    contact_phone: None,
                    region: Some("广州市番禺区".into()),
                    party_member_count: Some(demo.party_members),
                    branch_count: Some(demo.branches.len() as i32),
                    joint_branch_count: Some(0),
                    output_value: None,
                }),
            },
            now,
        )
        .await?;
        first_enterprise.get_or_insert(org.id);
        org_count += 1;
        for branch in demo.branches {
            let branch = orgs_service::create(
                db,
                &system,
                CreateOrg {
                    name: (*branch).into(),
                    kind: OrgKind::Branch,
                    parent_id: Some(org.id),
                    enterprise: None,
                },
                now,
            )
            .await?;
            org_count += 1;
            for _ in 0..3 {
                add_member(db, member_count, branch.id, now).await?;
                member_count += 1;
            }
        }
    }
    let enterprise = first_enterprise.ok_or_else(|| anyhow::anyhow!("no demo enterprise"))?;
    // The demo secretary administers one enterprise, not the platform.
    let grant = RoleGrant {
        role: Role::OrgAdmin,
        org_id: Some(enterprise),
    };
    create_admin_account(db, SECRETARY, SECRETARY_PASSWORD, grant, now).await?;

    let mut site_ids = Vec::new();
    for (name, category, lat, lng) in SITES {
        let site = NewSite {
            name: name.into(),
            description: Some("演示数据：坐标为番禺区内的近似位置，并非实测。".into()),
            address: Some("广州市番禺区".into()),
            region: Some("广州市番禺区".into()),
            category,
            lat,
            lng,
            radius_m: None,
            opening_hours: None,
            cover_media_id: None,
            status: None,
        };
        site_ids.push(sites_service::create(db, SYSTEM, site, now).await?.id);
    }
    let route = NewRoute {
        name: "番禺红色足迹线（演示）".into(),
        description: Some("从中共番禺县工委旧址出发，到何小静、何虹烈士故居。".into()),
        site_ids: site_ids.clone(),
        ordered: true,
        starts_at: None,
        ends_at: None,
    };
    routes_service::create(db, SYSTEM, route, now).await?;
    for demo in &QUESTIONS {
        let question = NewQuestion {
            kind: demo.kind,
            stem: demo.stem.into(),
            options: (!demo.options.is_empty()).then(|| {
                demo.options
                    .iter()
                    .map(|(text, correct)| AuthoredOption {
                        text: (*text).into(),
                        correct: *correct,
                    })
                    .collect()
            }),
            answer: demo.answer,
            blanks: (!demo.blanks.is_empty()).then(|| {
                demo.blanks
                    .iter()
                    .map(|b| b.iter().map(|a| (*a).to_owned()).collect())
                    .collect()
            }),
            explanation: Some(demo.explanation.into()),
            category: demo.category.into(),
            tags: vec!["演示".into()],
            difficulty: demo.difficulty,
            source: Some(demo.source.into()),
            status: None,
        };
        questions_service::create(db, SYSTEM, question, now).await?;
    }
    reading(db, committee.id, now).await?;
    Ok(Some(Seeded {
        orgs: org_count,
        members: member_count,
        sites: site_ids.len(),
        questions: QUESTIONS.len(),
        chapters: CHAPTERS.len(),
    }))
}

/// The demo series, published from the start of 2026 (so a test server's fixed clock sees
/// it), and an evening online class for the whole committee tomorrow.
async fn reading(db: &Db, committee: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let series = NewSeries {
        title: SERIES.into(),
        description: Some("每天一章，连续学习。".into()),
    };
    let series = articles_service::create_series(db, SYSTEM, &series, now).await?;
    let published = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .map_err(anyhow::Error::from)?
        .with_timezone(&Utc);
    for (n, (title, body)) in CHAPTERS.iter().enumerate() {
        let chapter = NewArticle {
            title: (*title).into(),
            summary: None,
            body: (*body).into(),
            cover_url: None,
            category: "党史".into(),
            series_id: Some(series.id),
            series_position: Some(n as i32 + 1),
            author: None,
            source: Some("演示数据".into()),
            published_at: Some(published),
            status: ArticleStatus::Published,
            min_read_seconds: Some(60),
            media_url: None,
            media_kind: None,
            media_seconds: None,
        };
        articles_service::create(db, SYSTEM, chapter, now).await?;
    }
    let starts = now + Duration::days(1);
    let class = NewClass {
        title: "流动党员云课堂（演示）".into(),
        speaker: Some("演示讲师".into()),
        description: Some("线上党课：学习党的二十大精神。".into()),
        starts_at: starts,
        ends_at: starts + Duration::hours(1),
        stream_url: Some("https://live.example.cn/demo".into()),
        replay_url: None,
        attend_min_seconds: Some(20 * 60),
        org_ids: vec![committee],
        campaign_id: None,
    };
    classes_service::create(db, SYSTEM, class, now).await?;
    Ok(())
}

async fn add_member(db: &Db, n: usize, branch: i64, now: DateTime<Utc>) -> Result<(), ApiError> {
    let status = [
        PoliticalStatus::PartyMember,
        PoliticalStatus::PartyMember,
        PoliticalStatus::Probationary,
        PoliticalStatus::Activist,
    ][n % 4];
    let name = NAMES[n % NAMES.len()];
    db.write(|tx| async move {
        let member = members::ActiveModel {
            openid: Set(Some(format!("demo-member-{}", n + 1))),
            nickname: Set(Some(name.into())),
            real_name: Set(Some(name.into())),
            political_status: Set(Some(status.as_str().into())),
            is_mobile_member: Set(n % 5 == 4),
            mobile_city: Set((n % 5 == 4).then(|| "深圳市".into())),
            created_at: Set(now.into()),
            updated_at: Set(now.into()),
            ..Default::default()
        }
        .insert(tx.as_ref())
        .await?;
        org_members::ActiveModel {
            member_id: Set(member.id),
            org_id: Set(branch),
            joined_at: Set(now.into()),
        }
        .insert(tx.as_ref())
        .await?;
        Ok(())
    })
    .await
}
