use execo::prelude::*;

fn main() {
    let _ = remote!("x <<a..b>> <<type>> <<a.01>>" on ["h"]);
}
