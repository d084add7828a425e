//! SeaORM entities, one module per table, in the shape `sea-orm-cli generate entity` writes.
//! Only table shape lives here; behaviour lives in the `redtrail` crate's services.
pub mod prelude;

pub mod login_failures;
pub mod member_roles;
pub mod members;
pub mod refresh_tokens;
