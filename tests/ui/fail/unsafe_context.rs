use execo::prelude::*;

fn main() {
    let v = "x";
    let _ = local!("echo $'<<v>>'");
    let _ = local!("echo \"`echo '<<v>>'`\"");
    let _ = local!("echo ${x:-<<v>>}");
    let _ = local!("echo $<<v>>");
}
