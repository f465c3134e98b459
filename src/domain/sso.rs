//! Single sign-on settings as typed values (docs/user-guide.md: Single
//! sign-on): the identity provider's issuer, the domains a connection
//! serves, the role a first login gets, and the mapping from the
//! provider's groups to roles. Parsed once from the settings form; no I/O.

use crate::Role;
use url::Url;

/// What a domain's owner publishes in a TXT record on the domain itself.
pub const TXT_PREFIX: &str = "latchkey-verification=";

/// One problem with a settings form: the field and what to do.
pub type FieldError = (&'static str, String);

/// An issuer URL: `https://`, or `http://` on a loopback address (a provider on the same machine).
pub fn parse_issuer(input: &str) -> Result<String, String> {
    let text = input.trim();
    let url = Url::parse(text).map_err(|_| "Enter the issuer URL, like https://login.example.com.".to_owned())?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("The issuer must be an https:// URL.".into()),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("The issuer URL has no query or fragment.".into());
    }
    Ok(text.to_owned())
}

/// A DNS domain name, lower-cased: letters, digits and hyphens in two or more labels.
pub fn parse_domain(input: &str) -> Result<String, String> {
    let domain = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if domain.len() > 253 || domain.split('.').count() < 2 || !domain.split('.').all(label_ok) {
        return Err(format!("{:?} is not a domain name like example.com.", input.trim()));
    }
    Ok(domain)
}

/// A comma-separated list of domains, each once.
pub fn parse_domains(input: &str) -> Result<Vec<String>, String> {
    let mut domains = Vec::new();
    for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let domain = parse_domain(part)?;
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

/// The domain of an e-mail address (after its last `@`), lower-cased.
pub fn email_domain(email: &str) -> Option<String> {
    email.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase()).filter(|d| !d.is_empty())
}

/// A role single sign-on may give: never owner (owners make owners).
pub fn parse_sso_role(input: &str) -> Result<Role, String> {
    match Role::parse(input) {
        Ok(Role::Owner) => Err("Single sign-on never makes owners: choose admin, member or read_only.".into()),
        Ok(role) => Ok(role),
        Err(e) => Err(e.0),
    }
}

/// The provider's groups mapped to roles, one `group=role` a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupRoles(Vec<(String, Role)>);

impl GroupRoles {
    pub fn parse(input: &str) -> Result<Self, String> {
        let mut pairs = Vec::new();
        for (n, line) in input.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty()) {
            let Some((group, role)) = line.split_once('=') else {
                return Err(format!("Line {}: write group=role, like engineering=member.", n + 1));
            };
            let group = group.trim();
            if group.is_empty() || group.len() > 200 {
                return Err(format!("Line {}: name the group before the =.", n + 1));
            }
            let role = parse_sso_role(role).map_err(|e| format!("Line {}: {e}", n + 1))?;
            pairs.push((group.to_owned(), role));
        }
        Ok(Self(pairs))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lines as they are stored and shown.
    pub fn to_lines(&self) -> String {
        self.0.iter().map(|(g, r)| format!("{g}={}\n", r.as_str())).collect()
    }

    /// The most capable role any of `groups` maps to; `None` when none is mapped.
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        self.0.iter().filter(|(g, _)| groups.contains(g)).map(|(_, r)| *r).min_by_key(|r| rank(*r))
    }
}

/// Lower is more capable.
fn rank(role: Role) -> u8 {
    match role {
        Role::Owner => 0,
        Role::Admin => 1,
        Role::Member => 2,
        Role::ReadOnly => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_are_https_or_loopback_http() {
        assert!(parse_issuer("https://login.example.com/").is_ok());
        assert!(parse_issuer("http://127.0.0.1:9191").is_ok());
        assert!(parse_issuer("http://login.example.com").is_err());
        assert!(parse_issuer("ftp://x").is_err());
        assert!(parse_issuer("https://x.example/?a=1").is_err());
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(parse_domains(" Example.COM., example.com, b.example ").unwrap(), ["example.com", "b.example"]);
        assert!(parse_domain("localhost").is_err());
        assert!(parse_domain("-a.example").is_err());
        assert!(parse_domain("a_b.example").is_err());
        assert_eq!(email_domain("Ada@Example.com").as_deref(), Some("example.com"));
    }

    #[test]
    fn groups_map_to_the_most_capable_role_and_never_to_owner() {
        let map = GroupRoles::parse("devs=member\n\nadmins = admin\nauditors=read_only").unwrap();
        assert_eq!(map.role_for(&["devs".into(), "admins".into()]), Some(Role::Admin));
        assert_eq!(map.role_for(&["auditors".into()]), Some(Role::ReadOnly));
        assert_eq!(map.role_for(&["others".into()]), None);
        assert_eq!(GroupRoles::parse(&map.to_lines()).unwrap(), map);
        assert!(GroupRoles::parse("admins=owner").unwrap_err().contains("never makes owners"));
        assert!(GroupRoles::parse("admins").unwrap_err().contains("group=role"));
    }
}
