//! Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
//! `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`, nesting inside defaults, and `$$` for a literal `$`.

/// Why a value could not be resolved: the variable that has no value and no default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved(pub String);

/// Interpolate `text`, looking variables up in `vars`. A variable with no value and no default
/// makes the whole value unresolved: a security decision must not be made on a guess.
pub fn interpolate(
    text: &str,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Unresolved> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let Some(p) = text[i..].find('$') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + p]);
        i += p + 1;
        match bytes.get(i) {
            Some(b'$') => {
                out.push('$');
                i += 1;
            }
            Some(b'{') => {
                let close = matching_brace(text, i).ok_or_else(|| Unresolved(text[i..].into()))?;
                let expr = &text[i + 1..close];
                out.push_str(&expand(expr, vars)?);
                i = close + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let end = text[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |e| i + e);
                let name = &text[i..end];
                out.push_str(&vars(name).ok_or_else(|| Unresolved(name.into()))?);
                i = end;
            }
            _ => out.push('$'),
        }
    }
    Ok(out)
}

fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    for (j, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + j);
                }
            }
            _ => {}
        }
    }
    None
}

fn expand(expr: &str, vars: &dyn Fn(&str) -> Option<String>) -> Result<String, Unresolved> {
    let name_end = expr
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(expr.len());
    let name = &expr[..name_end];
    let rest = &expr[name_end..];
    let value = vars(name);
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    let (op, arg) = if let Some(a) = rest.strip_prefix(":-") {
        (":-", a)
    } else if let Some(a) = rest.strip_prefix(":?") {
        (":?", a)
    } else if let Some(a) = rest.strip_prefix(":+") {
        (":+", a)
    } else if let Some(a) = rest.strip_prefix('-') {
        ("-", a)
    } else if let Some(a) = rest.strip_prefix('?') {
        ("?", a)
    } else if let Some(a) = rest.strip_prefix('+') {
        ("+", a)
    } else if rest.is_empty() {
        ("", "")
    } else {
        return Err(Unresolved(expr.into()));
    };
    match op {
        "" => value.ok_or_else(|| Unresolved(name.into())),
        ":-" if set_nonempty => Ok(value.unwrap_or_default()),
        ":-" => interpolate(arg, vars),
        "-" => match value {
            Some(v) => Ok(v),
            None => interpolate(arg, vars),
        },
        ":?" if set_nonempty => Ok(value.unwrap_or_default()),
        "?" if value.is_some() => Ok(value.unwrap_or_default()),
        ":?" | "?" => Err(Unresolved(name.into())),
        ":+" if set_nonempty => interpolate(arg, vars),
        "+" if value.is_some() => interpolate(arg, vars),
        _ => Ok(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "TAG" => Some("1.27".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn all_forms() {
        let i = |t: &str| interpolate(t, &vars);
        assert_eq!(i("nginx:${TAG}").unwrap(), "nginx:1.27");
        assert_eq!(i("nginx:$TAG").unwrap(), "nginx:1.27");
        assert_eq!(i("${NOPE:-nginx}:${TAG}").unwrap(), "nginx:1.27");
        assert_eq!(i("x${EMPTY:-d}").unwrap(), "xd");
        assert_eq!(i("x${EMPTY-d}").unwrap(), "x");
        assert_eq!(i("${TAG:+set}").unwrap(), "set");
        assert_eq!(i("${NOPE:+set}").unwrap(), "");
        assert_eq!(i("${NOPE:-${TAG}}").unwrap(), "1.27");
        assert_eq!(i("$$TAG").unwrap(), "$TAG");
        assert_eq!(i("${NOPE}"), Err(Unresolved("NOPE".into())));
        assert_eq!(i("${NOPE:?must be set}"), Err(Unresolved("NOPE".into())));
        assert_eq!(i("${TAG?err}").unwrap(), "1.27");
        assert_eq!(i("a $ b").unwrap(), "a $ b");
    }
}
