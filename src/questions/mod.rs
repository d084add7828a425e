//! The question bank (题库): questions with their answers, for platform admins.
//! `sheet.rs` is its pure part: the import/export layout.
pub mod dto;
pub mod endpoints;
pub mod service;
pub mod sheet;
