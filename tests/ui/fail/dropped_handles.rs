// Python's habit `p.start()` as a statement would kill the process at once: a warning
// says so (denied here to make it an error).
#![deny(unused_must_use)]
use execo::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    Process::sh("sleep 0.5; touch f").start();
    let nodes = ["h1", "h2"];
    remote!("uptime" on nodes).start()?;
    Remote::new("uptime", ["h"]);
    Ok(())
}
