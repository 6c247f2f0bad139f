use execo::prelude::*;

#[params(a = [1, 2], b = ["x"], a = [3])]
struct Params;

// A sub-parameter sits beside the others in a combination: its name must differ.
#[params(a = [1, 2], b = { x: { a = [true] }, y: {} })]
struct Restricted;

fn main() {}
