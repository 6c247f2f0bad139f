//! From macro input to the runtime's action: parse, read and check every template
//! (collecting all problems), then build `Remote::new(template, hosts).list(name,
//! values)...`, where `template` is the template as read here, written out as its pieces
//! (text, and each substitution with the quotes it stands in): the runtime takes them as
//! they are, without reading the text again, and writes each value for its place.
//!
//! `put!` and `get!` also take their files and directory as Rust values (`Vec<String>`,
//! `&[PathBuf]`, `String`...), for paths known at run time: those are plain paths, not
//! templates.
//!
//! Generated code names only `::execo::__private::*`. On a problem the macro still
//! yields an action of the right type (with an empty template), so the only errors are
//! the ones about the literal, not a cascade about the code around it.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{Expr, LitStr, Token, bracketed};

use execo_template::Piece;

use crate::template::{self, Kind, Segment};

mod kw {
    syn::custom_keyword!(on);
    syn::custom_keyword!(to);
}

/// Which macro: the action it builds and the shape of its input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Which {
    Remote,
    Local,
    Put,
    Get,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Remote => "remote",
            Which::Local => "local",
            Which::Put => "put",
            Which::Get => "get",
        }
    }

    fn usage(self) -> &'static str {
        match self {
            Which::Remote => r#"remote!("cmd <<x>>" on hosts)"#,
            Which::Local => r#"local!("cmd <<x>>") or local!("cmd <<host>>" on hosts)"#,
            Which::Put => r#"put!(["a", "b"] to "dir" on hosts)"#,
            Which::Get => r#"get!(["a", "b"] to "dir" on hosts)"#,
        }
    }

    fn runtime_alternative(self) -> &'static str {
        match self {
            Which::Remote => "Remote::new(cmd, hosts)",
            Which::Local => "Local::new(cmd)",
            Which::Put => "Put::new(hosts, files, dir)",
            Which::Get => "Get::new(hosts, files, dir)",
        }
    }
}

/// The parsed input: the templates (command, or files and directory) and the hosts.
struct Input {
    /// The command, or the files when written as literals.
    templates: Vec<LitStr>,
    /// The files of a copy given as a Rust value.
    files: Option<Expr>,
    /// The directory of a copy.
    dir: Option<Dir>,
    hosts: Option<Expr>,
}

/// The directory of a copy: a template, or a Rust value.
enum Dir {
    Template(LitStr),
    Value(Expr),
}

fn template_lit(input: ParseStream, which: Which) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    Err(input.error(format!(
        "expected a string literal: `{}!` reads its templates at compile time; for one \
         built at run time use `{}`",
        which.name(),
        which.runtime_alternative()
    )))
}

/// Whether the files of a copy are literal templates: `"a"`, or `["a", ..]` (or `[]`).
fn literal_files(input: ParseStream) -> bool {
    if input.peek(LitStr) {
        return true;
    }
    input
        .cursor()
        .group(proc_macro2::Delimiter::Bracket)
        .is_some_and(|(inside, _, _)| {
            inside.eof()
                || inside
                    .literal()
                    .is_some_and(|(l, _)| l.to_string().starts_with(['"', 'r']))
        })
}

fn parse_input(input: ParseStream, which: Which) -> syn::Result<Input> {
    let mut templates = Vec::new();
    let mut files = None;
    let mut dir = None;
    match which {
        Which::Remote | Which::Local => templates.push(template_lit(input, which)?),
        Which::Put | Which::Get => {
            if !literal_files(input) {
                files = Some(input.parse::<Expr>()?);
            } else if input.peek(syn::token::Bracket) {
                let content;
                let bracket = bracketed!(content in input);
                let mut lits = Vec::new();
                while !content.is_empty() {
                    lits.push(template_lit(&content, which)?);
                    if !content.is_empty() {
                        content.parse::<Token![,]>()?;
                    }
                }
                if lits.is_empty() {
                    return Err(syn::Error::new(
                        bracket.span.join(),
                        format!("no files to copy: `{}`", which.usage()),
                    ));
                }
                templates.extend(lits);
            } else {
                templates.push(template_lit(input, which)?);
            }
            if input.peek(kw::to) {
                input.parse::<kw::to>()?;
                dir = Some(if input.peek(LitStr) {
                    Dir::Template(input.parse()?)
                } else {
                    Dir::Value(input.parse()?)
                });
            }
        }
    }
    let hosts = if input.is_empty() && which == Which::Local {
        None
    } else {
        let on = input.parse::<kw::on>().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!("expected `on` and the hosts: `{}`", which.usage()),
            )
        })?;
        if input.is_empty() {
            return Err(syn::Error::new(
                on.span,
                format!("expected the hosts after `on`: `{}`", which.usage()),
            ));
        }
        Some(input.parse::<Expr>()?)
    };
    if !input.is_empty() {
        return Err(input.error(format!(
            "unexpected tokens after the hosts (builder calls go after the macro: \
             `{}.window(10)`)",
            which.usage()
        )));
    }
    Ok(Input {
        templates,
        files,
        dir,
        hosts,
    })
}

