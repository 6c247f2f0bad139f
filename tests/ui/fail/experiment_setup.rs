use execo::prelude::*;

struct Setup;

fn make(_xp: &Experiment) -> Result<Setup, String> {
    Ok(Setup)
}

/// A set-up given twice.
#[experiment(setup = make, setup = make)]
#[params(a = [1])]
fn xp(_xp: &mut Experiment<execo::engine::NoArgs, Setup>, p: Params) -> Result<u64, String> {
    Ok(p.a)
}
fn main() {}
