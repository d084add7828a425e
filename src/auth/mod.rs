//! Who is calling and what they may do: tokens, the `Caller`/`Admin`/`PlatformAdmin`
//! extractors, roles and admin scopes, and password hashing. A shared layer: it knows nothing
//! of members beyond their id (logging in is `sessions`).
mod extractor;
pub mod password;
pub mod roles;
pub mod scope;
pub mod tokens;

pub use extractor::{Admin, AuthContext, Caller, PlatformAdmin};
