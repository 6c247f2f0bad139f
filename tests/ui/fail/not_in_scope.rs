use execo::prelude::*;

fn main() {
    let targets = ["a", "b"];
    let _ = remote!("iperf -c <<targtes>>" on ["h"]);
    // A heredoc glued to a redirection needs the escape: `\<<EOF>>log`.
    let _ = local!("cat <<EOF>>log\nx\nEOF");
    let _ = targets;
}
