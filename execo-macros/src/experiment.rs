//! `#[experiment]` and where `#[params]` may stand: from a function to a registered
//! experiment and the binary's `main`.
//!
//! The expansion is small on purpose: the function as written, its `#[params]` struct,
//! one wrapper that hands the function to the runtime's loop, an `inventory` entry, and
//! `main`. Everything else (command line, engine, sweep loop, messages) is the
//! runtime's, compiled once.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Item, ItemFn, LitStr, ReturnType, Token, Type};

use crate::params::{self, ParamList};

/// `#[experiment(no_main, name = "..", setup = f, teardown = f, finish = f)]`.
#[derive(Default)]
struct Options {
    no_main: bool,
    name: Option<LitStr>,
    setup: Option<syn::Path>,
    teardown: Option<syn::Path>,
    finish: Option<syn::Path>,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut o = Options::default();
        while !input.is_empty() {
            let key: Ident = input.parse()?;
            fn step<'a>(o: &'a mut Options, key: &str) -> Option<&'a mut Option<syn::Path>> {
                match key {
                    "setup" => Some(&mut o.setup),
                    "teardown" => Some(&mut o.teardown),
                    "finish" => Some(&mut o.finish),
                    _ => None,
                }
            }
            let k = key.to_string();
            match k.as_str() {
                "no_main" => o.no_main = true,
                "name" => {
                    input.parse::<Token![=]>()?;
                    o.name = Some(input.parse()?);
                }
                "setup" | "teardown" | "finish" => {
                    if !input.peek(Token![=]) {
                        return Err(syn::Error::new(
                            key.span(),
                            format!("`{key}` names a function: `{key} = my_{key}`"),
                        ));
                    }
                    input.parse::<Token![=]>()?;
                    let path: syn::Path = input.parse()?;
                    if let Some(slot) = step(&mut o, &k) {
                        if slot.is_some() {
                            return Err(syn::Error::new(
                                key.span(),
                                format!("`{key}` is given twice"),
                            ));
                        }
                        *slot = Some(path);
                    }
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{key}` of #[experiment]: it takes `setup = f` \
                             (builds what the combinations need: `fn f(xp: &Experiment<Args>) \
                             -> Result<Setup, E>`), `teardown = f` (undoes it, on success, \
                             error and Ctrl-C: `fn f(xp: &Experiment<Args>, s: Setup) -> \
                             Result<(), E>`), `finish = f` (after the sweep: `fn f(xp: \
                             &Experiment<Args>, outcome: &Outcome) -> Result<(), E>`), \
                             `no_main` (for a binary that holds several experiments, or \
                             writes its own `main`) and `name = \"..\"` (the experiment's \
                             name, its function's by default)"
                        ),
                    ));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(o)
    }
}

/// The struct name `#[params]` on a function generates: its last parameter's type when it
/// is a plain name (`p: Params`), else `Params`.
fn params_name(f: &ItemFn) -> Ident {
    f.sig
        .inputs
        .iter()
        .rev()
        .find_map(|a| match a {
            FnArg::Typed(t) => plain_name(&t.ty),
            FnArg::Receiver(_) => None,
        })
        .unwrap_or_else(|| Ident::new("Params", Span::call_site()))
}

/// `Params`, `&Params`: the name.
fn plain_name(t: &Type) -> Option<Ident> {
    match t {
        Type::Path(p) if p.qself.is_none() => p.path.get_ident().cloned(),
        Type::Reference(r) => plain_name(&r.elem),
        _ => None,
    }
}

/// `quick,` at the start of a `#[params(..)]`: the quick sweep's.
fn is_quick(a: &Attribute) -> bool {
    let Ok(list) = a.meta.require_list() else {
        return false;
    };
    let mut tokens = list.tokens.clone().into_iter();
    let first = tokens.next();
    let second = tokens.next();
    matches!(&first, Some(proc_macro2::TokenTree::Ident(i)) if i == "quick")
        && match &second {
            None => true,
            Some(proc_macro2::TokenTree::Punct(p)) => p.as_char() == ',',
            Some(_) => false,
        }
}

/// `quick, a = [..], ..`.
fn parse_quick(input: ParseStream) -> syn::Result<ParamList> {
    input.parse::<Ident>()?;
    if input.is_empty() {
        return Err(input.error(
            "the quick sweep gives fewer levels to some parameters of the full one: \
             `#[params(quick, num_flows = [1, 4])]`",
        ));
    }
    input.parse::<Token![,]>()?;
    ParamList::parse(input)
}

