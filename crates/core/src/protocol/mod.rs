//! The dialer APIs' own wire formats, each in its own module, apart from
//! numdialer's API ([`crate::api`]): what a provider sends is turned into a
//! [`crate::CallReport`] here, and the campaign never sees the original.

pub mod numdialer;
pub mod twilio;
