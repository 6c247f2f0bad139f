use execo::prelude::*;

fn main() {
    let files = 42;
    let _ = put!(files to "/tmp" on ["h"]);
}