/// Takes the `#[params(..)]` attributes out of `attrs`, and generates their struct, and
/// the quick sweep's (`#[params(quick, ..)]`): the full sweep's parameters, those it names
/// with its levels, as `Params::quick_sweep()`. Returns whether there is one.
fn take_params(f: &mut ItemFn, errors: &mut Vec<syn::Error>) -> (TokenStream, bool) {
    let (params, rest): (Vec<Attribute>, Vec<Attribute>) = std::mem::take(&mut f.attrs)
        .into_iter()
        .partition(|a| a.path().is_ident("params"));
    f.attrs = rest;
    let (quick, params): (Vec<Attribute>, Vec<Attribute>) = params.into_iter().partition(is_quick);
    let name = params_name(f);
    let what = format!("`{}`", f.sig.ident);
    let mut out = TokenStream::new();
    let mut full = None;
    for (i, a) in params.iter().enumerate() {
        if i > 0 {
            errors.push(syn::Error::new(
                a.span(),
                "one `#[params(..)]` per experiment: put every parameter in it (and a quick \
                 sweep in `#[params(quick, ..)]`)",
            ));
            continue;
        }
        match a.parse_args_with(ParamList::parse) {
            Ok(list) => {
                out.extend(params::generate(&list, &name, &f.vis, &[], &what));
                full = Some(list);
            }
            Err(e) => errors.push(e),
        }
    }
    let mut has_quick = false;
    for (i, a) in quick.iter().enumerate() {
        if i > 0 {
            errors.push(syn::Error::new(
                a.span(),
                "one `#[params(quick, ..)]` per experiment",
            ));
            continue;
        }
        let Some(full) = &full else {
            errors.push(syn::Error::new(
                a.span(),
                "a quick sweep goes with a full one: `#[params(a = [1, 2, 3])]` and \
                 `#[params(quick, a = [1])]`",
            ));
            continue;
        };
        let list = match a.parse_args_with(parse_quick) {
            Ok(l) => l,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let merged = match params::merge_quick(full, list) {
            Ok(m) => m,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        has_quick = true;
        let quick_what = format!("the quick sweep of {what}");
        let quick_name = Ident::new("Quick", Span::call_site());
        let generated = params::generate(
            &merged,
            &quick_name,
            &syn::Visibility::Inherited,
            &[],
            &quick_what,
        );
        // The quick struct is made inside the function: its restricted parameters' enums
        // do not clash with the full sweep's, and its levels see what the full sweep's
        // see (even in a function body, as in a doctest).
        out.extend(quote! {
            impl #name {
                /// The quick sweep (`--quick`, `#[params(quick, ..)]`), in execo's order.
                #[allow(dead_code)]
                pub fn quick_sweep() -> ::std::result::Result<
                    ::std::vec::Vec<Self>,
                    ::execo::__private::QuickSweepError,
                > {
                    #generated
                    ::execo::__private::quick_sweep::<Quick, Self>()
                }
            }
        });
    }
    (out, has_quick)
}

/// `#[params(..)]` on a function (the struct beside it) or on `struct Params;`.
pub(crate) fn params_attr(attr: TokenStream, item: TokenStream) -> TokenStream {
    let list = match ParamList::parse.parse2(attr) {
        Ok(l) => l,
        Err(e) => {
            // Still the item, so that what uses it does not fail too.
            let e = e.to_compile_error();
            return quote!(#e #item);
        }
    };
    match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(f)) => {
            let name = params_name(&f);
            let what = format!("`{}`", f.sig.ident);
            let s = params::generate(&list, &name, &f.vis, &[], &what);
            quote!(#s #f)
        }
        Ok(Item::Struct(s)) if s.generics.params.is_empty() && s.fields.is_empty() => {
            let what = format!("`{}`", s.ident);
            params::generate(&list, &s.ident, &s.vis, &s.attrs, &what)
        }
        _ => {
            let e = syn::Error::new(
                Span::call_site(),
                "#[params(..)] goes on an `#[experiment]` function, or on a unit struct whose \
                 fields it writes: `#[params(a = [1, 2])] struct Params;`",
            )
            .to_compile_error();
            quote!(#e #item)
        }
    }
}

/// The first paragraph of the doc comment.
fn about(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &a.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            let line = s.value().trim().to_string();
            if line.is_empty() {
                if !lines.is_empty() {
                    break;
                }
                continue;
            }
            lines.push(line);
        }
    }
    lines.join(" ")
}

const SHAPE: &str = "(xp: &mut Experiment, p: Params) -> Result<R, E>";

