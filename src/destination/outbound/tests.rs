use std::cell::RefCell;

use futures::executor::block_on;

use super::*;

/// A network with a fixed DNS and the interfaces of a typical server: loopback and one LAN address.
#[derive(Default)]
struct FakeNetwork {
    lookups: RefCell<Vec<String>>,
}

impl Network for FakeNetwork {
    async fn lookup(&self, host: &str) -> Result<Vec<String>, HostError> {
        self.lookups.borrow_mut().push(host.to_string());
        match host {
            "dest.example" => Ok(vec!["93.184.216.34".into(), "2606:2800:220:1::1".into()]),
            "sneaky.example" => Ok(vec!["93.184.216.35".into(), "169.254.169.254".into()]),
            "lan.example" => Ok(vec!["10.1.2.3".into()]),
            "localhost" => Ok(vec!["127.0.0.1".into(), "::1".into()]),
            _ => Err(HostError { code: Some("ENOTFOUND".into()), message: format!("getaddrinfo ENOTFOUND {host}") }),
        }
    }

    async fn own_addresses(&self) -> Result<Vec<OwnAddress>, HostError> {
        let own = |address: &str, cidr: &str, internal| OwnAddress {
            address: address.into(),
            cidr: Some(cidr.into()),
            internal,
        };
        Ok(vec![
            own("127.0.0.1", "127.0.0.1/8", true),
            own("::1", "::1/128", true),
            own("10.1.2.3", "10.1.2.3/24", false),
        ])
    }
}

fn rules(deny: Option<&str>, destinations: &str, callbacks: &str) -> OutboundRules {
    let deny: Option<Vec<String>> = deny.map(|d| d.split(',').map(String::from).collect());
    OutboundRules::new(deny.as_deref(), destinations, callbacks)
}

fn verdict(rules: &OutboundRules, target: Target, url: &str) -> Result<(), OutboundError> {
    block_on(check(&FakeNetwork::default(), rules, target, url))
}

#[test]
fn directus_default_denies_this_server_and_the_metadata_address() {
    let default = rules(None, "", "");
    for url in [
        "http://169.254.169.254",
        "http://127.0.0.1:8055",
        "http://127.9.9.9",
        "http://[::1]:8055",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0:8055",
        "http://[::]:8055",
        "http://localhost:8055/api",
        "http://10.1.2.3",
        "http://lan.example",
        "http://sneaky.example",
        // As Directus 12 reads 0.0.0.0: the whole 0.0.0.0/8.
        "http://0.1.2.3",
        // IPv6 forms that carry a denied IPv4 address: compatible, NAT64, 6to4.
        "http://[::7f00:1]",
        "http://[64:ff9b::a9fe:a9fe]",
        "http://[2002:a9fe:a9fe::1]",
    ] {
        let err = verdict(&default, Target::Destination, url).unwrap_err();
        assert_eq!((err.code(), err.status()), ("DESTINATION_DENIED", 400), "{url}: {err}");
    }
    // Another address of the LAN is not this server's (only an internal interface's range is).
    assert!(verdict(&default, Target::Destination, "http://10.1.2.4").is_ok());
    assert!(verdict(&default, Target::Destination, "https://dest.example/api").is_ok());
    let err = verdict(&default, Target::Destination, "http://169.254.169.254").unwrap_err();
    assert_eq!(
        err.to_string(),
        "baseURL http://169.254.169.254 is refused: it resolves to 169.254.169.254, and it is on IMPORT_IP_DENY_LIST; nothing was sent. Name the origin in MIGRATION_ALLOWED_DESTINATIONS to allow it"
    );
    let err = verdict(&default, Target::Destination, "http://localhost:8055").unwrap_err();
    assert!(err.to_string().contains("127.0.0.1, and it is an address of this server"), "{err}");
}

