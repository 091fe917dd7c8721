//! An in-memory stand-in for a destination Directus, enough for the data step's native tests:
//! `GET /items` with an `_in` key filter and `fields` (or an `aggregate[count]`), `POST /items`
//! (all or nothing, like Directus' transaction), `PATCH /items` batches, singletons, key listing and
//! `DELETE /items` (see `keys`),
//! `POST /schema/diff` answering "in sync" and `GET /schema/snapshot` answering a given snapshot.
//! It enforces unique keys, foreign keys and a row-level rule, and overwrites `date_created` /
//! `user_created` on create and `date_updated` on update, as Directus' specials do.

mod keys;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};

use super::MemoryStore;
use crate::host::KeysRequest;
use crate::receive::{receive, rows_by_key, Store};
use crate::shared::http::{HttpRequest, HttpResponse, Method, Transport, TransportError};
use crate::shared::rows::{key_text, Row};
use crate::shared::wire::{RECEIVER_NAME, WIRE_VERSION};

type Rule = Box<dyn Fn(&str, &Row) -> Option<String>>;

pub struct FakeDirectus {
    pub tables: RefCell<BTreeMap<String, BTreeMap<String, Row>>>,
    keys: BTreeMap<String, String>,
    singletons: BTreeSet<String>,
    /// (collection, field, target collection)
    foreign_keys: Vec<(String, String, String)>,
    rule: Option<Rule>,
    /// Rows refused as Directus 12 refuses what its licence tier does not include (403).
    restricted: Option<Rule>,
    /// After this many writes, every request answers 503.
    outage_after: std::cell::Cell<Option<usize>>,
    /// Requests to this path are carried out, then their answer is lost, this many times.
    lost_answers: RefCell<Option<(String, usize)>>,
    receiver: Option<MemoryStore>,
    /// The receiver predates rows in the API's representation (its info does not say `apiRows`).
    receiver_predates_api_rows: bool,
    snapshot: Option<Value>,
    /// The user `GET /users/me` answers with (the token's user).
    me: Option<Row>,
    pub log: RefCell<Vec<String>>,
    /// Every batch the bulk receiver was sent, as sent.
    pub batches: RefCell<Vec<String>>,
}

fn error(status: u16, code: &str, message: &str) -> Result<HttpResponse, TransportError> {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }).to_string();
    Ok(HttpResponse { status, retry_after: None, location: None, body })
}

fn ok(data: Value) -> Result<HttpResponse, TransportError> {
    Ok(HttpResponse { status: 200, retry_after: None, location: None, body: json!({ "data": data }).to_string() })
}

impl FakeDirectus {
    /// `collections`: (name, key field).
    pub fn new(collections: &[(&str, &str)]) -> Self {
        FakeDirectus {
            tables: RefCell::new(collections.iter().map(|(c, _)| (c.to_string(), BTreeMap::new())).collect()),
            keys: collections.iter().map(|(c, k)| (c.to_string(), k.to_string())).collect(),
            singletons: BTreeSet::new(),
            foreign_keys: Vec::new(),
            rule: None,
            restricted: None,
            outage_after: std::cell::Cell::new(None),
            lost_answers: RefCell::new(None),
            receiver: None,
            receiver_predates_api_rows: false,
            snapshot: None,
            me: None,
            log: RefCell::default(),
            batches: RefCell::default(),
        }
    }

    /// More collections: (name, key field).
    pub fn with_collections(mut self, collections: &[(&str, &str)]) -> Self {
        for (collection, key) in collections {
            self.tables.get_mut().insert(collection.to_string(), BTreeMap::new());
            self.keys.insert(collection.to_string(), key.to_string());
        }
        self
    }

    /// Answer `GET /users/me` with `user` (`{id, role}`).
    pub fn me(mut self, user: Value) -> Self {
        self.me = Some(user.as_object().unwrap().clone());
        self
    }

    /// Answer `GET /schema/snapshot` with `snapshot`.
    pub fn with_snapshot(mut self, snapshot: &crate::pipeline::schema::Snapshot) -> Self {
        self.snapshot = Some(serde_json::to_value(snapshot).unwrap());
        self
    }

    pub fn singleton(mut self, collection: &str) -> Self {
        self.singletons.insert(collection.into());
        self
    }

    pub fn foreign_key(mut self, collection: &str, field: &str, target: &str) -> Self {
        self.foreign_keys.push((collection.into(), field.into(), target.into()));
        self
    }

    /// Refuse rows for which `rule` returns a message.
    pub fn rule(mut self, rule: impl Fn(&str, &Row) -> Option<String> + 'static) -> Self {
        self.rule = Some(Box::new(rule));
        self
    }

