//! The resource kinds a project holds, in the order a deploy writes them,
//! and how two versions of one resource differ.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FieldChange;
use crate::connections::{ConnectionConfig, redacted};

/// A kind of resource; the order of the variants is the order a deploy
/// writes them in (each only refers to kinds before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `/admin/scopes`.
    Scopes,
    /// `/admin/roles`.
    Roles,
    /// `/admin/schemas`.
    Schemas,
    /// `/admin/connections`.
    Connections,
    /// `/admin/actions`.
    Actions,
    /// `/admin/events`.
    Events,
    /// `/admin/operations`.
    Operations,
    /// `/admin/triggers`.
    Triggers,
    /// `/admin/webhooks`.
    Webhooks,
    /// `/admin/cronjobs`.
    Cronjobs,
    /// `/admin/apps`.
    Apps,
    /// `/admin/rate-limits`.
    RateLimits,
    /// `/admin/prompts` (the MCP server's prompts).
    Prompts,
    /// `/admin/portal`: the portal's settings, one unnamed resource (its
    /// plan line is named `settings`). Not in [`Kind::ALL`], which lists the
    /// named collections; a deploy applies it last, after the connection
    /// it names as the mailer exists and before nothing it could outlive.
    Portal,
}

impl Kind {
    /// Every kind, in apply order.
    pub const ALL: [Kind; 13] = [
        Kind::Scopes,
        Kind::Roles,
        Kind::Schemas,
        Kind::Connections,
        Kind::Actions,
        Kind::Events,
        Kind::Operations,
        Kind::Triggers,
        Kind::Webhooks,
        Kind::Cronjobs,
        Kind::Apps,
        Kind::RateLimits,
        Kind::Prompts,
    ];

    /// The key in a deploy file (`rate_limits`).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Scopes => "scopes",
            Kind::Roles => "roles",
            Kind::Schemas => "schemas",
            Kind::Connections => "connections",
            Kind::Actions => "actions",
            Kind::Events => "events",
            Kind::Operations => "operations",
            Kind::Triggers => "triggers",
            Kind::Webhooks => "webhooks",
            Kind::Cronjobs => "cronjobs",
            Kind::Apps => "apps",
            Kind::RateLimits => "rate_limits",
            Kind::Prompts => "prompts",
            Kind::Portal => "portal",
        }
    }

    /// The segment of the admin API path (`rate-limits`).
    pub fn path(self) -> &'static str {
        match self {
            Kind::RateLimits => "rate-limits",
            other => other.as_str(),
        }
    }

    /// The kind a file key or an admin path segment names.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == text || k.path() == text)
    }

    /// Resources the platform itself keeps: never pruned (the `admin` scope
    /// and role guard the admin API, the `metrics` scope `/system/metrics`;
    /// the `default` rate limit guards everyone). The scopes and the role
    /// are not exported either.
    pub fn is_builtin(self, name: &str) -> bool {
        match self {
            Kind::Scopes => name == "admin" || name == "metrics",
            Kind::Roles => name == "admin",
            Kind::RateLimits => name == "default",
            _ => false,
        }
    }

    /// Whether `export` leaves the resource out: the fixed scopes and role.
    pub fn is_fixed(self, name: &str) -> bool {
        match self {
            Kind::Scopes => name == "admin" || name == "metrics",
            Kind::Roles => name == "admin",
            _ => false,
        }
    }

    /// The fields of the admin API's body besides `name`, as `GET
    /// /admin/<kind>` shows them (none listed for connections and actions,
    /// whose bodies differ from what is shown).
    pub fn body_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Scopes => &["description"],
            Kind::Roles => &["description", "scopes"],
            Kind::Schemas => &["description", "schema"],
            Kind::Events => &["description", "schema"],
            Kind::Operations => &[
                "method",
                "path",
                "action",
                "action_version",
                "description",
                "stability",
                "active",
                "public",
                "scopes",
                "parameters",
                "incoming",
                "outgoing",
                "throws",
                "outgoing_validation",
                "cors",
                "sandbox",
                "mcp",
            ],
            Kind::Triggers => &["event", "action", "active"],
            Kind::Webhooks => &["event", "url", "active"],
            Kind::Cronjobs => &["schedule", "action", "active", "missed", "description"],
            Kind::Apps => &["description", "scopes", "active", "redirect_uris"],
            Kind::RateLimits => &[
                "priority",
                "operation",
                "app",
                "user",
                "anonymous",
                "requests",
                "window_seconds",
            ],
            Kind::Prompts => &["description", "arguments", "template"],
            Kind::Connections | Kind::Actions | Kind::Portal => &[],
        }
    }

    /// The fields in which `old` and `new` (canonical bodies) differ; a
    /// connection's config is compared member by member and shown without
    /// its secrets.
    pub(super) fn field_changes(self, old: &Value, new: &Value) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
        let mut all = keys(old).unwrap_or_default();
        all.extend(keys(new).unwrap_or_default());
        all.sort();
        all.dedup();
        for key in all {
            let (a, b) = (&old[&key], &new[&key]);
            if a == b {
                continue;
            }
            if self == Kind::Connections && key == "config" {
                let shown = |whole: &Value| {
                    serde_json::from_value::<ConnectionConfig>(whole.clone())
                        .map(|c| redacted(&c))
                        .unwrap_or(Value::Null)
                };
                let (shown_a, shown_b) = (shown(old), shown(new));
                for sub in self.field_changes(a, b) {
                    out.push(FieldChange {
                        from: shown_a[&sub.field].clone(),
                        to: shown_b[&sub.field].clone(),
                        field: format!("config.{}", sub.field),
                    });
                }
                continue;
            }
            out.push(FieldChange {
                field: key,
                from: a.clone(),
                to: b.clone(),
            });
        }
        out
    }
}
