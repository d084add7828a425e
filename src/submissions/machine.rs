//! The status machine of a submission, pure: which review decision may follow which state,
//! what it leads to, and whether it is the final approval (the one that pays and counts).
//!
//! pending(first) —approve→ pending(final) —approve/feature→ approved/featured
//! pending —reject→ rejected —author edits→ pending; approved —feature→ featured;
//! anything but withdrawn —author withdraws→ withdrawn.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Featured,
    Rejected,
    Withdrawn,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Featured => "featured",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "approved" => Status::Approved,
            "featured" => Status::Featured,
            "rejected" => Status::Rejected,
            "withdrawn" => Status::Withdrawn,
            _ => Status::Pending,
        }
    }
}

/// Under two-stage review, which review a pending submission waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    First,
    Final,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::First => "first",
            Stage::Final => "final",
        }
    }

    pub fn parse(s: Option<&str>) -> Option<Self> {
        match s {
            Some("first") => Some(Stage::First),
            Some("final") => Some(Stage::Final),
            _ => None,
        }
    }

    /// Where a submission (re)enters review.
    pub fn entry(two_stage: bool) -> Option<Self> {
        two_stage.then_some(Stage::First)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Feature,
}

/// What a review does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub status: Status,
    pub stage: Option<Stage>,
    /// This decision is the final approval: points, hours, a proposed site, the count.
    pub finally_approves: bool,
    /// Which kind of message the author gets.
    pub outcome: &'static str,
}

/// The step `decision` takes from (`status`, `stage`); `None` when it does not apply there.
pub fn review(status: Status, stage: Option<Stage>, decision: Decision) -> Option<Step> {
    let step = |status, stage, finally_approves, outcome| Step {
        status,
        stage,
        finally_approves,
        outcome,
    };
    match (status, stage, decision) {
        (Status::Pending, Some(Stage::First), Decision::Approve) => Some(step(
            Status::Pending,
            Some(Stage::Final),
            false,
            "submission.first_passed",
        )),
        // Featuring is a final decision.
        (Status::Pending, Some(Stage::First), Decision::Feature) => None,
        (Status::Pending, _, Decision::Approve) => {
            Some(step(Status::Approved, None, true, "submission.approved"))
        }
        (Status::Pending, _, Decision::Feature) => {
            Some(step(Status::Featured, None, true, "submission.featured"))
        }
        (Status::Pending, _, Decision::Reject) => {
            Some(step(Status::Rejected, None, false, "submission.rejected"))
        }
        (Status::Approved, _, Decision::Feature) => {
            Some(step(Status::Featured, None, false, "submission.featured"))
        }
        _ => None,
    }
}

/// Whether the author may edit (and so resubmit) it.
pub fn editable(status: Status) -> bool {
    matches!(status, Status::Pending | Status::Rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_stages_pay_only_at_the_final_approval() {
        let first = review(Status::Pending, Some(Stage::First), Decision::Approve).unwrap();
        assert_eq!(
            (first.status, first.stage),
            (Status::Pending, Some(Stage::Final))
        );
        assert!(!first.finally_approves);
        let last = review(first.status, first.stage, Decision::Approve).unwrap();
        assert_eq!(last.status, Status::Approved);
        assert!(last.finally_approves);
        assert_eq!(
            review(Status::Pending, Some(Stage::First), Decision::Feature),
            None
        );
    }

    #[test]
    fn featuring_an_approved_one_pays_nothing_more_and_decided_ones_stay() {
        let featured = review(Status::Approved, None, Decision::Feature).unwrap();
        assert!(!featured.finally_approves);
        for status in [Status::Featured, Status::Rejected, Status::Withdrawn] {
            for decision in [Decision::Approve, Decision::Reject, Decision::Feature] {
                assert_eq!(review(status, None, decision), None);
            }
        }
        assert_eq!(review(Status::Approved, None, Decision::Reject), None);
        assert!(editable(Status::Rejected) && !editable(Status::Approved));
    }
}
