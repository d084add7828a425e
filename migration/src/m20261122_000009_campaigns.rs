//! Campaigns (主题活动): a window, the orgs taking part (with their subtrees), and routes.
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::utc;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
    Title,
    Description,
    StartsAt,
    EndsAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CampaignOrgs {
    Table,
    CampaignId,
    OrgId,
}

#[derive(DeriveIden)]
enum CampaignRoutes {
    Table,
    CampaignId,
    RouteId,
}

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Routes {
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
                    .table(Campaigns::Table)
                    .col(big_pk_auto(Campaigns::Id))
                    .col(string_len(Campaigns::Title, 128))
                    .col(text_null(Campaigns::Description))
                    .col(utc(db, Campaigns::StartsAt))
                    .col(utc(db, Campaigns::EndsAt))
                    .col(big_integer(Campaigns::CreatedBy))
                    .col(utc(db, Campaigns::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignOrgs::Table)
                    .col(big_integer(CampaignOrgs::CampaignId))
                    .col(big_integer(CampaignOrgs::OrgId))
                    .primary_key(
                        Index::create()
                            .col(CampaignOrgs::CampaignId)
                            .col(CampaignOrgs::OrgId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_orgs_campaign")
                            .from(CampaignOrgs::Table, CampaignOrgs::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_orgs_org")
                            .from(CampaignOrgs::Table, CampaignOrgs::OrgId)
                            .to(Orgs::Table, Orgs::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // Members find their campaigns through their org's ancestors.
        manager
            .create_index(
                Index::create()
                    .name("ix_campaign_orgs_org")
                    .table(CampaignOrgs::Table)
                    .col(CampaignOrgs::OrgId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CampaignRoutes::Table)
                    .col(big_integer(CampaignRoutes::CampaignId))
                    .col(big_integer(CampaignRoutes::RouteId))
                    .primary_key(
                        Index::create()
                            .col(CampaignRoutes::CampaignId)
                            .col(CampaignRoutes::RouteId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_routes_campaign")
                            .from(CampaignRoutes::Table, CampaignRoutes::CampaignId)
                            .to(Campaigns::Table, Campaigns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_campaign_routes_route")
                            .from(CampaignRoutes::Table, CampaignRoutes::RouteId)
                            .to(Routes::Table, Routes::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CampaignRoutes::Table.into_iden(),
            CampaignOrgs::Table.into_iden(),
            Campaigns::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
