//! Emits the code of stream bodies (see `ir::streams`): their Rust types (`EventStream<T>`,
//! `JsonStream<T>`), the server's response and request-body calls and the client's.

use proc_macro2::TokenStream;
use quote::quote;

use super::validate::validator_short as validator_path;
use super::{lit, prelude, ty_nullable};
use crate::ir::{BodyKind, EventItem, Ir, Response, SeqFraming};

/// The Rust type of a stream body (`None` for other kinds).
pub fn stream_type(ir: &Ir, kind: &BodyKind) -> Option<TokenStream> {
    Some(match kind {
        BodyKind::EventStream(e) => {
            let t = e.data.map_or_else(|| prelude(ir, "String"), |s| ty_nullable(ir, s));
            quote!(crate::runtime::stream::EventStream<#t>)
        }
        BodyKind::JsonSeq(_, s) => {
            let t = s.map_or_else(|| quote!(::serde_json::Value), |s| ty_nullable(ir, s));
            quote!(crate::runtime::stream::JsonStream<#t>)
        }
        _ => return None,
    })
}

fn framing(f: SeqFraming) -> TokenStream {
    match f {
        SeqFraming::Lines => quote!(crate::runtime::stream::Framing::Lines),
        SeqFraming::RecordSeparator => quote!(crate::runtime::stream::Framing::RecordSeparator),
    }
}

fn data_kind(ir: &Ir, e: &EventItem) -> TokenStream {
    match e.data {
        Some(s) => {
            let v = validator_path(ir, s);
            quote!(crate::runtime::stream::DataKind::Json(#v))
        }
        None => quote!(crate::runtime::stream::DataKind::Text),
    }
}

fn envelope(ir: &Ir, e: &EventItem) -> TokenStream {
    match e.envelope {
        Some(s) => {
            let v = validator_path(ir, s);
            quote!(Some(#v))
        }
        None => quote!(None),
    }
}

fn item_validator(ir: &Ir, s: Option<crate::ir::SchemaId>) -> TokenStream {
    match s {
        Some(s) => {
            let v = validator_path(ir, s);
            quote!(Some(#v))
        }
        None => quote!(None),
    }
}

/// The server's response of a stream body `body` (`None` for other kinds): sent as it is
/// produced, each item checked unless turned off (see `Api`'s `item_checks`).
pub fn server_response(ir: &Ir, operation: &str, status: &TokenStream, media_type: &str, kind: &BodyKind) -> Option<TokenStream> {
    let name = lit(operation);
    Some(match kind {
        BodyKind::EventStream(e) => {
            let (kind, envelope) = (data_kind(ir, e), envelope(ir, e));
            quote!(crate::runtime::stream_server::sse_response(#name, #status, body, #kind, #envelope, cfg!(debug_assertions)))
        }
        BodyKind::JsonSeq(f, s) => {
            let (f, v, mt) = (framing(*f), item_validator(ir, *s), lit(media_type));
            quote!(crate::runtime::stream_server::json_seq_response(#name, #status, #mt, body, #f, #v, cfg!(debug_assertions)))
        }
        _ => return None,
    })
}

/// The server's reading of a request body that is a JSON sequence (`None` for other kinds).
pub fn server_body(ir: &Ir, media_type: &str, kind: &BodyKind) -> Option<TokenStream> {
    let BodyKind::JsonSeq(f, s) = kind else { return None };
    let (f, v, mt) = (framing(*f), item_validator(ir, *s), lit(media_type));
    Some(quote!(let body = crate::runtime::stream_server::json_seq_body(&ctx.headers, body, &state.config, #mt, #f, #v)?;))
}

/// The `item_checks` method of a server response enum with stream variants (`None` without):
/// sets each stream's check from `RouterConfig::validate_stream_items` unless the handler set it.
pub fn item_checks(op_responses: &[&Response]) -> Option<TokenStream> {
    let arms: Vec<TokenStream> = op_responses
        .iter()
        .filter(|r| r.body.as_ref().is_some_and(|(_, k)| k.is_stream()))
        .map(|r| {
            let v = super::ident(&r.variant);
            if r.code().is_some() {
                quote!(Self::#v(body) => Self::#v(body.checked_by_default(on)),)
            } else {
                quote!(Self::#v { status, body } => Self::#v { status, body: body.checked_by_default(on) },)
            }
        })
        .collect();
    if arms.is_empty() {
        return None;
    }
    let rest = (arms.len() < op_responses.len()).then(|| quote!(other => other,));
    Some(quote! {
        /// Sets whether each streamed item is checked against its schema before it is sent,
        /// unless the handler chose for that stream (`validate`).
        pub fn item_checks(self, on: bool) -> Self {
            match self {
                #(#arms)*
                #rest
            }
        }
    })
}

/// The client's statement sending a JSON sequence request body `value` (`None` for other kinds).
pub fn client_send(media_type: &str, kind: &BodyKind, value: &TokenStream) -> Option<TokenStream> {
    let BodyKind::JsonSeq(f, _) = kind else { return None };
    let (f, mt) = (framing(*f), lit(media_type));
    Some(quote!(request = request.header(reqwest::header::CONTENT_TYPE, #mt).body(crate::runtime::stream_client::json_seq_body(#value, #f));))
}

/// The client's opening of a call whose response `r` is a stream (`None` otherwise): the
/// streamed status returns the stream; any other is read whole into `response`.
pub fn client_open(ir: &Ir, r: &Response) -> Option<TokenStream> {
    let (mt, kind) = r.body.as_ref()?;
    let accept = lit(mt);
    let live = match r.code() {
        Some(c) => quote!(|status| status == #c),
        None => {
            let base = u16::from(r.status.as_bytes()[0].saturating_sub(b'0')) * 100;
            let end = base + 99;
            quote!(|status| (#base..=#end).contains(&status))
        }
    };
    let stream = match kind {
        BodyKind::EventStream(e) => {
            let (kind, envelope) = (data_kind(ir, e), envelope(ir, e));
            let sentinel = match &ir.streams.sentinel {
                Some(s) => {
                    let s = lit(s);
                    quote!(Some(#s))
                }
                None => quote!(None),
            };
            let max = ir.streams.max_reconnects;
            quote!(live.events(#kind, #envelope, crate::runtime::stream::ClientSettings::new(#sentinel, #max)))
        }
        BodyKind::JsonSeq(f, s) => {
            let (f, v) = (framing(*f), item_validator(ir, *s));
            quote!(live.items(#f, #v))
        }
        _ => return None,
    };
    Some(quote! {
        let response = match crate::runtime::stream_client::open(self, request, #accept, #live).await? {
            crate::runtime::stream_client::Opened::Live(live) => return Ok(#stream),
            crate::runtime::stream_client::Opened::Done(response) => response,
        };
    })
}
