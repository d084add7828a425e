//! Campaigns (主题活动): time-boxed programmes for some orgs (with their subtrees), bundling routes.
pub mod dto;
pub mod endpoints;
pub mod service;
