//! Actions made of actions: [`ParallelActions`] start together, [`SequentialActions`]
//! one after the other (execo's classes of the same names). Their handle reports each
//! sub-action, nested.

use super::plan::{Action, Plan};
use crate::substitution::SubstitutionError;

/// Sub-actions started all at once; ended when all have.
#[derive(Default)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct ParallelActions {
    name: Option<String>,
    actions: Vec<Box<dyn Action>>,
}

/// Sub-actions started one after the other, each once the previous one has ended
/// (whatever its outcome: check `ok()` on the handle).
#[derive(Default)]
#[must_use = "an action does nothing until started: call `.start()`, `.run().await` or `.blocking_run()`"]
pub struct SequentialActions {
    name: Option<String>,
    actions: Vec<Box<dyn Action>>,
}

macro_rules! group_builders {
    ($ty:ident, $build:ident, $word:literal) => {
        impl $ty {
            /// An empty group: add actions with [`with`](Self::with).
            pub fn new() -> $ty {
                $ty::default()
            }
            /// Adds a sub-action.
            pub fn with(mut self, action: impl Action + 'static) -> $ty {
                self.actions.push(Box::new(action));
                self
            }
            /// The group's name in reports.
            pub fn name(mut self, name: impl Into<String>) -> $ty {
                self.name = Some(name.into());
                self
            }
        }

        impl Action for $ty {
            fn plan(&self) -> Result<Plan, SubstitutionError> {
                let children = self
                    .actions
                    .iter()
                    .map(|a| a.plan())
                    .collect::<Result<Vec<_>, _>>()?;
                let name = self
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{} {} actions", $word, children.len()));
                Ok(Plan::$build(name, children))
            }
        }
    };
}

group_builders!(ParallelActions, parallel, "parallel");
group_builders!(SequentialActions, sequential, "sequence of");
