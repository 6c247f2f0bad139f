use execo::prelude::*;

#[params(a = [], b = vec![], c = 3..3, d = {})]
struct Params;

fn main() {}
