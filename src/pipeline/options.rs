//! The options of a data run (a run, a dry run, a verification): what the request's `scope`
//! asks for, validated, with the defaults applied (see `commands::migrate::options`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pipeline::data::TableCheckpoint;
use crate::runs::report::Delivery;
use crate::shared::runtime::Cancel;
use crate::shared::wire::Representation;

pub const DEFAULT_BATCH_SIZE: u32 = 500;
/// Over the bulk receiver a row costs little and a request much: pages are larger (the sink still
/// splits what passes the receiver's limits).
pub const DEFAULT_BULK_BATCH_SIZE: u32 = 2_000;
pub const DEFAULT_CONCURRENCY: u32 = 4;
pub const DEFAULT_FILE_CONCURRENCY: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct MigrateOptions {
    pub dry_run: bool,
    pub force: bool,
    pub selected: Option<Vec<String>>,
    pub excluded: Option<Vec<String>>,
    pub updated_after: Option<String>,
    /// `scope.batchSize`; unset: the transport's default (see [`MigrateOptions::batch_size`]).
    pub batch_size: Option<u32>,
    pub concurrency: u32,
    pub file_concurrency: u32,
    pub preserve_created: bool,
    /// `scope.mode: "merge"`: rows the destination has with other content are updated.
    pub merge: bool,
    /// `scope.deleteMissing`: after the rows move, delete the destination rows of the selected
    /// tables whose key the source no longer has.
    pub delete_missing: bool,
    pub transport: TransportChoice,
    /// Set by the job's cancel: the run stops after the batches in flight.
    pub cancel: Cancel,
    /// Verify the selected tables after the run (not on a dry run).
    pub verify: bool,
    /// `scope.userPasswords`: copy new users' password hashes over the bulk receiver.
    pub user_passwords: bool,
    /// The storage location the run's artifacts are saved to; `None`: none are saved.
    pub artifacts: Option<String>,
    /// Resume an interrupted run from its checkpoints (ignored on a dry run).
    pub resume: Option<Resume>,
    /// The host reads rows as the source's database stores them (the extension, in-process);
    /// false when it reads them through the source's REST API (the command line), whose values
    /// the bulk receiver, which writes rows as stored, cannot take.
    pub rows_as_stored: bool,
}

/// What an interrupted run had done: each collection's last checkpoint (the last
/// `Event::Checkpoint` it emitted for it). A collection with both passes done is not read again;
/// one with its first pass done only gets its second pass; one partly done is read from after
/// its checkpoint's key; the others run as usual.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Resume {
    pub tables: BTreeMap<String, TableCheckpoint>,
}

/// `scope.transport`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportChoice {
    Rest,
    Bulk,
    /// Bulk when the destination has a compatible receiver and the same database vendor.
    Auto,
}

impl MigrateOptions {
    /// How rows are represented over `delivery`: the REST API takes the API's; the bulk receiver
    /// rows as stored, or the API's where the source is read through its API.
    pub fn representation(&self, delivery: Delivery) -> Representation {
        match delivery {
            Delivery::Bulk if self.rows_as_stored => Representation::Stored,
            _ => Representation::Api,
        }
    }

    /// Rows per page read and per write over `delivery`.
    pub fn batch_size(&self, delivery: Delivery) -> u32 {
        self.batch_size.unwrap_or(match delivery {
            Delivery::Rest => DEFAULT_BATCH_SIZE,
            Delivery::Bulk => DEFAULT_BULK_BATCH_SIZE,
        })
    }
}
