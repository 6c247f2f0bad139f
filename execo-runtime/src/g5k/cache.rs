//! The reference data of Grid'5000 (sites, clusters, nodes, network equipment), fetched
//! whole from the API and kept on disk, so that experiments ask the API once per change
//! of the reference rather than once per question, and keep working when it is away.
//!
//! Why it is built this way:
//! - Keyed by the reference's `version` (the commit every answer carries): `GET /` is
//!   cheap, and the whole tree is fetched again only when that version moved (execo's
//!   `api_commit` check), with `?deep=1` where the server gives the tree in one answer,
//!   else execo's walk (sites, then their clusters and equipment, then the clusters'
//!   nodes) with the client's bounded concurrency.
//! - When the API cannot be read, the cached data is used as is, with a warning
//!   ([`Origin::Stale`] says why), as execo does.
//! - One file per API endpoint (URI and additional arguments), written with
//!   execo's `write_atomic` (the sweeper's; a temporary file, fsync, rename, fsync of the
//!   directory): several processes sharing a home over NFS read the old file or the new
//!   one, never a torn one, and no lock is needed.
//! - Answers are decoded on the caller's thread; the kernel's loop only moves bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::api::Api;
use super::{G5kError, Settings};

/// The cache file's format; a file of another format is fetched again.
const FORMAT: u32 = 1;

/// Where the data in hand came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// Fetched from the API now (the cache was missing or older).
    #[default]
    Fetched,
    /// Read from the cache, which holds the API's current version.
    Cached,
    /// Read from the cache because the API could not be read; `cause` says why.
    Stale {
        /// The error met asking the API.
        cause: String,
    },
}

/// A site's cluster or a cluster's node, where it sits and its attributes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) site: String,
    /// The cluster, for nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cluster: Option<String>,
    pub(crate) attrs: Value,
}

/// Grid'5000's reference data, one version of it. The getters are in
/// [`reference`](super::reference).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reference {
    format: u32,
    /// The reference's version (the commit `GET /` names).
    pub version: String,
    /// The API it came from.
    pub api_uri: String,
    /// When it was fetched from the API (seconds since the epoch).
    pub fetched_at: u64,
    /// Site uid → the site's attributes.
    pub(crate) sites: BTreeMap<String, Value>,
    /// Cluster uid → its site and attributes (every queue, not only the default ones).
    pub(crate) clusters: BTreeMap<String, Entry>,
    /// Node uid (`taurus-1`) → its site, cluster and attributes.
    pub(crate) hosts: BTreeMap<String, Entry>,
    /// Site uid → the site's network equipment.
    pub(crate) network: BTreeMap<String, Vec<Value>>,
    /// The backbone's network equipment (`/network_equipments`).
    pub(crate) backbone: Vec<Value>,
    #[serde(skip)]
    origin: Origin,
}

impl Reference {
    /// Where this data came from: the API now, the cache, or the cache for want of the
    /// API.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The reference data, from the cache in `cache_dir` when it holds the API's current
    /// version, else fetched whole and cached; the cache as is, with a warning, when the
    /// API cannot be read. An error only when neither gives it.
    pub async fn load(api: &Api, cache_dir: &Path) -> Result<Reference, G5kError> {
        let file = cache_file(cache_dir, api);
        let cached = read_cache(&file, api);
        let stale = |cached: Reference, e: &G5kError| {
            tracing::warn!(
                "using the cached Grid'5000 reference data of version {} ({}): {e}",
                cached.version,
                file.display()
            );
            Reference {
                origin: Origin::Stale {
                    cause: e.to_string(),
                },
                ..cached
            }
        };
        let version = match root_version(api).await {
            Ok(v) => v,
            Err(e) => return cached.map(|c| stale(c, &e)).ok_or(e),
        };
        if let Some(c) = &cached
            && c.version == version
        {
            return Ok(Reference {
                origin: Origin::Cached,
                ..c.clone()
            });
        }
        let fresh = match fetch_tree(api, version).await {
            Ok(r) => r,
            Err(e) => return cached.map(|c| stale(c, &e)).ok_or(e),
        };
        if let Err(e) = write_cache(&file, &fresh) {
            tracing::warn!("{e}");
        }
        Ok(fresh)
    }

    /// [`load`](Self::load), blocking.
    pub fn blocking_load(api: &Api, cache_dir: &Path) -> Result<Reference, G5kError> {
        crate::kernel::block_on(Reference::load(api, cache_dir)).unwrap_or_else(|| {
            Err(G5kError::new(
                "load",
                "the reference data",
                "a blocking call was made on the kernel's thread (from a handler); use the \
                 async call",
            ))
        })
    }

