//! The WASM boundary, the only code that knows about JavaScript.
//!
//! Every exported method has the same shape: parse the request, call the core, convert the result
//! or the error. Host calls go the other way through the imported `MigrationHost`; the
//! destination is reached with `fetch`.

mod clock;
mod convert;
mod error;
mod fetch;
mod host;
mod job_store;
mod jobs;
mod network;
mod panic;
mod store;

use std::future::Future;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::commands::check::{check, CheckAnswer};
use crate::commands::migrate::MigrateOptions;
use crate::commands::request::{parse_body, MigrationRequest, Route};
use crate::commands::run_job::{callback_of, run_job, Start};
use crate::commands::schema_sync::{schema_sync, SyncOptions};
use crate::commands::settings::ExtensionSettings;
use crate::commands::verify::verify;
use crate::commands::{ping, tables};
use crate::destination::outbound::{self, Target};
use crate::destination::Destination;
use crate::host::KeysRequest;
use crate::receive::{self, RowsRequest};
use crate::runs::progress::{Emit, Event};
use crate::CoreError;
use clock::JsClock;
use convert::to_js;
use error::into_js_error;
use fetch::FetchTransport;
use host::HostAdapter;
pub use host::JsHost;

type JsDestination = Destination<FetchTransport, JsClock>;

/// The migration core. The endpoint creates one per request, with a host bound to the caller and
/// the extension's settings from the instance's environment.
#[wasm_bindgen]
pub struct Core {
    host: Rc<HostAdapter>,
    settings: Rc<ExtensionSettings>,
}

#[wasm_bindgen]
impl Core {
    #[wasm_bindgen(constructor)]
    pub fn new(
        host: JsHost,
        #[wasm_bindgen(unchecked_param_type = "ExtensionSettings | null | undefined")] settings: JsValue,
    ) -> Result<Core, JsValue> {
        let settings: ExtensionSettings = if settings.is_undefined() || settings.is_null() {
            ExtensionSettings::default()
        } else {
            serde_wasm_bindgen::from_value(settings)
                .map_err(|e| into_js_error(CoreError::InvalidInput(format!("extension settings: {e}"))))?
        };
        Ok(Core { host: Rc::new(HostAdapter::new(host)), settings: Rc::new(settings) })
    }

    /// The bulk receiver's limits: `{ maxBatchBytes, maxRows }`.
    #[wasm_bindgen(js_name = receiverLimits, unchecked_return_type = "Limits")]
    pub fn receiver_limits() -> Result<JsValue, JsValue> {
        to_js(&receive::Limits::CURRENT)
    }

    /// Version of the core crate.
    #[wasm_bindgen(js_name = version)]
    pub fn version() -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    /// `GET /migration/test`: `{ message, timestamp }`.
    #[wasm_bindgen(unchecked_return_type = "PingReply")]
    pub fn ping(&self) -> Result<JsValue, JsValue> {
        to_js(&ping::ping(&JsClock))
    }

    /// `POST /migration/check` with the JSON body: resolves to `{ httpStatus, body }`; never rejects
    /// for a bad destination, which is an answer like any other.
    #[wasm_bindgen(unchecked_return_type = "Promise<CheckAnswer>")]
    pub fn check(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        let settings = self.settings.clone();
        future_to_promise(async move {
            let answer = match checked(&host, &settings, &body).await {
                Ok((destination, request)) => {
                    check(&*host, &destination, request.scope.force, !settings.source_over_api).await
                }
                Err(error) => CheckAnswer::refused(&error),
            };
            to_js(&answer)
        })
    }

