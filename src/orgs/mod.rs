//! The organisation tree: 行业党委 → 企业党组织 → 党支部. Every admin power is scoped by it.
pub mod dto;
pub mod endpoints;
pub mod service;
