//! `IMPORT_IP_DENY_LIST` read as Directus reads it for a Flow's "Request URL" and a file import:
//! addresses, CIDR ranges (`10.0.0.0/8`, `fd00::/8`) and address ranges (`10.0.0.1-10.0.0.9`);
//! `0.0.0.0` also stands for this server's own addresses (every address of its network interfaces,
//! the whole range of an internal one such as `127.0.0.1/8`) and, as Directus 12 reads it, for
//! `0.0.0.0/8` and `::`. An entry that is none of these denies every address, as Directus does
//! with a list it cannot read. As in Directus 12 (11 knows only the `::ffff:` form), an IPv6
//! address that carries an IPv4 one (`::ffff:a.b.c.d`, `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
//! `2002::/16`) is denied when that IPv4 address is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use serde::Deserialize;

/// Directus' default `IMPORT_IP_DENY_LIST`: this server's own addresses and the cloud metadata
/// address.
pub const DIRECTUS_DEFAULT: &str = "0.0.0.0,169.254.169.254";

/// One address of this server's network interfaces, as `os.networkInterfaces()` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null, hashmap_as_object))]
#[serde(rename_all = "camelCase")]
pub struct OwnAddress {
    pub address: String,
    /// `127.0.0.1/8`; Node gives it for every address, Directus uses it for internal ones.
    #[serde(default)]
    pub cidr: Option<String>,
    /// A loopback interface.
    #[serde(default)]
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Address(IpAddr),
    Network(IpNet),
    Range(IpAddr, IpAddr),
}

impl Entry {
    fn parse(text: &str) -> Option<Entry> {
        if let Some((from, to)) = text.split_once('-') {
            let (from, to) = (address(from)?, address(to)?);
            return (from.is_ipv4() == to.is_ipv4()).then_some(Entry::Range(from, to));
        }
        if text.contains('/') {
            return text.parse::<IpNet>().ok().map(|net| Entry::Network(net.trunc()));
        }
        address(text).map(Entry::Address)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Entry::Address(a) => *a == ip,
            Entry::Network(net) => net.contains(&ip),
            Entry::Range(from, to) => from.is_ipv4() == ip.is_ipv4() && *from <= ip && ip <= *to,
        }
    }
}

/// An address as the resolver or the list gives it; an IPv4 address written as IPv6
/// (`::ffff:127.0.0.1`) is that IPv4 address.
pub fn address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    let bare = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
    bare.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The parsed list.
#[derive(Debug, Clone, PartialEq)]
pub struct DenyList {
    entries: Vec<Entry>,
    /// `0.0.0.0` is on the list: this server's own addresses are denied.
    own_addresses: bool,
    /// The first entry that could not be read: then every address is denied.
    unreadable: Option<String>,
}

impl DenyList {
    /// The list from its entries (empty ones are skipped; an empty list denies nothing).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> DenyList {
        let mut list = DenyList { entries: vec![], own_addresses: false, unreadable: None };
        for item in items.iter().map(|i| i.as_ref().trim()).filter(|i| !i.is_empty()) {
            match Entry::parse(item) {
                Some(entry) => {
                    list.own_addresses |= entry == Entry::Address(IpAddr::from([0, 0, 0, 0]));
                    list.entries.push(entry);
                }
                None => {
                    list.unreadable.get_or_insert_with(|| item.to_string());
                }
            }
        }
        list
    }

    /// Whether checking an address needs this server's own addresses.
    pub fn needs_own_addresses(&self) -> bool {
        self.own_addresses && self.unreadable.is_none()
    }

    /// Why `ip` is denied, or `None` when it is not. `own` are this server's addresses (read only
    /// when [`DenyList::needs_own_addresses`]).
    pub fn why_denied(&self, ip: IpAddr, own: &[OwnAddress]) -> Option<String> {
        if let Some(entry) = &self.unreadable {
            return Some(format!(
                "IMPORT_IP_DENY_LIST has an entry that is not an address, a CIDR range or an address range ({entry:?}), so every address is denied, as Directus denies them"
            ));
        }
        let forms = forms_of(ip);
        if forms.iter().any(|ip| self.entries.iter().any(|e| e.contains(*ip))) {
            return Some("it is on IMPORT_IP_DENY_LIST".into());
        }
        if self.own_addresses && forms.iter().any(|ip| is_own(*ip, own)) {
            return Some("it is an address of this server (IMPORT_IP_DENY_LIST has 0.0.0.0)".into());
        }
        None
    }
}

/// `ip` and the IPv4 address an IPv6 transition form carries (mapped, compatible, NAT64, 6to4).
fn forms_of(ip: IpAddr) -> Vec<IpAddr> {
    let ip = ip.to_canonical();
    let mut forms = vec![ip];
    if let IpAddr::V6(v6) = ip {
        forms.extend(embedded_ipv4(v6).map(IpAddr::V4));
    }
    forms
}

fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = ip.octets();
    let zero = |bytes: &[u8]| bytes.iter().all(|x| *x == 0);
    let compatible = zero(&[a, b, c, d, e, f, g, h, i, j, k, l]) && m != 0;
    let nat64 = [a, b, c, d] == [0, 0x64, 0xff, 0x9b] && zero(&[e, f, g, h, i, j, k, l]);
    if compatible || nat64 {
        Some(Ipv4Addr::new(m, n, o, p))
    } else {
        ([a, b] == [0x20, 0x02]).then_some(Ipv4Addr::new(c, d, e, f))
    }
}

/// One of this server's addresses: an internal interface's whole range (`127.0.0.0/8`, `::1`),
/// another interface's address, or `0.0.0.0/8` and `::` (which reach this server too).
fn is_own(ip: IpAddr, own: &[OwnAddress]) -> bool {
    ip.is_unspecified()
        || matches!(ip, IpAddr::V4(v4) if v4.octets().first() == Some(&0))
        || own.iter().any(|o| {
            let range = o.cidr.as_deref().filter(|_| o.internal).and_then(|c| c.parse::<IpNet>().ok());
            match range {
                Some(net) => net.contains(&ip),
                None => address(&o.address) == Some(ip),
            }
        })
}
