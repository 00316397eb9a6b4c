//! Option groups shared by several subcommands.

mod data;
mod recipe;

pub use data::DataArgs;
pub use recipe::RecipeArgs;
