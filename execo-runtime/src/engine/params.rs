//! What `#[params(...)]` expands to relies on: the [`ParamSpace`] trait its struct
//! implements, and [`levels`], which turns a parameter's values into its field's type.
//!
//! The sweep of a generated struct is built in typed form (nested loops over each
//! field's levels, in declaration order, the last varying fastest, as execo's `sweep()`),
//! not through the dynamic [`Sweep`](crate::sweep::Sweep): any level type works (an
//! enum of yours, a `u8`), not only those a [`Value`](crate::sweep::Value) holds.

use std::fmt::Debug;

use crate::sweep::{Float, SweepItem};

/// A struct of parameters and its whole sweep: what `#[params(...)]` generates, and what
/// the second parameter of an `#[experiment]` function must be. Implement it by hand for
/// a sweep that the attribute cannot say (it is just a list of combinations).
pub trait ParamSpace: SweepItem {
    /// The parameters' names, top level first, then those of restricted sub-sweeps.
    const PARAMETERS: &'static [&'static str];

    /// Every combination, in execo's order; an error names a parameter whose levels
    /// came out empty at run time (empty literal lists are compile errors).
    fn try_sweep() -> Result<Vec<Self>, EmptyLevels>;
}

/// A parameter whose levels are empty, so the sweep has no combination at all (execo
/// drops such a parameter; a struct field cannot be dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "parameter `{parameter}` has no levels, so the sweep has no combination: give it at \
     least one"
)]
pub struct EmptyLevels {
    /// The parameter (`c in b = x` for a sub-parameter).
    pub parameter: &'static str,
}

/// A value usable as a level of a field of type `T`: `T` itself, a reference to one, and
/// the conversions literal lists need (`"cubic"` for a `String`, `0.5` for a
/// [`Float`]). One impl per target type for each kind of literal, so that an integer
/// literal's type is inferred from the field (`[1, 2]` for a `u8` field).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a level of a parameter of type `{T}`",
    label = "levels of type `{T}` expected here",
    note = "a parameter's values must all be `{T}` (or `&{T}`; `&str` for `String`, `f64` for `Float`): convert them, or declare the parameter's type, `name: Type = values`"
)]
pub trait IntoLevel<T> {
    /// The level.
    fn into_level(self) -> T;
}

impl<T> IntoLevel<T> for T {
    fn into_level(self) -> T {
        self
    }
}

impl<T: Clone> IntoLevel<T> for &T {
    fn into_level(self) -> T {
        self.clone()
    }
}

impl IntoLevel<String> for &str {
    fn into_level(self) -> String {
        self.to_string()
    }
}

impl IntoLevel<String> for &&str {
    fn into_level(self) -> String {
        self.to_string()
    }
}

impl IntoLevel<Float> for f64 {
    fn into_level(self) -> Float {
        Float(self)
    }
}

impl IntoLevel<Float> for &f64 {
    fn into_level(self) -> Float {
        Float(*self)
    }
}

/// The levels of one parameter: each of `values` as a `T`.
pub fn levels<T, L: IntoLevel<T>, I: IntoIterator<Item = L>>(values: I) -> Vec<T> {
    values.into_iter().map(IntoLevel::into_level).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_take_the_fields_type() {
        assert_eq!(levels::<u8, _, _>([1, 2]), vec![1u8, 2]);
        assert_eq!(levels::<i64, _, _>(-1..=1), vec![-1i64, 0, 1]);
        assert_eq!(levels::<String, _, _>(["a", "b"]), vec!["a", "b"]);
        assert_eq!(levels::<String, _, _>(&["a"]), vec!["a"]);
        assert_eq!(
            levels::<Float, _, _>([0.5, 1.0]),
            vec![Float(0.5), Float(1.0)]
        );
        assert_eq!(
            levels::<Float, _, _>(crate::sweep::geom(1.0, 4.0, 3)),
            vec![Float(1.0), Float(2.0), Float(4.0)]
        );
        let v = vec![3u32, 4];
        assert_eq!(levels::<u32, _, _>(&v), v);
    }
}