    /// `POST /migration/tables` with the JSON body (optional; checked if sent): resolves to the list
    /// of the source's user tables.
    #[wasm_bindgen(unchecked_return_type = "Promise<TableInfo[]>")]
    pub fn tables(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move {
            MigrationRequest::parse(&body, Route::Tables)?;
            tables::tables(&*host).await
        })
    }

    /// `POST /migration/schema-sync` with the JSON body: emits progress events through the host,
    /// resolves to the report.
    #[wasm_bindgen(js_name = schemaSync, unchecked_return_type = "Promise<SyncReport>")]
    pub fn schema_sync(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        let settings = self.settings.clone();
        run(async move {
            let request = MigrationRequest::parse(&body, Route::SchemaSync)?;
            let destination = connect(&host, &settings, &request).await?;
            let options = SyncOptions::from_request(&request).with_artifacts(&request, &settings)?;
            schema_sync(&*host, &destination, &options).await
        })
    }

    /// `POST /migration/run` with the JSON body: moves rows, emitting progress; resolves to the
    /// run's report (its `status` says `completed`, `completed with errors` or `failed`; with
    /// `scope.verify`, its `verification`).
    #[wasm_bindgen(unchecked_return_type = "Promise<RunReport>")]
    pub fn run(&self, body: String) -> js_sys::Promise {
        self.migrate(body, false)
    }

    /// `GET /migration/receive/info`: resolves to `{ receiver, version, wire, vendor }`.
    #[wasm_bindgen(js_name = receiverInfo, unchecked_return_type = "Promise<ReceiverInfo>")]
    pub fn receiver_info(&self) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move { receive::info(&*host).await })
    }

    /// `POST /migration/receive/existing` with the JSON body: resolves to the keys this instance has.
    #[wasm_bindgen(js_name = receiveExisting, unchecked_return_type = "Promise<Value[]>")]
    pub fn receive_existing(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move {
            let request: KeysRequest = parse_body(&body)?;
            receive::existing(&*host, &request).await
        })
    }

    /// `POST /migration/receive/lacking` with the JSON body: resolves to the keys whose field is null.
    #[wasm_bindgen(js_name = receiveLacking, unchecked_return_type = "Promise<Value[]>")]
    pub fn receive_lacking(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move {
            let request: receive::LackingRequest = parse_body(&body)?;
            receive::lacking(&*host, &request).await
        })
    }

    /// `POST /migration/receive/rows-by-key` with the JSON body: resolves to the rows this instance
    /// has of those keys, as stored.
    #[wasm_bindgen(js_name = receiveRowsByKey, unchecked_return_type = "Promise<Row[]>")]
    pub fn receive_rows_by_key(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move {
            let request: RowsRequest = parse_body(&body)?;
            receive::rows_by_key(&*host, &request).await
        })
    }

    /// `POST /migration/verify` with the JSON body of a run: compares the selected tables and the
    /// files their rows reference on both sides, emitting progress; resolves to the verification
    /// (`status`: `identical`, `contains` or `differs`). Writes nothing.
    #[wasm_bindgen(unchecked_return_type = "Promise<Verification>")]
    pub fn verify(&self, body: String) -> js_sys::Promise {
        let host = self.host.clone();
        let settings = self.settings.clone();
        run(async move {
            let request = MigrationRequest::parse(&body, Route::Verify)?;
            let options = MigrateOptions::from_request(&request, false)?.with_source(&settings)?;
            let destination = connect(&host, &settings, &request).await?;
            verify(&*host, &destination, &options).await
        })
    }

    /// `POST /migration/receive/rows` with an NDJSON batch (its bytes): resolves to
    /// `{ written, skipped, failed }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Receipt>")]
    pub fn receive(&self, batch: Vec<u8>) -> js_sys::Promise {
        let host = self.host.clone();
        run(async move { receive::receive(&*host, &JsClock, &batch).await })
    }

    /// `POST /migration/dry-run`: everything `run` does but writing.
    #[wasm_bindgen(js_name = dryRun, unchecked_return_type = "Promise<RunReport>")]
    pub fn dry_run(&self, body: String) -> js_sys::Promise {
        self.migrate(body, true)
    }
}

impl Core {
    /// A run or a dry run, as a job of this process (see `commands::run_job`).
    fn migrate(&self, body: String, dry_run: bool) -> js_sys::Promise {
        let host = self.host.clone();
        let settings = self.settings.clone();
        run(async move {
            let route = if dry_run { Route::DryRun } else { Route::Run };
            let request = MigrationRequest::parse(&body, route)?;
            let options = MigrateOptions::from_request(&request, dry_run)?.with_source(&settings)?;
            let callback = callback_of(&request, &settings)?;
            if let Some(callback) = &callback {
                outbound::check(&*host, &settings.outbound_rules(), Target::Callback, &callback.url).await?;
            }
            let callback = callback.map(|c| (c, FetchTransport));
            let destination = connect(&host, &settings, &request).await?;
            let options = options.with_artifacts(&request, &settings)?;
            let start = Start { request: body, started_by: settings.user.clone() };
            jobs::with_keeper!(host, settings, |keeper| run_job(
                &*host,
                &keeper,
                &destination,
                &options,
                callback,
                start
            )
            .await)
        })
    }
}

/// `/migration/check`'s body parsed and its destination connected.
async fn checked(
    host: &Rc<HostAdapter>,
    settings: &ExtensionSettings,
    body: &str,
) -> Result<(JsDestination, MigrationRequest), CoreError> {
    let request = MigrationRequest::parse(body, Route::Check)?;
    Ok((connect(host, settings, &request).await?, request))
}

/// A destination client for the request, whose retries are reported through the host. The
/// destination's addresses are checked against the outbound rules before anything is sent.
pub(crate) async fn connect(
    host: &Rc<HostAdapter>,
    settings: &ExtensionSettings,
    request: &MigrationRequest,
) -> Result<JsDestination, CoreError> {
    let sink = host.clone();
    let config = request.destination()?.allowing(&settings.allowed_destinations);
    let destination = Destination::new(config, FetchTransport, JsClock)?;
    let rules = settings.outbound_rules();
    outbound::check(&**host, &rules, Target::Destination, destination.base_url()).await?;
    Ok(destination.with_observer(move |notice| sink.emit(&Event::from(notice))))
}

/// A promise of the work's result, or of a `MigrationError`.
pub(crate) fn run<T: Serialize>(work: impl Future<Output = Result<T, CoreError>> + 'static) -> js_sys::Promise {
    future_to_promise(async move {
        match work.await {
            Ok(value) => to_js(&value),
            Err(error) => Err(into_js_error(error)),
        }
    })
}
