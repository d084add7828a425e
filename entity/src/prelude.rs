pub use super::login_failures::Entity as LoginFailures;
pub use super::member_roles::Entity as MemberRoles;
pub use super::members::Entity as Members;
pub use super::refresh_tokens::Entity as RefreshTokens;
