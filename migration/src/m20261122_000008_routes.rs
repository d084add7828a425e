//! Routes (徒步路线): ordered or unordered lists of sites, and who completed them (once).
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Routes {
    Table,
    Id,
    Name,
    Description,
    Ordered,
    StartsAt,
    EndsAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RouteSites {
    Table,
    RouteId,
    Position,
    SiteId,
}

#[derive(DeriveIden)]
enum RouteCompletions {
    Table,
    RouteId,
    MemberId,
    CheckinId,
    CompletedAt,
}

#[derive(DeriveIden)]
enum Sites {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(Routes::Table)
                    .col(big_pk_auto(Routes::Id))
                    .col(string_len(Routes::Name, 128))
                    .col(text_null(Routes::Description))
                    // If true, a site counts only once the ones before it were visited.
                    .col(boolean(Routes::Ordered))
                    .col(utc_null(db, Routes::StartsAt))
                    .col(utc_null(db, Routes::EndsAt))
                    .col(utc(db, Routes::CreatedAt))
                    .col(utc(db, Routes::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RouteSites::Table)
                    .col(big_integer(RouteSites::RouteId))
                    .col(integer(RouteSites::Position))
                    .col(big_integer(RouteSites::SiteId))
                    .primary_key(
                        Index::create()
                            .col(RouteSites::RouteId)
                            .col(RouteSites::Position),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_sites_route")
                            .from(RouteSites::Table, RouteSites::RouteId)
                            .to(Routes::Table, Routes::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_sites_site")
                            .from(RouteSites::Table, RouteSites::SiteId)
                            .to(Sites::Table, Sites::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A check-in looks up the routes through its site.
        manager
            .create_index(
                Index::create()
                    .name("ux_route_sites_site_route")
                    .table(RouteSites::Table)
                    .col(RouteSites::SiteId)
                    .col(RouteSites::RouteId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RouteCompletions::Table)
                    .col(big_integer(RouteCompletions::RouteId))
                    .col(big_integer(RouteCompletions::MemberId))
                    .col(big_integer(RouteCompletions::CheckinId))
                    .col(utc(db, RouteCompletions::CompletedAt))
                    // Completed once per member: the key decides.
                    .primary_key(
                        Index::create()
                            .col(RouteCompletions::RouteId)
                            .col(RouteCompletions::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_completions_route")
                            .from(RouteCompletions::Table, RouteCompletions::RouteId)
                            .to(Routes::Table, Routes::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_route_completions_member")
                            .from(RouteCompletions::Table, RouteCompletions::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RouteCompletions::Table.into_iden(),
            RouteSites::Table.into_iden(),
            Routes::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