    /// The reference data of the configured API ([`Settings`] of the execo configuration
    /// file), loaded once per process (execo's `get_api_data`) with [`load`](Self::load).
    pub async fn global() -> Result<Arc<Reference>, G5kError> {
        if let Some(r) = GLOBAL.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(r);
        }
        let settings = &crate::Config::global().g5k;
        let api = Api::new(settings)?;
        let r = Arc::new(Reference::load(&api, &cache_dir(settings)).await?);
        let mut g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        Ok(g.get_or_insert(r).clone())
    }

    /// [`global`](Self::global), blocking.
    pub fn blocking_global() -> Result<Arc<Reference>, G5kError> {
        crate::kernel::block_on(Reference::global()).unwrap_or_else(|| {
            Err(G5kError::new(
                "load",
                "the reference data",
                "a blocking call was made on the kernel's thread (from a handler); use the \
                 async call",
            ))
        })
    }
}

static GLOBAL: Mutex<Option<Arc<Reference>>> = Mutex::new(None);

/// The cache directory: [`Settings::cache_dir`], else `~/.cache/execo/g5k`.
pub fn cache_dir(settings: &Settings) -> PathBuf {
    if let Some(d) = &settings.cache_dir {
        return d.clone();
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(h) => Path::new(&h).join(".cache/execo/g5k"),
        None => std::env::temp_dir().join("execo-g5k-cache"),
    }
}

/// The cache file of `api` in `dir`: one per base URI and additional arguments, since
/// they choose the data (`?branch=testing`).
pub fn cache_file(dir: &Path, api: &Api) -> PathBuf {
    // FNV-1a: stable across runs and builds, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in api.url("").bytes().chain(api.url("?").bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let key = format!("{:?}", api.args());
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    dir.join(format!("reference-{h:016x}.json"))
}

/// The cached data, when the file is there, readable, of this format and of this API.
fn read_cache(file: &Path, api: &Api) -> Option<Reference> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(
                "cannot read the Grid'5000 reference cache {}: {e}",
                file.display()
            );
            return None;
        }
    };
    match serde_json::from_slice::<Reference>(&bytes) {
        Ok(r) if r.format == FORMAT && r.api_uri == api.base() => Some(r),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(
                "ignoring the Grid'5000 reference cache {}: {e}",
                file.display()
            );
            None
        }
    }
}

fn write_cache(file: &Path, r: &Reference) -> Result<(), G5kError> {
    let fail = |cause: String| G5kError::new("write", file.display().to_string(), cause);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    let bytes = serde_json::to_vec(r).map_err(|e| fail(e.to_string()))?;
    crate::sweep::files::write_atomic(file, &bytes, true).map_err(|e| fail(e.to_string()))
}

/// The reference's current version, from `GET /`.
async fn root_version(api: &Api) -> Result<String, G5kError> {
    let root = api.get("", &[]).await?;
    root.get("version")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| G5kError::new("read", api.url(""), "the answer has no `version`"))
}

/// The whole tree at `version`: in one answer with `?deep=1` when the server gives it,
/// else by walking the collections.
async fn fetch_tree(api: &Api, version: String) -> Result<Reference, G5kError> {
    let deep = api.get("", &[("deep", "1")]).await?;
    if let Some(r) = from_deep(api, &version, &deep) {
        return Ok(r);
    }
    walk(api, version).await
}

fn empty(api: &Api, version: String) -> Reference {
    Reference {
        format: FORMAT,
        version,
        api_uri: api.base().to_string(),
        fetched_at: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        sites: BTreeMap::new(),
        clusters: BTreeMap::new(),
        hosts: BTreeMap::new(),
        network: BTreeMap::new(),
        backbone: Vec::new(),
        origin: Origin::Fetched,
    }
}

/// An item without its `links` (they point back into the API and are not reference
/// data) and with its `uid`, or `None` when it has no uid.
fn item(mut v: Value) -> Option<(String, Value)> {
    let m = v.as_object_mut()?;
    m.remove("links");
    let uid = m.get("uid")?.as_str()?.to_string();
    Some((uid, v))
}

