//! Applies every pending migration to the database named by the first argument.
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: migrate DATABASE_URL")?;
    let db = Database::connect(url.as_str()).await?;
    Migrator::up(&db, None).await?;
    Ok(())
}
