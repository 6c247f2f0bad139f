use execo::prelude::*;

fn main() {
    let targets = ["a", "b"];
    let _ = remote!("iperf -c <<targets> -P 4" on ["h"]);
    let _ = remote!("iperf -c <<targets" on ["h"]);
    let _ = local!("cat <<EOF>out\nx\nEOF");
    let _ = local!("cat <<");
}
