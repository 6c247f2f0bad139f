use execo::prelude::*;

fn main() {
    let targets = vec![Host::new("a")];
    let _ = remote!("ping <<targets[0].address>>" on ["h"]);
    let _ = remote!("echo <<[t.address for t in targets]>>" on ["h"]);
    let _ = local!("echo '<<a b>>'");
}
