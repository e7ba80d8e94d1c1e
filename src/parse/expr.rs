//! GitHub Actions expressions: `${{ … }}` found in strings, and parsed into a small AST with
//! byte ranges, so that rules decide on what an expression *does* (which contexts reach the
//! output) rather than on substrings.
//!
//! Grammar: literals (`null`, `true`, `false`, numbers, `'strings'`), contexts with property,
//! index and `.*` access, `!`, `<`, `<=`, `>`, `>=`, `==`, `!=`, `&&`, `||`, parentheses and
//! function calls.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// `github.event.issue.title`, `matrix['os']`, `github.event.commits.*.message`.
    Path {
        root: String,
        parts: Vec<Part>,
        range: Range<usize>,
    },
    Call {
        name: String,
        args: Vec<Expr>,
        range: Range<usize>,
    },
    /// Property or index access on something that is not a plain context: `fromJSON(x).field`.
    Access {
        target: Box<Expr>,
        parts: Vec<Part>,
        range: Range<usize>,
    },
    Not(Box<Expr>),
    Binary {
        op: &'static str,
        left: Box<Expr>,
        right: Box<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Property(String),
    Index(Box<Expr>),
    Star,
}

impl Expr {
    /// The dotted name of a context path, indexes written as `*` unless literal strings:
    /// `github.event.commits[0].message` → `github.event.commits.*.message`.
    pub fn path_name(&self) -> Option<String> {
        match self {
            Expr::Path { root, parts, .. } => {
                let mut out = root.to_ascii_lowercase();
                for part in parts {
                    out.push('.');
                    match part {
                        Part::Property(p) => out.push_str(&p.to_ascii_lowercase()),
                        Part::Index(index) => match index.as_ref() {
                            Expr::String(s) => out.push_str(&s.to_ascii_lowercase()),
                            _ => out.push('*'),
                        },
                        Part::Star => out.push('*'),
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Every sub-expression, this one first.
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        match self {
            Expr::Path { parts, .. } => {
                for part in parts {
                    if let Part::Index(index) = part {
                        index.walk(visit);
                    }
                }
            }
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(visit)),
            Expr::Access { target, parts, .. } => {
                target.walk(visit);
                for part in parts {
                    if let Part::Index(index) = part {
                        index.walk(visit);
                    }
                }
            }
            Expr::Not(inner) => inner.walk(visit),
            Expr::Binary { left, right, .. } => {
                left.walk(visit);
                right.walk(visit);
            }
            _ => {}
        }
    }
}

/// A `${{ … }}` occurrence in a string: its range (delimiters included) and the parsed body.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub range: Range<usize>,
    /// Offset of the expression body within the string.
    pub body_start: usize,
    pub expr: Result<Expr, String>,
}

/// Find every `${{ … }}` in `text` (quotes inside are respected when looking for the end).
pub fn find_all(text: &str) -> Vec<Embedded> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("${{") {
        let start = from + p;
        let body_start = start + 3;
        let bytes = text.as_bytes();
        let mut i = body_start;
        let mut in_string = false;
        let mut end = None;
        while i < bytes.len() {
            match bytes[i] {
                b'\'' => {
                    // `''` inside a string is an escaped quote.
                    if in_string && bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    in_string = !in_string;
                }
                b'}' if !in_string && bytes.get(i + 1) == Some(&b'}') => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let Some(end) = end else { break };
        let body = &text[body_start..end];
        out.push(Embedded {
            range: start..end + 2,
            body_start,
            expr: parse(body),
        });
        from = end + 2;
    }
    out
}

/// Parse an expression body (without `${{ }}`); ranges are relative to `text`.
pub fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    // Real expressions are short; a bound keeps the recursive walks over the tree shallow.
    if tokens.len() > MAX_TOKENS {
        return Err(format!("expression longer than {MAX_TOKENS} tokens"));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    if parser.pos != parser.tokens.len() {
        return Err(format!("unexpected `{}`", parser.tokens[parser.pos].text));
    }
    Ok(expr)
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ident,
    Number,
    Str,
    Op,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let kind = if c == b'\'' {
            let mut value = String::new();
            i += 1;
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated string".into()),
                    Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => {
                        value.push('\'');
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(_) => {
                        let ch = text[i..].chars().next().unwrap_or(' ');
                        value.push(ch);
                        i += ch.len_utf8();
                    }
                }
            }
            out.push(Token {
                kind: Kind::Str,
                text: value,
                range: start..i,
            });
            continue;
        } else if c.is_ascii_digit()
            || (c == b'-' && bytes.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            i += 1;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            Kind::Number
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
            {
                i += 1;
            }
            Kind::Ident
        } else {
            // Checked as a byte first: the character may be multi-byte.
            if !b"!=<>&|.,()[]*".contains(&c) {
                let ch = text[start..].chars().next().unwrap_or(' ');
                return Err(format!("unexpected character `{ch}`"));
            }
            let two = &bytes[i..(i + 2).min(bytes.len())];
            i += if matches!(two, b"==" | b"!=" | b"<=" | b">=" | b"&&" | b"||") {
                2
            } else {
                1
            };
            Kind::Op
        };
        out.push(Token {
            kind,
            text: text[start..i].to_string(),
            range: start..i,
        });
    }
    Ok(out)
}

const MAX_TOKENS: usize = 2048;
const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self
            .peek()
            .is_some_and(|t| t.kind == Kind::Op && t.text == op)
        {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn binary(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Parser) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut left = next(self)?;
        loop {
            let Some(op) = ops.iter().find(|op| {
                self.peek()
                    .is_some_and(|t| t.kind == Kind::Op && t.text == **op)
            }) else {
                return Ok(left);
            };
            self.pos += 1;
            let right = next(self)?;
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH} levels"));
        }
        let result = self.binary(&["||"], Parser::and);
        self.depth -= 1;
        result
    }

    fn and(&mut self) -> Result<Expr, String> {
        self.binary(&["&&"], Parser::equality)
    }

    fn equality(&mut self) -> Result<Expr, String> {
        self.binary(&["==", "!="], Parser::comparison)
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        self.binary(&["<=", ">=", "<", ">"], Parser::unary)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(format!("expression nested deeper than {MAX_DEPTH} levels"));
            }
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        let (mut expr, start) = self.primary()?;
        let mut parts = Vec::new();
        let mut end = self.tokens[self.pos - 1].range.end;
        loop {
            if self.eat(".") {
                let Some(t) = self.peek().cloned() else {
                    return Err("expected a property".into());
                };
                self.pos += 1;
                end = t.range.end;
                match (t.kind, t.text.as_str()) {
                    (Kind::Op, "*") => parts.push(Part::Star),
                    (Kind::Ident, _) | (Kind::Number, _) => parts.push(Part::Property(t.text)),
                    _ => return Err(format!("unexpected `{}` after `.`", t.text)),
                }
            } else if self.eat("[") {
                if self.eat("*") {
                    parts.push(Part::Star);
                } else {
                    parts.push(Part::Index(Box::new(self.or()?)));
                }
                if !self.eat("]") {
                    return Err("expected `]`".into());
                }
                end = self.tokens[self.pos - 1].range.end;
            } else {
                break;
            }
        }
        if parts.is_empty() {
            return Ok(expr);
        }
        expr = match expr {
            Expr::Path {
                root,
                parts: mut own,
                ..
            } => {
                own.extend(parts);
                Expr::Path {
                    root,
                    parts: own,
                    range: start..end,
                }
            }
            other => Expr::Access {
                target: Box::new(other),
                parts,
                range: start..end,
            },
        };
        Ok(expr)
    }

    fn primary(&mut self) -> Result<(Expr, usize), String> {
        let Some(t) = self.peek().cloned() else {
            return Err("unexpected end of expression".into());
        };
        self.pos += 1;
        let start = t.range.start;
        let expr = match t.kind {
            Kind::Str => Expr::String(t.text),
            Kind::Number => Expr::Number(
                t.text
                    .parse()
                    .map_err(|_| format!("bad number `{}`", t.text))?,
            ),
            Kind::Ident => match t.text.as_str() {
                "null" => Expr::Null,
                "true" => Expr::Bool(true),
                "false" => Expr::Bool(false),
                _ if self.eat("(") => {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.or()?);
                            if self.eat(")") {
                                break;
                            }
                            if !self.eat(",") {
                                return Err("expected `,` or `)`".into());
                            }
                        }
                    }
                    Expr::Call {
                        name: t.text.to_ascii_lowercase(),
                        args,
                        range: start..self.tokens[self.pos - 1].range.end,
                    }
                }
                _ => Expr::Path {
                    root: t.text,
                    parts: Vec::new(),
                    range: t.range,
                },
            },
            Kind::Op if t.text == "(" => {
                let inner = self.or()?;
                if !self.eat(")") {
                    return Err("expected `)`".into());
                }
                inner
            }
            Kind::Op => return Err(format!("unexpected `{}`", t.text)),
        };
        Ok((expr, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths_calls_and_operators() {
        let e = parse("github.event.issue.title").unwrap();
        assert_eq!(e.path_name().as_deref(), Some("github.event.issue.title"));
        let e = parse("github.event.commits[0].message").unwrap();
        assert_eq!(
            e.path_name().as_deref(),
            Some("github.event.commits.*.message")
        );
        let e = parse("github.event['pull_request'].title").unwrap();
        assert_eq!(
            e.path_name().as_deref(),
            Some("github.event.pull_request.title")
        );
        let e = parse("contains(github.event.pull_request.labels.*.name, 'ok') && !cancelled()")
            .unwrap();
        assert!(matches!(e, Expr::Binary { op: "&&", .. }));
        let e = parse("fromJSON(secrets.CREDS).password").unwrap();
        assert!(matches!(e, Expr::Access { .. }));
        let e = parse("github.actor == 'dependabot[bot]' || format('{0}''s', 1) != -1.5").unwrap();
        let mut strings = Vec::new();
        e.walk(&mut |x| {
            if let Expr::String(s) = x {
                strings.push(s.clone());
            }
        });
        assert_eq!(strings, ["dependabot[bot]", "{0}'s"]);
        assert!(parse("github.").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("'open").is_err());
        assert!(parse(&("(".repeat(10_000) + "a" + &")".repeat(10_000))).is_err());
        assert!(parse(&"!".repeat(10_000)).is_err());
        assert!(parse(&vec!["a"; 5_000].join(" || ")).is_err());
    }

    #[test]
    fn finds_embedded_expressions() {
        let text = "echo ${{ github.event.issue.title }} and ${{ format('}}', x) }}";
        let found = find_all(text);
        assert_eq!(found.len(), 2);
        assert_eq!(
            &text[found[0].range.clone()],
            "${{ github.event.issue.title }}"
        );
        assert_eq!(&text[found[1].range.clone()], "${{ format('}}', x) }}");
        assert!(found[1].expr.is_ok());
    }
}
