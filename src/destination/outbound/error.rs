//! Why an outbound request was refused before it was sent. Messages name the origin and the
//! address, never a token or a path.

use std::fmt;

use thiserror::Error;

/// Where a request would go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `baseURL`: the destination's API, file uploads and the verification's downloads.
    Destination,
    /// `callbackUrl`.
    Callback,
}

impl Target {
    fn field(self) -> &'static str {
        match self {
            Target::Destination => "baseURL",
            Target::Callback => "callbackUrl",
        }
    }

    fn allow_list(self) -> &'static str {
        match self {
            Target::Destination => "MIGRATION_ALLOWED_DESTINATIONS",
            Target::Callback => "MIGRATION_ALLOWED_CALLBACKS",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field())
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum OutboundError {
    /// An address of the host is denied by `IMPORT_IP_DENY_LIST`.
    #[error("{target} {url} is refused: it resolves to {address}, and {why}; nothing was sent. Name the origin in {} to allow it", target.allow_list())]
    Denied { target: Target, url: String, address: String, why: String },
    /// The origin is not on the allow-list that is set.
    #[error("{url} is not an allowed {}: {} allows {allowed}", match target { Target::Destination => "destination", Target::Callback => "callback" }, target.allow_list())]
    NotAllowed { target: Target, url: String, allowed: String },
    /// The host could not be resolved, so no request could reach it (and it cannot be checked).
    #[error("{target} {url} cannot be reached: its host does not resolve ({reason})")]
    Unresolvable { target: Target, url: String, reason: String },
}

impl OutboundError {
    pub fn code(&self) -> &'static str {
        match self {
            OutboundError::Denied { target: Target::Destination, .. } => "DESTINATION_DENIED",
            OutboundError::Denied { target: Target::Callback, .. } => "CALLBACK_DENIED",
            OutboundError::NotAllowed { target: Target::Destination, .. } => "DESTINATION_NOT_ALLOWED",
            OutboundError::NotAllowed { target: Target::Callback, .. } => "CALLBACK_NOT_ALLOWED",
            OutboundError::Unresolvable { target: Target::Destination, .. } => "DESTINATION_UNREACHABLE",
            OutboundError::Unresolvable { target: Target::Callback, .. } => "INVALID_PAYLOAD",
        }
    }

    /// A refusal is the caller's input (400); a destination whose name does not resolve is
    /// unreachable (502), as the request itself would have found.
    pub fn status(&self) -> u16 {
        match self {
            OutboundError::Unresolvable { target: Target::Destination, .. } => 502,
            _ => 400,
        }
    }
}
