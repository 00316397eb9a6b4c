//! randommix: keyword spotting on Speech Commands with RandomMix.
#![warn(missing_docs)]

pub mod audio;
pub mod data;
pub mod features;
pub mod io;
pub mod mix;
pub mod model;
pub mod train;
pub mod viz;