    /// Refuse rows for which `rule` returns a message with 403 `RESOURCE_RESTRICTED`, as Directus
    /// 12 refuses what its licence does not include.
    pub fn restricted(mut self, rule: impl Fn(&str, &Row) -> Option<String> + 'static) -> Self {
        self.restricted = Some(Box::new(rule));
        self
    }

    /// Carry out the next `times` requests to `path`, then lose their answer (a network error).
    pub fn lose_answers(self, path: &str, times: usize) -> Self {
        *self.lost_answers.borrow_mut() = Some((path.to_string(), times));
        self
    }

    /// The outage is over: requests are answered again.
    pub fn recover(&self) {
        self.outage_after.set(None);
    }

    pub fn outage_after(self, writes: usize) -> Self {
        self.outage_after.set(Some(writes));
        self
    }

    pub fn insert(&self, collection: &str, rows: Value) {
        let key = &self.keys[collection];
        let mut tables = self.tables.borrow_mut();
        for row in rows.as_array().unwrap() {
            let row = row.as_object().unwrap().clone();
            tables.get_mut(collection).unwrap().insert(key_text(&row[key]), row);
        }
    }

    pub fn rows(&self, collection: &str) -> Vec<Row> {
        self.tables.borrow()[collection].values().cloned().collect()
    }

    /// Requests other than reads.
    pub fn writes(&self) -> Vec<String> {
        self.log
            .borrow()
            .iter()
            .filter(|l| !l.starts_with("GET") && !l.starts_with("POST /schema/diff"))
            .cloned()
            .collect()
    }

    fn check(
        &self,
        tables: &BTreeMap<String, BTreeMap<String, Row>>,
        collection: &str,
        row: &Row,
    ) -> Option<(&'static str, String)> {
        for (c, field, target) in &self.foreign_keys {
            if c != collection {
                continue;
            }
            if let Some(value) = row.get(field).filter(|v| !v.is_null()) {
                if !tables.get(target).is_some_and(|t| t.contains_key(&key_text(value))) {
                    return Some((
                        "INVALID_FOREIGN_KEY",
                        format!("Invalid foreign key \"{field}\" in collection \"{collection}\"."),
                    ));
                }
            }
        }
        self.rule.as_ref().and_then(|rule| rule(collection, row)).map(|m| ("FAILED_VALIDATION", m))
    }

