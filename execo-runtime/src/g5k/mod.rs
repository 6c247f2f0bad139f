//! Grid'5000 (feature `g5k`): what execo_g5k gives, typed.
//!
//! Experiments on Grid'5000 find nodes in the reference API, reserve them with OAR,
//! deploy them with kadeploy and release them at the end. Each step has its module;
//! they share the configuration (`[g5k]` in the execo configuration file) and never
//! hold credentials inside Grid'5000, where the API needs none.

pub mod settings;

pub use settings::Settings;
