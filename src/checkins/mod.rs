//! Check-ins (线上打卡): the server, not the phone, decides whether one is real.
pub mod dto;
pub mod endpoints;
pub mod service;
