//! `#[params(...)]`: from `name = values` pairs to a typed struct, its restricted
//! sub-sweeps as enums, and its sweep (`ParamSpace`).
//!
//! Parse, then check everything (duplicate names, empty lists, mixed literal kinds,
//! types that cannot be told), collecting every problem. On a problem the struct is still
//! generated, with what could be read (a field whose type is unknown gets `()`), so that
//! the errors are about the attribute, not a cascade about the code that uses `Params`.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, Token, Type, Visibility, braced, token};

/// `name (: Type)? = values`.
#[derive(Clone)]
pub(crate) struct Param {
    name: Ident,
    ty: Option<Type>,
    values: Values,
}

#[derive(Clone)]
enum Values {
    /// Any expression yielding the levels.
    Expr(Expr),
    /// `{ level: { sub = values, .. }, .. }`: execo's restricted sub-sweeps.
    Restricted { brace: Span, levels: Vec<Level> },
}

/// One level of a restricted parameter and the sub-parameters swept with it.
#[derive(Clone)]
struct Level {
    name: Ident,
    params: Vec<Param>,
}

/// The attribute's arguments.
pub(crate) struct ParamList(pub(crate) Vec<Param>);

impl Parse for ParamList {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "no parameters: write `#[params(name = values, ..)]`, e.g. \
                 `#[params(flows = [1, 2, 4], cc = [\"cubic\", \"reno\"])]`",
            ));
        }
        let list = Punctuated::<Param, Token![,]>::parse_terminated(input)?;
        Ok(ParamList(list.into_iter().collect()))
    }
}

impl Parse for Param {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a parameter's name: `name = values` (a Rust field name)",
            )
        })?;
        let ty = if input.peek(Token![:]) {
            input.parse::<Token![:]>()?;
            Some(input.parse::<Type>()?)
        } else {
            None
        };
        if !input.peek(Token![=]) {
            return Err(input.error(format!(
                "expected `=` and the levels of `{name}`: `{name} = [..]`"
            )));
        }
        input.parse::<Token![=]>()?;
        let values = if input.peek(token::Brace) {
            let content;
            let brace = braced!(content in input);
            let levels = Punctuated::<Level, Token![,]>::parse_terminated(&content)?;
            Values::Restricted {
                brace: brace.span.join(),
                levels: levels.into_iter().collect(),
            }
        } else {
            Values::Expr(input.parse()?)
        };
        Ok(Param { name, ty, values })
    }
}

impl Parse for Level {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        const HINT: &str = "in braces, a parameter's levels carry their own sub-parameters \
             (execo's restricted sub-sweeps): `b = { x: { c = [true, false] }, y: {} }`; \
             for a block expression yielding the levels, wrap it in parentheses: `b = ({ .. })`";
        let name: Ident = input.parse().map_err(|e| syn::Error::new(e.span(), HINT))?;
        if !input.peek(Token![:]) {
            return Err(syn::Error::new(name.span(), HINT));
        }
        input.parse::<Token![:]>()?;
        if !input.peek(token::Brace) {
            return Err(input.error(format!(
                "expected the sub-parameters of level `{name}` in braces: `{name}: {{ c = [..] }}`, \
                 or `{name}: {{}}` for none"
            )));
        }
        let content;
        braced!(content in input);
        let params = Punctuated::<Param, Token![,]>::parse_terminated(&content)?;
        Ok(Level {
            name,
            params: params.into_iter().collect(),
        })
    }
}

/// The quick sweep's parameters: the full sweep's, those `quick` names with its levels
/// (and the full one's declared type when it declares none). A name that is not one of
/// the full sweep's top-level parameters is an error on it.
pub(crate) fn merge_quick(full: &ParamList, quick: ParamList) -> syn::Result<ParamList> {
    let mut merged = full.0.clone();
    let mut errors: Option<syn::Error> = None;
    let mut seen = HashSet::new();
    for mut q in quick.0 {
        let name = unraw(&q.name);
        let Some(slot) = merged.iter_mut().find(|p| unraw(&p.name) == name) else {
            let known: Vec<String> = full.0.iter().map(|p| unraw(&p.name)).collect();
            let e = syn::Error::new(
                q.name.span(),
                format!(
                    "`{name}` is not a parameter of the full sweep ({}): the quick sweep gives \
                     some of its parameters fewer levels",
                    known.join(", ")
                ),
            );
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
            continue;
        };
        if !seen.insert(name.clone()) {
            let e = syn::Error::new(q.name.span(), format!("`{name}` is given twice"));
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
            continue;
        }
        if q.ty.is_none() {
            q.ty = slot.ty.clone();
        }
        *slot = q;
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(ParamList(merged)),
    }
}

