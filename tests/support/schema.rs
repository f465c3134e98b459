//! JSON Schema validation of webhook bodies with Python's `jsonschema`
//! (Draft 2020-12), which the test command installs with schemathesis.

/// Validates each (instance, schema) pair with Python's jsonschema (Draft 2020-12); the failures.
pub fn schema_failures(pairs: &[(String, serde_json::Value, serde_json::Value)]) -> Vec<String> {
    let input: Vec<serde_json::Value> =
        pairs.iter().map(|(name, instance, schema)| serde_json::json!([name, instance, schema])).collect();
    let script = r#"
import json, sys, jsonschema
bad = []
for name, instance, schema in json.load(sys.stdin):
    errors = list(jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).iter_errors(instance))
    if errors:
        bad.append(name + ": " + errors[0].message)
print(json.dumps(bad))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 with jsonschema (scripts/test installs it with schemathesis)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(serde_json::Value::from(input).to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().expect("validator");
    assert!(out.status.success(), "the validator ran");
    serde_json::from_slice(&out.stdout).expect("validator output")
}
