//! The worker pool, the credential coordinator and the rate-limit classes.

pub mod dispatch;
pub mod keys;
pub mod secret;
