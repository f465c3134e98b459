//! The API's resources (docs/api-guide.md: Resources) and the validation of their JSON bodies.
//! A body becomes a normalised JSON object, or a list of per-field errors.

use super::Email;
use super::event_type::EventType;
use super::resource::Resource;
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
    /// Text of at most this many characters (counted as sent, before trimming).
    Text(usize),
    NonNegativeInt,
    Currency,
    OrderStatus,
    /// The public id of a category (existence is checked against the database).
    CategoryRef,
}

/// One field of a resource: how it is validated, and (from the same data)
/// how the OpenAPI document describes it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    kind: Kind,
    /// Must be given, and not blank, on create.
    pub required: bool,
    /// May be `null` (and so cleared by a PATCH). Fields with a default never are.
    pub nullable: bool,
    default: Option<fn() -> Value>,
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: false, nullable: false, default: None }
}

const fn required(name: &'static str, kind: Kind) -> Field {
    Field { required: true, ..field(name, kind) }
}

const fn nullable(name: &'static str, kind: Kind) -> Field {
    Field { nullable: true, ..field(name, kind) }
}

const fn defaulted(name: &'static str, kind: Kind, default: fn() -> Value) -> Field {
    Field { default: Some(default), ..field(name, kind) }
}

fn zero() -> Value {
    Value::from(0)
}

fn usd() -> Value {
    Value::from("USD")
}

fn pending() -> Value {
    Value::from("pending")
}

const CUSTOMERS: &[Field] = &[required("email", Kind::Email), nullable("name", Kind::Text(200))];
const CATEGORIES: &[Field] = &[required("name", Kind::Text(200))];
const PRODUCTS: &[Field] = &[
    required("name", Kind::Text(200)),
    nullable("sku", Kind::Text(64)),
    defaulted("price_cents", Kind::NonNegativeInt, zero),
    nullable("category_id", Kind::CategoryRef),
];
const ORDERS: &[Field] = &[
    required("customer_email", Kind::Email),
    defaulted("total_cents", Kind::NonNegativeInt, zero),
    defaulted("currency", Kind::Currency, usd),
    defaulted("status", Kind::OrderStatus, pending),
];

pub fn id_schema(r: Resource) -> Value {
    let prefix = id_prefix(r);
    serde_json::json!({"type": "string", "pattern": format!("^{prefix}_[0-9A-Za-z]{{16}}$"), "description": "prefixed id"})
}

