//! Outbound requests follow Directus' own rule for requests the server makes (a Flow's "Request
//! URL", a file import): before anything is sent to a destination (`baseURL`: its API, file
//! uploads, the verification's downloads) or to a `callbackUrl`, every address its host resolves
//! to is checked against `IMPORT_IP_DENY_LIST`. An origin named in `MIGRATION_ALLOWED_DESTINATIONS`
//! / `MIGRATION_ALLOWED_CALLBACKS` is allowed whatever its addresses; when such a list is set, any
//! other origin is refused. Resolution is the host's ([`Network`]); the decision is made here.

mod deny;
mod error;
#[cfg(test)]
mod tests;

pub use deny::{DenyList, OwnAddress, DIRECTUS_DEFAULT};
pub use error::{OutboundError, Target};

use crate::host::HostError;

/// What the host's network says: the addresses a host name resolves to, and this server's own.
#[allow(async_fn_in_trait)]
pub trait Network {
    /// Every address `host` resolves to (a literal address resolves to itself).
    async fn lookup(&self, host: &str) -> Result<Vec<String>, HostError>;
    /// The addresses of this server's network interfaces.
    async fn own_addresses(&self) -> Result<Vec<OwnAddress>, HostError>;
}

/// The rules of the instance's environment.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRules {
    deny: DenyList,
    destinations: Option<Vec<String>>,
    callbacks: Option<Vec<String>>,
}

impl OutboundRules {
    /// `IMPORT_IP_DENY_LIST` as the instance has it (`None`: Directus' default), and the
    /// comma-separated allow-lists `MIGRATION_ALLOWED_DESTINATIONS` and `MIGRATION_ALLOWED_CALLBACKS`.
    pub fn new(ip_deny_list: Option<&[String]>, allowed_destinations: &str, allowed_callbacks: &str) -> Self {
        let deny = match ip_deny_list {
            Some(list) => DenyList::parse(list),
            None => DenyList::parse(&DIRECTUS_DEFAULT.split(',').collect::<Vec<_>>()),
        };
        OutboundRules { deny, destinations: origins(allowed_destinations), callbacks: origins(allowed_callbacks) }
    }

    fn allowed(&self, target: Target) -> Option<&[String]> {
        match target {
            Target::Destination => self.destinations.as_deref(),
            Target::Callback => self.callbacks.as_deref(),
        }
    }
}

/// Comma-separated origins, lower-cased, without a trailing slash; `None` when there are none.
pub fn origins(text: &str) -> Option<Vec<String>> {
    let list: Vec<String> = text
        .split(',')
        .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|o| !o.is_empty())
        .collect();
    (!list.is_empty()).then_some(list)
}

/// `scheme://host[:port]` (lower-cased) and the bare host (an IPv6 address without brackets) of
/// an `http(s)` URL whose syntax was checked already.
fn origin_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0.to_string(),
        None => authority.split(':').next()?.to_string(),
    };
    Some((format!("{}://{authority}", scheme.to_ascii_lowercase()), host))
}

/// Refuse `url` for `target` unless the rules let a request go there. Nothing is sent.
pub async fn check<N: Network>(
    network: &N,
    rules: &OutboundRules,
    target: Target,
    url: &str,
) -> Result<(), OutboundError> {
    let (origin, host) = origin_and_host(url).ok_or_else(|| OutboundError::Unresolvable {
        target,
        url: url.into(),
        reason: "no host".into(),
    })?;
    if let Some(allowed) = rules.allowed(target) {
        return match allowed.contains(&origin) {
            true => Ok(()),
            false => Err(OutboundError::NotAllowed { target, url: origin, allowed: allowed.join(", ") }),
        };
    }
    let addresses = match deny::address(&host) {
        Some(ip) => vec![ip],
        None => {
            let found = network.lookup(&host).await.map_err(|e| OutboundError::Unresolvable {
                target,
                url: origin.clone(),
                reason: e.message,
            })?;
            found.iter().filter_map(|a| deny::address(a)).collect()
        }
    };
    if addresses.is_empty() {
        return Err(OutboundError::Unresolvable { target, url: origin, reason: format!("{host} has no address") });
    }
    let own = match rules.deny.needs_own_addresses() {
        true => network.own_addresses().await.map_err(|e| OutboundError::Denied {
            target,
            url: origin.clone(),
            address: host.clone(),
            why: format!("this server's own addresses could not be read to check it ({})", e.message),
        })?,
        false => vec![],
    };
    for ip in addresses {
        if let Some(why) = rules.deny.why_denied(ip, &own) {
            return Err(OutboundError::Denied { target, url: origin, address: ip.to_string(), why });
        }
    }
    Ok(())
}
