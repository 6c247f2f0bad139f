use execo::prelude::*;

fn main() {
    let cmd = String::from("uname");
    let _ = remote!(cmd on ["h"]);
    let _ = remote!("uname"["h"]);
    let _ = remote!("uname" on);
    let _ = put!([] on ["h"]);
    let _ = get!("a" to "b" on ["h"] extra);
}