    fn handle(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let url = request.url.trim_start_matches("https://dest.example");
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        self.log.borrow_mut().push(format!("{} {}", request.method.as_str(), path));
        let params: BTreeMap<String, String> = query
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| {
                (
                    percent_decode_str(k).decode_utf8_lossy().to_string(),
                    percent_decode_str(v).decode_utf8_lossy().to_string(),
                )
            })
            .collect();
        if self.outage_after.get().is_some_and(|n| self.writes().len() > n) {
            return error(503, "SERVICE_UNAVAILABLE", "Service Unavailable");
        }
        if path == "/schema/diff" {
            return Ok(HttpResponse { status: 204, retry_after: None, location: None, body: String::new() });
        }
        if path == "/schema/snapshot" {
            return ok(self.snapshot.clone().expect("a destination with a snapshot"));
        }
        if path == "/users/me" {
            return match &self.me {
                Some(me) => ok(Value::Object(me.clone())),
                None => error(403, "FORBIDDEN", "You don't have permission to access this."),
            };
        }
        if let Some(id) = path.strip_prefix("/versions/").and_then(|rest| rest.strip_suffix("/save")) {
            let delta: Value = serde_json::from_str(request.body.as_deref().unwrap_or("null")).unwrap();
            let mut tables = self.tables.borrow_mut();
            let Some(version) = tables.get_mut("directus_versions").and_then(|t| t.get_mut(id)) else {
                return error(403, "FORBIDDEN", "You don't have permission to access this.");
            };
            version.insert("delta".into(), delta.clone());
            return ok(delta);
        }
        let collection = match path.strip_prefix("/items/") {
            Some(name) => percent_decode_str(name).decode_utf8_lossy().to_string(),
            None => format!("directus_{}", path.trim_start_matches('/')),
        };
        let Some(key) = self.keys.get(&collection).cloned() else {
            return error(403, "FORBIDDEN", "You don't have permission to access this.");
        };
        let body: Value = request.body.as_deref().map(|b| serde_json::from_str(b).unwrap()).unwrap_or(Value::Null);
        if Self::lists_or_deletes(request.method, &params) {
            return self.list_or_delete(request.method, &collection, &key, &params, &body);
        }
        let mut tables = self.tables.borrow_mut();
        let fields: Vec<&str> =
            params.get("fields").map(|f| f.split(',').collect()).unwrap_or_else(|| vec![key.as_str()]);
        let pick = |row: &Row| -> Value {
            Value::Object(fields.iter().map(|f| (f.to_string(), row.get(*f).cloned().unwrap_or(Value::Null))).collect())
        };
        match request.method {
            Method::Get if params.contains_key("aggregate[count]") => {
                let count = match self.receiver.as_ref().filter(|s| s.tables_described.contains_key(&collection)) {
                    Some(store) => store.rows(&collection).len(),
                    None => tables[&collection].len(),
                };
                ok(json!([{ "count": count.to_string() }]))
            }
            Method::Get if self.singletons.contains(&collection) => {
                let row = tables[&collection].values().next().map(pick);
                ok(row.unwrap_or(json!({ &key: null })))
            }
            Method::Get if !Self::is_key_lookup(&params, &key) => {
                // Any other filter the core sends (natural keys, e-mail addresses, the administrator).
                let filter: Value =
                    params.get("filter").map(|f| serde_json::from_str(f).unwrap()).unwrap_or(Value::Null);
                let found: Vec<Value> = tables[&collection]
                    .values()
                    .filter(|r| filter.is_null() || crate::host::memory::matches(&filter, r))
                    .map(pick)
                    .collect();
                ok(Value::Array(found))
            }
            Method::Get => {
                // `{key: {_in: […]}}`, or `{_and: [that, {field: {_null: true}}]}`.
                let filter: Value = serde_json::from_str(&params["filter"]).unwrap();
                let (by_key, null_field) = match filter.get("_and") {
                    Some(all) => (all[0].clone(), all[1].as_object().and_then(|f| f.keys().next().cloned())),
                    None => (filter, None),
                };
                let wanted: BTreeSet<String> = by_key[&key]["_in"].as_array().unwrap().iter().map(key_text).collect();
                let found: Vec<Value> = tables[&collection]
                    .values()
                    .filter(|r| wanted.contains(&key_text(&r[&key])))
                    .filter(|r| null_field.as_ref().is_none_or(|f| r.get(f).is_none_or(Value::is_null)))
                    .map(pick)
                    .collect();
                ok(Value::Array(found))
            }
            Method::Post => {
                let rows: Vec<Row> = body.as_array().unwrap().iter().map(|r| r.as_object().unwrap().clone()).collect();
                let mut staged = tables.clone();
                for mut row in rows {
                    if row.get(&key).is_none_or(Value::is_null) {
                        // The destination assigns the key.
                        let next = staged[&collection].len() + 1000;
                        let assigned =
                            if collection == "directus_versions" { json!(format!("v-{next}")) } else { json!(next) };
                        row.insert(key.clone(), assigned);
                    }
                    let k = key_text(&row[&key]);
                    if staged[&collection].contains_key(&k) {
                        return error(
                            400,
                            "RECORD_NOT_UNIQUE",
                            &format!("Value for field \"{key}\" in collection \"{collection}\" has to be unique."),
                        );
                    }
                    if let Some((code, message)) = self.check(&staged, &collection, &row) {
                        return error(400, code, &message);
                    }
                    if let Some(message) = self.restricted.as_ref().and_then(|rule| rule(&collection, &row)) {
                        return error(403, "RESOURCE_RESTRICTED", &message);
                    }
                    for (field, value) in [("date_created", json!("NOW")), ("user_created", json!("migrating-admin"))] {
                        if row.contains_key(field) {
                            row.insert(field.into(), value);
                        }
                    }
                    staged.get_mut(&collection).unwrap().insert(k, row);
                }
                *tables = staged;
                ok(json!([]))
            }
            Method::Patch => {
                let rows: Vec<Row> = match body {
                    Value::Array(items) => items.into_iter().map(|r| r.as_object().unwrap().clone()).collect(),
                    Value::Object(row) => vec![row],
                    _ => unreachable!(),
                };
                let mut staged = tables.clone();
                for patch in rows {
                    // A singleton's row is patched without its key.
                    let only = || staged[&collection].keys().next().cloned().unwrap_or_else(|| "1".into());
                    let k = match patch.get(&key) {
                        Some(value) => key_text(value),
                        None if self.singletons.contains(&collection) => only(),
                        None => return error(400, "INVALID_PAYLOAD", "a row without its key"),
                    };
                    let current = staged[&collection].get(&k).cloned();
                    let mut row: Map<String, Value> = match current {
                        Some(row) => row,
                        None if self.singletons.contains(&collection) => Map::new(),
                        None => return error(403, "FORBIDDEN", "You don't have permission to access this."),
                    };
                    let creating = row.is_empty();
                    row.extend(patch);
                    if !creating && row.contains_key("date_updated") {
                        row.insert("date_updated".into(), json!("NOW-UPDATED"));
                    }
                    if let Some((code, message)) = self.check(&staged, &collection, &row) {
                        return error(400, code, &message);
                    }
                    staged.get_mut(&collection).unwrap().insert(k, row);
                }
                *tables = staged;
                ok(json!([]))
            }
            Method::Delete => unreachable!("answered by list_or_delete"),
        }
    }
}