/// The object as the API answers it (and `*.created` events carry it):
/// every field present (null where allowed), plus `id`, `created_at` and `created_by_key`.
pub fn object_schema(r: Resource) -> Value {
    let mut properties = Map::new();
    properties.insert("id".into(), id_schema(r));
    let mut required = vec![Value::from("id")];
    for f in fields(r) {
        properties.insert(f.name.into(), f.schema());
        required.push(f.name.into());
    }
    properties.insert("created_at".into(), serde_json::json!({"type": "string", "format": "date-time"}));
    required.push("created_at".into());
    properties.insert(
        "created_by_key".into(),
        serde_json::json!({"type": ["string", "null"], "pattern": "^key_[0-9A-Za-z]{16}$", "description": "the API key that created it"}),
    );
    required.push("created_by_key".into());
    serde_json::json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// The fields of a resource, in the order the API documents and checks them.
pub fn fields(resource: Resource) -> &'static [Field] {
    match resource {
        Resource::Customers => CUSTOMERS,
        Resource::Categories => CATEGORIES,
        Resource::Products => PRODUCTS,
        Resource::Orders => ORDERS,
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
pub fn created_event(resource: Resource) -> Option<EventType> {
    match resource {
        Resource::Customers => Some(EventType::CustomerCreated),
        Resource::Orders => Some(EventType::OrderCreated),
        Resource::Products => Some(EventType::ProductCreated),
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

/// The characters `str::trim` removes (Unicode White_Space), as a regex class.
const SPACE: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Control characters (Unicode Cc).
const CONTROL: &str = r"\x00-\x1f\x7f-\x9f";

fn check(kind: Kind, field: &str, required: bool, value: &Value) -> Result<Value, FieldError> {
    let text = || value.as_str().ok_or_else(|| error(field, "must be a string"));
    match kind {
        Kind::Email => {
            let email = Email::parse(text()?).map_err(|e| error(field, e.0))?;
            Ok(Value::from(email.as_str()))
        }
        Kind::Text(max) => {
            let raw = text()?;
            if raw.chars().count() > max {
                return Err(error(field, format!("must be at most {max} characters")));
            }
            // Surrounding white space is trimmed; what is left may hold no control character.
            let s = raw.trim();
            if s.chars().any(char::is_control) {
                return Err(error(field, "must not contain control characters"));
            }
            if required && s.is_empty() {
                return Err(error(field, "must not be empty"));
            }
            Ok(Value::from(s))
        }
        Kind::NonNegativeInt => match (value.as_i64(), value.as_f64()) {
            (Some(n), _) if n >= 0 => Ok(Value::from(n)),
            (None, _) if value.is_u64() => Err(error(field, "is too large")),
            // JSON has one number type: 4814.0 is the integer 4814 (as JSON Schema says).
            (None, Some(f)) if f.fract() == 0.0 && (0.0..I64_BOUND).contains(&f) => Ok(Value::from(f as i64)),
            (None, Some(f)) if f.fract() == 0.0 && f >= I64_BOUND => Err(error(field, "is too large")),
            _ => Err(error(field, "must be an integer ≥ 0")),
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
        Kind::CategoryRef => {
            let id = text()?;
            let ok =
                id.strip_prefix("cat_").is_some_and(|b| b.len() == 16 && b.bytes().all(|c| c.is_ascii_alphanumeric()));
            if ok { Ok(Value::from(id)) } else { Err(error(field, "must be a category id (cat_…) or null")) }
        }
    }
}

/// 2^63: every integral f64 below it fits an i64.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

/// A given value of a field, null included: the stored value or the problem.
fn accept(f: &Field, value: &Value) -> Result<Value, FieldError> {
    match value {
        Value::Null if f.nullable => Ok(Value::Null),
        Value::Null if f.required => Err(error(f.name, "is required and cannot be null")),
        Value::Null => Err(error(f.name, "cannot be null; leave it out to keep the current value or default")),
        value => check(f.kind, f.name, f.required, value),
    }
}

/// Validates a POST body: required fields, types, no unknown fields.
/// Returns the stored fields (defaults filled in).
pub fn validate_create(resource: Resource, body: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = unknown_fields(resource, body);
    for f in fields(resource) {
        let value = match body.get(f.name) {
            None if f.required => Err(error(f.name, "is required")),
            None => Ok(f.default.map_or(Value::Null, |d| d())),
            Some(value) => accept(f, value),
        };
        match value {
            Ok(v) => {
                out.insert(f.name.to_owned(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Validates a PATCH body (a partial update; unknown fields are refused, only
/// the fields given are checked) and returns `current` with the changes applied.
pub fn validate_patch(
    resource: Resource,
    current: &Map<String, Value>,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = current.clone();
    let mut errors = unknown_fields(resource, body);
    for f in fields(resource) {
        let Some(value) = body.get(f.name) else { continue };
        match accept(f, value) {
            Ok(v) => {
                out.insert(f.name.to_owned(), v);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn unknown_fields(resource: Resource, body: &Map<String, Value>) -> Vec<FieldError> {
    let known = fields(resource);
    body.keys()
        .filter(|k| !known.iter().any(|f| f.name == k.as_str()))
        .map(|k| error(k, "is not a field of this resource"))
        .collect()
}

impl Field {
    /// JSON type of the value: `string` or `integer`.
    pub fn json_type(&self) -> &'static str {
        if self.kind == Kind::NonNegativeInt { "integer" } else { "string" }
    }

    /// One line for people (the docs page and the schema's description).
    pub fn description(&self) -> String {
        let what = match self.kind {
            Kind::Email => "an e-mail address (stored trimmed and lower-cased)".to_owned(),
            Kind::Text(max) => format!("text, at most {max} characters, no control characters (stored trimmed)"),
            Kind::NonNegativeInt => "an integer ≥ 0".to_owned(),
            Kind::Currency => "a 3-letter ISO 4217 code in capitals".to_owned(),
            Kind::OrderStatus => "pending, paid or cancelled".to_owned(),
            Kind::CategoryRef => "the id of a category of this organisation (cat_…)".to_owned(),
        };
        let default = self.default.map(|d| format!("; default {}", d()));
        let null = if self.nullable { "; may be null (a PATCH with null clears it)" } else { "; never null" };
        format!("{what}{}{null}", default.unwrap_or_default())
    }

    /// A plausible value, for the examples of the event catalog.
    pub fn example(&self) -> Value {
        match self.kind {
            Kind::Email => "ada@example.com".into(),
            Kind::Text(_) => "Example".into(),
            Kind::NonNegativeInt => 2500.into(),
            Kind::Currency => "EUR".into(),
            Kind::OrderStatus => "paid".into(),
            Kind::CategoryRef => Value::Null,
        }
    }

    /// The JSON Schema of the values this field accepts — exactly what
    /// [`validate_create`] and [`validate_patch`] take, so the OpenAPI
    /// document cannot promise more or less than the API does.
    pub fn schema(&self) -> Value {
        let mut schema = Map::new();
        let ty = Value::from(self.json_type());
        schema.insert("type".into(), if self.nullable { Value::from(vec![ty, Value::from("null")]) } else { ty });
        schema.insert("description".into(), Value::from(self.description()));
        let mut set = |k: &str, v: Value| {
            schema.insert(k.into(), v);
        };
        match self.kind {
            Kind::Email => {
                set("format", "email".into());
                set("maxLength", 254.into());
            }
            Kind::Text(max) => {
                set("maxLength", max.into());
                // Optional white space around text without control characters; required text has a visible character.
                let pattern = if self.required {
                    format!("^[{SPACE}]*[^{CONTROL}{SPACE}][^{CONTROL}]*[{SPACE}]*$")
                } else {
                    format!("^[{SPACE}]*[^{CONTROL}]*[{SPACE}]*$")
                };
                set("pattern", pattern.into());
            }
            Kind::NonNegativeInt => {
                set("minimum", 0.into());
                set("maximum", i64::MAX.into());
            }
            Kind::Currency => set("enum", CURRENCIES.split_whitespace().collect::<Vec<_>>().into()),
            Kind::OrderStatus => set("enum", vec!["pending", "paid", "cancelled"].into()),
            Kind::CategoryRef => set("pattern", "^cat_[0-9A-Za-z]{16}$".into()),
        }
        if let Some(default) = self.default {
            set("default", default());
        }
        Value::Object(schema)
    }
}

/// A whole number ≥ 0: an integral number such as 60.0 is an integer, as
/// JSON Schema says (one too large for u64 reads as u64::MAX).
pub fn whole_number(value: &Value) -> Option<u64> {
    let f = value.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0)?;
    Some(value.as_u64().unwrap_or(f.min(u64::MAX as f64) as u64))
}

#[cfg(test)]
mod tests;
