//! The experiments' binaries as a user runs them, in one test binary (one link instead of
//! one per file): each module is the tests of one experiment.

mod common;
#[cfg(feature = "g5k")]
mod g5k_deploy_run;
#[cfg(feature = "g5k")]
mod g5k_reserve_run;
mod netcat;
mod remote_traffic;
mod sweep_demo;
mod sweep_demo_terminal;
mod tcp_congestion;
#[cfg(feature = "g5k")]
mod tcp_congestion_g5k;
