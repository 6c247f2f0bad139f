use execo::prelude::*;

#[experiment]
#[params(flows = [1, 2, 4], cc = ["cubic", "reno"])]
#[params(quick, flow = [1], cc = ["reno"])]
fn xp(_xp: &mut Experiment, p: Params) -> Result<u64, String> {
    Ok(p.flows)
}
