//! Red sites: public places shared by every org, with GCJ-02 coordinates and a check-in radius.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
    Name,
    Description,
    Address,
    Region,
    Category,
    Lat,
    Lng,
    RadiusM,
    OpeningHours,
    CoverMediaId,
    Status,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Sites::Table)
                    .col(big_pk_auto(Sites::Id))
                    .col(string_len(Sites::Name, 128))
                    .col(text_null(Sites::Description))
                    .col(string_len_null(Sites::Address, 255))
                    .col(string_len_null(Sites::Region, 64))
                    .col(string_len(Sites::Category, 32))
                    // GCJ-02 degrees, as wx.getLocation({type: 'gcj02'}) reports them.
                    .col(double(Sites::Lat))
                    .col(double(Sites::Lng))
                    .col(integer(Sites::RadiusM))
                    .col(string_len_null(Sites::OpeningHours, 255))
                    .col(big_integer_null(Sites::CoverMediaId))
                    // `active` or `hidden`.
                    .col(string_len(Sites::Status, 16))
                    .col(utc(db, Sites::CreatedAt))
                    .col(utc(db, Sites::UpdatedAt))
                    // Soft delete: check-ins keep pointing at the site.
                    .col(utc_null(db, Sites::DeletedAt))
                    .to_owned(),
            )
            .await?;
        // Nearby search reads a latitude range, then checks longitude: a bounding box, not a
        // distance computed for every site.
        manager
            .create_index(
                Index::create()
                    .name("ix_sites_lat_lng")
                    .table(Sites::Table)
                    .col(Sites::Lat)
                    .col(Sites::Lng)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sites::Table).to_owned())
            .await
    }
}
