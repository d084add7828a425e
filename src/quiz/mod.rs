//! Quiz study: daily quiz, practice, challenge runs, exam attempts, grading and the
//! wrong-answer book. `grading.rs` holds the pure rules (shuffling, comparing answers).
pub mod dto;
pub mod endpoints;
pub mod grading;
pub mod service;
