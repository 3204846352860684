//! Operation paths: the methods an operation may use, the prefixes the
//! platform keeps, and the template grammar (`/todos/:id`, a last
//! `*rest`), parsed into the shape the route table's router matches. Pure
//! functions, used by the resource logic that stores operations and by the
//! gateway that routes them.

/// Methods an operation may use.
pub const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Path prefixes the platform keeps for itself.
pub const RESERVED_PREFIXES: [&str; 10] = [
    "/admin",
    // The MCP server.
    "/mcp",
    "/system",
    "/authorization",
    "/console",
    "/consumer",
    "/portal",
    // RFC 8414 §3 and RFC 9728 §3; the rest of `/.well-known` is free.
    "/.well-known/oauth-authorization-server",
    "/.well-known/oauth-protected-resource",
    // OpenID Connect Discovery §4.
    "/.well-known/openid-configuration",
];

/// The reserved prefix `path` is under (the prefix itself, or below it),
/// if any: no operation may have such a path.
pub fn reserved_prefix(path: &str) -> Option<&'static str> {
    RESERVED_PREFIXES.into_iter().find(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// A parsed path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    /// The template with parameters renamed `{p0}`, `{p1}` … for matchit.
    pub shape: String,
    /// Parameter names in order.
    pub params: Vec<String>,
}

/// Parses `/a/:x/b` into a [`PathTemplate`]; a last segment `*rest`
/// matches the rest of the path, slashes included (one or more characters).
///
/// # Errors
/// A message saying what is wrong: not starting with `/`, an empty segment,
/// a bad or repeated parameter name, braces, or a reserved prefix.
pub fn parse_template(path: &str) -> Result<PathTemplate, String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    if path.len() > 512 {
        return Err("path must be at most 512 characters".into());
    }
    if let Some(prefix) = reserved_prefix(path) {
        return Err(format!(
            "paths under {prefix} are reserved for the platform"
        ));
    }
    let mut shape = String::new();
    let mut params: Vec<String> = Vec::new();
    if path == "/" {
        return Ok(PathTemplate {
            shape: "/".into(),
            params,
        });
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().copied().enumerate() {
        shape.push('/');
        let (name, catch_all) = match (segment.strip_prefix(':'), segment.strip_prefix('*')) {
            (Some(name), _) => (Some(name), false),
            (None, Some(name)) if i + 1 == segments.len() => (Some(name), true),
            (None, Some(_)) => {
                return Err(format!(
                    "the catch-all {segment:?} must be the last segment of the path"
                ));
            }
            (None, None) => (None, false),
        };
        if let Some(name) = name {
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                return Err(format!(
                    "parameter {segment:?} must be ':' (or '*' for a catch-all) followed by a name of letters, digits and '_'"
                ));
            }
            if params.iter().any(|p| p == name) {
                return Err(format!("parameter :{name} appears twice"));
            }
            let star = if catch_all { "*" } else { "" };
            shape.push_str(&format!("{{{star}p{}}}", params.len()));
            params.push(name.to_string());
        } else if segment.is_empty() {
            return Err(format!("path {path:?} has an empty segment"));
        } else if segment.contains(['{', '}', '*', '?', '#']) || segment.contains(':') {
            return Err(format!(
                "segment {segment:?} may not contain '{{', '}}', '*', '?', '#' or a ':' after its start"
            ));
        } else {
            shape.push_str(segment);
        }
    }
    Ok(PathTemplate { shape, params })
}

/// The route key stored with an operation: method and shape.
pub fn route_key(method: &str, template: &PathTemplate) -> String {
    format!("{method} {}", template.shape)
}

/// Checks that path shapes can coexist in one router.
///
/// # Errors
/// matchit's message for the first shape that clashes.
pub fn check_shapes<'a>(shapes: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let mut router = matchit::Router::new();
    let mut seen = std::collections::BTreeSet::new();
    for shape in shapes {
        if seen.insert(shape) {
            router
                .insert(shape, ())
                .map_err(|e| format!("path {shape} clashes with an existing operation: {e}"))?;
        }
    }
    Ok(())
}
