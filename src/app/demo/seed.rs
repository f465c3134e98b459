//! The demo organisation's content. Rows are created now and then dated back
//! (`created_at`, `last_used_at` …), and their audit events are collected on
//! a [`Timeline`] and written in time order at the end, so the hash chain
//! grows with time as it does in real use. Sample secrets are discarded.

use crate::app::audit::checkpoints::Backdated;
use crate::app::audit::{self, Actor, Entry, RequestMeta};
use crate::db::api_keys::{self, ApiKey, KeySettings, NewKey};
use crate::db::{DbConn, QueryResult, backdate, memberships, orgs, records, users::User};
use crate::domain::access::{Metadata, OwnerId};
use crate::domain::checkpoint::CheckpointSigner;
use crate::domain::key_settings::IpAllowlist;
use crate::domain::records::{id_prefix, validate_create};
use crate::domain::scopes::{Resource, Scopes};
use crate::domain::token::{ApiKeySecret, KeyId, KeyPrefix, random_base62};
use crate::domain::{OrgId, OrgName, OrgSlug, Plan, Role};
use crate::infra::config::Config;
use crate::infra::progress::Progress;
use anyhow::Context;
use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};

/// Progress steps after the people.
pub const STEPS: u64 = 6;

/// Audit events to write, in time order, once everything exists.
#[derive(Default)]
pub(super) struct Timeline(Vec<(NaiveDateTime, Actor, RequestMeta, Entry)>);

impl Timeline {
    pub(super) fn add(&mut self, at: NaiveDateTime, actor: &Actor, meta: &RequestMeta, entry: Entry) {
        self.0.push((at, actor.clone(), meta.clone(), entry));
    }

    /// Checkpoints are signed along the way, dated as if the server had
    /// signed them then, so the back-dated history is covered ("Verify
    /// integrity" wants every event signed within two checkpoint intervals).
    fn write(mut self, conn: &mut DbConn, signer: &CheckpointSigner) -> QueryResult<()> {
        self.0.sort_by_key(|(at, ..)| *at);
        let mut checkpoints = Backdated::new(signer);
        for (at, actor, meta, entry) in self.0 {
            checkpoints.before(conn, at)?;
            let org_id = entry.org_id;
            audit::record_at(conn, &actor, &meta, entry, at)?;
            checkpoints.recorded(org_id, at);
        }
        checkpoints.finish(conn)
    }
}

/// A request from a person's browser at the office.
pub(super) fn office() -> RequestMeta {
    RequestMeta {
        ip: Some("203.0.113.24".into()),
        user_agent: Some("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15".into()),
        request_id: Some(format!("req_{}", random_base62(16))),
        trace_id: None,
    }
}

pub fn organisation(
    conn: &mut DbConn,
    slug: &OrgSlug,
    owner: &User,
    people: &[(User, Role)],
    staff: Option<&User>,
    config: &Config,
    progress: &mut Progress,
) -> anyhow::Result<()> {
    let now = crate::db::now();
    let mut timeline = Timeline::default();
    let founded = now - Duration::days(420);
    let name = OrgName::parse("Demo Co").map_err(anyhow::Error::msg)?;
    let org = orgs::create_with_owner(conn, slug, &name, Plan::Paid, owner.id)?;
    backdate::org(conn, org.id, founded)?;
    backdate::members(conn, org.id, founded)?;
    let cli = Actor::cli();
    timeline.add(founded, &cli, &RequestMeta::default(), Entry::org_created(org.id, &org.slug, &org.name, "paid"));
    let by_owner = Actor::user(owner);
    for (i, (user, role)) in people.iter().filter(|(_, r)| *r != Role::Owner).enumerate() {
        memberships::add(conn, org.id, user.id, *role).map_err(|e| anyhow::anyhow!("{e}"))?;
        let at = founded + Duration::days(3 + 25 * i as i64);
        backdate::member(conn, org.id, user.id, at)?;
        timeline.add(at, &by_owner, &office(), Entry::member_added(org.id, user.id, &user.email, *role));
    }
    let admin = people.iter().find(|(_, r)| *r == Role::Admin).map(|(u, _)| u).context("no admin")?;
    progress.step("organisation");
    let busy = seed_keys(conn, org.id, owner, admin, &mut timeline, now)?;
    super::apis::seed_apis(conn, org.id, owner, &mut timeline, now)?;
    progress.step("API keys");
    seed_records(conn, org.id)?;
    progress.step("customers and orders");
    super::webhooks::seed_webhooks(conn, org.id, owner, &config.encryption_key, &mut timeline, now)?;
    progress.step("webhooks");
    seed_usage(conn, org.id, &busy, now)?;
    super::requests::seed(conn, org.id, &busy)?;
    progress.step("usage");
    seed_sessions(org.id, owner, admin, staff, &mut timeline, now);
    timeline.write(conn, &config.compliance.audit_signer)?;
    progress.step("audit history");
    Ok(())
}

