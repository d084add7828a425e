//! The organisation tree (materialized path), org membership, granted roles, invite codes, the
//! audit log, and the member fields the admin views need (phone, mobile member's city).
use sea_orm_migration::{prelude::*, schema::*};

use crate::columns::{utc, utc_null};
use crate::m20261122_000001_members_and_auth::Members;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    ParentId,
    Kind,
    Name,
    Path,
    Depth,
    EnterpriseName,
    CreditCode,
    StaffCount,
    ContactName,
    ContactPhone,
    Region,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgMembers {
    Table,
    MemberId,
    OrgId,
    JoinedAt,
}

#[derive(DeriveIden)]
enum MemberRoles {
    Table,
    Id,
    MemberId,
    Role,
    OrgId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgInvites {
    Table,
    Id,
    OrgId,
    Code,
    MaxUses,
    UsedCount,
    ExpiresAt,
    CreatedBy,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    EntityType,
    EntityId,
    ScopePath,
    Before,
    After,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MembersNew {
    #[sea_orm(iden = "members")]
    Table,
    Phone,
    MobileCity,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_database_backend();

        manager
            .create_table(
                Table::create()
                    .table(Orgs::Table)
                    .col(big_pk_auto(Orgs::Id))
                    .col(big_integer_null(Orgs::ParentId))
                    .col(string_len(Orgs::Kind, 32))
                    .col(string_len(Orgs::Name, 128))
                    // "/1/7/42/": the ids from the root down. A subtree is the range
                    // [path, path with its last "/" replaced by "0"), one indexed scan.
                    .col(string_len_uniq(Orgs::Path, 255))
                    .col(integer(Orgs::Depth))
                    // 一企一档, on `party_org` only.
                    .col(string_len_null(Orgs::EnterpriseName, 128))
                    .col(string_len_null(Orgs::CreditCode, 18))
                    .col(integer_null(Orgs::StaffCount))
                    .col(string_len_null(Orgs::ContactName, 64))
                    .col(string_len_null(Orgs::ContactPhone, 20))
                    .col(string_len_null(Orgs::Region, 64))
                    .col(utc(db, Orgs::CreatedAt))
                    .col(utc(db, Orgs::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_orgs_parent",
                        (Orgs::Table, Orgs::ParentId),
                        (Orgs::Table, Orgs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_orgs_parent")
                    .table(Orgs::Table)
                    .col(Orgs::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrgMembers::Table)
                    // One org per member: the primary key decides concurrent joins.
                    .col(big_integer(OrgMembers::MemberId).primary_key())
                    .col(big_integer(OrgMembers::OrgId))
                    .col(utc(db, OrgMembers::JoinedAt))
                    .foreign_key(
                        fk(
                            "fk_org_members_member",
                            (OrgMembers::Table, OrgMembers::MemberId),
                            (Members::Table, Members::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk(
                        "fk_org_members_org",
                        (OrgMembers::Table, OrgMembers::OrgId),
                        (Orgs::Table, Orgs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_org_members_org")
                    .table(OrgMembers::Table)
                    .col(OrgMembers::OrgId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MemberRoles::Table)
                    .col(big_pk_auto(MemberRoles::Id))
                    .col(big_integer(MemberRoles::MemberId))
                    .col(string_len(MemberRoles::Role, 32))
                    // The org scope of `volunteer` / `org_admin`; NULL for `platform_admin`.
                    .col(big_integer_null(MemberRoles::OrgId))
                    .col(utc(db, MemberRoles::CreatedAt))
                    .foreign_key(
                        fk(
                            "fk_member_roles_member",
                            (MemberRoles::Table, MemberRoles::MemberId),
                            (Members::Table, Members::Id),
                        )
                        .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(&mut fk(
                        "fk_member_roles_org",
                        (MemberRoles::Table, MemberRoles::OrgId),
                        (Orgs::Table, Orgs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_member_roles_member_role_org")
                    .table(MemberRoles::Table)
                    .col(MemberRoles::MemberId)
                    .col(MemberRoles::Role)
                    .col(MemberRoles::OrgId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrgInvites::Table)
                    .col(big_pk_auto(OrgInvites::Id))
                    .col(big_integer(OrgInvites::OrgId))
                    .col(string_len_uniq(OrgInvites::Code, 32))
                    .col(integer(OrgInvites::MaxUses))
                    .col(integer(OrgInvites::UsedCount).default(0))
                    .col(utc(db, OrgInvites::ExpiresAt))
                    .col(big_integer(OrgInvites::CreatedBy))
                    .col(utc(db, OrgInvites::CreatedAt))
                    .col(utc_null(db, OrgInvites::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_org_invites_org",
                        (OrgInvites::Table, OrgInvites::OrgId),
                        (Orgs::Table, Orgs::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_org_invites_creator",
                        (OrgInvites::Table, OrgInvites::CreatedBy),
                        (Members::Table, Members::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_org_invites_org")
                    .table(OrgInvites::Table)
                    .col(OrgInvites::OrgId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(big_pk_auto(AuditLog::Id))
                    // No foreign key: the log outlives what it talks about.
                    .col(big_integer(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::EntityType, 32))
                    .col(big_integer(AuditLog::EntityId))
                    // The org path the entry belongs to, so org admins see their subtree's.
                    .col(string_len_null(AuditLog::ScopePath, 255))
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .col(utc(db, AuditLog::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_audit_log_scope", AuditLog::ScopePath),
            ("ix_audit_log_actor", AuditLog::ActorId),
            ("ix_audit_log_time", AuditLog::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditLog::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_entity")
                    .table(AuditLog::Table)
                    .col(AuditLog::EntityType)
                    .col(AuditLog::EntityId)
                    .to_owned(),
            )
            .await?;

        // One column per ALTER: SQLite takes no more.
        for col in [
            string_len_null(MembersNew::Phone, 20),
            string_len_null(MembersNew::MobileCity, 64),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MembersNew::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [MembersNew::MobileCity, MembersNew::Phone] {
            manager
                .alter_table(
                    Table::alter()
                        .table(MembersNew::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            AuditLog::Table.into_iden(),
            OrgInvites::Table.into_iden(),
            MemberRoles::Table.into_iden(),
            OrgMembers::Table.into_iden(),
            Orgs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
