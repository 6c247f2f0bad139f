//! Every accepted form of the macros builds the runtime's action, and builder calls follow.
use execo::prelude::*;

struct Params {
    flows: u32,
    pair: (&'static str, u16),
}

fn main() {
    let hosts = vec![Host::new("h1"), Host::new("h2")];
    let targets = ["t1", "t2", "t3"];
    let p = Params {
        flows: 4,
        pair: ("x", 7),
    };
    let nodes = NodeSet::parse("n-[1-2]").unwrap();

    let r: Remote = remote!("iperf -c <<targets>> -P <<p.flows>> <<p.pair.0>>:<<p.pair.1>> <<host>> <<index>>" on hosts.clone());
    let _: Remote = remote!(r"cat \<<EOF>>log
<<targets>>
EOF" on &nodes)
    .params(ConnectionParams::default())
    .window(10)
    .name("n");
    let _: Remote = remote!("cat <<EOF > f; echo x >> log; cat <<< x; echo $((1 << 2)); a <<1>> b
'<<targets>>' \"<<targets>>\"
EOF" on ["h"]);
    let _: Local = local!("echo");
    let _: Local = local!("echo <<host>> '<<targets>>'" on hosts.clone());
    let _: Put = put!("a.txt" on hosts.clone());
    let _: Put = put!(["a.txt", "<<targets>>.txt",] to "/tmp/<<host>>" on hosts.clone());
    let _: Get = get!("/var/log/syslog" on hosts.clone());
    let _: Get = get!(["/a", "/b"] to "logs/<<host>>" on hosts.clone());
    // Paths known at run time, as Rust values.
    let files: Vec<String> = vec!["a.txt".into()];
    let dest = String::from("/tmp");
    let paths = [std::path::PathBuf::from("/a")];
    let local = std::path::PathBuf::from("logs");
    let _: Put = put!(files to &dest on &nodes);
    let _: Put = put!(&files[..] on hosts.clone());
    let _: Put = put!(dest.clone() to "/tmp/<<host>>" on hosts.clone());
    let _: Put = put!(["a.txt"] to dest on hosts.clone());
    let _: Get = get!(&paths[..] to &local on hosts.clone());
    let _: Get = get!(paths to local on hosts);
    let _: Local = local!("echo \"$(echo '<<targets>>')\" <<<x; cat <<'E'\n<<targets>>\nE");

    let cmds: Vec<String> = local!("x <<targets>> '<<p.pair.0>>'" on ["a", "b", "c", "d"])
        .processes()
        .unwrap()
        .iter()
        .map(Process::cmdline)
        .collect();
    assert_eq!(cmds, ["x t1 'x'", "x t2 'x'", "x t3 'x'", "x t1 'x'"]);
    assert_eq!(r.hosts().len(), 2);
}
