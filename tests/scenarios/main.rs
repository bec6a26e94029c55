//! Scenario tests across crates: real device database files, a real server on loopback.

mod auto_restart;
mod bad_input;
mod conflict;
mod history;
mod hostile;
mod https;
mod inspections;
mod interrupted;
mod layering;
mod openapi;
mod photos;
mod postgres_backend;
mod pull_pages;
mod replicas;
mod reports;
mod roles;
mod rural;
mod s3;
mod scope;
mod village_work;
