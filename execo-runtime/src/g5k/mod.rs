//! Grid'5000 (feature `g5k`): what execo_g5k gives, typed.
//!
//! Experiments on Grid'5000 find nodes in the reference API, reserve them with OAR,
//! deploy them with kadeploy and release them at the end. Each step has its module;
//! they share the configuration ([`Settings`], `[g5k]` in the execo configuration file),
//! the frontends their commands run on ([`frontend`]) and one error shape
//! ([`G5kError`]), and never hold credentials inside Grid'5000, where the API needs none.
//!
//! - [`api`], [`cache`], [`reference`](mod@reference): the reference API, its on-disk cache, and
//!   execo's getters (sites, clusters, hosts, attributes, network equipment);
//! - [`oar`]: reserving nodes (oarsub, oarstat, oardel), waiting for them, releasing them;
//! - [`job`]: a job whichever backend submitted it, as experiments hold it;
//! - [`kadeploy`]: deploying environments on nodes;
//! - [`rest`]: jobs and deployments through the REST API (the other [`Backend`]);
//! - [`reservation`]: an experiment's nodes in one line (`taurus:2,walltime=1:00`):
//!   planned, reserved or reused, waited for, deployed, released;
//! - [`planning`]: when and how many nodes are free, and the submissions that take them;
//! - [`charter`]: the usage charter's hours (working days 09:00-19:00 Europe/Paris);
//! - [`topology`]: the network graph of the reference data, its queries and its figure;
//! - [`kaconsole`]: a node's serial console through kaconsole3.

pub mod api;
pub mod cache;
pub mod charter;
pub mod reference;

pub mod error;
pub mod frontend;
pub mod job;
pub mod kaconsole;
pub mod kadeploy;
pub mod oar;
pub mod planning;
pub mod reservation;
pub mod rest;
pub mod topology;

pub use crate::config::g5k::Settings;
pub use api::Api;
pub use cache::Reference;
pub use error::G5kError;
pub use frontend::Frontend;
pub use job::{Backend, Job};
pub use kaconsole::{Console, KaconsoleProcess};
pub use reservation::{NodeRequest, Reservation};
pub use rest::ApiSite;
