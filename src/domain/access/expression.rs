//! Permission expressions: what a route requires, such as `invoices.read`,
//! `invoices.read and customers.read` or `admin or (invoices.read and
//! invoices.export)`. `and` binds tighter than `or`; parentheses group;
//! the words are lower case (which is why no permission is named `and` or
//! `or`). An expression is parsed once into a tree and evaluated against a
//! key's grants.
//!
//! The tree is flat: `a and (b and c)` is the one node `all[a, b, c]`, and
//! `(a)` is `a`; so the canonical text (`Display`: single spaces, only the
//! parentheses `or` needs inside `and`) parses back to the same tree.
//!
//! Limits keep hostile input cheap: at most 512 characters, as sent and
//! written canonically, and at most 16 parentheses deep (the parser
//! recurses once per level).
//!
//! When a key falls short, the `missing` permissions are a set which, if
//! granted too, would let it through: for `and`, what every part misses;
//! for `or`, what the alternative missing the fewest permissions misses
//! (the first written on a tie). Sorted, never empty. It is chosen part by
//! part, so not always the smallest such set (`(a or b) and (b or c)` misses
//! `a, b` where `b` would do): the smallest is a set-cover problem, and this
//! answer is cheap, deterministic and enough to act on.

use super::permission::{Holds, PermissionSlug};
use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

pub const MAX_EXPRESSION_LEN: usize = 512;
pub const MAX_EXPRESSION_DEPTH: usize = 16;

/// A parsed expression; its tree is private, so every one held is flat and within the limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Expression(Node);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Permission(PermissionSlug),
    /// Every part: two or more, none itself an `All`.
    All(Vec<Node>),
    /// At least one part: two or more, none itself an `Any`.
    Any(Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    Open,
    Close,
    And,
    Or,
    Word(&'a str),
}

fn describe(token: Option<Token<'_>>) -> String {
    match token {
        Some(Token::Open) => "\"(\"".to_owned(),
        Some(Token::Close) => "\")\"".to_owned(),
        Some(Token::And) => "\"and\"".to_owned(),
        Some(Token::Or) => "\"or\"".to_owned(),
        Some(Token::Word(w)) => format!("{w:?}"),
        None => "the end".to_owned(),
    }
}

fn tokenize(input: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut rest = input.trim_start();
    while let Some(c) = rest.chars().next() {
        let len = match c {
            '(' => {
                tokens.push(Token::Open);
                1
            }
            ')' => {
                tokens.push(Token::Close);
                1
            }
            _ => {
                let end = rest.find(|c: char| c.is_whitespace() || c == '(' || c == ')').unwrap_or(rest.len());
                tokens.push(match &rest[..end] {
                    "and" => Token::And,
                    "or" => Token::Or,
                    word => Token::Word(word),
                });
                end
            }
        };
        rest = rest[len..].trim_start();
    }
    tokens
}

struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<Token<'a>> {
        let token = self.tokens.get(self.pos).copied();
        self.pos += 1;
        token
    }

    fn eat(&mut self, token: Token<'_>) -> bool {
        let found = self.tokens.get(self.pos) == Some(&token);
        self.pos += usize::from(found);
        found
    }

    fn any(&mut self, depth: usize) -> Result<Node, ParseError> {
        let mut parts = vec![self.all(depth)?];
        while self.eat(Token::Or) {
            parts.push(self.all(depth)?);
        }
        Ok(Node::join(parts, true))
    }

    fn all(&mut self, depth: usize) -> Result<Node, ParseError> {
        let mut parts = vec![self.factor(depth)?];
        while self.eat(Token::And) {
            parts.push(self.factor(depth)?);
        }
        Ok(Node::join(parts, false))
    }

    fn factor(&mut self, depth: usize) -> Result<Node, ParseError> {
        match self.next() {
            Some(Token::Word(word)) => PermissionSlug::parse(word).map(Node::Permission),
            Some(Token::Open) if depth >= MAX_EXPRESSION_DEPTH => {
                Err(ParseError::new(format!("Nest at most {MAX_EXPRESSION_DEPTH} parentheses deep.")))
            }
            Some(Token::Open) => {
                let inner = self.any(depth + 1)?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    other => Err(ParseError::new(format!("Expected \")\" but found {}.", describe(other)))),
                }
            }
            other => Err(ParseError::new(format!("Expected a permission but found {}.", describe(other)))),
        }
    }
}