/// What a parameter's field is, once checked.
struct Checked {
    /// The field's type; `()` after an error.
    ty: TokenStream,
    /// The code of its levels when it is not `levels(values)`: a restricted parameter's
    /// (every variant of its enum), or none after an error.
    levels: Option<TokenStream>,
}

impl Checked {
    /// After an error: a field of type `()`, and no code that would fail again.
    fn failed() -> Checked {
        Checked {
            ty: quote!(()),
            levels: Some(quote!(::std::vec::Vec::new())),
        }
    }
}

/// Collects errors instead of stopping at the first.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        let e = syn::Error::new(span, msg);
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// `num_flows` → `NumFlows`.
fn camel(name: &str) -> String {
    name.trim_start_matches("r#")
        .split('_')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

fn unraw(i: &Ident) -> String {
    let s = i.to_string();
    s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
}

/// The kind of a literal level, to find the field's type and mixed lists.
#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Str,
    /// With its suffix (`u32`), if any.
    Int(Option<String>),
    Float,
    Bool,
    Char,
    /// `Enum::Variant`: the enum's path.
    Path(String),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Str => "a string".into(),
            Kind::Int(None) => "an integer".into(),
            Kind::Int(Some(s)) => format!("a `{s}`"),
            Kind::Float => "a float".into(),
            Kind::Bool => "a bool".into(),
            Kind::Char => "a char".into(),
            Kind::Path(p) => format!("a `{p}`"),
        }
    }
}

/// A literal level's kind, whether it is negative, and its integer value.
fn literal(e: &Expr) -> Option<(Kind, bool, Option<i128>)> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(_) => Some((Kind::Str, false, None)),
            Lit::Int(i) => {
                let suffix = (!i.suffix().is_empty()).then(|| i.suffix().to_string());
                Some((Kind::Int(suffix), false, i.base10_parse::<i128>().ok()))
            }
            Lit::Float(_) => Some((Kind::Float, false, None)),
            Lit::Bool(_) => Some((Kind::Bool, false, None)),
            Lit::Char(_) => Some((Kind::Char, false, None)),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => match literal(&u.expr)? {
            (k @ (Kind::Int(_) | Kind::Float), _, v) => Some((k, true, v.map(|v| -v))),
            _ => None,
        },
        Expr::Group(g) => literal(&g.expr),
        Expr::Paren(p) => literal(&p.expr),
        Expr::Path(p) if p.qself.is_none() && p.path.segments.len() >= 2 => {
            let segs: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.to_token_stream().to_string().replace(' ', ""))
                .collect();
            Some((Kind::Path(segs[..segs.len() - 1].join("::")), false, None))
        }
        _ => None,
    }
}

