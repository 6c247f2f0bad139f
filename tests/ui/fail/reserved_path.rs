use execo::prelude::*;

fn main() {
    let host = Host::new("srv");
    let _ = remote!("ping <<host.address>>" on ["h"]);
}
