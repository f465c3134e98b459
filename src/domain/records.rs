//! The API's resources (SPEC §4) and the validation of their JSON bodies.
//! A body becomes a normalised JSON object, or a list of per-field errors.

use super::Email;
use super::scopes::Resource;
use serde_json::{Map, Value};

/// One failed field, as `validation_failed` details show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), message: message.into() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Email,
    Text(usize),
    NonNegativeInt,
    Currency,
    OrderStatus,
    /// The public id of a category (existence is checked against the database).
    CategoryRef,
}

/// (field, kind, required on create, default on create).
type Spec = (&'static str, Kind, bool, Option<fn() -> Value>);

fn specs(resource: Resource) -> &'static [Spec] {
    match resource {
        Resource::Customers => &[("email", Kind::Email, true, None), ("name", Kind::Text(200), false, None)],
        Resource::Categories => &[("name", Kind::Text(200), true, None)],
        Resource::Products => &[
            ("name", Kind::Text(200), true, None),
            ("sku", Kind::Text(64), false, None),
            ("price_cents", Kind::NonNegativeInt, false, Some(|| Value::from(0))),
            ("category_id", Kind::CategoryRef, false, None),
        ],
        Resource::Orders => &[
            ("customer_email", Kind::Email, true, None),
            ("total_cents", Kind::NonNegativeInt, false, Some(|| Value::from(0))),
            ("currency", Kind::Currency, false, Some(|| Value::from("USD"))),
            ("status", Kind::OrderStatus, false, Some(|| Value::from("pending"))),
        ],
    }
}

/// The id prefix of a resource's objects.
pub fn id_prefix(resource: Resource) -> &'static str {
    match resource {
        Resource::Customers => "cus",
        Resource::Orders => "ord",
        Resource::Products => "prod",
        Resource::Categories => "cat",
    }
}

/// The event a created object emits (categories emit none).
pub fn created_event(resource: Resource) -> Option<&'static str> {
    match resource {
        Resource::Customers => Some("customer.created"),
        Resource::Orders => Some("order.created"),
        Resource::Products => Some("product.created"),
        Resource::Categories => None,
    }
}

/// Active ISO 4217 currency codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD \
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL \
HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD \
MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR \
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND \
VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG";

fn check(kind: Kind, field: &str, value: &Value) -> Result<Value, FieldError> {
    let text = || value.as_str().ok_or_else(|| error(field, "must be a string"));
    match kind {
        Kind::Email => {
            let email = Email::parse(text()?).map_err(|e| error(field, e.0))?;
            Ok(Value::from(email.as_str()))
        }
        Kind::Text(max) => {
            let s = text()?.trim();
            if s.chars().count() > max {
                return Err(error(field, format!("must be at most {max} characters")));
            }
            if s.chars().any(char::is_control) {
                return Err(error(field, "must not contain control characters"));
            }
            Ok(Value::from(s))
        }
        Kind::NonNegativeInt => match value.as_i64() {
            Some(n) if n >= 0 => Ok(Value::from(n)),
            Some(_) => Err(error(field, "must be an integer ≥ 0")),
            None if value.is_u64() => Err(error(field, "is too large")),
            None => Err(error(field, "must be an integer ≥ 0")),
        },
        Kind::Currency => {
            let code = text()?;
            if code.len() == 3 && CURRENCIES.split_whitespace().any(|c| c == code) {
                Ok(Value::from(code))
            } else {
                Err(error(field, "must be a 3-letter ISO 4217 currency code in capitals, such as USD or EUR"))
            }
        }
        Kind::OrderStatus => match text()? {
            s @ ("pending" | "paid" | "cancelled") => Ok(Value::from(s)),
            _ => Err(error(field, "must be one of pending, paid, cancelled")),
        },
        Kind::CategoryRef => match value {
            Value::Null => Ok(Value::Null),
            _ => {
                let id = text()?;
                let ok = id
                    .strip_prefix("cat_")
                    .is_some_and(|b| b.len() == 16 && b.bytes().all(|c| c.is_ascii_alphanumeric()));
                if ok { Ok(Value::from(id)) } else { Err(error(field, "must be a category id (cat_…) or null")) }
            }
        },
    }
}

