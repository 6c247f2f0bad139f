//! Grid'5000 (feature `g5k`): what execo_g5k gives, typed.
//!
//! Experiments on Grid'5000 find nodes in the reference API, reserve them with OAR,
//! deploy them with kadeploy and release them at the end. Each step has its module;
//! they share the configuration ([`Settings`], `[g5k]` in the execo configuration file),
//! the frontends their commands run on ([`frontend`]) and one error shape
//! ([`G5kError`]), and never hold credentials inside Grid'5000, where the API needs none.

pub mod error;
pub mod frontend;
// OAR (reserve, wait, nodes, release)
pub mod oar;
pub mod settings;

pub use error::G5kError;
pub use frontend::Frontend;
pub use settings::Settings;
