use execo::prelude::*;

fn main() {
    let targets = ["a"];
    let _ = remote!("ping {{{host}}} -c {{targets}}" on ["h"]);
}
