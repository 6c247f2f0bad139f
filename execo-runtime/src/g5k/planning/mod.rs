//! Planning (execo_g5k's `planning`): when, and how many, Grid'5000 nodes are free.
//!
//! From each site's OAR data ([`source`]: the API's `/sites/{site}/status`) planning
//! builds busy and free intervals per host, cluster, site and KaVLAN ([`build`], with
//! execo's own interval steps in [`intervals`]), dead and maintenance nodes left out;
//! then [`slots`] finds when a walltime fits (`compute_slots`, `find_first_slot`,
//! `find_max_slot`, `find_free_slot`), [`distribute`] spreads a wanted number of nodes
//! over sites and clusters (`distribute_hosts`), and [`specs`] writes the OAR
//! submissions that take them (`get_jobs_specs`), one per site with a common start and
//! walltimes that end together. [`gantt`] draws a planning and its free slots (feature
//! `plot`).
//!
//! Results are execo's on the same data, slot for slot: the same steps in the same order,
//! quirks included (see [`intervals`]). What differs is on purpose: the sites are read
//! at once and a site that does not answer is dropped with a warning naming it (execo
//! drops it too) and recorded in [`Planning::dropped`]; elements, wanted resources and
//! walltimes that cannot be are errors naming them rather than silently empty answers;
//! outputs are ordered (sites, clusters and hosts sorted), where execo's follow hash
//! order.
//!
//! Grid'5000's usage charter is not built in: [`PlanningRequest::charter`] takes a
//! function giving the busy periods between two dates (a charter module plugs in there).

pub mod build;
pub mod distribute;
#[cfg(feature = "plot")]
pub mod gantt;
pub mod intervals;
pub mod slots;
pub mod source;
pub mod specs;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::g5k::reference::Queues;
use crate::g5k::{Api, G5kError, Reference};

pub use distribute::{Resources, distribute_hosts};
pub use slots::{
    KavlanFree, Slot, compute_slots, find_first_slot, find_free_slot, find_max_slot, first_fit,
};
pub use source::{JobSpan, NodeState, SiteData};
pub use specs::{get_jobs_specs, on_slot, rest_submission};

/// A time interval, `(start, end)` in unix seconds.
pub type Span = (i64, i64);

/// One element's (a host's, a VLAN's) busy and free intervals, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElementPlanning {
    /// When it is taken.
    pub busy: Vec<Span>,
    /// When it is not, within the planning's window.
    pub free: Vec<Span>,
}

/// One site's planning.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SitePlanning {
    /// Cluster → host (fully qualified) → its planning.
    pub clusters: BTreeMap<String, BTreeMap<String, ElementPlanning>>,
    /// KaVLAN (`kavlan-4`) → its planning, when VLANs were asked for.
    pub vlans: Option<BTreeMap<String, ElementPlanning>>,
}

/// A planning (execo's `get_planning` result), over `[start, end]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Planning {
    /// Site → its planning.
    pub sites: BTreeMap<String, SitePlanning>,
    /// The window's start (unix seconds).
    pub start: i64,
    /// The window's end.
    pub end: i64,
    /// The sites that could not be read, with why; they are not in `sites`.
    pub dropped: Vec<(String, String)>,
}

impl Planning {
    /// The hosts of the planning, with their site and cluster.
    pub fn hosts(&self) -> impl Iterator<Item = (&str, &str, &str, &ElementPlanning)> {
        self.sites.iter().flat_map(|(s, sp)| {
            sp.clusters.iter().flat_map(move |(c, hosts)| {
                hosts
                    .iter()
                    .map(move |(h, el)| (s.as_str(), c.as_str(), h.as_str(), el))
            })
        })
    }
}

/// A function giving the busy periods between two dates (unix seconds).
pub type Charter = Arc<dyn Fn(i64, i64) -> Vec<Span> + Send + Sync>;

/// What to plan: execo's `get_planning` arguments.
#[derive(Clone)]
pub struct PlanningRequest {
    elements: Vec<String>,
    vlan: bool,
    start: Option<i64>,
    end: Option<i64>,
    ignore_besteffort: bool,
    queues: Option<Vec<String>>,
    charter: Option<Charter>,
}

impl std::fmt::Debug for PlanningRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlanningRequest")
            .field("elements", &self.elements)
            .field("vlan", &self.vlan)
            .field("start", &self.start)
            .field("end", &self.end)
            .field("ignore_besteffort", &self.ignore_besteffort)
            .field("queues", &self.queues)
            .field("charter", &self.charter.is_some())
            .finish()
    }
}

/// How long a planning looks ahead by default (execo: 4 weeks and a minute).
pub const DEFAULT_WINDOW: i64 = 4 * 7 * 86_400 + 60;

impl PlanningRequest {
    /// The planning of `elements`: `grid5000`, sites, clusters, hosts.
    pub fn new<S: Into<String>>(elements: impl IntoIterator<Item = S>) -> Self {
        PlanningRequest {
            elements: elements.into_iter().map(Into::into).collect(),
            vlan: false,
            start: None,
            end: None,
            ignore_besteffort: true,
            queues: Some(vec!["default".into()]),
            charter: None,
        }
    }

