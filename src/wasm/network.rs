//! The host's network as the core's [`Network`]: `lookupHost` (`dns.lookup(host, { all: true })`)
//! and `ownAddresses` (`os.networkInterfaces()`), for the outbound rules (see `crate::destination::outbound`).

use wasm_bindgen::prelude::*;

use super::error::host_error;
use super::host::{HostAdapter, JsHost};
use crate::destination::outbound::{Network, OwnAddress};
use crate::host::HostError;

#[wasm_bindgen(typescript_custom_section)]
const NETWORK_TS: &'static str = r#"
export interface MigrationHost {
  /** Every address `host` resolves to, e.g. `["93.184.216.34", "2606:2800:220:1::1"]`. */
  lookupHost(host: string): Promise<string[]>;
  /** This server's own addresses: `[{ address, cidr, internal }]` as `os.networkInterfaces()` lists them. */
  ownAddresses(): Promise<OwnAddress[]>;
}
"#;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(method, catch, js_name = lookupHost)]
    async fn lookup_host(this: &JsHost, host: &str) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(method, catch, js_name = ownAddresses)]
    async fn own_addresses(this: &JsHost) -> Result<JsValue, JsValue>;
}

fn from_js<T: serde::de::DeserializeOwned>(value: JsValue, what: &str) -> Result<T, HostError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| HostError::new(format!("host returned unreadable {what}: {e}")))
}

impl Network for HostAdapter {
    async fn lookup(&self, host: &str) -> Result<Vec<String>, HostError> {
        let reply = self.js().lookup_host(host).await.map_err(host_error)?;
        from_js(reply, "addresses")
    }

    async fn own_addresses(&self) -> Result<Vec<OwnAddress>, HostError> {
        let reply = self.js().own_addresses().await.map_err(host_error)?;
        from_js(reply, "interface addresses")
    }
}
