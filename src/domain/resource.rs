//! The sample API's resources (`customers`, `orders`, `products`,
//! `categories`) and their scopes, `<resource>:<read|write>`: the sample's
//! permissions, and the record types the REST API stores.

use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Resource {
    Customers,
    Orders,
    Products,
    Categories,
}

impl Resource {
    pub const ALL: [Resource; 4] = [Resource::Customers, Resource::Orders, Resource::Products, Resource::Categories];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::Products => "products",
            Self::Categories => "categories",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Customers => "Customers",
            Self::Orders => "Orders",
            Self::Products => "Products",
            Self::Categories => "Categories",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    Read,
    Write,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub resource: Resource,
    pub access: Access,
}

impl Scope {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError::new(format!("Unknown scope {input:?}."));
        let (res, access) = input.trim().split_once(':').ok_or_else(invalid)?;
        let resource = Resource::ALL.into_iter().find(|r| r.as_str() == res).ok_or_else(invalid)?;
        let access = match access {
            "read" => Access::Read,
            "write" => Access::Write,
            _ => return Err(invalid()),
        };
        Ok(Self { resource, access })
    }

    /// `<resource>:<read|write>`.
    pub fn name(self) -> &'static str {
        use {Access::*, Resource::*};
        match (self.resource, self.access) {
            (Customers, Read) => "customers:read",
            (Customers, Write) => "customers:write",
            (Orders, Read) => "orders:read",
            (Orders, Write) => "orders:write",
            (Products, Read) => "products:read",
            (Products, Write) => "products:write",
            (Categories, Read) => "categories:read",
            (Categories, Write) => "categories:write",
        }
    }

    /// All eight scopes, in display order.
    pub fn all() -> Vec<Scope> {
        Resource::ALL
            .into_iter()
            .flat_map(|resource| [Access::Read, Access::Write].map(|access| Scope { resource, access }))
            .collect()
    }
}
