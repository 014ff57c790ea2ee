//! Hostile input to the parsers and providers: property tests of the pre-push input, the 429
//! header and body parsers and `--partition`, and the real binary fed garbage on the hook's
//! stdin and broken, HTML or enormous answers from a provider. Each gets a clear one-line
//! error or a safe result, never a panic and never unbounded memory.

mod answers;
mod hook_input;
mod parsers;
