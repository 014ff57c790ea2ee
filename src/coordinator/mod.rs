//! The worker pool, the credential coordinator and the rate-limit classes.

pub mod cooldowns;
pub mod dispatch;
pub mod keyref;
pub mod keys;
mod pool;
pub mod secret;
pub mod signals;