    /// Also plan the sites' KaVLANs.
    pub fn vlan(mut self, on: bool) -> Self {
        self.vlan = on;
        self
    }

    /// The window's start (default: in a minute).
    pub fn start(mut self, t: i64) -> Self {
        self.start = Some(t);
        self
    }

    /// The window's end (default: [`DEFAULT_WINDOW`] after the start).
    pub fn end(mut self, t: i64) -> Self {
        self.end = Some(t);
        self
    }

    /// Count best-effort jobs as busy (execo's `ignore_besteffort=False`).
    pub fn ignore_besteffort(mut self, on: bool) -> Self {
        self.ignore_besteffort = on;
        self
    }

    /// Clusters of these OAR queues only (default `default`); `None` for all.
    pub fn queues(mut self, q: Option<Vec<String>>) -> Self {
        self.queues = q;
        self
    }

    /// Busy periods added to every element (execo's `out_of_chart`): `f(start, end)`
    /// gives them for the window.
    pub fn charter(mut self, f: impl Fn(i64, i64) -> Vec<Span> + Send + Sync + 'static) -> Self {
        self.charter = Some(Arc::new(f));
        self
    }

    /// The window, `start` defaulting to a minute from now.
    pub fn window(&self) -> Result<Span, G5kError> {
        let start = self
            .start
            .unwrap_or_else(|| crate::g5k::oar::time::now_unix() + 60);
        let end = self.end.unwrap_or(start + DEFAULT_WINDOW);
        if end <= start {
            return Err(G5kError::new(
                "plan",
                format!("the window {start}..{end}"),
                "its end is not after its start",
            ));
        }
        Ok((start, end))
    }

    /// The sites the elements name, sorted.
    pub fn sites(&self, r: &Reference) -> Result<Vec<String>, G5kError> {
        Ok(build::sites_of(r, &self.elements, self.q(&mut Vec::new()))?.0)
    }

    fn q<'a>(&'a self, refs: &'a mut Vec<&'a str>) -> Queues<'a> {
        match &self.queues {
            None => Queues::All,
            Some(q) => {
                refs.extend(q.iter().map(String::as_str));
                Queues::Any(refs)
            }
        }
    }

    /// The planning from the sites' data, already read: a site whose data is an error
    /// is dropped with a warning (all of them dropped is an error).
    pub fn from_data(
        &self,
        r: &Reference,
        data: BTreeMap<String, Result<SiteData, G5kError>>,
    ) -> Result<Planning, G5kError> {
        let (start, end) = self.window()?;
        let mut refs = Vec::new();
        let queues = self.q(&mut refs);
        let (sites, elements) = build::sites_of(r, &self.elements, queues)?;
        let mut planning = Planning {
            start,
            end,
            ..Default::default()
        };
        for site in &sites {
            match data.get(site) {
                Some(Ok(d)) => {
                    let sp = build::site_planning(
                        r,
                        site,
                        queues,
                        self.vlan,
                        d,
                        self.ignore_besteffort,
                    )?;
                    planning.sites.insert(site.clone(), sp);
                }
                Some(Err(e)) => {
                    tracing::warn!("planning without site {site}: {e}");
                    planning.dropped.push((site.clone(), e.to_string()));
                }
                None => {
                    tracing::warn!("planning without site {site}: no data for it");
                    planning
                        .dropped
                        .push((site.clone(), "no data for it".to_string()));
                }
            }
        }
        if planning.sites.is_empty() {
            let why: Vec<String> = planning
                .dropped
                .iter()
                .map(|(s, e)| format!("{s}: {e}"))
                .collect();
            return Err(G5kError::new(
                "plan",
                sites.join(", "),
                format!("no site could be read ({})", why.join("; ")),
            ));
        }
        let charter = self.charter.as_ref().map(|f| f(start, end));
        build::finish(&mut planning, charter.as_deref());
        build::clean(r, &mut planning, &elements);
        Ok(planning)
    }

    /// The planning, each site's `/status` read from `api` at once.
    pub async fn get(&self, api: &Api, r: &Reference) -> Result<Planning, G5kError> {
        self.window()?;
        let sites = self.sites(r)?;
        let reads: Vec<_> = sites
            .iter()
            .map(|s| {
                let api = api.clone();
                let s = s.clone();
                async move { source::status(&api, &s).await }
            })
            .collect();
        let mut data = BTreeMap::new();
        for (site, d) in sites.into_iter().zip(join_all(reads).await) {
            data.insert(site, d);
        }
        self.from_data(r, data)
    }

    /// [`get`](Self::get), blocking.
    pub fn blocking_get(&self, api: &Api, r: &Reference) -> Result<Planning, G5kError> {
        crate::kernel::block_on(self.get(api, r)).unwrap_or_else(|| {
            Err(G5kError::new(
                "plan",
                self.elements.join(", "),
                "a blocking call was made on the kernel's thread (from a handler); use the \
                 async call",
            ))
        })
    }
}

/// Runs the futures together, their results in order.
async fn join_all<T>(futs: Vec<impl std::future::Future<Output = T>>) -> Vec<T> {
    let mut set = Vec::with_capacity(futs.len());
    let mut pinned: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<T>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    set.extend(done.into_iter().flatten());
    set
}
