//! What the flagship experiments share: where their hosts are ([`testbed`]), so that
//! each runs unchanged on machines over ssh, in network namespaces of this machine, or
//! over loopback.

pub mod testbed;

pub use testbed::{Kind, Testbed, TestbedArgs, TestbedError};
