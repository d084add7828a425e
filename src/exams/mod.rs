//! Exams and competitions (竞赛): timed, over org subtrees, with results for admins. Attempts
//! themselves are the quiz's (`quiz::service`).
pub mod dto;
pub mod endpoints;
pub mod service;
