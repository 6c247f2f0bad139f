//! The experiments package: one binary per experiment under `src/bin/` (the flagship
//! experiments arrive with their issues). This default binary lists them.

fn main() {
    println!("execo experiments: none yet (see the execo README)");
}
