//! Minqing's domain: the words of the field and the rules that hold whatever the storage
//! or the transport. Nothing here does I/O, so it builds for the server and for wasm and
//! is tested without either.
//!
//! Names follow `docs/GLOSSARY.md`: one English name per concept of the field.

pub mod attachment;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod document;
pub mod field;
pub mod grants;
pub mod handling;
pub mod intake;
pub mod office;
pub mod org;
pub mod petition;
pub mod policy;
pub mod registry;
pub mod resident_id;
pub mod roster;
pub mod sync;
pub mod validation;

pub use validation::{FieldError, Problem};
