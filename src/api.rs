//! The route table: every capability's endpoints, mounted once. The server and the OpenAPI
//! document are both built from this one registration, so they cannot drift apart.
use utoipa_actix_web::{scope, service_config::ServiceConfig};

use crate::{
    articles, audit, badges, campaigns, checkins, classes, exams, exports, media, members,
    notifications, ops, orgs, points, push, questions, quiz, routes, sessions, sites, stats, study,
    submissions,
};

/// Every documented route. The spec and the server both come from this one registration.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        scope::scope("/api/v1")
            .configure(sessions::endpoints::configure)
            .configure(members::endpoints::configure)
            .configure(orgs::endpoints::configure)
            .configure(points::endpoints::configure)
            .configure(badges::endpoints::configure)
            .configure(sites::endpoints::configure)
            .configure(checkins::endpoints::configure)
            .configure(routes::endpoints::configure)
            .configure(campaigns::endpoints::configure)
            .configure(questions::endpoints::configure)
            .configure(quiz::endpoints::configure)
            .configure(exams::endpoints::configure)
            .configure(articles::endpoints::configure)
            .configure(study::endpoints::configure)
            .configure(classes::endpoints::configure)
            .configure(media::endpoints::configure)
            .configure(notifications::endpoints::configure)
            .configure(submissions::endpoints::configure)
            .configure(stats::endpoints::configure)
            .configure(exports::endpoints::configure)
            .configure(push::endpoints::configure)
            .configure(audit::endpoints::configure),
    );
    ops::endpoints::configure(cfg);
}
