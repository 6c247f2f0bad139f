//! Every accepted form of `#[params]` levels, and the sweeps they give.
use execo::engine::ParamSpace;
use execo::prelude::*;
use execo::sweep::Sweep;
use execo::sweep::serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Hash, PartialEq, Eq, Clone, Copy, Debug)]
#[serde(crate = "execo::sweep::serde")]
enum Cc {
    Cubic,
    Reno,
}

const HOSTS: [&str; 2] = ["h1", "h2"];

fn ports() -> impl Iterator<Item = u16> {
    (0..2).map(|i| 5201 + i)
}

/// Literal lists and ranges: their types come from the literals.
#[params(
    s = ["a", "b"],
    u = [1, 2],
    i = [-1, 1],
    b8 = [1u8, 2],
    f = [0.5, 1.0],
    t = [true, false],
    c = ['x'],
    e = [Cc::Cubic, Cc::Reno],
    v = vec![3, 4],
    r = 0..2,
    ri = 1..=2,
    n = -2..0,
)]
pub struct Literals;

/// Calls and typed expressions.
#[params(g = igeom(1, 20, 5), x = geom(1.0, 4.0, 3), h: String = HOSTS, p: u16 = ports(), k: u32 = 0..3, z: Float = [1.0])]
struct Computed;

// execo's verified example: sweep({'a': [1, 2], 'b': {'x': {'c': [True, False]}, 'y': {}}})
#[params(a = [1, 2], b = { x: { c = [true, false] }, y: {} })]
struct Restricted;

// Nested, with a declared enum name and a snake_case parameter.
#[params(tcp_mode: Mode = { fast: { depth = { deep: { d = [1, 2] }, shallow: {} } }, slow_start: {} }, z = [0])]
struct Nested;

fn main() {
    let l = Literals::sweep();
    assert_eq!(l.len(), 2 * 2 * 2 * 2 * 2 * 2 * 1 * 2 * 2 * 2 * 2 * 2);
    let first: &Literals = &l[0];
    let _: (&String, u64, i64, u8, Float, bool, char, Cc, u64, u64, u64, i64) = (
        &first.s, first.u, first.i, first.b8, first.f, first.t, first.c, first.e, first.v,
        first.r, first.ri, first.n,
    );
    assert_eq!(first.f, Float(0.5));
    assert_eq!(l.last().unwrap().n, -1);

    let c = Computed::sweep();
    assert_eq!(c.len(), 5 * 3 * 2 * 2 * 3 * 1);
    let _: (u64, Float, &String, u16, u32) = (c[0].g, c[0].x, &c[0].h, c[0].p, c[0].k);
    assert_eq!(c.last().unwrap().g, 20);
    assert_eq!(c.last().unwrap().p, 5202);

    // The same 6 combinations, in the same order, as execo's (and the runtime's dynamic
    // Sweep, read into the struct from its flat form `a=1 b=x c=true`).
    let r = Restricted::sweep();
    let dynamic = Sweep::new()
        .param("a", [1, 2])
        .restricted("b", [("x", Sweep::new().param("c", [true, false])), ("y", Sweep::new())]);
    assert_eq!(dynamic.typed::<Restricted>().unwrap(), r);
    assert_eq!(r.len(), 6);
    assert!(matches!(r[0].b, B::X { c: true }));
    assert!(matches!(r[1].b, B::X { c: false }));
    assert_eq!(r[2].b.to_string(), "y");
    assert_eq!(Restricted::PARAMETERS, ["a", "b", "c"]);

    let n = Nested::sweep();
    assert_eq!(n.len(), 4); // fast/deep/1, fast/deep/2, fast/shallow, slow_start
    assert!(matches!(n[0].tcp_mode, Mode::Fast { depth: Depth::Deep { d: 1 } }));
    assert_eq!(n[3].tcp_mode, Mode::SlowStart);
    let flat = Sweep::new()
        .restricted(
            "tcp_mode",
            [
                (
                    "fast",
                    Sweep::new().restricted(
                        "depth",
                        [("deep", Sweep::new().param("d", [1, 2])), ("shallow", Sweep::new())],
                    ),
                ),
                ("slow_start", Sweep::new()),
            ],
        )
        .param("z", [0]);
    assert_eq!(flat.typed::<Nested>().unwrap(), n);
}
