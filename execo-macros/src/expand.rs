//! From macro input to the runtime's action: parse, check every template (collecting all
//! problems), then build `Remote::new(template, hosts).list(name, values)...`.
//!
//! Generated code names only `::execo::__private::*`. On a problem the macro still
//! yields an action of the right type (with an empty template), so the only errors are
//! the ones about the literal, not a cascade about the code around it.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::ParseStream;
use syn::{Expr, LitStr, Token, bracketed};

use crate::template::{self, Kind, Quoting, Segment};

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
    /// The command, or the files.
    templates: Vec<LitStr>,
    /// The directory of a copy.
    dir: Option<LitStr>,
    hosts: Option<Expr>,
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

fn parse_input(input: ParseStream, which: Which) -> syn::Result<Input> {
    let mut templates = Vec::new();
    let mut dir = None;
    match which {
        Which::Remote | Which::Local => templates.push(template_lit(input, which)?),
        Which::Put | Which::Get => {
            if input.peek(syn::token::Bracket) {
                let content;
                let bracket = bracketed!(content in input);
                let mut files = Vec::new();
                while !content.is_empty() {
                    files.push(template_lit(&content, which)?);
                    if !content.is_empty() {
                        content.parse::<Token![,]>()?;
                    }
                }
                if files.is_empty() {
                    return Err(syn::Error::new(
                        bracket.span.join(),
                        format!("no files to copy: `{}`", which.usage()),
                    ));
                }
                templates.extend(files);
            } else {
                templates.push(template_lit(input, which)?);
            }
            if input.peek(kw::to) {
                input.parse::<kw::to>()?;
                dir = Some(template_lit(input, which)?);
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

/// One list handed to the runtime: the expression, where it lands, its name.
struct List {
    segments: Vec<Segment>,
    quoting: Quoting,
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
    let lits: Vec<&LitStr> = input.templates.iter().chain(&input.dir).collect();

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
        scanned.push((text, s));
    }
    if !errors.is_empty() {
        let placeholder = placeholder(which, input.hosts.as_ref());
        return quote! {{ #errors #placeholder }};
    }

    // One list per (expression, quoting): named by the expression, unless it appears
    // in several quotings, where each gets a suffix.
    let mut quotings: BTreeMap<&str, Vec<Quoting>> = BTreeMap::new();
    for (_, s) in &scanned {
        for sub in &s.subs {
            if matches!(sub.kind, Kind::Path(_)) {
                let q = quotings.entry(sub.name.as_str()).or_default();
                if !q.contains(&sub.quoting) {
                    q.push(sub.quoting);
                }
            }
        }
    }
    let mut lists: Vec<List> = Vec::new();
    let mut templates = Vec::new();
    for ((text, s), lit) in scanned.iter().zip(&lits) {
        let mut out = String::new();
        let mut last = 0;
        for sub in &s.subs {
            let Kind::Path(segments) = &sub.kind else {
                continue;
            };
            let name = match lists
                .iter()
                .find(|l| l.segments == *segments && l.quoting == sub.quoting)
            {
                Some(l) => l.name.clone(),
                None => {
                    let mut name = sub.name.clone();
                    if quotings[sub.name.as_str()].len() > 1 {
                        name += match sub.quoting {
                            Quoting::Raw => "",
                            Quoting::Single => ".quoted",
                            Quoting::Double => ".dquoted",
                        };
                        while name != sub.name && quotings.contains_key(name.as_str()) {
                            name.push('_');
                        }
                    }
                    lists.push(List {
                        segments: segments.clone(),
                        quoting: sub.quoting,
                        span: span_of(lit, sub.range.clone()),
                        name: name.clone(),
                    });
                    name
                }
            };
            out.push_str(&text[last..sub.range.start]);
            out.push_str(&format!("<<{name}>>"));
            last = sub.range.end;
        }
        out.push_str(&text[last..]);
        let mut l = Literal::string(&out);
        l.set_span(lit.span());
        templates.push(l);
    }

    let locals: Vec<Ident> = (0..lists.len())
        .map(|k| Ident::new(&format!("__execo_list_{k}"), Span::mixed_site()))
        .collect();
    let lets = lists.iter().zip(&locals).map(|(l, local)| {
        let expr = path_expr(&l.segments, l.span);
        let quoting = match l.quoting {
            Quoting::Raw => quote!(Raw),
            Quoting::Single => quote!(SingleQuoted),
            Quoting::Double => quote!(DoubleQuoted),
        };
        quote_spanned! {l.span=>
            let #local = ::execo::__private::Quoting::#quoting.apply_all(
                (&::execo::__private::Probe(&#expr)).__execo_kind().values(&#expr)
            );
        }
    });
    let calls = lists.iter().zip(&locals).map(|(l, local)| {
        let name = &l.name;
        quote!(.list(#name, #local))
    });
    let dir = input.dir.is_some().then(|| templates.pop()).flatten();
    let action = constructor(which, &templates, dir, input.hosts.as_ref());
    if lists.is_empty() {
        return action;
    }
    quote! {{
        use ::execo::__private::{ListKind as _, ValueKind as _};
        #(#lets)*
        #action #(#calls)*
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

/// The runtime's constructor; `templates` are the command or the files.
fn constructor(
    which: Which,
    templates: &[Literal],
    dir: Option<Literal>,
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
            let dir = dir.map_or_else(|| quote!(""), |d| quote!(#d));
            quote!(#p::#ty::new(#h, [#(#templates),*], #dir))
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