/// The type of unsuffixed integer levels: `u64` (as `igeom` gives), `i64` when one is
/// negative.
fn int_type(suffix: Option<&str>, negative: bool) -> TokenStream {
    match suffix {
        Some(s) => {
            let t = Ident::new(s, Span::call_site());
            quote!(#t)
        }
        None if negative => quote!(i64),
        None => quote!(u64),
    }
}

fn kind_type(kind: &Kind, negative: bool) -> TokenStream {
    match kind {
        Kind::Str => quote!(::std::string::String),
        Kind::Int(s) => int_type(s.as_deref(), negative),
        Kind::Float => quote!(::execo::__private::Float),
        Kind::Bool => quote!(bool),
        Kind::Char => quote!(char),
        Kind::Path(p) => p.parse().unwrap_or_else(|_| quote!(())),
    }
}

/// The elements of `[a, b]` and `vec![a, b]`.
fn list_elems(e: &Expr) -> Option<Vec<Expr>> {
    match e {
        Expr::Array(a) => Some(a.elems.iter().cloned().collect()),
        Expr::Macro(m) if m.mac.path.is_ident("vec") => m
            .mac
            .parse_body_with(Punctuated::<Expr, Token![,]>::parse_terminated)
            .ok()
            .map(|p| p.into_iter().collect()),
        Expr::Group(g) => list_elems(&g.expr),
        Expr::Paren(p) => list_elems(&p.expr),
        _ => None,
    }
}

/// A literal list's type, after checking that it is not empty and of one kind.
/// `Err` when the problem is reported; `Ok(None)` when the type cannot be told.
type Inferred = Result<Option<TokenStream>, ()>;

fn list_type(name: &Ident, list: &Expr, elems: &[Expr], errors: &mut Errors) -> Inferred {
    if elems.is_empty() {
        errors.push(
            list.span(),
            format!(
                "parameter `{name}` has no levels: give it at least one (execo drops such a \
                 parameter; a field cannot be dropped, and the sweep would have no combination)"
            ),
        );
        return Err(());
    }
    let mut first: Option<(Kind, &Expr)> = None;
    let mut negative = false;
    let mut all_literal = true;
    for e in elems {
        let Some((kind, neg, _)) = literal(e) else {
            all_literal = false;
            continue;
        };
        negative |= neg;
        match &first {
            None => first = Some((kind, e)),
            Some((k0, e0)) => {
                let same = match (k0, &kind) {
                    // An unsuffixed integer takes the suffixed one's type.
                    (Kind::Int(a), Kind::Int(b)) => a.is_none() || b.is_none() || a == b,
                    (a, b) => a == b,
                };
                if !same {
                    let hint = match (k0, &kind) {
                        (Kind::Int(_), Kind::Float) | (Kind::Float, Kind::Int(_)) => {
                            " (for floats, write the integers as `2.0`)"
                        }
                        _ => {
                            " (for levels of several kinds, make them one enum of yours, \
                             or a restricted parameter `name = { a: {..}, b: {..} }`)"
                        }
                    };
                    errors.push(
                        e.span(),
                        format!(
                            "parameter `{name}` mixes levels of different types: `{}` is {}, \
                             `{}` is {}; a parameter's levels have one type{hint}",
                            e0.to_token_stream(),
                            k0.describe(),
                            e.to_token_stream(),
                            kind.describe(),
                        ),
                    );
                    return Err(());
                }
                // Keep the suffixed kind, which decides the type.
                if matches!(kind, Kind::Int(Some(_))) {
                    first = Some((kind, e));
                }
            }
        }
    }
    Ok(match first {
        Some((k, _)) if all_literal => Some(kind_type(&k, negative)),
        _ => None,
    })
}

/// The type of `a..b` with literal ends, after checking that it is not empty.
fn range_type(name: &Ident, r: &syn::ExprRange, errors: &mut Errors) -> Inferred {
    let (Some(start), Some(end)) = (&r.start, &r.end) else {
        errors.push(
            r.span(),
            format!("the range of `{name}` needs both ends: `{name} = 0..4`"),
        );
        return Err(());
    };
    let (Some((Kind::Int(s1), n1, Some(v1))), Some((Kind::Int(s2), n2, Some(v2)))) =
        (literal(start), literal(end))
    else {
        return Ok(None);
    };
    if s1.is_some() && s2.is_some() && s1 != s2 {
        errors.push(
            end.span(),
            format!(
                "parameter `{name}` mixes levels of different types: `{}` and `{}`",
                start.to_token_stream(),
                end.to_token_stream()
            ),
        );
        return Err(());
    }
    let closed = matches!(r.limits, syn::RangeLimits::Closed(_));
    if v1 > v2 || (v1 == v2 && !closed) {
        errors.push(
            r.span(),
            format!(
                "parameter `{name}` has no levels: the range `{}` is empty",
                r.to_token_stream().to_string().replace(' ', "")
            ),
        );
        return Err(());
    }
    Ok(Some(int_type(s1.or(s2).as_deref(), n1 || n2)))
}

/// The type of `igeom(..)` and `geom(..)`.
fn call_type(e: &Expr) -> Option<TokenStream> {
    let Expr::Call(c) = e else { return None };
    let Expr::Path(p) = &*c.func else { return None };
    match p.path.segments.last()?.ident.to_string().as_str() {
        "igeom" => Some(quote!(u64)),
        "geom" => Some(quote!(::execo::__private::Float)),
        _ => None,
    }
}

fn is_float_type(t: &Type) -> bool {
    matches!(t, Type::Path(p) if p.qself.is_none() && (p.path.is_ident("f64") || p.path.is_ident("f32")))
}

/// Checks the names of `params` and of their sub-sweeps against `outer` (the names a
/// combination of theirs also holds) and each other.
fn check_names(params: &[Param], outer: &HashSet<String>, errors: &mut Errors) {
    let mut scope = outer.clone();
    for p in params {
        let n = unraw(&p.name);
        if !scope.insert(n.clone()) {
            let why = if outer.contains(&n) {
                "a sub-parameter sits beside the other parameters in a combination (execo's \
                 flat combinations), so its name must differ from theirs"
            } else {
                "each parameter is one field: give it one list of levels, or another name"
            };
            errors.push(p.name.span(), format!("duplicate parameter `{n}`: {why}"));
        }
    }
    for p in params {
        if let Values::Restricted { levels, .. } = &p.values {
            for l in levels {
                check_names(&l.params, &scope, errors);
            }
        }
    }
}

/// The generated items of one sweep level (the struct, or an enum's variant): its
/// fields, the enums of its restricted parameters, the code of its product.
struct Gen {
    items: Vec<TokenStream>,
    names: Vec<String>,
}

/// Field declarations and the product code for `params`, built with `ctor`.
fn fields_and_product(
    params: &[Param],
    ctor: &TokenStream,
    context: &str,
    vis: &Visibility,
    gen_: &mut Gen,
    errors: &mut Errors,
) -> (Vec<TokenStream>, TokenStream) {
    let mut fields = Vec::new();
    let mut lets = Vec::new();
    let mut loops_vars = Vec::new();
    let mut seen = Vec::new();
    for p in params {
        let name = &p.name;
        // A duplicate is reported (check_names); its field would only repeat the error.
        if seen.contains(&unraw(name)) {
            continue;
        }
        seen.push(unraw(name));
        let label = format!("{}{context}", unraw(name));
        if !gen_.names.contains(&unraw(name)) {
            gen_.names.push(unraw(name));
        }
        let checked = check_param(p, context, vis, gen_, errors);
        let ty = &checked.ty;
        let var = format_ident!("__execo_levels_{}", unraw(name));
        let serde_attr = match &p.values {
            Values::Restricted { .. } => quote!(#[serde(flatten)]),
            Values::Expr(_) => quote!(),
        };
        let doc = format!(" Parameter `{}`.", unraw(name));
        // A variant's fields share its enum's visibility.
        let field_vis = (context.is_empty()).then(|| quote!(pub));
        fields.push(quote! {
            #[doc = #doc]
            #serde_attr
            #field_vis #name: #ty
        });
        let levels = match (&p.values, checked.levels) {
            (_, Some(code)) => code,
            (Values::Expr(e), None) => quote_spanned! {e.span()=>
                ::execo::__private::levels::<#ty, _, _>(#e)
            },
            (Values::Restricted { .. }, None) => quote!(::std::vec::Vec::new()),
        };
        lets.push(quote! {
            let #var: ::std::vec::Vec<#ty> = #levels;
            if #var.is_empty() {
                return ::std::result::Result::Err(::execo::__private::EmptyLevels {
                    parameter: #label,
                });
            }
        });
        loops_vars.push((var, name.clone()));
    }
    let assigns = loops_vars
        .iter()
        .map(|(_, n)| quote!(#n: ::std::clone::Clone::clone(#n)));
    let build = if params.is_empty() {
        quote!(__execo_out.push(#ctor);)
    } else {
        quote!(__execo_out.push(#ctor { #(#assigns),* });)
    };
    let nested = loops_vars.iter().rev().fold(build, |inner, (var, n)| {
        quote! { for #n in &#var { #inner } }
    });
    let product = quote! {{
        #(#lets)*
        let mut __execo_out = ::std::vec::Vec::new();
        #nested
        __execo_out
    }};
    (fields, product)
}

/// Checks one parameter and returns its field's type; a restricted one generates its
/// enum into `gen_`.
fn check_param(
    p: &Param,
    context: &str,
    vis: &Visibility,
    gen_: &mut Gen,
    errors: &mut Errors,
) -> Checked {
    let name = &p.name;
    if let Some(t) = &p.ty
        && is_float_type(t)
    {
        errors.push(
            t.span(),
            format!(
                "`{}` cannot be a parameter's type: a combination must be `Eq` and `Hash`, \
                 which floats are not; declare `{name}: Float = ..` (execo::sweep::Float, \
                 which takes `f64` levels), or leave the type out",
                t.to_token_stream()
            ),
        );
        return Checked::failed();
    }
    match &p.values {
        Values::Expr(e) => {
            let inferred = if let Some(elems) = list_elems(e) {
                list_type(name, e, &elems, errors)
            } else if let Expr::Range(r) = e {
                range_type(name, r, errors)
            } else {
                Ok(call_type(e))
            };
            match (&p.ty, inferred) {
                (Some(t), _) => Checked {
                    ty: t.to_token_stream(),
                    levels: None,
                },
                (None, Ok(Some(t))) => Checked {
                    ty: t,
                    levels: None,
                },
                (None, Err(())) => Checked::failed(),
                (None, Ok(None)) => {
                    errors.push(
                        e.span(),
                        format!(
                            "cannot tell the type of `{name}` from these levels: declare \
                             it, `{name}: Type = ..` (levels are converted to it: `&str` to \
                             `String`, `f64` to `Float`); literal lists, literal ranges, \
                             `igeom(..)` and `geom(..)` need no type"
                        ),
                    );
                    Checked::failed()
                }
            }
        }
        Values::Restricted { brace, levels } => {
            let enum_name = match &p.ty {
                None => format_ident!("{}", camel(&unraw(name)), span = name.span()),
                Some(Type::Path(tp)) if tp.qself.is_none() && tp.path.get_ident().is_some() => {
                    tp.path.get_ident().cloned().unwrap_or_else(|| name.clone())
                }
                Some(t) => {
                    errors.push(
                        t.span(),
                        format!(
                            "the type of a restricted parameter is the enum generated for it: \
                             give it a plain name (`{name}: Mode = {{ .. }}`)"
                        ),
                    );
                    format_ident!("{}", camel(&unraw(name)), span = name.span())
                }
            };
            if levels.is_empty() {
                errors.push(
                    *brace,
                    format!(
                        "parameter `{name}` has no levels: give at least one, `{name} = {{ x: {{}} }}`"
                    ),
                );
                return Checked::failed();
            }
            let mut seen: HashMap<String, String> = HashMap::new();
            let mut variants = Vec::new();
            let mut display = Vec::new();
            let mut parts = Vec::new();
            for l in levels {
                let level = unraw(&l.name);
                let variant_s = camel(&level);
                if let Some(other) = seen.insert(variant_s.clone(), level.clone()) {
                    errors.push(
                        l.name.span(),
                        if other == level {
                            format!("level `{level}` of `{name}` is given twice")
                        } else {
                            format!(
                                "levels `{other}` and `{level}` of `{name}` would both be the \
                                 variant `{variant_s}`: rename one"
                            )
                        },
                    );
                    continue;
                }
                let variant = format_ident!("{}", variant_s, span = l.name.span());
                let doc = format!(" Level `{level}` of `{}`.", unraw(name));
                let sub_ctx = format!(" in {} = {level}{context}", unraw(name));
                let (fields, product) = fields_and_product(
                    &l.params,
                    &quote!(#enum_name::#variant),
                    &sub_ctx,
                    vis,
                    gen_,
                    errors,
                );
                parts.push(quote! { __execo_all.extend(#product); });
                if l.params.is_empty() {
                    variants.push(quote! { #[doc = #doc] #[serde(rename = #level)] #variant });
                    display.push(quote! { #enum_name::#variant => #level });
                } else {
                    variants.push(quote! {
                        #[doc = #doc]
                        #[serde(rename = #level)]
                        #variant { #(#fields),* }
                    });
                    display.push(quote! { #enum_name::#variant { .. } => #level });
                }
            }
            let tag = unraw(name);
            let doc = format!(
                " The levels of `{tag}`, each with its own sub-parameters (a restricted \
                 sub-sweep); generated by `#[params]`. Serialized flat, as execo's \
                 combinations: `\"{tag}\"` holds the level's name beside its sub-parameters."
            );
            gen_.items.push(quote! {
                #[doc = #doc]
                #[derive(
                    ::execo::__private::serde::Serialize,
                    ::execo::__private::serde::Deserialize,
                    ::std::hash::Hash,
                    ::std::cmp::PartialEq,
                    ::std::cmp::Eq,
                    ::std::clone::Clone,
                    ::std::fmt::Debug
                )]
                #[serde(crate = "::execo::__private::serde", tag = #tag)]
                #vis enum #enum_name { #(#variants),* }

                impl ::std::fmt::Display for #enum_name {
                    /// The level's name, as in a combination.
                    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(match self { #(#display),* })
                    }
                }
            });
            Checked {
                ty: enum_name.to_token_stream(),
                levels: Some(quote! {{
                    let mut __execo_all: ::std::vec::Vec<#enum_name> = ::std::vec::Vec::new();
                    #(#parts)*
                    __execo_all
                }}),
            }
        }
    }
}

/// The struct `name` (visibility `vis`, extra attributes `attrs`) with one field per
/// parameter, its enums, its sweep; and the errors, as `compile_error!`s.
pub(crate) fn generate(
    list: &ParamList,
    name: &Ident,
    vis: &Visibility,
    attrs: &[syn::Attribute],
    for_what: &str,
) -> TokenStream {
    let mut errors = Errors::default();
    check_names(&list.0, &HashSet::new(), &mut errors);
    let mut gen_ = Gen {
        items: Vec::new(),
        names: Vec::new(),
    };
    let (fields, product) =
        fields_and_product(&list.0, &quote!(Self), "", vis, &mut gen_, &mut errors);
    let names = &gen_.names;
    let items = &gen_.items;
    let has_doc = attrs.iter().any(|a| a.path().is_ident("doc"));
    let doc = (!has_doc).then(|| {
        let d =
            format!(" The parameters of {for_what}, one combination: generated by `#[params]`.");
        quote!(#[doc = #d])
    });
    let errors = errors.0.map(|e| e.to_compile_error());
    quote! {
        #errors
        #(#attrs)*
        #doc
        #[derive(
            ::execo::__private::serde::Serialize,
            ::execo::__private::serde::Deserialize,
            ::std::hash::Hash,
            ::std::cmp::PartialEq,
            ::std::cmp::Eq,
            ::std::clone::Clone,
            ::std::fmt::Debug
        )]
        #[serde(crate = "::execo::__private::serde")]
        #vis struct #name { #(#fields),* }

        #(#items)*

        impl #name {
            /// Every combination, in execo's order (the first parameter varies slowest);
            /// empty when a parameter's levels are empty at run time
            /// ([`try_sweep`](::execo::__private::ParamSpace::try_sweep) says which).
            #[allow(dead_code)]
            pub fn sweep() -> ::std::vec::Vec<Self> {
                <Self as ::execo::__private::ParamSpace>::try_sweep().unwrap_or_default()
            }
        }

        impl ::execo::__private::ParamSpace for #name {
            const PARAMETERS: &'static [&'static str] = &[#(#names),*];
            fn try_sweep() -> ::std::result::Result<::std::vec::Vec<Self>, ::execo::__private::EmptyLevels> {
                ::std::result::Result::Ok(#product)
            }
        }
    }
}
