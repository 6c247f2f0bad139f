use execo::prelude::*;

#[experiment]
#[params(num_flows = igeom(1, 20, 5), cc = ["cubic", "reno"], repeat = 0..3)]
async fn tcp_congestion(_xp: &mut Experiment, p: Params) -> Result<u64, String> {
    let _ = &p.typo;
    Ok(p.num_flow)
}
