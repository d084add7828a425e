//! The question bank (题库): questions with their answers, for platform admins.
pub mod dto;
pub mod endpoints;
pub mod service;
