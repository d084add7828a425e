//! Uploaded media: photos, video and audio. The bytes decide the type; images are decoded and
//! encoded again (no EXIF or GPS survives) with a thumbnail; files go to the configured
//! [`crate::storage::Storage`] and are served under unguessable names. A medium is its
//! uploader's until attached to one thing (a check-in, an avatar, a submission), and only its
//! uploader can attach it. `process.rs` is the pure part.
pub mod dto;
pub mod endpoints;
pub mod process;
pub mod service;
