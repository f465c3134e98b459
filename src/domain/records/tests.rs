//! Unit tests of the field rules.

use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn failed(errors: Vec<FieldError>) -> Vec<String> {
    errors.into_iter().map(|e| e.field).collect()
}

#[test]
fn orders_get_defaults_and_strict_types() {
    let order = validate_create(Resource::Orders, &obj(json!({"customer_email": "A@Example.com"}))).expect("valid");
    assert_eq!(
        Value::Object(order),
        json!({"customer_email": "a@example.com", "total_cents": 0, "currency": "USD", "status": "pending"})
    );
    let bad = validate_create(
        Resource::Orders,
        &obj(json!({"customer_email": "nope", "total_cents": -1, "currency": "usd", "status": "shipped", "extra": 1})),
    );
    assert_eq!(failed(bad.expect_err("invalid")), ["extra", "customer_email", "total_cents", "currency", "status"]);
    let wrong_types =
        validate_create(Resource::Orders, &obj(json!({"customer_email": 5, "total_cents": "10", "currency": "XXX"})));
    assert_eq!(failed(wrong_types.expect_err("invalid")), ["customer_email", "total_cents", "currency"]);
    assert!(validate_create(Resource::Orders, &obj(json!({"customer_email": "a@b.co", "total_cents": 1.5}))).is_err());
    let whole = validate_create(Resource::Orders, &obj(json!({"customer_email": "a@b.co", "total_cents": 4814.0})));
    assert_eq!(whole.expect("an integral number is an integer")["total_cents"], json!(4814));
    assert!(validate_create(Resource::Orders, &obj(json!({"customer_email": "a@b.co", "total_cents": 1e19}))).is_err());
}

#[test]
fn required_fields_and_patches() {
    assert_eq!(failed(validate_create(Resource::Categories, &obj(json!({}))).expect_err("missing")), ["name"]);
    assert_eq!(
        failed(validate_create(Resource::Categories, &obj(json!({"name": "  "}))).expect_err("empty")),
        ["name"]
    );
    let product =
        validate_create(Resource::Products, &obj(json!({"name": "Mug", "category_id": "cat_0123456789abcdef"})))
            .expect("valid");
    assert_eq!(product["price_cents"], json!(0));
    assert!(validate_create(Resource::Products, &obj(json!({"name": "Mug", "category_id": "cat_x"}))).is_err());
    let patched =
        validate_patch(Resource::Products, &product, &obj(json!({"price_cents": 250, "sku": null}))).expect("valid");
    assert_eq!(patched["price_cents"], json!(250));
    assert_eq!(patched["name"], json!("Mug"));
    assert_eq!(
        failed(
            validate_patch(Resource::Products, &product, &obj(json!({"name": null, "colour": "red"})))
                .expect_err("bad")
        ),
        ["colour", "name"]
    );
}

#[test]
fn fields_with_a_default_refuse_null_and_nullable_ones_clear() {
    let order = validate_create(Resource::Orders, &obj(json!({"customer_email": "a@b.co"}))).expect("valid");
    let nulls = json!({"status": null, "currency": null, "total_cents": null});
    assert_eq!(
        failed(validate_patch(Resource::Orders, &order, &obj(nulls.clone())).expect_err("nulls")),
        ["total_cents", "currency", "status"]
    );
    let mut create = obj(nulls);
    create.insert("customer_email".into(), json!("a@b.co"));
    assert_eq!(failed(validate_create(Resource::Orders, &create).expect_err("nulls")).len(), 3);
    let customer =
        validate_create(Resource::Customers, &obj(json!({"email": "a@b.co", "name": "Ada"}))).expect("valid");
    let cleared = validate_patch(Resource::Customers, &customer, &obj(json!({"name": null}))).expect("cleared");
    assert_eq!(cleared["name"], Value::Null);
}

/// A field's schema accepts a value exactly when the validator does (for text, where the
/// pattern and the trimming rules could drift apart).
fn schema_agrees(resource: Resource, name: &str, value: &str) -> Result<(), String> {
    let f = fields(resource).iter().find(|f| f.name == name).expect("field");
    let schema = f.schema();
    let pattern = regex::Regex::new(schema["pattern"].as_str().expect("pattern")).expect("regex");
    let max = schema["maxLength"].as_u64().expect("maxLength") as usize;
    let by_schema = value.chars().count() <= max && pattern.is_match(value);
    let by_validator = accept(f, &Value::from(value)).is_ok();
    if by_schema == by_validator {
        Ok(())
    } else {
        Err(format!("{name} {value:?}: schema says {by_schema}, validator {by_validator}"))
    }
}

proptest::proptest! {
    #[test]
    fn text_schemas_accept_exactly_what_the_validator_accepts(
        value in "[a \t\n\r\u{0}\u{1f}\u{7f}\u{85}\u{a0}\u{2028}\u{3000}é]{0,70}"
    ) {
        for (resource, name) in [(Resource::Categories, "name"), (Resource::Customers, "name"), (Resource::Products, "sku")] {
            proptest::prop_assert!(schema_agrees(resource, name, &value).is_ok(), "{:?}", schema_agrees(resource, name, &value));
        }
    }
}

#[test]
fn a_long_integral_float_is_the_integer_it_spells() {
    // serde_json's fast float parsing was off by an ulp for long mantissas
    // (2251799813685247.0 read as …247.5); `float_roundtrip` reads it exactly.
    let body: Map<String, Value> =
        serde_json::from_str(r#"{"customer_email": "a@b.co", "total_cents": 2251799813685247.0}"#).unwrap();
    let order = validate_create(Resource::Orders, &body).expect("valid");
    assert_eq!(order["total_cents"], json!(2_251_799_813_685_247_i64));
}
