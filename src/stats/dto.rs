use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?org_id=&from=&to=`: whose figures, over which local days.
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// The org whose subtree to count, inside the caller's scope; absent: the whole scope
    /// (a platform admin: every org).
    pub org_id: Option<i64>,
    /// First local day counted (inclusive); absent: 29 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last local day counted (inclusive); absent: today. At most 366 days after `from`.
    pub to: Option<NaiveDate>,
    /// Orders `children` by this figure (largest first unless `order=asc`); absent: by org id.
    #[param(inline)]
    pub sort: Option<Figure>,
    /// `desc` (default) or `asc`.
    #[param(inline)]
    pub order: Option<SortOrder>,
}

/// A figure to sort children by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Figure {
    ActiveMembers,
    Checkins,
    DistinctSites,
    RouteCompletions,
    QuizAttempts,
    ExamAttempts,
    ArticlesCompleted,
    StudySeconds,
    ClassAttendances,
    VolunteerHours,
    PointsPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// Submissions made in the period, by their status now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct SubmissionCounts {
    /// Waiting for review.
    pub pending: i64,
    /// Approved.
    pub approved: i64,
    /// Featured (approved and picked out).
    pub featured: i64,
    /// Rejected.
    pub rejected: i64,
    /// Withdrawn by their authors.
    pub withdrawn: i64,
}

/// The figures of a set of members over a set of local days. Every figure counts only members
/// who belong to an org in the subtree (their org now), and only days in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Members with any activity: a check-in (any status), a quiz or exam attempt begun, an
    /// article read, a class joined while live, or a submission made.
    pub active_members: i64,
    /// Accepted check-ins (flagged ones waiting for review and rejected ones do not count).
    pub checkins: i64,
    /// Distinct sites among those check-ins.
    pub distinct_sites: i64,
    /// Routes completed, dated by the check-in that completed them.
    pub route_completions: i64,
    /// Daily quizzes finished (submitted or expired), by the day they began.
    pub quiz_attempts: i64,
    /// Distinct members among them.
    pub quiz_participants: i64,
    /// Their mean score, to two decimals; null when there were none.
    pub quiz_average_score: Option<f64>,
    /// Exam attempts finished, by the day they began.
    pub exam_attempts: i64,
    /// Those that reached the exam's pass score.
    pub exam_passed: i64,
    /// `exam_passed / exam_attempts`, to four decimals; null when there were none.
    pub exam_pass_rate: Option<f64>,
    /// Article completions (one per member, article and day).
    pub articles_completed: i64,
    /// Counted study time: reading plus online classes, in seconds.
    pub study_seconds: i64,
    /// Class attendances that reached the class's threshold, by the day of the first heartbeat.
    pub class_attendances: i64,
    /// Volunteer service accepted in final review, by the day of service, in minutes.
    pub volunteer_minutes: i64,
    /// The same in hours, to two decimals.
    pub volunteer_hours: f64,
    /// Points in the ledger dated in the period, adjustments (which may be negative) included.
    pub points_paid: i64,
    /// Submissions made in the period, by status.
    pub submissions: SubmissionCounts,
}

/// One day of the series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayFigures {
    /// The local day.
    pub date: NaiveDate,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One child org beside the total.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildFigures {
    /// The child org.
    pub org_id: i64,
    /// The child org's name.
    pub name: String,
    /// `industry_committee`, `party_org` or `branch`.
    pub kind: String,
    #[serde(flatten)]
    pub figures: Figures,
}

/// The totals, with the points split by ledger source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Totals {
    #[serde(flatten)]
    pub figures: Figures,
    /// `points_paid` by ledger source (`checkin`, `quiz`, `reading`, …).
    pub points_by_source: BTreeMap<String, i64>,
}

/// Statistics of an org subtree over a period: totals, a row per day (every day of the
/// period, zeros included; the day rows of a counted figure add up to its total, distinct
/// counts excepted), and a row per child org (an org's direct children; without `org_id`,
/// the roots of the caller's scope). Members attached to the org itself rather than to a
/// child count in the totals only.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    /// The org counted; null: the whole scope.
    pub org_id: Option<i64>,
    /// The first local day counted.
    pub from: NaiveDate,
    /// The last local day counted.
    pub to: NaiveDate,
    /// The whole period.
    pub totals: Totals,
    /// Every day of the period, in order.
    pub by_day: Vec<DayFigures>,
    /// A row per child org (see above), by org id unless sorted.
    pub children: Vec<ChildFigures>,
}

/// An entered figure beside the one the data gives.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnteredAndCounted {
    /// As the enterprise records (summed over the subtree's enterprises) say; null when none
    /// was entered.
    pub entered: Option<i64>,
    /// As counted from redtrail's own data.
    pub counted: i64,
}

/// The enterprise record as entered (a `party_org`'s own; null fields were not entered).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseRecord {
    /// The enterprise's registered name.
    pub enterprise_name: Option<String>,
    /// 统一社会信用代码.
    pub credit_code: Option<String>,
    /// Administrative region.
    pub region: Option<String>,
    /// Staff, as entered.
    pub staff_count: Option<i32>,
    /// Party members, as entered.
    pub party_member_count: Option<i32>,
    /// Branches of its own, as entered.
    pub branch_count: Option<i32>,
    /// Joint branches, as entered (a joint branch is reported by each enterprise sharing it).
    pub joint_branch_count: Option<i32>,
    /// As entered, e.g. "3.2亿元".
    pub output_value: Option<String>,
}

/// This month's activity: members who did each thing at least once, and the share of
/// registered members that is (to four decimals; null with no members).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct MonthActivity {
    /// The month's first day.
    pub from: NaiveDate,
    /// Today.
    pub to: NaiveDate,
    /// Members active this month (any activity, as the overview counts it).
    pub active_members: i64,
    /// `active_members` / registered members.
    pub active_rate: Option<f64>,
    /// Members with an accepted check-in this month.
    pub checkin_members: i64,
    /// `checkin_members` / registered members.
    pub checkin_rate: Option<f64>,
    /// Members who finished a daily quiz this month.
    pub quiz_members: i64,
    /// `quiz_members` / registered members.
    pub quiz_rate: Option<f64>,
    /// Members who read an article this month.
    pub reading_members: i64,
    /// `reading_members` / registered members.
    pub reading_rate: Option<f64>,
    /// Points dated this month per registered member, to two decimals.
    pub points_per_member: Option<f64>,
}

/// The figures of one org in a profile (the org itself or a child), all over its subtree.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileFigures {
    /// Enterprises (`party_org`s) in the subtree.
    pub enterprises: i64,
    /// Staff: entered (the enterprises' records summed) beside the members registered here.
    pub staff: EnteredAndCounted,
    /// Party members (中共党员 and 预备党员): entered beside registered members with that
    /// political status.
    pub party_members: EnteredAndCounted,
    /// Branches of their own (单独党支部): entered beside the `branch` orgs in the tree (which
    /// may include joint ones).
    pub branches: EnteredAndCounted,
    /// Joint branches, as entered (a joint branch is reported by each enterprise sharing it).
    pub joint_branches: Option<i64>,
    /// Registered members.
    pub members: i64,
    /// Registered members by political status (`party_member`, `probationary`, `activist`,
    /// `applicant`, `masses`, and `unknown` when not given).
    pub members_by_political_status: BTreeMap<String, i64>,
    /// Mobile members (流动党员).
    pub mobile_members: i64,
    /// All points ever paid to its members, per member, to two decimals.
    pub points_per_member: Option<f64>,
    /// The last local day any of its members was active; null if never.
    pub last_active_on: Option<NaiveDate>,
    /// This month's activity.
    pub month: MonthActivity,
    /// The Party members entered disagree with those registered (or none were entered).
    pub stale: bool,
}

/// One child in a profile's roll-up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileChild {
    /// The child org.
    pub org_id: i64,
    /// The child org's name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    #[serde(flatten)]
    pub figures: ProfileFigures,
}

/// 一企一档: an org's record as entered, the same figures counted from data, this month's
/// activity, and the same for each child org.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgProfile {
    /// The org.
    pub org_id: i64,
    /// The org's name.
    pub name: String,
    /// `industry_committee`, `party_org` or `branch`.
    pub kind: String,
    /// The org's own enterprise record; null unless it is a `party_org`.
    pub enterprise: Option<EnterpriseRecord>,
    #[serde(flatten)]
    pub figures: ProfileFigures,
    /// Each child org, by id.
    pub children: Vec<ProfileChild>,
    /// When these figures were computed.
    pub computed_at: DateTime<Utc>,
}

/// A page of participants, by member id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ParticipantPage {
    /// This page's participants.
    pub items: Vec<Participant>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A member who took part in a campaign.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Participant {
    /// The member.
    pub member_id: i64,
    /// Their nickname.
    pub nickname: Option<String>,
    /// Their real name, if given.
    pub real_name: Option<String>,
    /// Their org now.
    pub org_id: i64,
    /// That org's name.
    pub org_name: String,
}

/// An enterprise (or, for members not under one, their own org) that took part.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipatingOrg {
    /// The enterprise (or org).
    pub org_id: i64,
    /// Its name.
    pub name: String,
    /// Its kind: `party_org`, or another for members under no enterprise.
    pub kind: String,
    /// Its members who took part.
    pub members: i64,
}

/// Check-ins at one of the campaign's sites.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteCheckins {
    /// The site.
    pub site_id: i64,
    /// The site's name.
    pub name: String,
    /// Accepted check-ins there.
    pub checkins: i64,
    /// Distinct members among them.
    pub members: i64,
}

/// Completions of one of the campaign's routes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteFigures {
    /// The route.
    pub route_id: i64,
    /// The route's name.
    pub name: String,
    /// Completions during the campaign.
    pub completions: i64,
}

/// One of the campaign's exams.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExamFigures {
    /// The exam.
    pub exam_id: i64,
    /// The exam's title.
    pub title: String,
    /// Finished attempts.
    pub attempts: i64,
    /// Members with a finished attempt.
    pub members: i64,
    /// Members whose best attempt reached the pass score.
    pub passed_members: i64,
    /// `passed_members / members`, to four decimals; null with none.
    pub pass_rate: Option<f64>,
}

/// Submissions to the campaign under one theme (null: none chosen).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThemeFigures {
    /// The theme; null for submissions without one.
    pub theme: Option<String>,
    /// All made, whatever their status.
    pub total: i64,
    #[serde(flatten)]
    pub by_status: SubmissionCounts,
    /// Passed the first stage of a two-stage review (now in final review, or decided in it).
    pub passed_first_stage: i64,
    /// Passed the final review: approved or featured.
    pub passed_final: i64,
}

/// One of the campaign's online classes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassFigures {
    /// The class.
    pub class_id: i64,
    /// The class's title.
    pub title: String,
    /// Members who reached the attendance threshold.
    pub attended: i64,
}

/// The figures a campaign's press release cites, over the members in both the campaign's
/// org subtrees and the caller's scope (their org now).
///
/// - A member **took part** (`participating_members`) with at least one of: an accepted
///   check-in during the campaign (its local days) at a site on one of its routes; a finished
///   attempt at one of its exams; a submission to it that was not withdrawn; an attendance
///   reaching the threshold at one of its classes.
/// - `participating_orgs`: the enterprises (`party_org`s) those members belong to, counting a
///   member under no enterprise by their own org.
/// - `checkins`: accepted check-ins during the campaign at the sites of its routes.
/// - `route_completions`: completions of its routes during the campaign.
/// - `reads`: article completions during the campaign (articles are not tied to campaigns);
///   `study_seconds`: reading time counted then.
/// - `submissions`: all made to the campaign, by theme and status.
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignReport {
    /// The campaign.
    pub campaign_id: i64,
    /// The campaign's title.
    pub title: String,
    /// The campaign's first local day (the local days of its start and end).
    pub from: NaiveDate,
    /// The last local day (inclusive).
    pub to: NaiveDate,
    /// Enterprises that took part (see above).
    pub participating_orgs: i64,
    /// Members who took part (see above).
    pub participating_members: i64,
    /// Those enterprises, by org id, with how many of their members took part.
    pub orgs: Vec<ParticipatingOrg>,
    /// Accepted check-ins during the campaign at its routes' sites.
    pub checkins: i64,
    /// Distinct members among those check-ins.
    pub checkin_members: i64,
    /// The check-ins per site, by site id (sites with none are left out).
    pub sites: Vec<SiteCheckins>,
    /// Completions of its routes during the campaign.
    pub route_completions: i64,
    /// Each of its routes, by id.
    pub routes: Vec<RouteFigures>,
    /// Each of its exams, by id.
    pub exams: Vec<ExamFigures>,
    /// Submissions made to it, whatever their status.
    pub submissions: i64,
    /// Those submissions by theme.
    pub themes: Vec<ThemeFigures>,
    /// Article completions during the campaign.
    pub reads: i64,
    /// Reading time counted during the campaign, in seconds.
    pub study_seconds: i64,
    /// Attendances reaching the threshold at its classes.
    pub class_attendances: i64,
    /// Each of its classes, by id.
    pub classes: Vec<ClassFigures>,
    /// The first page of participants, by member id (`?limit=&cursor=` for more).
    pub participants: ParticipantPage,
}
