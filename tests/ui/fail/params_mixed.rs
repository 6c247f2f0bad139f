use execo::prelude::*;

#[params(a = [1, 2, "three"], b = [1, 2.5], c = [1u8, 2u16])]
struct Params;

fn main() {}
