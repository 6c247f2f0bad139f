//! The experiments package: one binary per experiment under `src/bin/`. This default
//! binary lists them.

fn main() {
    println!(
        "execo experiments (cargo run --release -p execo-experiments --bin NAME -- --help):\n\
         \x20 tcp_congestion  TCP throughput against parallel flows, cubic vs reno (the guide's flagship)\n\
         \x20 netcat          a netcat receiver, ready on expect, and a sender (the guide's first example)\n\
         \x20 remote_traffic  netcat traffic both ways between hosts, with round-robin targets and a Report\n\
         \x20 sweep_demo      60 local checksum runs through #[experiment]: the engine's crash-test subject"
    );
}
