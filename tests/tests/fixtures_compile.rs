//! Goldens must compile: every fixture's generated crate is built (server and client) in one
//! scratch workspace, with clippy and warnings denied, so no spec text can break the output.

use codegen::Options;
use tests::scratch;
use xtask::project_root;

/// `FIXTURES_ONLY=a,b` limits a local run to those fixtures (by file stem); the full list of
/// behaviour tests is then not required. Unset (as in CI), every fixture is built and tested.
fn only() -> Option<Vec<String>> {
    std::env::var("FIXTURES_ONLY").ok().filter(|v| !v.trim().is_empty()).map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
}

fn fixtures() -> Vec<std::path::PathBuf> {
    let only = only();
    let mut out: Vec<_> = std::fs::read_dir(project_root().join("tests/fixtures"))
        .expect("fixtures folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json" || x == "yaml"))
        .filter(|p| only.as_ref().is_none_or(|only| p.file_stem().and_then(|s| s.to_str()).is_some_and(|stem| only.iter().any(|o| o == stem))))
        .collect();
    out.sort();
    out
}

#[test]
fn fixture_crates_compile_without_warnings() {
    let root = project_root();
    let work = root.join("target/fixture-crates");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("scratch dir");
    let mut members = Vec::new();
    for spec in fixtures() {
        let stem = spec.file_stem().and_then(|s| s.to_str()).expect("name").replace('.', "-");
        let options = Options { crate_name: Some(format!("fixture-{stem}")), ..Options::default() };
        // Through the builder, so a fixture's `<stem>.codegen.toml` configures it.
        let generated = codegen::Builder::new().spec(&spec).options(options).generate().unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        scratch::write_files(&work.join(&stem), &generated.files);
        // A fixture may come with behaviour tests (`<name>.rs` beside it), run inside its crate.
        let behaviour = spec.with_extension("rs");
        if behaviour.exists() {
            // (A crate without a server has no `tests/` folder of its own.)
            std::fs::create_dir_all(work.join(&stem).join("tests")).expect("tests folder");
            std::fs::copy(&behaviour, work.join(&stem).join("tests/behaviour.rs")).expect("copy behaviour test");
            let manifest = work.join(&stem).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest).expect("manifest");
            std::fs::write(&manifest, format!("{text}\n[dev-dependencies]\nserde_json = \"1\"\ntokio = {{ version = \"1\", features = [\"macros\", \"rt\", \"net\", \"io-util\", \"time\", \"sync\"] }}\naxum = {{ version = \"0.8\", default-features = false, features = [\"http1\", \"tokio\"] }}\nreqwest = {{ version = \"0.13\", default-features = false, features = [\"json\", \"multipart\", \"stream\"] }}\nbytes = \"1\"\nfutures-util = {{ version = \"0.3\", default-features = false }}\nserde = \"1\"\ntower = {{ version = \"0.5\", features = [\"util\"] }}\n")).expect("dev-dependency");
        }
        members.push(stem);
    }
    if only().is_some() {
        eprintln!("FIXTURES_ONLY is set: built and tested only {members:?}");
    } else {
        assert!(members.len() >= 5, "fixtures found: {members:?}");
    }
    scratch::workspace(&work, &members);
    let output =
        scratch::cargo(&work, &["clippy", "--workspace", "--all-targets", "--features", "server,client,schemars", "--quiet", "--", "-D", "warnings"], &[]);
    assert!(output.status.success(), "generated fixture crates do not build cleanly:\n{}", String::from_utf8_lossy(&output.stderr));
    let output = scratch::cargo(&work, &["test", "--workspace", "--features", "server,client"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "fixture behaviour tests failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let expected: &[&str] = if only().is_some() { &[] } else { EXPECTED };
    for test in expected {
        assert!(stdout.contains(&format!("{test} ... ok")), "{test} did not run:\n{stdout}");
    }
}

/// Behaviour tests that must have run (and passed) in a full run.
const EXPECTED: &[&str] = &[
    "positional_parts_arrive_typed_in_order",
    "a_part_in_the_wrong_media_type_is_refused_at_its_position",
    "missing_and_extra_parts_and_bad_values_are_refused_with_their_paths",
    "the_generated_client_sends_the_same_parts_in_order",
    "a_download_reaches_the_client_before_the_handler_has_produced_it",
    "a_multi_mib_download_arrives_complete",
    "an_upload_streamed_by_the_client_is_read_incrementally",
    "an_announced_over_limit_upload_is_refused_before_the_handler",
    "a_streamed_over_limit_upload_is_refused_in_the_error_shape",
    "media_types_are_the_documented_ones_or_the_streams_own",
    "discriminator_and_validation_pick_the_variant",
    "awkward_paths_are_routed",
    "bad_formats_are_violations_with_paths",
    "styles_round_trip_between_client_and_server",
    "raw_requests_in_each_style_are_read_and_validated",
    "every_media_type_is_read_by_its_content_type",
    "form_bodies_nest_and_coerce",
    "extras_survive_a_round_trip",
    "headers_round_trip",
    "pathological_values_are_answered_quickly",
    "ecma_meanings_are_kept",
    "scalar_keywords",
    "array_keywords",
    "object_keywords",
    "applicator_keywords",
    "the_fast_path_declines_what_serde_alone_would_accept",
    "the_server_answers_the_same_on_either_path",
    "random_hostile_requests_get_documented_answers",
    "user_types_round_trip_and_validators_still_check_the_schema",
    "derives_and_attributes_are_on_the_types",
    "renamed_items_keep_their_wire_names",
    "renamed_operations_are_the_method_names",
    "only_the_included_operations_are_routed",
    "the_package_version_is_the_configured_one",
    "unknown_members_are_denied_where_the_schema_is_silent",
    "unknown_enum_values_fail_to_decode",
    "response_types_refuse_unknown_members",
    "unlisted_values_are_kept",
    "formats_are_asserted_and_lookaround_patterns_still_checked",
    "formats_stay_strings",
    "types_convert_without_validators",
    "validators_check_values_without_types",
    "the_query_method_carries_a_json_body",
    "additional_operations_are_routed_by_their_own_method",
    "the_querystring_parameter_is_one_typed_validated_form",
    "a_json_querystring_is_the_percent_encoded_json_text",
    "the_default_mapping_picks_the_variant_without_a_tag",
    "typed_events_arrive_one_at_a_time",
    "the_server_refuses_an_invalid_event_and_the_client_types_one_it_receives",
    "the_client_parses_comments_multi_line_data_ids_and_retry_from_the_wire",
    "a_get_feed_reconnects_with_the_last_event_id",
    "the_sentinel_ends_the_stream_cleanly",
    "json_lines_download_arrives_one_at_a_time",
    "json_lines_error_items_are_typed_and_the_stream_goes_on",
    "json_lines_upload_is_read_one_at_a_time",
    "json_seq_items_are_rs_framed_both_ways",
    "the_configured_mapping_types_event_data_in_a_31_document",
    "a_stream_without_an_item_schema_keeps_text_data",
    "x_item_schema_and_the_mapping_type_ndjson_both_ways",
    "cursor_pages_follow_next_cursor_keeping_the_other_parameters",
    "an_empty_first_page_yields_no_items_and_ends",
    "a_repeated_cursor_ends_the_stream_with_an_error",
    "stripe_style_last_item_id_while_has_more",
    "a_nested_meta_cursor_stops_when_has_more_is_false",
    "a_next_url_is_followed_on_the_same_origin_only",
    "page_numbers_go_up_to_total_pages",
    "a_link_header_names_the_next_page",
    "x_pagination_and_the_configuration_describe_the_rest",
    "files_repeated_parts_coercion_and_a_json_part_are_typed",
    "invalid_values_are_refused_with_their_field_paths",
    "missing_required_parts_and_unknown_parts_are_violations",
    "the_encoding_media_type_and_headers_are_honoured",
    "the_generated_client_sends_the_same_parts",
    "a_non_object_schema_stays_the_raw_part_list",
    "a_secured_webhook_is_authenticated_by_its_own_scheme",
    "the_receiver_mounts_under_a_prefix_beside_the_users_routes",
    "webhook_sender_posts_a_typed_body_to_the_receiver",
    "invalid_webhook_is_rejected_in_the_error_shape_before_the_handler",
    "callback_goes_to_the_url_from_the_subscription_body",
    "absent_parameters_get_their_defaults_and_given_ones_are_kept",
    "absent_body_properties_get_their_defaults_and_given_ones_are_kept",
    "a_response_without_defaulted_members_decodes_with_the_defaults",
    "the_client_leaves_what_it_was_not_given_off_the_wire",
];