/// One sample key, created by `by` at `created`.
pub(super) struct Sample<'a> {
    pub(super) label: &'a str,
    pub(super) description: &'a str,
    scopes: &'a [&'a str],
    pub(super) created: NaiveDateTime,
    expires: Option<NaiveDateTime>,
    allowed_ips: &'a str,
    rate_limit: Option<u32>,
    rotated_from: Option<&'a str>,
    /// A key of another API than the sample, for whom, with what kept beside it.
    pub(super) reach: Option<(Scopes, Option<OwnerId>, Option<Metadata>)>,
}

impl<'a> Sample<'a> {
    pub(super) fn new(label: &'a str, scopes: &'a [&'a str], created: NaiveDateTime) -> Self {
        Self {
            label,
            description: "",
            scopes,
            created,
            expires: None,
            allowed_ips: "",
            rate_limit: None,
            rotated_from: None,
            reach: None,
        }
    }
}

pub(super) fn make_key(
    conn: &mut DbConn,
    org_id: OrgId,
    by: &User,
    sample: Sample<'_>,
    timeline: &mut Timeline,
) -> anyhow::Result<ApiKey> {
    let secret = ApiKeySecret::generate(&KeyPrefix::default());
    let (scopes, owner_id, metadata) = match sample.reach {
        Some(reach) => reach,
        None => (Scopes::parse(sample.scopes).map_err(anyhow::Error::msg)?, None, None),
    };
    let settings = KeySettings {
        label: sample.label.to_owned(),
        description: sample.description.to_owned(),
        scopes,
        expires_at: sample.expires,
        allowed_ips: IpAllowlist::parse(sample.allowed_ips).map_err(anyhow::Error::msg)?,
        rate_limit_per_minute: sample.rate_limit,
        owner_id,
        metadata,
    };
    let key_id = KeyId::generate();
    let key = api_keys::insert(
        conn,
        NewKey {
            org_id,
            key_id: key_id.as_str(),
            token_hash: &secret.hash(),
            display_prefix: &secret.display_prefix(),
            settings: &settings,
            created_by: crate::db::api_keys::CreatedBy {
                user_id: Some(by.id),
                email: Some(&by.email),
                key_id: None,
                name: &by.name,
            },
            rotated_from: sample.rotated_from,
        },
    )?;
    backdate::key_created(conn, key.id, sample.created)?;
    timeline.add(sample.created, &Actor::user(by), &office(), Entry::api_key_created(&key));
    Ok(key)
}

/// A dozen keys, in every state and with every health mark. Returns the busy ones (for usage).
fn seed_keys(
    conn: &mut DbConn,
    org_id: OrgId,
    owner: &User,
    admin: &User,
    t: &mut Timeline,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<(ApiKey, i64)>> {
    let (days, hours, minutes) = (Duration::days, Duration::hours, Duration::minutes);
    let mut busy = Vec::new();
    // A key's last use is also counted on that day, so its chart agrees with "last used".
    let used = |conn: &mut DbConn, key: &ApiKey, ago: Duration, ip: &str| {
        api_keys::touch_last_used(conn, key.id, now - ago, ip)?;
        crate::db::usage::add(conn, key.id, org_id, (now - ago).date(), [3, 0, 0])
    };

    let production = make_key(conn, org_id, owner, Sample::new("Production backend", &[], now - days(200)), t)?;
    used(conn, &production, minutes(2), "10.20.0.15")?;
    busy.push((production, 900));

    let mut zapier = Sample::new("Zapier – order sync", &["orders:write"], now - days(60));
    zapier.description = "Creates orders from the web shop's checkout.";
    let zapier = make_key(conn, org_id, admin, zapier, t)?;
    used(conn, &zapier, hours(1), "54.86.50.139")?;
    busy.push((zapier, 240));

    let mut analytics = Sample::new("Analytics export", &["customers:read", "orders:read"], now - days(85));
    analytics.expires = Some(now + days(5));
    let analytics = make_key(conn, org_id, owner, analytics, t)?;
    used(conn, &analytics, days(1), "34.120.8.77")?;
    busy.push((analytics, 60));

    let mut partner = Sample::new("Partner portal", &["products:read", "categories:read"], now - days(40));
    partner.expires = Some(now + days(25));
    partner.rate_limit = Some(300);
    let partner = make_key(conn, org_id, admin, partner, t)?;
    used(conn, &partner, hours(3), "185.199.108.10")?;
    busy.push((partner, 120));

    let mut staging = Sample::new("Staging smoke tests", &[], now - days(30));
    staging.expires = Some(now - days(3));
    let staging = make_key(conn, org_id, admin, staging, t)?;
    used(conn, &staging, days(3) + hours(1), "10.30.0.4")?;

    let crm =
        make_key(conn, org_id, owner, Sample::new("Legacy CRM import", &["customers:write"], now - days(300)), t)?;
    used(conn, &crm, days(25), "10.20.0.44")?;
    api_keys::set_enabled(conn, crm.id, false)?;
    t.add(now - days(20), &Actor::user(admin), &office(), Entry::api_key_deactivated(&crm));

    let leaked = make_key(conn, org_id, owner, Sample::new("Leaked test key", &["products:read"], now - days(50)), t)?;
    used(conn, &leaked, days(6) + hours(2), "10.20.0.51")?;
    api_keys::revoke(conn, leaked.id, &owner.name)?;
    backdate::key_revoked(conn, leaked.id, now - days(6))?;
    t.add(
        now - days(6),
        &Actor::user(owner),
        &office(),
        Entry::api_key_revoked(&leaked, crate::domain::key_state::RevokeCause::ByUser),
    );
    let stranger = RequestMeta {
        ip: Some("198.51.100.23".into()),
        user_agent: Some("python-requests/2.32".into()),
        ..RequestMeta::default()
    };
    for ago in [days(2), days(1) + hours(5)] {
        t.add(
            now - ago,
            &Actor::System { label: "api" },
            &stranger,
            Entry::api_key_revoked_key_used(&leaked, "revoked"),
        );
    }

    let mobile_scopes: &[&str] = &["customers:read", "orders:read"];
    let old_mobile = make_key(conn, org_id, owner, Sample::new("Mobile app", mobile_scopes, now - days(380)), t)?;
    used(conn, &old_mobile, hours(4), "100.64.12.9")?;
    let mut new_mobile = Sample::new("Mobile app", mobile_scopes, now - days(1));
    new_mobile.rotated_from = Some(&old_mobile.key_id);
    let new_mobile = make_key(conn, org_id, owner, new_mobile, t)?;
    api_keys::mark_rotated(conn, old_mobile.id, &new_mobile.key_id, now + days(6))?;
    t.add(now - days(1), &Actor::user(owner), &office(), Entry::api_key_rotated(&old_mobile, &new_mobile.key_id, "7d"));
    used(conn, &new_mobile, minutes(10), "100.64.12.9")?;
    busy.push((new_mobile, 150));

    let billing =
        make_key(conn, org_id, owner, Sample::new("Old billing integration", &["orders:read"], now - days(400)), t)?;
    used(conn, &billing, days(120), "10.20.0.9")?;

    let mut inventory = Sample::new("Inventory sync", &["products:write"], now - days(20));
    inventory.allowed_ips = "10.0.0.0/8\n192.168.1.0/24";
    inventory.rate_limit = Some(120);
    inventory.description = "Warehouse system; only from the office and data-centre networks.";
    let inventory = make_key(conn, org_id, admin, inventory, t)?;
    t.add(
        now - days(10),
        &Actor::user(admin),
        &office(),
        Entry::api_key_scopes_changed(&inventory, &["products:read"], &["products:write"]),
    );
    used(conn, &inventory, minutes(5), "10.40.2.17")?;
    busy.push((inventory, 300));

    let all_read: &[&str] = &["customers:read", "orders:read", "products:read", "categories:read"];
    make_key(conn, org_id, admin, Sample::new("Reporting (read-only)", all_read, now - days(7)), t)?;
    Ok(busy)
}

/// A small catalogue, customers and orders, valid as the API would store them.
fn seed_records(conn: &mut DbConn, org_id: OrgId) -> anyhow::Result<()> {
    let insert = |conn: &mut DbConn, resource: Resource, body: Value| -> anyhow::Result<String> {
        let Value::Object(map) = body else { anyhow::bail!("sample is not an object") };
        let fields = validate_create(resource, &map).map_err(|e| anyhow::anyhow!("invalid sample: {e:?}"))?;
        let public_id = format!("{}_{}", id_prefix(resource), random_base62(16));
        let data = Value::Object(fields).to_string();
        let new = records::NewRecord {
            org_id,
            kind: resource.as_str(),
            public_id: &public_id,
            data: &data,
            created_by_key: None,
        };
        records::insert(conn, new)?;
        Ok(public_id)
    };
    let mugs = insert(conn, Resource::Categories, json!({"name": "Mugs"}))?;
    let kitchen = insert(conn, Resource::Categories, json!({"name": "Kitchen"}))?;
    for (name, sku, price, category) in [
        ("Enamel mug", "MUG-ENA-01", 1_450, &mugs),
        ("Stoneware mug", "MUG-STN-02", 1_800, &mugs),
        ("Cast-iron pan", "KIT-PAN-10", 6_900, &kitchen),
        ("Chef's knife", "KIT-KNF-20", 8_500, &kitchen),
    ] {
        insert(
            conn,
            Resource::Products,
            json!({"name": name, "sku": sku, "price_cents": price, "category_id": category}),
        )?;
    }
    let customers = [
        ("ada@example.com", "Ada Lovelace"),
        ("grace@example.com", "Grace Hopper"),
        ("alan@example.org", "Alan Turing"),
        ("katherine@example.net", "Katherine Johnson"),
        ("linus@example.com", "Linus Torvalds"),
    ];
    for (email, name) in customers {
        insert(conn, Resource::Customers, json!({"email": email, "name": name}))?;
    }
    for (i, (email, _)) in customers.iter().enumerate() {
        let status = ["paid", "pending", "paid", "cancelled", "paid", "paid"][i % 6];
        let currency = if i % 2 == 0 { "EUR" } else { "USD" };
        insert(
            conn,
            Resource::Orders,
            json!({"customer_email": email, "total_cents": 1_450 + 2_350 * i as i64, "currency": currency, "status": status}),
        )?;
    }
    Ok(())
}

/// 30 days of requests for the busy keys: weekdays busier, a few errors.
fn seed_usage(conn: &mut DbConn, org_id: OrgId, busy: &[(ApiKey, i64)], now: NaiveDateTime) -> QueryResult<()> {
    use chrono::Datelike;
    let today = now.date();
    for (key, daily) in busy.iter().map(|(k, d)| (k, *d)) {
        for back in 0..30_i64 {
            let day = today - Duration::days(back);
            let weekend = day.weekday().number_from_monday() >= 6;
            let wave = (back * 7 + key.id * 13) % 11;
            let total = if weekend { daily / 3 } else { daily } + daily * wave / 20;
            let client = total * (1 + back % 3) / 100;
            let server = i64::from(back % 9 == 4) * (1 + total / 400);
            crate::db::usage::add(conn, key.id, org_id, day, [total - client - server, client, server])?;
        }
    }
    Ok(())
}

/// Logins over the last 90 days, a mistyped password, and a support visit.
fn seed_sessions(
    org_id: OrgId,
    owner: &User,
    admin: &User,
    staff: Option<&User>,
    t: &mut Timeline,
    now: NaiveDateTime,
) {
    for back in (1..90).step_by(4) {
        t.add(
            now - Duration::days(back) - Duration::hours(3),
            &Actor::user(owner),
            &office(),
            Entry::session_login(org_id),
        );
    }
    for back in (2..90).step_by(3) {
        t.add(
            now - Duration::days(back) - Duration::hours(1),
            &Actor::user(admin),
            &office(),
            Entry::session_login(org_id),
        );
    }
    let failed = now - Duration::days(12) - Duration::hours(2);
    t.add(
        failed,
        &Actor::Anonymous,
        &office(),
        Entry::session_login_failed(org_id, &admin.email, Some(admin), "wrong_password"),
    );
    if let Some(staff) = staff {
        t.add(
            now - Duration::days(5),
            &Actor::staff(staff),
            &office(),
            Entry::support_viewed_audit_log(org_id, "audit-log"),
        );
    }
}
