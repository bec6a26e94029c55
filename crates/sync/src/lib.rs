//! Sync for zoufang: the protocol, the hybrid logical clock and the merge rules. Pure: no IO.
//! The device store (`zoufang-store`) and the server (`zoufang-server`) do the IO and call in here.

pub mod chain;
pub mod hlc;
pub mod memory;
pub mod merge;
pub mod offer;
pub mod protocol;
pub mod replica;

pub use hlc::{Clock, Hlc};
pub use merge::{apply, Applied, FieldState, Ledger, Minter, Outcome, Place};
pub use offer::{EnrolmentOffer, OfferError};
pub use protocol::*;