#[test]
fn cidr_ranges_address_ranges_and_ipv6() {
    let list = rules(Some(" 10.0.0.0/8, 192.168.1.10-192.168.1.20 ,fd00::/8,2606:2800:220:1::1"), "", "");
    for denied in ["http://10.200.0.1", "http://192.168.1.15", "http://[fd12::1]", "https://dest.example"] {
        assert_eq!(verdict(&list, Target::Destination, denied).unwrap_err().code(), "DESTINATION_DENIED", "{denied}");
    }
    for allowed in ["http://192.168.1.21", "http://127.0.0.1", "http://[fe80::1]", "http://169.254.169.254"] {
        assert!(verdict(&list, Target::Destination, allowed).is_ok(), "{allowed}");
    }
    // An empty list denies nothing, as in Directus.
    assert!(verdict(&rules(Some(""), "", ""), Target::Destination, "http://127.0.0.1").is_ok());
}

#[test]
fn an_unreadable_list_denies_everything() {
    let list = rules(Some("169.254.169.254,not-an-address"), "", "");
    let err = verdict(&list, Target::Destination, "https://dest.example").unwrap_err();
    assert_eq!(err.code(), "DESTINATION_DENIED");
    assert!(err.to_string().contains("(\"not-an-address\"), so every address is denied"), "{err}");
}

#[test]
fn a_named_origin_is_allowed_whatever_its_address_and_others_are_refused() {
    let list = rules(None, "http://127.0.0.1:8055", "http://127.0.0.1:9000");
    assert!(verdict(&list, Target::Destination, "http://127.0.0.1:8055/api").is_ok());
    let err = verdict(&list, Target::Destination, "https://dest.example").unwrap_err();
    assert_eq!((err.code(), err.status()), ("DESTINATION_NOT_ALLOWED", 400));
    assert!(verdict(&list, Target::Callback, "http://127.0.0.1:9000/flows/trigger/1?x=1").is_ok());
    let err = verdict(&list, Target::Callback, "http://127.0.0.1:8055/hook").unwrap_err();
    assert_eq!((err.code(), err.status()), ("CALLBACK_NOT_ALLOWED", 400));
    assert_eq!(
        err.to_string(),
        "http://127.0.0.1:8055 is not an allowed callback: MIGRATION_ALLOWED_CALLBACKS allows http://127.0.0.1:9000"
    );
    // Each list covers its own field: a callback allowed is not a destination allowed.
    let callbacks_only = rules(None, "", "http://127.0.0.1:9000");
    assert_eq!(
        verdict(&callbacks_only, Target::Destination, "http://127.0.0.1:9000").unwrap_err().code(),
        "DESTINATION_DENIED"
    );
}

#[test]
fn callbacks_are_checked_like_destinations() {
    let default = rules(None, "", "");
    let err = verdict(&default, Target::Callback, "http://169.254.169.254/latest/meta-data?x=1").unwrap_err();
    assert_eq!((err.code(), err.status()), ("CALLBACK_DENIED", 400));
    assert!(err.to_string().starts_with("callbackUrl http://169.254.169.254 is refused"), "{err}");
    assert!(verdict(&default, Target::Callback, "https://dest.example/hook").is_ok());
}

#[test]
fn a_name_that_does_not_resolve_is_unreachable_and_literals_are_not_looked_up() {
    let network = FakeNetwork::default();
    let default = rules(None, "", "");
    let err = block_on(check(&network, &default, Target::Destination, "https://nowhere.example")).unwrap_err();
    assert_eq!((err.code(), err.status()), ("DESTINATION_UNREACHABLE", 502));
    assert!(err.to_string().contains("ENOTFOUND nowhere.example"), "{err}");
    let err = block_on(check(&network, &default, Target::Callback, "https://nowhere.example/h")).unwrap_err();
    assert_eq!((err.code(), err.status()), ("INVALID_PAYLOAD", 400));
    let _ = block_on(check(&network, &default, Target::Destination, "http://[2606:2800:220:1::2]:80"));
    assert_eq!(*network.lookups.borrow(), vec!["nowhere.example".to_string(), "nowhere.example".to_string()]);
}