pub(crate) fn experiment_attr(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let options = Options::parse.parse2(attr).unwrap_or_else(|e| {
        errors.push(e);
        // The rest of the attribute is unknown: no `main` that could clash with the user's.
        Options {
            no_main: true,
            ..Options::default()
        }
    });
    let mut f = match syn::parse2::<ItemFn>(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(
                Span::call_site(),
                format!("#[experiment] goes on a function: `async fn name{SHAPE}`"),
            )
            .to_compile_error();
            return quote!(#e #item);
        }
    };
    let (params_struct, has_quick) = take_params(&mut f, &mut errors);
    let sig = &f.sig;
    let ident = &sig.ident;
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "an experiment cannot be generic: the binary's `main` calls it with one type of \
             parameters",
        ));
    }
    if let ReturnType::Default = sig.output {
        errors.push(syn::Error::new(
            sig.paren_token.span.close(),
            format!(
                "an experiment returns `Result<R, E>`: `-> Result<Measure, String>`; `R` \
                 (Serialize) is recorded with the combination, `E` (Display) is logged and the \
                 combination retried by the next run; full shape: `fn {ident}{SHAPE}`"
            ),
        ));
    }
    let mut ctx: Option<Type> = None;
    let mut p_ty: Option<Type> = None;
    let inputs: Vec<&FnArg> = sig.inputs.iter().collect();
    if inputs.len() != 2 {
        errors.push(syn::Error::new(
            if inputs.is_empty() {
                sig.paren_token.span.join()
            } else {
                sig.inputs.span()
            },
            format!(
                "an experiment takes its context and one combination: `fn {ident}{SHAPE}` \
                 (`Experiment<MyArgs>` for command-line arguments of its own)"
            ),
        ));
    } else {
        match inputs[0] {
            FnArg::Typed(t) => match &*t.ty {
                Type::Reference(r) if r.mutability.is_some() => ctx = Some((*r.elem).clone()),
                other => errors.push(syn::Error::new(
                    other.span(),
                    "the first parameter of an experiment is its context, by `&mut`: \
                     `xp: &mut Experiment` (or `&mut Experiment<MyArgs>`)",
                )),
            },
            FnArg::Receiver(r) => errors.push(syn::Error::new(
                r.span(),
                "an experiment is a free function, not a method",
            )),
        }
        match inputs[1] {
            FnArg::Typed(t) => match &*t.ty {
                Type::Reference(r) => errors.push(syn::Error::new(
                    r.span(),
                    format!(
                        "take the combination by value: `p: {}` (each call gets its own clone)",
                        r.elem.to_token_stream()
                    ),
                )),
                other => p_ty = Some(other.clone()),
            },
            FnArg::Receiver(r) => errors.push(syn::Error::new(r.span(), "unexpected `self`")),
        }
    }
    let errors_ts: TokenStream = errors.iter().map(|e| e.to_compile_error()).collect();
    let (Some(ctx), Some(p_ty), true) = (ctx, p_ty, errors.is_empty()) else {
        // No registration, whose type errors would only repeat these; a `main`, whose
        // absence would be one more error.
        let main = (!options.no_main).then(|| {
            quote!(
                fn main() {}
            )
        });
        return quote!(#errors_ts #params_struct #f #main);
    };
    let name = options
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_string());
    let about = about(&f.attrs);
    let wrapper = format_ident!("__execo_experiment_{}", ident);
    let runner = if sig.asyncness.is_some() {
        quote!(run_async)
    } else {
        quote!(run_blocking)
    };
    // Spanned at the signature: a return type that is not a `Result`, or a context that
    // is not an `Experiment`, is reported there.
    let hooks = hooks(&options, &p_ty, has_quick);
    let call = quote_spanned! {sig.output.span()=>
        ::execo::__private::#runner::<#ctx, #p_ty, _, _, _>(#name, matches, out, #hooks, #ident)
    };
    let command = if has_quick {
        quote_spanned! {ctx.span()=> ::execo::__private::command_quick::<#ctx> }
    } else {
        quote_spanned! {ctx.span()=> ::execo::__private::command::<#ctx> }
    };
    let main = (!options.no_main).then(|| {
        quote! {
            /// Runs the experiments of this program (generated by `#[experiment]`).
            fn main() -> ::std::process::ExitCode {
                ::execo::__private::main()
            }
        }
    });
    quote! {
        #errors_ts
        #params_struct
        #f

        #[doc(hidden)]
        fn #wrapper(
            matches: &::execo::__private::ArgMatches,
            out: &mut dyn ::std::io::Write,
        ) -> ::std::process::ExitCode {
            #call
        }

        ::execo::__private::inventory::submit! {
            ::execo::__private::ExperimentEntry {
                name: #name,
                about: #about,
                command: #command,
                run: #wrapper,
            }
        }

        #main
    }
}

/// The steps of `#[experiment(setup = .., teardown = .., finish = ..)]` and the quick
/// sweep, as the runtime's `Hooks`: each user function called from a closure that turns
/// its error into text, spanned at its name so that a wrong signature is reported there.
fn hooks(options: &Options, p_ty: &Type, has_quick: bool) -> TokenStream {
    let setup = match &options.setup {
        Some(f) => quote_spanned! {f.span()=> |xp| ::execo::__private::hook(#f(xp)) },
        None => quote!(::execo::__private::no_setup),
    };
    let teardown = match &options.teardown {
        Some(f) => quote_spanned! {f.span()=>
            ::std::option::Option::Some(|xp, s| ::execo::__private::hook(#f(xp, s)))
        },
        None => quote!(::std::option::Option::None),
    };
    let finish = match &options.finish {
        Some(f) => quote_spanned! {f.span()=>
            ::std::option::Option::Some(|xp, o| ::execo::__private::hook(#f(xp, o)))
        },
        None => quote!(::std::option::Option::None),
    };
    let quick = if has_quick {
        quote!(::std::option::Option::Some(<#p_ty>::quick_sweep))
    } else {
        quote!(::std::option::Option::None)
    };
    quote! {
        ::execo::__private::Hooks {
            setup: #setup,
            teardown: #teardown,
            finish: #finish,
            quick: #quick,
        }
    }
}
