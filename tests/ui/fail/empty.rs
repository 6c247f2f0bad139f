use execo::prelude::*;

fn main() {
    let _ = remote!("iperf -c <<>>" on ["h"]);
}
