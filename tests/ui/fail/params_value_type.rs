use execo::prelude::*;

const HOSTS: [&str; 2] = ["h1", "h2"];

#[params(hosts: u32 = HOSTS)]
struct Params;

fn main() {}
