use execo::prelude::*;

#[experiment(no_main)]
#[params(n = [1])]
async fn no_result(_xp: &mut Experiment, _p: Params) {}

#[experiment(no_main)]
#[params(n = [1])]
fn one_parameter(_p: OneParams) -> Result<u64, String> {
    Ok(1)
}

#[experiment(no_main)]
#[params(n = [1])]
fn by_reference(_xp: &mut Experiment, p: &RefParams) -> Result<u64, String> {
    Ok(p.n)
}

#[experiment(no_main, windowed)]
#[params(n = [1])]
fn unknown_option(_xp: &mut Experiment, p: OptParams) -> Result<u64, String> {
    Ok(p.n)
}

fn main() {}
