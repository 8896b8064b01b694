//! The runtime's `client` module on its own: parameter styles as sent, path encoding, forms.
#![cfg(feature = "client")]

use codegen_runtime::Style;
use codegen_runtime::client::*;

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
}

#[test]
fn query_parameters_in_each_style() {
    let ids = vec![1, 2];
    assert_eq!(query_param("ids", &ids, Style::Form, true), owned(&[("ids", "1"), ("ids", "2")]));
    assert_eq!(query_param("ids", &ids, Style::Form, false), owned(&[("ids", "1,2")]));
    assert_eq!(query_param("ids", &ids, Style::SpaceDelimited, false), owned(&[("ids", "1 2")]));
    assert_eq!(query_param("ids", &ids, Style::PipeDelimited, false), owned(&[("ids", "1|2")]));
    let filter = serde_json::json!({"min": 3});
    assert_eq!(query_param("filter", &filter, Style::DeepObject, true), owned(&[("filter[min]", "3")]));
}

#[test]
fn path_parameters_in_each_style_are_encoded() {
    let ids = vec!["a b", "c"];
    assert_eq!(path_text("id", &ids, Style::Simple, false), "a%20b,c");
    assert_eq!(path_text("id", &ids, Style::Label, true), ".a%20b.c");
    assert_eq!(path_text("id", &ids, Style::Matrix, true), ";id=a%20b;id=c");
    assert_eq!(encode_segment("x/y?z"), "x%2Fy%3Fz");
    assert_eq!(encode_segment("safe-._~"), "safe-._~");
}

#[test]
fn forms_nest_with_brackets() {
    let body = serde_json::json!({"a": {"b": 1}, "c": "x y"});
    let text = form_text(&body);
    assert!(text.contains("a%5Bb%5D=1"), "{text}");
    assert!(text.contains("c=x+y") || text.contains("c=x%20y"), "{text}");
}

/// `client_type!` expands `crate::runtime::client::Connection`: this test crate gets a `runtime`
/// module like a generated crate's.
mod runtime {
    pub use codegen_runtime::*;
}

codegen_runtime::client::client_type!(Client);

#[test]
fn the_declared_client_type_derefs_to_its_connection() {
    let client = Client::new("https://api.example.com/").strict(true).with_bearer_token("t");
    assert_eq!(client.base_url(), "https://api.example.com");
    let connection: &Connection = &client;
    assert!(format!("{connection:?}").contains("strict: true"), "{connection:?}");
}
