//! Procedural macros of execo: `remote!`, `#[params]` and `#[experiment]` arrive with
//! their own issue; this crate holds their place in the workspace so that the facade's
//! re-export path (`execo::`) is fixed from the start.
