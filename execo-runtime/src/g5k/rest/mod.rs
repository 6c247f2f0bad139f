//! Jobs and deployments through the Grid'5000 REST API: the second way to reserve
//! nodes, beside OAR's commands on a frontend ([`super::oar`]), for machines that reach
//! the API but not a frontend's shell. [`super::Job`] hides which one is used.
//!
//! Parts: [`site`] (one site of the API: requests paced to one a second, 5xx retried
//! with backoff, errors in one shape), [`jobs`] (submit, read, list every page, find
//! again by name, wait for the start, extend the walltime, delete), [`deployments`]
//! (deploy an environment, follow it, each node's OK or KO with its error).

pub mod deployments;
pub mod jobs;
pub mod site;

pub use deployments::{DeploymentRequest, DeploymentResult};
pub use site::ApiSite;