impl FakeDirectus {
    /// Whether a `GET` is the core's key lookup: `{key: {_in: […]}}`, or `{_and: [that, {field:
    /// {_null: true}}]}`.
    fn is_key_lookup(params: &BTreeMap<String, String>, key: &str) -> bool {
        let Some(filter) = params.get("filter").and_then(|f| serde_json::from_str::<Value>(f).ok()) else {
            return false;
        };
        let by_key = filter.get("_and").and_then(|all| all.get(0)).unwrap_or(&filter);
        by_key.get(key).and_then(|k| k.get("_in")).is_some() && params.get("fields").is_some_and(|f| f == key)
    }

    /// The receiver's database.
    pub fn store(&self) -> &MemoryStore {
        self.receiver.as_ref().expect("a destination with a receiver")
    }

    /// Give the destination a bulk receiver writing into `store`.
    pub fn with_receiver(mut self, store: MemoryStore) -> Self {
        self.receiver = Some(store);
        self
    }

    /// A receiver of an earlier release, which takes only rows as stored.
    pub fn with_receiver_before_api_rows(mut self, store: MemoryStore) -> Self {
        self.receiver = Some(store);
        self.receiver_predates_api_rows = true;
        self
    }

    /// The receiver's routes, answered by the real receiving command.
    async fn receive_route(&self, store: &MemoryStore, path: &str, body: &str) -> Result<HttpResponse, TransportError> {
        let answer =
            |value: Value| Ok(HttpResponse { status: 200, retry_after: None, location: None, body: value.to_string() });
        match path {
            "/migration/receive/info" => answer(
                json!({ "receiver": RECEIVER_NAME, "version": "test", "wire": WIRE_VERSION, "vendor": "sqlite", "apiRows": !self.receiver_predates_api_rows }),
            ),
            "/migration/receive/existing" => {
                let request: Value = serde_json::from_str(body).unwrap();
                let keys = KeysRequest {
                    collection: request["collection"].as_str().unwrap().into(),
                    primary_key: request["primaryKey"].as_str().unwrap().into(),
                    keys: request["keys"].as_array().unwrap().clone(),
                    fields: vec![],
                    raw: false,
                };
                answer(Value::Array(store.existing_keys(&keys).await.unwrap()))
            }
            "/migration/receive/lacking" => {
                let request: crate::receive::LackingRequest = serde_json::from_str(body).unwrap();
                answer(serde_json::to_value(crate::receive::lacking(store, &request).await.unwrap()).unwrap())
            }

            "/migration/receive/rows-by-key" => match rows_by_key(store, &serde_json::from_str(body).unwrap()).await {
                Ok(rows) => answer(serde_json::to_value(rows).unwrap()),
                Err(e) => error(e.status(), e.code(), &e.to_string()),
            },
            "/migration/receive/rows" => {
                self.batches.borrow_mut().push(body.to_string());
                match receive(store, &crate::shared::runtime::fake::FakeClock::default(), body.as_bytes()).await {
                    Ok(receipt) => answer(serde_json::to_value(receipt).unwrap()),
                    Err(e) => error(e.status(), e.code(), &e.to_string()),
                }
            }
            other => panic!("no receiver route {other}"),
        }
    }
}

impl Transport for &FakeDirectus {
    async fn send(&self, request: &HttpRequest, token: Option<&str>) -> Result<HttpResponse, TransportError> {
        let answer = self.answer(request, token.unwrap_or_default()).await;
        let path = request.url.trim_start_matches("https://dest.example").split('?').next().unwrap_or_default();
        let mut lost = self.lost_answers.borrow_mut();
        if let Some((lossy, times)) = lost.as_mut().filter(|(p, t)| p == path && *t > 0 && answer.is_ok()) {
            *times -= 1;
            return Err(TransportError::Network(format!(
                "{lossy}: connection reset after the request was carried out"
            )));
        }
        answer
    }
}

impl FakeDirectus {
    async fn answer(&self, request: &HttpRequest, _token: &str) -> Result<HttpResponse, TransportError> {
        let path =
            request.url.trim_start_matches("https://dest.example").split('?').next().unwrap_or_default().to_string();
        if path == "/utils/cache/clear" {
            self.log.borrow_mut().push(format!("POST {path}"));
            return Ok(HttpResponse { status: 204, retry_after: None, location: None, body: String::new() });
        }
        if let (Some(store), true) = (&self.receiver, path.starts_with("/migration/receive/")) {
            self.log.borrow_mut().push(format!("{} {path}", request.method.as_str()));
            return self.receive_route(store, &path, request.body.as_deref().unwrap_or_default()).await;
        }
        self.handle(request)
    }
}
