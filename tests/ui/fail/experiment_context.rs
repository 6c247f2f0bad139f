use execo::prelude::*;

#[experiment]
#[params(n = [1])]
fn not_a_context(_xp: &mut String, p: Params) -> Result<u64, String> {
    Ok(p.n)
}