/// Validates a POST body: required fields, types, no unknown fields.
/// Returns the stored fields (defaults filled in).
pub fn validate_create(resource: Resource, body: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = unknown_fields(resource, body);
    for (name, kind, required, default) in specs(resource) {
        match body.get(*name) {
            None | Some(Value::Null) if *required => errors.push(error(name, "is required")),
            None => {
                if let Some(default) = default {
                    out.insert((*name).to_owned(), default());
                } else {
                    out.insert((*name).to_owned(), Value::Null);
                }
            }
            Some(Value::Null) if !matches!(kind, Kind::CategoryRef | Kind::Text(_)) => {
                out.insert((*name).to_owned(), default.map(|d| d()).unwrap_or(Value::Null));
            }
            Some(Value::Null) => {
                out.insert((*name).to_owned(), Value::Null);
            }
            Some(value) => match check(*kind, name, value) {
                Ok(v) if *required && v.as_str() == Some("") => errors.push(error(name, "must not be empty")),
                Ok(v) => {
                    out.insert((*name).to_owned(), v);
                }
                Err(e) => errors.push(e),
            },
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Validates a PATCH body (a partial update; unknown fields are refused) and
/// returns `current` with the changes applied.
pub fn validate_patch(
    resource: Resource,
    current: &Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = current.clone();
    let mut errors = unknown_fields(resource, body);
    for (name, kind, required, _) in specs(resource) {
        let Some(value) = body.get(*name) else { continue };
        if value.is_null() {
            if *required {
                errors.push(error(name, "is required and cannot be null"));
            } else {
                out.insert((*name).to_owned(), Value::Null);
            }
            continue;
        }
        match check(*kind, name, value) {
            Ok(v) if *required && v.as_str() == Some("") => errors.push(error(name, "must not be empty")),
            Ok(v) => {
                out.insert((*name).to_owned(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn unknown_fields(resource: Resource, body: &Map<String, Value>) -> Vec<FieldError> {
    let known = specs(resource);
    body.keys()
        .filter(|k| !known.iter().any(|(name, ..)| name == k))
        .map(|k| error(k, "is not a field of this resource"))
        .collect()
}

/// A field as the API documentation describes it.
pub struct FieldDoc {
    pub name: &'static str,
    /// JSON type: `string` or `integer`.
    pub json_type: &'static str,
    pub required: bool,
    pub description: &'static str,
}

/// The fields of a resource, for the OpenAPI document and `/docs/api`.
pub fn field_docs(resource: Resource) -> Vec<FieldDoc> {
    specs(resource)
        .iter()
        .map(|(name, kind, required, _)| {
            let (json_type, description) = match kind {
                Kind::Email => ("string", "an email address"),
                Kind::Text(_) => ("string", "text"),
                Kind::NonNegativeInt => ("integer", "an integer ≥ 0 (default 0)"),
                Kind::Currency => ("string", "3-letter ISO 4217 code (default USD)"),
                Kind::OrderStatus => ("string", "pending (default), paid or cancelled"),
                Kind::CategoryRef => ("string", "a category id (cat_…) or null"),
            };
            FieldDoc { name, json_type, required: *required, description }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
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
            &obj(
                json!({"customer_email": "nope", "total_cents": -1, "currency": "usd", "status": "shipped", "extra": 1}),
            ),
        );
        assert_eq!(fields(bad.expect_err("invalid")), ["extra", "customer_email", "total_cents", "currency", "status"]);
        let wrong_types = validate_create(
            Resource::Orders,
            &obj(json!({"customer_email": 5, "total_cents": "10", "currency": "XXX"})),
        );
        assert_eq!(fields(wrong_types.expect_err("invalid")), ["customer_email", "total_cents", "currency"]);
        assert!(
            validate_create(Resource::Orders, &obj(json!({"customer_email": "a@b.co", "total_cents": 1.5}))).is_err()
        );
    }

    #[test]
    fn required_fields_and_patches() {
        assert_eq!(fields(validate_create(Resource::Categories, &obj(json!({}))).expect_err("missing")), ["name"]);
        assert_eq!(
            fields(validate_create(Resource::Categories, &obj(json!({"name": "  "}))).expect_err("empty")),
            ["name"]
        );
        let product =
            validate_create(Resource::Products, &obj(json!({"name": "Mug", "category_id": "cat_0123456789abcdef"})))
                .expect("valid");
        assert_eq!(product["price_cents"], json!(0));
        assert!(validate_create(Resource::Products, &obj(json!({"name": "Mug", "category_id": "cat_x"}))).is_err());
        let patched = validate_patch(Resource::Products, &product, &obj(json!({"price_cents": 250, "sku": null})))
            .expect("valid");
        assert_eq!(patched["price_cents"], json!(250));
        assert_eq!(patched["name"], json!("Mug"));
        assert_eq!(
            fields(
                validate_patch(Resource::Products, &product, &obj(json!({"name": null, "colour": "red"})))
                    .expect_err("bad")
            ),
            ["colour", "name"]
        );
    }
}
