use execo::prelude::*;

const HOSTS: [&str; 2] = ["h1", "h2"];

#[params(hosts = HOSTS, ratio: f64 = [0.5, 1.0])]
struct Params;

fn main() {}