impl Expression {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        if input.chars().count() > MAX_EXPRESSION_LEN {
            return Err(ParseError::new(format!("Use at most {MAX_EXPRESSION_LEN} characters.")));
        }
        let mut parser = Parser { tokens: tokenize(input), pos: 0 };
        if parser.tokens.is_empty() {
            return Err(ParseError::new("Name the permission this needs, like invoices.read."));
        }
        let node = parser.any(0)?;
        match parser.next() {
            None => {}
            Some(Token::Close) => return Err(ParseError::new("A \")\" closes no \"(\".")),
            Some(other) => {
                return Err(ParseError::new(format!(
                    "Join permissions with \"and\" or \"or\"; found {} after a complete expression.",
                    describe(Some(other))
                )));
            }
        }
        Self(node).within_limits()
    }

    /// The expression naming one permission.
    pub fn permission(slug: PermissionSlug) -> Self {
        Self(Node::Permission(slug))
    }

    /// Every one of `parts` (`a and b and …`); `None` when there are none.
    pub fn all_of(parts: Vec<Expression>) -> Result<Option<Self>, ParseError> {
        Self::combine(parts, false)
    }

    /// Any one of `parts` (`a or b or …`); `None` when there are none.
    pub fn any_of(parts: Vec<Expression>) -> Result<Option<Self>, ParseError> {
        Self::combine(parts, true)
    }

    fn combine(parts: Vec<Expression>, any: bool) -> Result<Option<Self>, ParseError> {
        if parts.is_empty() {
            return Ok(None);
        }
        Self(Node::join(parts.into_iter().map(|e| e.0).collect(), any)).within_limits().map(Some)
    }

    /// Refuses what could not be read back: over-long canonical text, or too deep.
    fn within_limits(self) -> Result<Self, ParseError> {
        let text = self.to_string();
        if text.chars().count() > MAX_EXPRESSION_LEN {
            return Err(ParseError::new(format!(
                "Written out, the expression is longer than {MAX_EXPRESSION_LEN} characters; shorten it."
            )));
        }
        if self.0.parentheses() > MAX_EXPRESSION_DEPTH {
            return Err(ParseError::new(format!("Nest at most {MAX_EXPRESSION_DEPTH} parentheses deep.")));
        }
        Ok(self)
    }

    /// Every permission the expression names, sorted.
    pub fn permissions(&self) -> BTreeSet<&PermissionSlug> {
        let mut found = BTreeSet::new();
        self.0.collect(&mut found);
        found
    }

    /// `Ok` when `grants` satisfy the expression, else the missing permissions
    /// (see the module doc for which), sorted.
    pub fn evaluate(&self, grants: &dyn Holds) -> Result<(), Vec<PermissionSlug>> {
        let missing = self.0.missing(grants);
        if missing.is_empty() { Ok(()) } else { Err(missing.into_iter().cloned().collect()) }
    }
}

impl Node {
    /// One node of `parts` (at least one), flattening parts of the same kind.
    fn join(parts: Vec<Node>, any: bool) -> Self {
        let mut flat = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Self::Any(inner) if any => flat.extend(inner),
                Self::All(inner) if !any => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        if any { Self::Any(flat) } else { Self::All(flat) }
    }

    /// How deep the canonical text nests parentheses.
    fn parentheses(&self) -> usize {
        match self {
            Self::Permission(_) => 0,
            Self::Any(parts) => parts.iter().map(Self::parentheses).max().unwrap_or(0),
            Self::All(parts) => {
                parts.iter().map(|p| p.parentheses() + usize::from(matches!(p, Self::Any(_)))).max().unwrap_or(0)
            }
        }
    }

    fn collect<'a>(&'a self, found: &mut BTreeSet<&'a PermissionSlug>) {
        match self {
            Self::Permission(p) => {
                found.insert(p);
            }
            Self::All(parts) | Self::Any(parts) => parts.iter().for_each(|p| p.collect(found)),
        }
    }

    fn missing(&self, grants: &dyn Holds) -> BTreeSet<&PermissionSlug> {
        match self {
            Self::Permission(p) if grants.holds(p) => BTreeSet::new(),
            Self::Permission(p) => BTreeSet::from([p]),
            Self::All(parts) => parts.iter().flat_map(|p| p.missing(grants)).collect(),
            // min_by_key keeps the first of equals: the first alternative written.
            Self::Any(parts) => parts.iter().map(|p| p.missing(grants)).min_by_key(BTreeSet::len).unwrap_or_default(),
        }
    }
}

impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (parts, word) = match self {
            Self::Permission(p) => return f.write_str(p.as_str()),
            Self::All(parts) => (parts, " and "),
            Self::Any(parts) => (parts, " or "),
        };
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                f.write_str(word)?;
            }
            // `and` binds tighter: only an `or` inside an `and` needs parentheses.
            if matches!((self, part), (Self::All(_), Self::Any(_))) {
                write!(f, "({part})")?;
            } else {
                write!(f, "{part}")?;
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for Expression {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Self::parse(&value)
    }
}

impl From<Expression> for String {
    fn from(value: Expression) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
#[path = "tests/expression.rs"]
mod tests;
