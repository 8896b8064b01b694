//! Emits a paginated operation's client code (see [`crate::ir::pagination`]): its `Paging`
//! table, the hidden one-page fetch the operation's method delegates to, and the page and item
//! streams (the runtime's `paginate` module does the following).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ident, lit};
use crate::ir::pagination::{PageNext, Pagination};
use crate::ir::{Ir, Operation};

/// The pieces of the operation's method the paginated code is made from.
pub struct Method<'a> {
    /// The method's outer attributes (docs, `deprecated`).
    pub attrs: TokenStream,
    /// The method's arguments (`params: &crate::types::XParams,`, a body).
    pub args: &'a [TokenStream],
    /// The parameters argument alone (the streams take no body), or nothing.
    pub params_arg: TokenStream,
    /// The operation's own method, when it cannot delegate to the one-page fetch (an optional
    /// body, which pages do not send).
    pub own: Option<TokenStream>,
    /// The parameter values (`params.to_params()`).
    pub values: TokenStream,
    /// The success type.
    pub ok_type: TokenStream,
    /// The error enum.
    pub err_name: &'a proc_macro2::Ident,
    /// The descriptor (`ops::LIST_CALLS`).
    pub op_desc: TokenStream,
    /// The authentication statements (on `mut request`).
    pub auth: &'a [TokenStream],
    /// The `match status` arms.
    pub arms: &'a [TokenStream],
}

fn path(p: &[String]) -> TokenStream {
    let parts = p.iter().map(|s| lit(s));
    quote!(&[#(#parts),*])
}

fn opt_path(p: Option<&Vec<String>>) -> TokenStream {
    match p {
        Some(p) => {
            let p = path(p);
            quote!(Some(#p))
        }
        None => quote!(None),
    }
}

/// The `Paging` static's value.
fn table(p: &Pagination) -> TokenStream {
    let index = |id: &crate::ir::ParamId| id.index();
    let next = match &p.next {
        PageNext::Cursor { param, at, has_more } => {
            let (param, at, more) = (index(param), path(at), opt_path(has_more.as_ref()));
            quote!(Cursor { param: #param, at: #at, has_more: #more })
        }
        PageNext::LastItem { param, field, has_more } => {
            let (param, field, more) = (index(param), lit(field), opt_path(has_more.as_ref()));
            quote!(LastItem { param: #param, field: #field, has_more: #more })
        }
        PageNext::Page { param, total, first } => {
            let (param, total) = (index(param), opt_path(total.as_ref()));
            quote!(Page { param: #param, total: #total, first: #first })
        }
        PageNext::Offset { param } => {
            let param = index(param);
            quote!(Offset { param: #param })
        }
        PageNext::Url { at } => {
            let at = path(at);
            quote!(Url { at: #at })
        }
        PageNext::LinkHeader => quote!(LinkHeader),
    };
    let items = path(&p.items);
    quote!(paginate::Paging { next: paginate::Next::#next, items: #items })
}

/// The operation's method (delegating to the one-page fetch), the fetch, and the two streams;
/// and the `Paging` static (a module item).
pub fn methods(ir: &Ir, op: &Operation, p: &Pagination, m: &Method<'_>) -> (TokenStream, TokenStream) {
    let Method { attrs, args, params_arg, own, values, ok_type, err_name, op_desc, auth, arms } = m;
    let fname = ident(&op.fn_name);
    let (pages_fn, items_fn, page_fn) = (ident(&p.pages_fn), ident(&p.items_fn), ident(&p.page_fn));
    let table_name = format_ident!("{}", crate::naming::paging_static(&op.fn_name));
    let table_value = table(p);
    let mutable = if auth.iter().all(TokenStream::is_empty) { TokenStream::new() } else { quote!(mut) };
    let item = match p.item_schema {
        Some(s) => super::ty_nullable(ir, s),
        None => quote!(serde_json::Value),
    };
    let about_pages = lit(&format!(
        " Every page of [`Client::{}`], from the one `params` asks for to the last ({} pagination); a page asked for twice ends the stream with [`paginate::PageError::Repeated`].",
        op.fn_name.trim_start_matches("r#"),
        p.next.kind()
    ));
    let about_items = lit(&format!(" Every item of every page of [`Client::{}`] (see [`Client::{}`]).", op.fn_name.trim_start_matches("r#"), p.pages_fn));
    let stream = |item: TokenStream| quote!(impl paginate::Stream<Item = Result<#item, paginate::PageError<#err_name>>> + Send + 'static);
    let (pages_ty, items_ty) = (stream(ok_type.clone()), stream(item));
    let drive = |f: TokenStream| {
        quote! {
            let client = self.clone();
            paginate::#f(self.base_url().to_string(), &#table_name, #values, move |values, url| {
                let client = client.clone();
                async move { client.#page_fn(values, url).await }
            })
        }
    };
    let (pages_body, items_body) = (drive(quote!(pages)), drive(quote!(items)));
    let method = match own {
        Some(own) => own.clone(),
        None => quote! {
            #attrs
            pub async fn #fname(&self, #(#args)*) -> Result<#ok_type, ClientError<#err_name>> {
                self.#page_fn(#values, None).await.map(|(value, _)| value)
            }
        },
    };
    let methods = quote! {
        #method

        #[doc = #about_pages]
        pub fn #pages_fn(&self, #params_arg) -> #pages_ty {
            #pages_body
        }

        #[doc = #about_items]
        pub fn #items_fn(&self, #params_arg) -> #items_ty {
            #items_body
        }

        #[doc(hidden)]
        pub async fn #page_fn(&self, values: Vec<Option<serde_json::Value>>, url: Option<reqwest::Url>) -> Result<(#ok_type, RawResponse), ClientError<#err_name>> {
            let request = self.prepare(&#op_desc, values)?;
            let #mutable request = paginate::at_url(request, url)?;
            #(#auth)*
            let response = self.send_op(request, &#op_desc).await?;
            let raw = response.clone();
            let status = response.status;
            let value = match status {
                #(#arms)*
            }?;
            Ok((value, raw))
        }
    };
    let item = quote! {
        static #table_name: paginate::Paging = #table_value;
    };
    (methods, item)
}