/// The span of `range` (bytes of the literal's value) inside `lit`: exact where the
/// compiler can tell (nightly, and a literal without escapes), else the whole literal.
fn span_of(lit: &LitStr, range: std::ops::Range<usize>) -> Span {
    let token = lit.token();
    let src = token.to_string();
    let offset = if src.starts_with('"') && !src.contains('\\') {
        Some(1)
    } else {
        // `r#"`: the prefix up to and with the first quote.
        src.strip_prefix('r')
            .map(|raw| 1 + raw.find('"').unwrap_or(0) + 1)
    };
    offset
        .and_then(|o| token.subspan(range.start + o..range.end + o))
        .unwrap_or_else(|| lit.span())
}

/// One list handed to the runtime: the expression and its name.
struct List {
    segments: Vec<Segment>,
    span: Span,
    name: String,
}

pub(crate) fn expand(tokens: TokenStream, which: Which) -> TokenStream {
    let input = match syn::parse::Parser::parse2(|i: ParseStream| parse_input(i, which), tokens) {
        Ok(input) => input,
        Err(e) => {
            let placeholder = placeholder(which, None);
            let e = e.to_compile_error();
            return quote! {{ #e #placeholder }};
        }
    };
    let shell = matches!(which, Which::Remote | Which::Local);
    let dir_lit = match &input.dir {
        Some(Dir::Template(lit)) => Some(lit),
        _ => None,
    };
    let lits: Vec<&LitStr> = input.templates.iter().chain(dir_lit).collect();

    let mut errors = TokenStream::new();
    let mut scanned = Vec::new();
    for lit in &lits {
        let text = lit.value();
        let s = template::scan(&text, shell);
        for p in &s.problems {
            errors.extend(
                syn::Error::new(span_of(lit, p.range.clone()), &p.message).to_compile_error(),
            );
        }
        scanned.push(s);
    }
    if !errors.is_empty() {
        let placeholder = placeholder(which, input.hosts.as_ref());
        return quote! {{ #errors #placeholder }};
    }

    // One list per expression, named by it: the runtime writes each use of it for its
    // own place.
    let mut lists: Vec<List> = Vec::new();
    let mut templates = Vec::new();
    for (s, lit) in scanned.iter().zip(&lits) {
        for sub in &s.subs {
            if let Kind::Path(segments) = &sub.kind
                && !lists.iter().any(|l| l.segments == *segments)
            {
                lists.push(List {
                    segments: segments.clone(),
                    span: span_of(lit, sub.range.clone()),
                    name: sub.name.clone(),
                });
            }
        }
        templates.push(read_template(&s.template, lit.span()));
    }

    let locals: Vec<Ident> = (0..lists.len())
        .map(|k| Ident::new(&format!("__execo_list_{k}"), Span::mixed_site()))
        .collect();
    let lets = lists.iter().zip(&locals).map(|(l, local)| {
        let expr = path_expr(&l.segments, l.span);
        quote_spanned! {l.span=>
            let #local = (&::execo::__private::Probe(&#expr)).__execo_kind().values(&#expr);
        }
    });
    let calls = lists.iter().zip(&locals).map(|(l, local)| {
        let name = &l.name;
        quote!(.list(#name, #local))
    });
    let p = quote!(::execo::__private);
    let dir = match &input.dir {
        None => None,
        Some(Dir::Template(_)) => templates.pop().map(|d| quote!(#d)),
        Some(Dir::Value(e)) => Some(quote!(&#p::copy_path(&(#e)))),
    };
    let files = match &input.files {
        Some(e) => quote!(#p::copy_paths(&(#e))),
        None => quote!([#(#templates),*]),
    };
    let action = constructor(which, &templates, files, dir, input.hosts.as_ref());
    if lists.is_empty() {
        return action;
    }
    quote! {{
        use ::execo::__private::{ListKind as _, ValueKind as _};
        #(#lets)*
        #action #(#calls)*
    }}
}

/// The template as read, written as code that builds it without reading it again: the
/// runtime takes its pieces as they are.
fn read_template(t: &execo_template::Template, span: Span) -> TokenStream {
    let p = quote!(::execo::__private);
    let lit = |s: &str| {
        let mut l = Literal::string(s);
        l.set_span(span);
        l
    };
    let pieces = t.pieces().iter().map(|piece| match piece {
        Piece::Text(text) => {
            let text = lit(text);
            quote!(#p::Piece::text(#text))
        }
        Piece::Sub(sub) => {
            let name = lit(&sub.name);
            let quoting = Ident::new(&format!("{:?}", sub.quoting), span);
            let (start, end) = (sub.range.start, sub.range.end);
            quote!(#p::Piece::sub(#name, #p::Quoting::#quoting, #start, #end))
        }
    });
    let source = lit(t.source());
    let mode = Ident::new(&format!("{:?}", t.mode()), span);
    quote! {{
        const PIECES: &[#p::Piece] = &[#(#pieces),*];
        #p::ReadTemplate::from_static(#source, #p::Mode::#mode, PIECES)
    }}
}

/// `a.b.0`, every token spanned to the template so that rustc's own errors (unknown
/// name, with its "did you mean") point at it.
fn path_expr(segments: &[Segment], span: Span) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, seg) in segments.iter().enumerate() {
        if k > 0 {
            out.extend(quote_spanned!(span=> .));
        }
        match seg {
            Segment::Ident(s) => {
                let ident = Ident::new(s, span);
                out.extend(quote!(#ident));
            }
            Segment::Index(n) => {
                let index = syn::Index { index: *n, span };
                out.extend(quote!(#index));
            }
        }
    }
    out
}

/// The runtime's constructor; `templates` hold the command, `files` and `dir` a copy's.
fn constructor(
    which: Which,
    templates: &[TokenStream],
    files: TokenStream,
    dir: Option<TokenStream>,
    hosts: Option<&Expr>,
) -> TokenStream {
    let p = quote!(::execo::__private);
    let cmd = &templates[..templates.len().min(1)];
    match (which, hosts) {
        (Which::Local, None) => quote!(#p::Local::new(#(#cmd)*)),
        (_, None) => placeholder(which, None),
        (Which::Remote, Some(h)) => quote!(#p::Remote::new(#(#cmd)*, #h)),
        (Which::Local, Some(h)) => quote!(#p::Local::per_host(#(#cmd)*, #h)),
        (Which::Put | Which::Get, Some(h)) => {
            let ty = Ident::new(
                if which == Which::Put { "Put" } else { "Get" },
                Span::call_site(),
            );
            let dir = dir.unwrap_or_else(|| quote!(""));
            quote!(#p::#ty::new(#h, #files, #dir))
        }
    }
}

/// An action of the right type that runs nothing, after the errors.
fn placeholder(which: Which, hosts: Option<&Expr>) -> TokenStream {
    let p = quote!(::execo::__private);
    let hosts = match hosts {
        Some(h) => quote!(#h),
        None => quote!(::std::iter::empty::<#p::Host>()),
    };
    match which {
        Which::Remote => quote!(#p::Remote::new(::std::string::String::new(), #hosts)),
        Which::Local => quote!(#p::Local::per_host(::std::string::String::new(), #hosts)),
        Which::Put => {
            quote!(#p::Put::new(#hosts, ::std::iter::empty::<::std::string::String>(), ""))
        }
        Which::Get => {
            quote!(#p::Get::new(#hosts, ::std::iter::empty::<::std::string::String>(), ""))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_gets_the_template_as_read_not_its_text() {
        let out = expand(quote!("echo '<<x>>' \\<<EOF" on hosts), Which::Remote).to_string();
        let p = ":: execo :: __private ::";
        for piece in [
            format!("{p} Piece :: text (\"echo '\")"),
            format!("{p} Piece :: sub (\"x\" , {p} Quoting :: SingleQuoted , 6usize , 11usize)"),
            format!("{p} Piece :: text (\"' <<EOF\")"),
            format!(
                "{p} ReadTemplate :: from_static (\"echo '<<x>>' \\\\<<EOF\" , {p} Mode :: Shell"
            ),
        ] {
            assert!(out.contains(&piece), "no `{piece}` in {out}");
        }
        let copy = expand(quote!(["a/<<x>>"] to "d" on hosts), Which::Put).to_string();
        assert!(copy.contains(&format!("{p} Mode :: Path")), "{copy}");
        assert!(copy.contains("Quoting :: Verbatim"), "{copy}");
    }
}
