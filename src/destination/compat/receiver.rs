//! Can a run use the destination's bulk receiver? One answer for `/migration/check` (which
//! reports it) and for the run (which chooses the transport by it).

use crate::shared::vendor;
use crate::shared::wire::{ReceiverInfo, WIRE_VERSION};

/// `Ok` when the destination's receiver can take this source's rows as they are stored; otherwise
/// why not, in words.
pub fn receiver_fits(receiver: Option<&ReceiverInfo>, source_vendor: Option<&str>) -> Result<(), String> {
    let Some(info) = receiver else {
        return Err("the destination has no bulk receiver; install this extension there too".into());
    };
    if info.wire != WIRE_VERSION {
        return Err(format!("its receiver speaks wire format {}, this one {WIRE_VERSION}", info.wire));
    }
    let theirs = info.vendor.as_deref().unwrap_or("unknown");
    if info.vendor.as_deref() != source_vendor {
        return Err(format!("its database is {theirs}, the source's {}", source_vendor.unwrap_or("unknown")));
    }
    if !vendor::BULK.contains(&theirs) {
        return Err(format!("bulk copies are not supported on {theirs} databases yet"));
    }
    Ok(())
}

/// Whether the destination's receiver can take rows in the API's representation (a source read
/// through its REST API): any vendor it supports, since the API's values are the same on every
/// one; `Err` says why not.
pub fn receiver_takes_api_rows(receiver: Option<&ReceiverInfo>) -> Result<(), String> {
    let Some(info) = receiver else {
        return Err("the destination has no bulk receiver; install this extension there too".into());
    };
    if info.wire != WIRE_VERSION {
        return Err(format!("its receiver speaks wire format {}, this one {WIRE_VERSION}", info.wire));
    }
    if !info.api_rows {
        return Err(format!(
            "its receiver ({}) predates rows read through the source's API: update the extension there",
            info.version
        ));
    }
    let theirs = info.vendor.as_deref().unwrap_or("unknown");
    if !vendor::BULK.contains(&theirs) {
        return Err(format!("bulk copies are not supported on {theirs} databases yet"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receiver(wire: u32, vendor: &str) -> ReceiverInfo {
        ReceiverInfo {
            receiver: "r".into(),
            version: "0.1.0".into(),
            wire,
            vendor: Some(vendor.into()),
            api_rows: true,
        }
    }

    #[test]
    fn fits_only_the_same_wire_and_a_supported_same_vendor() {
        assert_eq!(receiver_fits(Some(&receiver(WIRE_VERSION, "postgres")), Some("postgres")), Ok(()));
        assert!(receiver_fits(None, Some("sqlite")).unwrap_err().contains("no bulk receiver"));
        assert!(receiver_fits(Some(&receiver(WIRE_VERSION + 1, "sqlite")), Some("sqlite"))
            .unwrap_err()
            .contains("wire format"));
        assert_eq!(
            receiver_fits(Some(&receiver(WIRE_VERSION, "sqlite")), Some("postgres")).unwrap_err(),
            "its database is sqlite, the source's postgres"
        );
        assert_eq!(
            receiver_fits(Some(&receiver(WIRE_VERSION, "mssql")), Some("mssql")).unwrap_err(),
            "bulk copies are not supported on mssql databases yet"
        );
    }
}
