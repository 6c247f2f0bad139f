//! The network of Grid'5000 as a graph (execo's `execo_g5k.topology`): hosts, switches,
//! routers, their linecards and the RENATER backbone, with bandwidth (and latency on the
//! backbone) on the links, built from the reference data, so that experiments can ask
//! which hosts share a switch, how a site reaches the backbone, and draw it.
//!
//! Parts: [`graph`] (the multigraph, networkx's orders), `build` (execo's walk of the
//! reference: `add_host`, `add_equip`, `add_backbone`), `queries` (the getters),
//! `render` (the figure, PNG or SVG, with the `plot` feature).
//!
//! Where this differs from execo 2.8.2, on purpose:
//! - equipment with no `backplane_bps`, or a null one (lyon's `sneowise`, lille's
//!   `sw-admin6` in the current reference), and null rates are accepted: an unknown
//!   bandwidth bounds nothing (execo stops on a `KeyError` or a `TypeError`);
//! - an element that is no site, cluster or host is an error naming it (execo ignores
//!   it);
//! - [`G5kGraph::equip_hosts`] and [`G5kGraph::host_neighbours`] answer for switches
//!   as for routers (execo's look at a node named `equip` and fail).

pub mod graph;

mod build;
mod queries;
#[cfg(feature = "plot")]
mod render;

use std::sync::Arc;

pub use graph::{Edge, Graph, Kind, NodeData};

use super::Reference;

/// execo's `arbitrary_latency`: the latency of a backbone link whose port gives none, in
/// seconds.
pub const ARBITRARY_LATENCY: f64 = 2.25e-3;

/// The topology of some Grid'5000 sites, clusters or hosts (execo's `g5k_graph`).
/// Nodes are named as execo names them: hosts by their short name (`taurus-1`),
/// equipment as `uid.site` (`gw.lyon`), linecards as `uid-lcN.site`, backbone
/// equipment by its uid (`renater-lyon`).
#[derive(Clone, Debug)]
pub struct G5kGraph {
    graph: Graph,
    reference: Arc<Reference>,
    index: Arc<build::Index>,
    /// The reference data's version (execo's `api_commit`).
    pub api_commit: String,
}

impl G5kGraph {
    /// The graph.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The reference data it was built from.
    pub fn reference(&self) -> &Reference {
        &self.reference
    }
}
