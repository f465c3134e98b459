//! One-time form ids for the forms that mint a secret (create key, rotate).
//!
//! A form id is `<24 random base62>.<signature>`: the signature is an
//! HMAC-SHA256, under the session key, of the random part, the org and the
//! user the form was rendered for. Only an id this server issued to this
//! user for this org verifies, so a POST without one, or with a made-up one,
//! creates nothing; the used-ids table then makes each id work once.

use crate::domain::token::random_base62;
use crate::domain::{OrgId, UserId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(key: &[u8], nonce: &str, org_id: OrgId, user_id: UserId) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("latchkey-form-id-v1\n{nonce}\n{org_id}\n{user_id}").as_bytes());
    Some(mac)
}

/// A fresh form id for a form shown to `user_id` in `org_id`.
pub fn issue(key: &[u8], org_id: OrgId, user_id: UserId) -> String {
    let nonce = random_base62(24);
    let signature =
        mac(key, &nonce, org_id, user_id).map(|m| hex::encode(m.finalize().into_bytes())).unwrap_or_default();
    format!("{nonce}.{signature}")
}

/// Whether `id` was issued by this server for this user and org (constant-time).
pub fn verify(key: &[u8], org_id: OrgId, user_id: UserId, id: &str) -> bool {
    let Some((nonce, signature)) = id.split_once('.') else { return false };
    let (Ok(signature), Some(mac)) = (hex::decode(signature), mac(key, nonce, org_id, user_id)) else { return false };
    nonce.len() == 24 && mac.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_issued_for_this_user_and_org_verify() {
        let key = [7u8; 64];
        let id = issue(&key, OrgId::new(1), UserId::new(2));
        assert!(verify(&key, OrgId::new(1), UserId::new(2), &id));
        assert!(!verify(&key, OrgId::new(1), UserId::new(3), &id), "another user");
        assert!(!verify(&key, OrgId::new(9), UserId::new(2), &id), "another org");
        assert!(!verify(&[8u8; 64], OrgId::new(1), UserId::new(2), &id), "another server key");
        for bad in ["", "abc", "x.y", "aaaaaaaaaaaaaaaaaaaaaaaa.00", &id.replace('.', "")] {
            assert!(!verify(&key, OrgId::new(1), UserId::new(2), bad), "{bad}");
        }
        let (nonce, sig) = id.split_once('.').expect("dot");
        let other_nonce = format!("{}{}", &nonce[..23], if nonce.ends_with('a') { 'b' } else { 'a' });
        assert!(
            !verify(&key, OrgId::new(1), UserId::new(2), &format!("{other_nonce}.{sig}")),
            "signature bound to the nonce"
        );
    }
}
