use execo::prelude::*;

struct Opaque;

fn main() {
    let opaque = Opaque;
    let _ = remote!("x <<opaque>>" on ["h"]);
}