/// The children of `v` under `key`, in any of the shapes a tree can hold them: an array
/// of items, an object by uid, or a collection `{items: [...]}`.
fn children(v: &Value, key: &str) -> Option<Vec<Value>> {
    match v.get(key)? {
        Value::Array(a) => Some(a.clone()),
        Value::Object(m) if m.get("items").is_some_and(Value::is_array) => {
            m.get("items").and_then(Value::as_array).cloned()
        }
        Value::Object(m) => Some(
            m.iter()
                .map(|(uid, child)| {
                    let mut child = child.clone();
                    if let Some(o) = child.as_object_mut() {
                        o.entry("uid").or_insert_with(|| Value::String(uid.clone()));
                    }
                    child
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The tree of a `?deep=1` answer, or `None` when the answer is not a tree (a server
/// without `deep`, which answers `/` as is).
fn from_deep(api: &Api, version: &str, root: &Value) -> Option<Reference> {
    let sites = children(root, "sites")?;
    let mut r = empty(api, version.to_string());
    for site in sites {
        let clusters = children(&site, "clusters").unwrap_or_default();
        let equipment = children(&site, "network_equipments").unwrap_or_default();
        let (s, mut attrs) = item(site)?;
        if let Some(o) = attrs.as_object_mut() {
            o.remove("clusters");
            o.remove("network_equipments");
        }
        for cluster in clusters {
            let nodes = children(&cluster, "nodes").unwrap_or_default();
            let (c, mut cattrs) = item(cluster)?;
            if let Some(o) = cattrs.as_object_mut() {
                o.remove("nodes");
            }
            for (n, nattrs) in nodes.into_iter().filter_map(item) {
                r.hosts.insert(n, entry(&s, Some(&c), nattrs));
            }
            r.clusters.insert(c, entry(&s, None, cattrs));
        }
        r.network.insert(
            s.clone(),
            equipment
                .into_iter()
                .filter_map(|e| item(e).map(|x| x.1))
                .collect(),
        );
        r.sites.insert(s, attrs);
    }
    r.backbone = children(root, "network_equipments")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|e| item(e).map(|x| x.1))
        .collect();
    (!r.sites.is_empty()).then_some(r)
}

fn entry(site: &str, cluster: Option<&str>, attrs: Value) -> Entry {
    Entry {
        site: site.to_string(),
        cluster: cluster.map(str::to_string),
        attrs,
    }
}

/// execo's walk: the sites; then, all at once (the client bounds how many are under way),
/// each site's clusters (of every queue) and network equipment, and the backbone; then
/// each cluster's nodes.
async fn walk(api: &Api, version: String) -> Result<Reference, G5kError> {
    let mut r = empty(api, version);
    let sites: Vec<(String, Value)> = api
        .get_collection("sites", &[])
        .await?
        .into_iter()
        .filter_map(item)
        .collect();
    let backbone = api.start_collection("network_equipments", &[]);
    let per_site: Vec<_> = sites
        .iter()
        .map(|(s, _)| {
            (
                api.start_collection(&format!("sites/{s}/clusters"), &[("queues", "all")]),
                api.start_collection(&format!("sites/{s}/network_equipments"), &[]),
            )
        })
        .collect();
    let mut clusters = Vec::new();
    for ((s, attrs), (cl, eq)) in sites.into_iter().zip(per_site) {
        for (c, cattrs) in cl.await?.into_iter().filter_map(item) {
            let nodes = api.start_collection(&format!("sites/{s}/clusters/{c}/nodes"), &[]);
            clusters.push((s.clone(), c.clone(), nodes));
            r.clusters.insert(c, entry(&s, None, cattrs));
        }
        let eq = eq.await?.into_iter().filter_map(|e| item(e).map(|x| x.1));
        r.network.insert(s.clone(), eq.collect());
        r.sites.insert(s, attrs);
    }
    r.backbone = backbone
        .await?
        .into_iter()
        .filter_map(|e| item(e).map(|x| x.1))
        .collect();
    for (s, c, nodes) in clusters {
        for (n, nattrs) in nodes.await?.into_iter().filter_map(item) {
            r.hosts.insert(n, entry(&s, Some(&c), nattrs));
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::g5k::api::ApiOptions;
    use serde_json::json;

    fn api() -> Api {
        Api::with_options(ApiOptions {
            uri: "http://127.0.0.1:9/3.0/".into(),
            credentials: None,
            verify_ssl: true,
            timeout: std::time::Duration::from_secs(1),
            additional_args: BTreeMap::new(),
        })
        .unwrap()
    }

    #[test]
    fn a_deep_tree_is_read_in_either_shape() {
        let arrays = json!({"version": "v1", "sites": [{"uid": "lyon", "links": [],
            "clusters": [{"uid": "taurus", "nodes": [{"uid": "taurus-1"}]}],
            "network_equipments": [{"uid": "gw", "kind": "router"}]}],
            "network_equipments": [{"uid": "renater-lyon"}]});
        let by_uid = json!({"version": "v1", "sites": {"lyon": {
            "clusters": {"taurus": {"nodes": {"taurus-1": {}}}},
            "network_equipments": {"gw": {"kind": "router"}}}},
            "network_equipments": {"renater-lyon": {}}});
        for tree in [arrays, by_uid] {
            let r = from_deep(&api(), "v1", &tree).unwrap();
            assert_eq!(r.hosts["taurus-1"].cluster.as_deref(), Some("taurus"));
            assert_eq!(r.clusters["taurus"].site, "lyon");
            assert_eq!(r.network["lyon"].len(), 1);
            assert_eq!(r.backbone.len(), 1);
            assert!(r.sites["lyon"].get("clusters").is_none());
            assert!(r.sites["lyon"].get("links").is_none());
        }
        assert!(from_deep(&api(), "v1", &json!({"version": "v1", "links": []})).is_none());
    }

    #[test]
    fn the_cache_file_depends_on_the_endpoint() {
        let a = api();
        let b = Api::with_options(ApiOptions {
            uri: "http://127.0.0.1:9/3.0/".into(),
            credentials: None,
            verify_ssl: true,
            timeout: std::time::Duration::from_secs(1),
            additional_args: [("branch".to_string(), "testing".to_string())].into(),
        })
        .unwrap();
        let d = Path::new("/x");
        assert_eq!(cache_file(d, &a), cache_file(d, &a.clone()));
        assert_ne!(cache_file(d, &a), cache_file(d, &b));
    }
}
