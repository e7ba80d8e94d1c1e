//! Credential formats: a keyword for the prefilter, a pattern, and offline checks.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

use super::Secret;

pub struct Provider {
    pub name: &'static str,
    /// Keywords, exactly as they are written in the credential; the pattern runs only when one
    /// occurs in the text (case-sensitive, so that `task` does not wake the `SK…` pattern).
    pub keywords: &'static [&'static str],
    /// Capture group 1 is the secret.
    pub pattern: &'static str,
    /// Bytes of the secret that are a public prefix and may be shown.
    pub visible: usize,
    /// Minimum Shannon entropy (bits per character) of the part after the prefix.
    pub min_entropy: f64,
    /// An offline check; a candidate that fails it is not a real credential.
    pub verify: Option<fn(&Secret) -> bool>,
    /// Whether `verify` is a checksum (the message says so).
    pub checksummed: bool,
    /// Recognised by the name it is assigned to (`DATADOG_API_KEY=…`) rather than by a prefix of
    /// its own: the pattern matches the name, and a name that says the value is not a secret
    /// (`…_ID`, `…_SHA`, `…_URL`) rules it out.
    pub assigned: bool,
}

const fn p(
    name: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    visible: usize,
    min_entropy: f64,
) -> Provider {
    Provider {
        name,
        keywords,
        pattern,
        visible,
        min_entropy,
        verify: None,
        checksummed: false,
        assigned: false,
    }
}

const fn crc(mut provider: Provider) -> Provider {
    provider.verify = Some(verify_crc32_base62);
    provider.checksummed = true;
    provider
}

const fn basic(mut provider: Provider) -> Provider {
    provider.verify = Some(verify_basic_auth);
    provider
}

/// A credential known by the name it is assigned to: the service's name (any case) within the
/// setting's name, `=`, `:`, `=>` or `:=`, optional quotes, then the value (group 1), which
/// must end there. Keywords are written in lower case; the prefilter also looks for their
/// upper-case forms.
macro_rules! assigned {
    ($name:expr, $keywords:expr, $service:literal, $value:literal, $entropy:expr $(,)?) => {
        Provider {
            name: $name,
            keywords: $keywords,
            pattern: concat!(
                "(?i:",
                $service,
                r#")[A-Za-z0-9_.-]{0,30}?["']?[ \t]*(?:=>|:=|[:=])[ \t]*["']?("#,
                $value,
                r#")(?:[^A-Za-z0-9_+/=.~-]|$)"#
            ),
            visible: 0,
            min_entropy: $entropy,
            verify: None,
            checksummed: false,
            assigned: true,
        }
    };
}

/// Documented example values that must never be reported.
pub const KNOWN_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
];

pub static PROVIDERS: &[Provider] = &[
    // Source: GitHub docs, "About authentication to GitHub" / "Behind GitHub's new authentication
    // token formats": `ghp_`, 30 base62 characters and a 6-character CRC32.
    crc(p(
        "GitHub personal access token",
        &["ghp_"],
        r"\b(ghp_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: GitHub docs, token formats: `gho_` and 36 base62 characters ending in a CRC32.
    crc(p(
        "GitHub OAuth access token",
        &["gho_"],
        r"\b(gho_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: GitHub docs, token formats: `ghu_` and 36 base62 characters ending in a CRC32.
    crc(p(
        "GitHub App user-to-server token",
        &["ghu_"],
        r"\b(ghu_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: GitHub docs, token formats: `ghs_` and 36 base62 characters ending in a CRC32.
    crc(p(
        "GitHub App installation token",
        &["ghs_"],
        r"\b(ghs_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: GitHub docs, token formats: `ghr_` and 36 base62 characters ending in a CRC32.
    crc(p(
        "GitHub refresh token",
        &["ghr_"],
        r"\b(ghr_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: GitHub docs, "Managing your personal access tokens": `github_pat_`, 22 characters,
    // `_`, 59 characters.
    p(
        "GitHub fine-grained personal access token",
        &["github_pat_"],
        r"\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        11,
        3.0,
    ),
    // Source: npm docs, "About access tokens": `npm_` and 36 base62 characters ending in a CRC32.
    crc(p(
        "npm access token",
        &["npm_"],
        r"\b(npm_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    )),
    // Source: AWS IAM docs, "Unique identifier prefixes": `AKIA` (long-term), `ASIA` (temporary)
    // and 16 base32 characters.
    p(
        "AWS access key ID",
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        r"\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        4,
        3.0,
    ),
    // Source: AWS IAM docs, "Managing access keys": 40 base64 characters, known by its setting's
    // name.
    p(
        "AWS secret access key",
        &["aws", "AWS", "Aws"],
        r#"(?i)aws_?(?:secret_?access_?key|secret_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)"#,
        0,
        3.5,
    ),
    // Source: Slack API docs, "Token types": bot tokens `xoxb-`.
    p(
        "Slack bot token",
        &["xoxb-"],
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{20,})\b",
        5,
        3.0,
    ),
    // Source: Slack API docs, "Token types": user tokens `xoxp-` and rotating `xoxe-` tokens.
    p(
        "Slack user token",
        &["xoxp-", "xoxe-"],
        r"\b(xox[pe](?:-[0-9]{10,13}){3}-[A-Za-z0-9]{28,34})\b",
        5,
        3.0,
    ),
    // Source: Slack API docs, "Token types": app-level tokens `xapp-`.
    p(
        "Slack app-level token",
        &["xapp-"],
        r"\b(xapp-[0-9]-[A-Z0-9]+-[0-9]+-[a-z0-9]{32,})\b",
        5,
        3.0,
    ),
    // Source: Slack API docs, "Sending messages using incoming webhooks":
    // `https://hooks.slack.com/services/…`.
    p(
        "Slack incoming webhook URL",
        &["hooks.slack.com"],
        r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})",
        33,
        3.0,
    ),
    // Source: Stripe docs, "API keys": secret keys `sk_live_`, `sk_test_`.
    p(
        "Stripe secret key",
        &["sk_live_", "sk_test_", "sk_prod_"],
        r"\b(sk_(?:live|test|prod)_[A-Za-z0-9]{10,99})\b",
        8,
        3.0,
    ),
    // Source: Stripe docs, "Restricted API keys": `rk_live_`, `rk_test_`.
    p(
        "Stripe restricted key",
        &["rk_live_", "rk_test_", "rk_prod_"],
        r"\b(rk_(?:live|test|prod)_[A-Za-z0-9]{10,99})\b",
        8,
        3.0,
    ),
    // Source: GitLab docs, "Token prefixes": `glpat-` (and the routable form with a `.` suffix).
    p(
        "GitLab personal access token",
        &["glpat-"],
        r"\b(glpat-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{9}|glpat-[0-9A-Za-z_-]{20,50})(?:[^0-9A-Za-z_-]|$)",
        6,
        3.0,
    ),
    // Source: GitLab docs, "Token prefixes": deploy tokens `gldt-`.
    p(
        "GitLab deploy token",
        &["gldt-"],
        r"\b(gldt-[0-9A-Za-z_-]{20,50})(?:[^0-9A-Za-z_-]|$)",
        5,
        3.0,
    ),
    // Source: GitLab docs, "Token prefixes": runner authentication tokens `glrt-` (and the
    // routable form with a `.` suffix).
    p(
        "GitLab runner token",
        &["glrt-"],
        r"\b(glrt-[0-9A-Za-z_-]{27,300}\.[0-9a-z]{9}|glrt-[0-9A-Za-z_-]{20,50})(?:[^0-9A-Za-z_-]|$)",
        5,
        3.0,
    ),
    // Source: GitLab docs, "Token prefixes": pipeline trigger tokens `glptt-` and 40 hex digits.
    p(
        "GitLab pipeline trigger token",
        &["glptt-"],
        r"\b(glptt-[0-9a-f]{40})\b",
        6,
        3.0,
    ),
    // Source: GitLab docs, "Token prefixes": runner registration tokens `GR1348941`.
    p(
        "GitLab runner registration token",
        &["GR1348941"],
        r"\b(GR1348941[0-9A-Za-z_-]{20})(?:[^0-9A-Za-z_-]|$)",
        9,
        3.0,
    ),
    // Source: Google Cloud docs, "Manage API keys": `AIza` and 35 URL-safe characters.
    p(
        "Google API key",
        &["AIza"],
        r"\b(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        4,
        3.5,
    ),
    // Source: Google Cloud docs, "OAuth client secrets": `GOCSPX-` and 28 characters.
    p(
        "Google OAuth client secret",
        &["GOCSPX-"],
        r"\b(GOCSPX-[0-9A-Za-z_-]{28})(?:[^0-9A-Za-z_-]|$)",
        7,
        3.0,
    ),
    // Source: Microsoft docs, "Azure Cosmos DB connection strings": the account endpoint on
    // `documents.azure.com`, then `AccountKey=` and 86 base64 characters and `==`.
    p(
        "Azure Cosmos DB account key",
        &[".documents.azure.com"],
        r#"\.documents\.azure\.com[^\s"']{0,100}?;\s*AccountKey=([A-Za-z0-9+/]{86}==)"#,
        0,
        4.0,
    ),
    // Source: Microsoft docs, "Configure Azure Storage connection strings": `AccountKey=` and 86
    // base64 characters and `==`.
    p(
        "Azure storage account key",
        &["AccountKey="],
        r"AccountKey=([A-Za-z0-9+/]{86}==)",
        0,
        4.0,
    ),
    // Source: Discord developer docs, "Webhook": `https://discord.com/api/webhooks/<id>/<token>`.
    p(
        "Discord webhook URL",
        &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"(https://discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68})",
        33,
        3.0,
    ),
    // Source: Telegram Bot API docs, "Authorizing your bot": the bot id, `:`, `AA` and 33
    // characters.
    p(
        "Telegram bot token",
        &[":AA"],
        r"\b([0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        0,
        3.0,
    ),
    // Source: Stripe docs, "Check the webhook signatures": `whsec_`.
    p(
        "Stripe webhook signing secret",
        &["whsec_"],
        r"\b(whsec_[A-Za-z0-9]{32,64})\b",
        6,
        3.0,
    ),
    // Source: Twilio docs, "API keys": the key SID `SK` and 32 hex digits.
    p("Twilio API key", &["SK"], r"\b(SK[0-9a-f]{32})\b", 2, 3.0),
    // Source: Twilio SendGrid docs, "API keys": `SG.`, 22 characters, `.`, 43 characters.
    p(
        "SendGrid API key",
        &["SG."],
        r"\b(SG\.[0-9A-Za-z_-]{22}\.[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)",
        3,
        3.0,
    ),
    // Source: Mailgun docs, "API keys": legacy private keys `key-` and 32 hex digits.
    p(
        "Mailgun API key",
        &["key-"],
        r"\b(key-[0-9a-f]{32})\b",
        4,
        3.0,
    ),
    // Source: Mailchimp developer docs, "API keys": 32 hex digits, `-us`, the data centre number.
    p(
        "Mailchimp API key",
        &["-us"],
        r"\b([0-9a-f]{32}-us[0-9]{1,2})\b",
        0,
        3.0,
    ),
    // Source: Shopify developer docs, "Access tokens": `shpat_`, `shpca_`, `shppa_` and shared
    // secrets `shpss_`.
    p(
        "Shopify access token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"\b(shp(?:at|ca|pa|ss)_[0-9a-fA-F]{32})\b",
        6,
        3.0,
    ),
    // Source: Square developer docs, "Access tokens": `EAAA` (and the older `sq0atp-`).
    p(
        "Square access token",
        &["sq0atp-", "EAAA"],
        r"\b((?:sq0atp-[0-9A-Za-z_-]{22}|EAAA[0-9A-Za-z_-]{60}))(?:[^0-9A-Za-z_-]|$)",
        4,
        3.0,
    ),
    // Source: Square developer docs, "OAuth": application secrets `sq0csp-`.
    p(
        "Square OAuth secret",
        &["sq0csp-"],
        r"\b(sq0csp-[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)",
        7,
        3.0,
    ),
    // Source: PyPI docs, "API tokens": macaroons starting `pypi-AgEIcHlwaS5vcmc`.
    p(
        "PyPI upload token",
        &["pypi-AgEIcHlwaS5vcmc"],
        r"\b(pypi-AgEIcHlwaS5vcmc[0-9A-Za-z_-]{50,})",
        19,
        3.0,
    ),
    // Source: RubyGems guides, "API key scopes": `rubygems_` and 48 hex digits.
    p(
        "RubyGems API key",
        &["rubygems_"],
        r"\b(rubygems_[0-9a-f]{48})\b",
        9,
        3.0,
    ),
    // Source: Docker docs, "Personal access tokens": `dckr_pat_`.
    p(
        "Docker Hub personal access token",
        &["dckr_pat_"],
        r"\b(dckr_pat_[0-9A-Za-z_-]{27,})(?:[^0-9A-Za-z_-]|$)",
        9,
        3.0,
    ),
    // Source: HashiCorp Vault docs, "Tokens": service `hvs.`, batch `hvb.` and recovery `hvr.`
    // tokens.
    p(
        "HashiCorp Vault token",
        &["hvs.", "hvb.", "hvr."],
        r"\b(hv[sbr]\.[0-9A-Za-z_-]{90,300})(?:[^0-9A-Za-z_-]|$)",
        4,
        3.5,
    ),
    // Source: HashiCorp Terraform Cloud docs, "API tokens": 14 characters, `.atlasv1.`, the
    // secret.
    p(
        "Terraform Cloud token",
        &["atlasv1"],
        r"\b([0-9a-z]{14}\.atlasv1\.[0-9A-Za-z_=-]{60,70})(?:[^0-9A-Za-z_=-]|$)",
        0,
        3.5,
    ),
    // Source: Doppler docs, "Token formats": personal `dp.pt.`, service `dp.st.` and service
    // account `dp.sa.` tokens.
    p(
        "Doppler token",
        &["dp.pt.", "dp.st.", "dp.sa."],
        r"\b(dp\.(?:pt|st|sa|ct)\.[0-9A-Za-z]{40,44})\b",
        6,
        3.0,
    ),
    // Source: Pulumi docs, "Access tokens": `pul-` and 40 hex digits.
    p(
        "Pulumi access token",
        &["pul-"],
        r"\b(pul-[0-9a-f]{40})\b",
        4,
        3.0,
    ),
    // Source: DigitalOcean docs, "Personal access tokens": `dop_v1_`, OAuth `doo_v1_`, refresh
    // `dor_v1_`.
    p(
        "DigitalOcean token",
        &["dop_v1_", "doo_v1_", "dor_v1_"],
        r"\b(do[por]_v1_[0-9a-f]{64})\b",
        7,
        3.0,
    ),
    // Source: Heroku Dev Center, "Authentication": `HRKU-AA` and 58 characters.
    p(
        "Heroku API key",
        &["HRKU-AA"],
        r"\b(HRKU-AA[0-9A-Za-z_-]{58})(?:[^0-9A-Za-z_-]|$)",
        7,
        3.0,
    ),
    // Source: Fly.io docs, "Access tokens": `fo1_` and 43 characters.
    p(
        "Fly.io token",
        &["fo1_"],
        r"\b(fo1_[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)",
        4,
        3.0,
    ),
    // Source: Cloudflare docs, "Origin CA keys": `v1.0-`, 24 hex digits, `-`, 146 hex digits.
    p(
        "Cloudflare origin CA key",
        &["v1.0-"],
        r"\b(v1\.0-[0-9a-f]{24}-[0-9a-f]{146})\b",
        5,
        3.0,
    ),
    // Source: Databricks docs, "Personal access tokens": `dapi` and 32 hex digits.
    p(
        "Databricks token",
        &["dapi"],
        r"\b(dapi[0-9a-f]{32}(?:-[0-9])?)\b",
        4,
        3.0,
    ),
    // Source: Grafana docs, "Service account tokens": `glsa_`, 32 characters, `_`, 8 hex digits.
    p(
        "Grafana service account token",
        &["glsa_"],
        r"\b(glsa_[A-Za-z0-9]{32}_[0-9a-fA-F]{8})\b",
        5,
        3.0,
    ),
    // Source: Grafana Cloud docs, "Access policies": tokens `glc_` and base64.
    p(
        "Grafana Cloud token",
        &["glc_"],
        r"\b(glc_[A-Za-z0-9+/]{32,400}={0,2})",
        4,
        3.5,
    ),
    // Source: New Relic docs, "API keys": user keys `NRAK-` and 27 characters.
    p(
        "New Relic user API key",
        &["NRAK-"],
        r"\b(NRAK-[0-9A-Z]{27})\b",
        5,
        3.0,
    ),
    // Source: Sentry docs, "Auth tokens": user tokens `sntryu_` and 64 hex digits.
    p(
        "Sentry user token",
        &["sntryu_"],
        r"\b(sntryu_[0-9a-f]{64})\b",
        7,
        3.0,
    ),
    // Source: OpenAI platform docs, "API keys": `sk-`, `sk-proj-`, `sk-svcacct-`, `sk-admin-` with
    // the `T3BlbkFJ` marker.
    p(
        "OpenAI API key",
        &["T3BlbkFJ"],
        r"\b(sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})",
        3,
        3.5,
    ),
    // Source: Anthropic docs, "API keys": `sk-ant-api03-` (and admin `sk-ant-admin01-`), 93
    // characters, `AA`.
    p(
        "Anthropic API key",
        &["sk-ant-"],
        r"\b(sk-ant-(?:api03|admin01)-[0-9A-Za-z_-]{93}AA)(?:[^0-9A-Za-z_-]|$)",
        7,
        3.5,
    ),
    // Source: Hugging Face docs, "User access tokens": `hf_` and 34 letters.
    p(
        "Hugging Face token",
        &["hf_"],
        r"\b(hf_[A-Za-z]{34})\b",
        3,
        3.5,
    ),
    // Source: Perplexity docs, "API keys": `pplx-` and 48 characters.
    p(
        "Perplexity API key",
        &["pplx-"],
        r"\b(pplx-[A-Za-z0-9]{48})\b",
        5,
        3.5,
    ),
    // Source: Notion developer docs, "Authorization": `ntn_`, 11 digits, 35 characters.
    p(
        "Notion integration token",
        &["ntn_"],
        r"\b(ntn_[0-9]{11}[A-Za-z0-9]{35})\b",
        4,
        3.5,
    ),
    // Source: Linear developer docs, "Personal API keys": `lin_api_` and 40 characters.
    p(
        "Linear API key",
        &["lin_api_"],
        r"\b(lin_api_[A-Za-z0-9]{40})\b",
        8,
        3.0,
    ),
    // Source: Postman docs, "API keys": `PMAK-`, 24 hex digits, `-`, 34 hex digits.
    p(
        "Postman API key",
        &["PMAK-"],
        r"\b(PMAK-[0-9a-f]{24}-[0-9a-f]{34})\b",
        5,
        3.0,
    ),
    // Source: age specification: Bech32 `AGE-SECRET-KEY-1` and 58 characters.
    p(
        "Age secret key",
        &["AGE-SECRET-KEY-1"],
        r"\b(AGE-SECRET-KEY-1[0-9A-Z]{58})\b",
        16,
        3.0,
    ),
    // Source: Alibaba Cloud docs, "AccessKey pairs": ids `LTAI` and 20 characters.
    p(
        "Alibaba Cloud access key ID",
        &["LTAI"],
        r"\b(LTAI[A-Za-z0-9]{20})\b",
        4,
        3.0,
    ),
    // Source: PlanetScale docs, "Service tokens" and passwords: `pscale_tkn_`, `pscale_oauth_`,
    // `pscale_pw_`.
    p(
        "PlanetScale token",
        &["pscale_tkn_", "pscale_pw_", "pscale_oauth_"],
        r"\b(pscale_(?:tkn|pw|oauth)_[0-9A-Za-z_.-]{32,64})",
        11,
        3.0,
    ),
    // Source: Supabase docs, "Management API": personal access tokens `sbp_` and 40 hex digits.
    p(
        "Supabase access token",
        &["sbp_"],
        r"\b(sbp_[0-9a-f]{40})\b",
        4,
        3.0,
    ),
    // Source: Contentful docs, "Content management tokens": `CFPAT-` and 43 characters.
    p(
        "Contentful token",
        &["CFPAT-"],
        r"\b(CFPAT-[0-9A-Za-z_-]{43})(?:[^0-9A-Za-z_-]|$)",
        6,
        3.0,
    ),
    // Source: Dynatrace docs, "Access tokens": `dt0c01.`, 24 characters, `.`, 64 characters.
    p(
        "Dynatrace token",
        &["dt0c01."],
        r"\b(dt0c01\.[0-9A-Z]{24}\.[0-9A-Z]{64})\b",
        7,
        3.0,
    ),
    // Source: Flutterwave docs, "API keys": `FLWSECK-` / `FLWSECK_TEST-`, 32 hex digits, `-X`.
    p(
        "Flutterwave secret key",
        &["FLWSECK"],
        r"\b(FLWSECK(?:_TEST)?-[0-9a-f]{32}-X)",
        8,
        3.0,
    ),
    // Source: Frame.io developer docs, "Developer tokens": `fio-u-` and 64 characters.
    p(
        "Frame.io token",
        &["fio-u-"],
        r"\b(fio-u-[0-9A-Za-z_=-]{64})",
        6,
        3.0,
    ),
    // Source: Mapbox docs, "Access tokens": secret tokens `sk.eyJ…` (public ones are `pk.`).
    p(
        "Mapbox secret token",
        &["sk.eyJ"],
        r"\b(sk\.eyJ[0-9A-Za-z_-]{40,}\.[0-9A-Za-z_-]{20,})",
        3,
        3.5,
    ),
    // Source: Airtable docs, "Personal access tokens": `pat`, 14 characters, `.`, 64 hex digits.
    p(
        "Airtable personal access token",
        &["pat"],
        r"\b(pat[A-Za-z0-9]{14}\.[0-9a-f]{64})\b",
        3,
        3.0,
    ),
    // Source: Shippo docs, "Authentication": `shippo_live_` / `shippo_test_` and 40 hex digits.
    p(
        "Shippo API token",
        &["shippo_live_", "shippo_test_"],
        r"\b(shippo_(?:live|test)_[0-9a-f]{40})\b",
        12,
        3.0,
    ),
    // Source: Prefect docs, "API keys": `pnu_` and 36 characters.
    p(
        "Prefect API key",
        &["pnu_"],
        r"\b(pnu_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    ),
    // Source: Sourcegraph docs, "Access tokens": `sgp_` with an instance id or `local`, and 40 hex
    // digits.
    p(
        "Sourcegraph access token",
        &["sgp_"],
        r"\b(sgp_(?:[0-9a-f]{16}_|local_)?[0-9a-f]{40})\b",
        4,
        3.0,
    ),
    // Source: Infracost docs, "API key": `ico-` and 32 characters.
    p(
        "Infracost API key",
        &["ico-"],
        r"\b(ico-[A-Za-z0-9]{32})\b",
        4,
        3.0,
    ),
    // Source: ReadMe docs, "Authentication": `rdme_` and 70 characters.
    p(
        "Readme API key",
        &["rdme_"],
        r"\b(rdme_[a-z0-9]{70})\b",
        5,
        3.0,
    ),
    // Source: RFC 7519: base64url header `eyJ…`, payload and signature, dot-separated.
    p(
        "JSON Web Token",
        &["eyJ"],
        r"\b(eyJ[A-Za-z0-9_-]{15,}\.eyJ[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{20,})",
        0,
        3.5,
    ), // Source: Atlassian: API tokens.
    p(
        "Atlassian API token",
        &["ATATT3"],
        r"\b(ATATT3[A-Za-z0-9_\-=]{186})(?:[^A-Za-z0-9_\-=]|$)",
        6,
        3.0,
    ),
    // Source: Microsoft Entra ID: client secrets.
    p(
        "Azure AD client secret",
        &["Q~"],
        r"(?:^|[\\'\x22`\s>=:(,)])([A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?:$|[\\'\x22`\s<),])",
        3,
        3.0,
    ),
    // Source: Twilio: API keys.
    p(
        "Twilio API key",
        &["SK"],
        r"\b(SK[0-9a-fA-F]{32})\b",
        2,
        3.0,
    ),
    // Source: Adobe Developer Console: OAuth client secrets.
    p(
        "Adobe client secret",
        &["p8e-"],
        r"\b(p8e-[A-Za-z0-9]{32})\b",
        4,
        3.0,
    ),
    // Source: Clojars: deploy tokens.
    p(
        "Clojars deploy token",
        &["CLOJARS_"],
        r"\b(CLOJARS_[a-z0-9]{60})\b",
        8,
        3.0,
    ),
    // Source: Duffel: access tokens.
    p(
        "Duffel API token",
        &["duffel_test_", "duffel_live_"],
        r"\b(duffel_(?:test|live)_[A-Za-z0-9_\-=]{43})(?:[^A-Za-z0-9_\-=]|$)",
        12,
        3.0,
    ),
    // Source: EasyPost: API keys.
    p(
        "EasyPost API key",
        &["EZAK", "EZTK"],
        r"\b(EZ[AT]K[A-Za-z0-9]{54})\b",
        4,
        3.0,
    ),
    // Source: Meta for Developers: access tokens.
    p(
        "Facebook access token",
        &["EAAM", "EAAC"],
        r"\b(EAA[MC][A-Za-z0-9]{100,})\b",
        4,
        3.0,
    ),
    // Source: Harness: API keys and tokens.
    p(
        "Harness personal access token",
        &["pat."],
        r"\b(pat\.[A-Za-z0-9]{22}\.[0-9a-f]{24}\.[A-Za-z0-9]{20})\b",
        4,
        3.0,
    ),
    // Source: Octopus Deploy: API keys.
    p(
        "Octopus Deploy API key",
        &["API-"],
        r"\b(API-[A-Z0-9]{26})\b",
        4,
        3.0,
    ),
    // Source: 1Password: Secret Key.
    p(
        "1Password secret key",
        &["A3-"],
        r"\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b",
        3,
        3.0,
    ),
    // Source: 1Password: service accounts.
    p(
        "1Password service account token",
        &["ops_eyJ"],
        r"\b(ops_eyJ[A-Za-z0-9+/]{250,}={0,3})",
        7,
        3.0,
    ),
    // Source: Scalingo: API tokens.
    p(
        "Scalingo API token",
        &["tk-us-"],
        r"\b(tk-us-[A-Za-z0-9_\-]{48})(?:[^A-Za-z0-9_\-]|$)",
        6,
        3.0,
    ),
    // Source: Typeform: personal access tokens.
    p(
        "Typeform personal access token",
        &["tfp_"],
        r"\b(tfp_[A-Za-z0-9_\-.=]{59})(?:[^A-Za-z0-9_\-.=]|$)",
        4,
        3.0,
    ),
    // Source: JFrog Platform: reference tokens.
    p(
        "JFrog reference token",
        &["cmVmd"],
        r"\b(cmVmd[A-Za-z0-9]{59})\b",
        5,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab CI/CD job token",
        &["glcbt-"],
        r"\b(glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)",
        6,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab feature flag client token",
        &["glffct-"],
        r"\b(glffct-[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)",
        7,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab feed token",
        &["glft-"],
        r"\b(glft-[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)",
        5,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab incoming mail token",
        &["glimt-"],
        r"\b(glimt-[0-9A-Za-z_\-]{25})(?:[^0-9A-Za-z_\-]|$)",
        6,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab Kubernetes agent token",
        &["glagent-"],
        r"\b(glagent-[0-9A-Za-z_\-]{50})(?:[^0-9A-Za-z_\-]|$)",
        8,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab OAuth application secret",
        &["gloas-"],
        r"\b(gloas-[0-9A-Za-z_\-]{64})(?:[^0-9A-Za-z_\-]|$)",
        6,
        3.0,
    ),
    // Source: GitLab: token overview.
    p(
        "GitLab SCIM token",
        &["glsoat-"],
        r"\b(glsoat-[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)",
        7,
        3.0,
    ),
    // Source: Slack: configuration tokens.
    p(
        "Slack configuration token",
        &["xoxe.xox"],
        r"\b(xoxe\.xox[bp]-[0-9]-[A-Z0-9]{163,166})\b",
        9,
        3.0,
    ),
    // Source: New Relic: API keys.
    p(
        "New Relic browser API token",
        &["NRJS-"],
        r"\b(NRJS-[a-f0-9]{19})\b",
        5,
        2.0,
    ),
    // Source: Dropbox: OAuth access tokens (`sl.` and 135 characters; the longer `sl.u.` form).
    p(
        "Dropbox short-lived access token",
        &["sl."],
        r"\b(sl\.u\.[A-Za-z0-9\-=_]{100,}|sl\.[A-Za-z0-9\-=_]{135})(?:[^A-Za-z0-9\-=_]|$)",
        3,
        3.0,
    ),
    // Source: Buildkite: API access tokens.
    p(
        "Buildkite API access token",
        &["bkua_"],
        r"\b(bkua_[a-f0-9]{40})\b",
        5,
        3.0,
    ),
    // Source: CircleCI: API tokens.
    p(
        "CircleCI personal API token",
        &["CCIPAT_"],
        r"\b(CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40})\b",
        7,
        3.0,
    ),
    // Source: Figma: personal access tokens.
    p(
        "Figma personal access token",
        &["figd_"],
        r"\b(figd_[A-Za-z0-9_\-]{40})(?:[^A-Za-z0-9_\-]|$)",
        5,
        3.0,
    ),
    // Source: Groq: API keys.
    p(
        "Groq API key",
        &["gsk_"],
        r"\b(gsk_[A-Za-z0-9]{52})\b",
        4,
        3.0,
    ),
    // Source: Replicate: API tokens.
    p(
        "Replicate API token",
        &["r8_"],
        r"\b(r8_[A-Za-z0-9]{37})\b",
        3,
        3.0,
    ),
    // Source: xAI: API keys.
    p(
        "xAI API key",
        &["xai-"],
        r"\b(xai-[A-Za-z0-9]{80})\b",
        4,
        3.0,
    ),
    // Source: Netlify: access tokens.
    p(
        "Netlify personal access token",
        &["nfp_"],
        r"\b(nfp_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    ),
    // Source: Render: API keys.
    p(
        "Render API key",
        &["rnd_"],
        r"\b(rnd_[A-Za-z0-9]{32})\b",
        4,
        3.0,
    ),
    // Source: Resend: API keys.
    p(
        "Resend API key",
        &["re_"],
        r"\b(re_[A-Za-z0-9]{8}_[A-Za-z0-9]{24})\b",
        3,
        3.0,
    ),
    // Source: Brevo: API keys.
    p(
        "Brevo API key",
        &["xkeysib-"],
        r"\b(xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16})\b",
        8,
        3.0,
    ),
    // Source: LangSmith: API keys.
    p(
        "LangSmith API key",
        &["lsv2_"],
        r"\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b",
        8,
        3.0,
    ),
    // Source: Tailscale: auth and API keys.
    p(
        "Tailscale key",
        &["tskey-"],
        r"\b(tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{10,}-[A-Za-z0-9]{20,})\b",
        11,
        3.0,
    ),
    // Source: Sentry: organization auth tokens.
    p(
        "Sentry organization token",
        &["sntrys_"],
        r"\b(sntrys_eyJ[A-Za-z0-9+/=_]{50,})",
        7,
        3.0,
    ),
    // Source: SonarQube: user, project and global analysis tokens.
    p(
        "SonarQube token",
        &["squ_", "sqp_", "sqa_"],
        r"\b(sq[upa]_[a-f0-9]{40})\b",
        4,
        3.0,
    ),
    // Source: Deno Deploy: access tokens.
    p(
        "Deno Deploy token",
        &["ddp_", "ddw_"],
        r"\b(dd[pw]_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    ),
    // Source: OpenRouter: API keys.
    p(
        "OpenRouter API key",
        &["sk-or-v1-"],
        r"\b(sk-or-v1-[a-f0-9]{64})\b",
        9,
        3.0,
    ),
    // Source: JFrog Artifactory: API keys (`AKCp`, deprecated but still accepted).
    p(
        "Artifactory API key",
        &["AKCp"],
        r"\b(AKCp[A-Za-z0-9]{69})\b",
        4,
        3.0,
    ),
    // Source: npm: access tokens (`npm_` and 36 base62 characters).
    p(
        "npm access token",
        &["npm_"],
        r"\b(npm_[A-Za-z0-9]{36})\b",
        4,
        3.0,
    ),
    // Source: NuGet: API keys of nuget.org (`oy2` and 43 characters).
    p("NuGet API key", &["oy2"], r"\b(oy2[a-z0-9]{43})\b", 3, 3.0),
    // Source: Private Packagist: organisation and user tokens, read-only (`ort`, `urt`) and
    // update (`out`, `uut`).
    p(
        "Private Packagist token",
        &["packagist_"],
        r"\b(packagist_[ou][ru]t_[a-f0-9]{68})\b",
        14,
        3.0,
    ),
    // Source: Google OAuth 2.0: access tokens (`ya29.`).
    p(
        "Google OAuth access token",
        &["ya29."],
        r"\b(ya29\.[0-9A-Za-z_-]{40,2048})(?:[^0-9A-Za-z_-]|$)",
        5,
        3.5,
    ),
    // Source: Microsoft Teams: incoming webhook URLs.
    p(
        "Microsoft Teams incoming webhook URL",
        &["webhook.office.com"],
        r"(https://[a-z0-9-]+\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[a-f0-9]{32}/[a-f0-9-]{36})",
        0,
        3.0,
    ),
    // Source: Red Hat OpenShift: user (OAuth) access tokens.
    p(
        "OpenShift user token",
        &["sha256~"],
        r"(sha256~[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        7,
        3.5,
    ),
    // Source: Defined Networking (Nebula): API tokens.
    p(
        "Defined Networking API token",
        &["dnkey-"],
        r"\b(dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52})\b",
        6,
        3.0,
    ),
    // Source: 42 intranet: OAuth application secrets.
    p(
        "Intra42 client secret",
        &["s-s4t2"],
        r"\b(s-s4t2(?:ud|af)-[a-f0-9]{64})\b",
        9,
        3.0,
    ),
    // Source: MaxMind: license keys (`_mmk` suffix).
    p(
        "MaxMind license key",
        &["_mmk"],
        r"\b([A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk)\b",
        0,
        3.0,
    ),
    // Source: SettleMint: personal, application and service access tokens.
    p(
        "SettleMint access token",
        &["sm_pat_", "sm_aat_", "sm_sat_"],
        r"\b(sm_[pas]at_[A-Za-z0-9]{16})\b",
        7,
        3.0,
    ),
    // Source: HubSpot: private app access tokens (`pat-na1-`, `pat-eu1-` and a UUID).
    p(
        "HubSpot private app token",
        &["pat-na1-", "pat-eu1-"],
        r"\b(pat-(?:na|eu)1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        8,
        3.0,
    ),
    // Source: New Relic: API keys: Insights insert keys (`NRII-`).
    p(
        "New Relic insert key",
        &["NRII-"],
        r"\b(NRII-[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)",
        5,
        3.0,
    ),
    // Source: New Relic: API keys: license (ingest) keys, 40 characters ending in `NRAL`.
    p(
        "New Relic license key",
        &["NRAL"],
        r"\b([a-f0-9]{36}NRAL)\b",
        0,
        3.0,
    ),
    // Source: Plaid: access tokens (`access-<environment>-` and a UUID).
    p(
        "Plaid access token",
        &[
            "access-sandbox-",
            "access-development-",
            "access-production-",
        ],
        r"\b(access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        7,
        3.0,
    ),
    // Source: Slack: legacy tokens (`xoxo-`, `xoxs-` workspace tokens) and `xoxc-` client
    // (browser session) tokens of the same shape.
    p(
        "Slack legacy token",
        &["xoxo-", "xoxs-", "xoxc-"],
        r"\b(xox[osc]-[0-9]{9,13}-[0-9]{9,13}-[0-9]{9,13}-[0-9a-fA-F]{32,64})\b",
        5,
        3.0,
    ),
    // Source: Slack: legacy app (`xoxa-`) and refresh (`xoxr-`) tokens.
    p(
        "Slack app or refresh token",
        &["xoxa-", "xoxr-"],
        r"\b(xox[ar]-(?:[0-9]-)?[0-9A-Za-z]{8,48})\b",
        5,
        3.0,
    ),
    // Source: Zapier: webhook trigger URLs (`hooks.zapier.com/hooks/catch/`).
    p(
        "Zapier webhook URL",
        &["hooks.zapier.com/hooks/catch/"],
        r"(https://hooks\.zapier\.com/hooks/catch/[0-9]{5,12}/[a-z0-9]{5,10})",
        37,
        2.0,
    ),
    // Source: Azure Service Bus, Event Hubs and IoT Hub: connection strings' shared access keys.
    p(
        "Azure shared access key",
        &["SharedAccessKey="],
        r"SharedAccessKey=([A-Za-z0-9+/]{43}=)(?:[^A-Za-z0-9+/=]|$)",
        0,
        3.5,
    ),
    // Source: Atlassian Bitbucket: app passwords (`ATBB`).
    p(
        "Bitbucket app password",
        &["ATBB"],
        r"\b(ATBB[A-Za-z0-9_=.-]{28,64})(?:[^A-Za-z0-9_=.-]|$)",
        4,
        3.0,
    ),
    // Source: Linear: OAuth 2.0 access tokens (`lin_oauth_`).
    p(
        "Linear OAuth token",
        &["lin_oauth_"],
        r"\b(lin_oauth_[a-f0-9]{64})\b",
        10,
        3.0,
    ),
    // Source: Hugging Face: organization API tokens (`api_org_`).
    p(
        "Hugging Face organization token",
        &["api_org_"],
        r"\b(api_org_[A-Za-z]{34})\b",
        8,
        3.0,
    ),
    // Source: Braintree (PayPal): access tokens (`access_token$production$`).
    p(
        "Braintree access token",
        &["access_token$production$"],
        r"(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b",
        24,
        3.0,
    ),
    // Source: Cloudinary: the `CLOUDINARY_URL` environment variable (API key and secret).
    p(
        "Cloudinary URL",
        &["cloudinary://"],
        r"(cloudinary://[0-9]{15}:[A-Za-z0-9_-]{27}@[a-z0-9_-]+)",
        13,
        3.0,
    ),
    // Source: Firebase Cloud Messaging: legacy server keys (`AAAA…:APA91b…`).
    p(
        "Firebase Cloud Messaging server key",
        &[":APA91b"],
        r"\b(AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{134})(?:[^A-Za-z0-9_-]|$)",
        0,
        3.5,
    ),
    // Source: Segment: Public API tokens (`sgp_`).
    p(
        "Segment public API token",
        &["sgp_"],
        r"\b(sgp_[A-Za-z0-9]{64})\b",
        4,
        3.0,
    ),
    // Source: Tavily: API keys (`tvly-`).
    p(
        "Tavily API key",
        &["tvly-"],
        r"\b(tvly-(?:dev-|prod-)?[A-Za-z0-9]{32})\b",
        5,
        3.0,
    ),
    // Source: Yandex Cloud: API keys (`AQVN`).
    p(
        "Yandex Cloud API key",
        &["AQVN"],
        r"\b(AQVN[A-Za-z0-9_-]{35,38})(?:[^A-Za-z0-9_-]|$)",
        4,
        3.0,
    ),
    // Source: Docker Hub: organization access tokens (`dckr_oat_`).
    p(
        "Docker Hub organization access token",
        &["dckr_oat_"],
        r"\b(dckr_oat_[A-Za-z0-9_-]{32})(?:[^A-Za-z0-9_-]|$)",
        9,
        3.0,
    ),
    // Source: Doppler: CLI, SCIM and audit tokens (`dp.ct.`, `dp.scim.`, `dp.audit.`).
    p(
        "Doppler CLI, SCIM or audit token",
        &["dp.ct.", "dp.scim.", "dp.audit."],
        r"\b(dp\.(?:ct|scim|audit)\.[A-Za-z0-9]{40,44})\b",
        6,
        3.0,
    ),
    // Source: Grafana: API keys (the legacy format, base64 of `{"k":…`).
    p(
        "Grafana API key",
        &["eyJrIjoi"],
        r"\b(eyJrIjoi[A-Za-z0-9]{70,400}={0,2})(?:[^A-Za-z0-9=]|$)",
        8,
        3.0,
    ),
    // Source: Vercel Blob: read-write tokens (`vercel_blob_rw_`).
    p(
        "Vercel Blob read-write token",
        &["vercel_blob_rw_"],
        r"\b(vercel_blob_rw_[A-Za-z0-9]{10,20}_[A-Za-z0-9]{20,40})\b",
        15,
        3.0,
    ),
    // Source: Adafruit IO: keys (`aio_`).
    p(
        "Adafruit IO key",
        &["aio_"],
        r"\b(aio_[A-Za-z0-9]{28})\b",
        4,
        3.0,
    ),
    // Source: Sidekiq Pro and Enterprise: gem server credentials
    // (`BUNDLE_GEMS__CONTRIBSYS__COM`, `BUNDLE_ENTERPRISE__CONTRIBSYS__COM`).
    p(
        "Sidekiq gem server credentials",
        &["__CONTRIBSYS__COM"],
        r#"__CONTRIBSYS__COM["']?\s*[:=]\s*["']?([a-f0-9]{8}:[a-f0-9]{8})\b"#,
        0,
        2.0,
    ),
    // Source: Azure App Configuration: connection strings (`Endpoint=…azconfig.io;Id=…;Secret=…`).
    p(
        "Azure App Configuration secret",
        &[".azconfig.io;"],
        r"\.azconfig\.io;Id=[^;\s]{1,80};Secret=([A-Za-z0-9+/]{43}=)(?:[^A-Za-z0-9+/=]|$)",
        0,
        3.5,
    ),
    // Source: Azure SignalR, Communication Services and Web PubSub: connection strings' access
    // keys.
    p(
        "Azure access key",
        &[
            "signalr.net",
            "communication.azure.com",
            "webpubsub.azure.com",
        ],
        r"(?i)\.(?:service\.signalr\.net|communication\.azure\.com|webpubsub\.azure\.com)/?;\s*accesskey=([A-Za-z0-9+/]{43}=)(?:[^A-Za-z0-9+/=]|$)",
        0,
        3.5,
    ),
    // Source: Langfuse: API keys, the secret half (`sk-lf-` and a UUID).
    p(
        "Langfuse secret key",
        &["sk-lf-"],
        r"\b(sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        6,
        3.0,
    ),
    // Source: E2B: API keys (`e2b_`).
    p("E2B API key", &["e2b_"], r"\b(e2b_[a-f0-9]{40})\b", 4, 3.0),
    // Source: Tines: webhook URLs (`…tines.com/webhook/<path>/<secret>`).
    p(
        "Tines webhook URL",
        &[".tines.com/webhook/"],
        r"(https://[A-Za-z0-9-]+\.tines\.com/webhook/[a-z0-9]{32}/[a-z0-9]{32})",
        0,
        3.0,
    ),
    // Source: Azure Logic Apps and Power Automate (Teams workflows): HTTP trigger URLs signed
    // by `sig=`.
    p(
        "Azure Logic Apps webhook signature",
        &[".logic.azure.com"],
        r"\.logic\.azure\.com(?::443)?/workflows/[a-f0-9]{32}/triggers/[^\s/]+/paths/invoke\?[^\s\x22']*?sig=([A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        0,
        3.5,
    ),
    // Source: Flutterwave: encryption keys (`FLWSECK_TEST-` and 12 characters).
    p(
        "Flutterwave encryption key",
        &["FLWSECK"],
        r"\b(FLWSECK(?:_TEST)?-[a-f0-9]{12})\b",
        8,
        2.5,
    ),
    // Source: ClickUp: personal API tokens (`pk_<user id>_`).
    p(
        "ClickUp personal token",
        &["pk_"],
        r"\b(pk_[0-9]{6,10}_[0-9A-Z]{32})\b",
        3,
        3.0,
    ),
    // Source: WooCommerce: REST API consumer keys and secrets (`ck_`, `cs_`).
    p(
        "WooCommerce API key",
        &["ck_", "cs_"],
        r"\b(c[ks]_[a-f0-9]{40})\b",
        3,
        3.0,
    ),
    // Source: Mercado Pago: production access tokens (`APP_USR-`).
    p(
        "Mercado Pago access token",
        &["APP_USR-"],
        r"\b(APP_USR-[0-9]{10,20}-[0-9]{6}-[a-f0-9]{32}-[0-9]{6,12})\b",
        8,
        3.0,
    ),
    // Source: Backblaze B2: application keys (`K00`, 31 characters).
    p(
        "Backblaze B2 application key",
        &["K00"],
        r"\b(K00[A-Za-z0-9+/]{28})(?:[^A-Za-z0-9+/]|$)",
        3,
        3.5,
    ),
    // Source: Tencent Cloud: API keys, the SecretId (`AKID`).
    p(
        "Tencent Cloud SecretId",
        &["AKID"],
        r"\b(AKID[A-Za-z0-9]{32})\b",
        4,
        3.0,
    ),
    // Source: Rancher: API keys (`token-<id>:<secret>`).
    p(
        "Rancher API token",
        &["token-"],
        r"\b(token-[a-z0-9]{5}:[a-z0-9]{54})\b",
        12,
        3.0,
    ),
    // Source: JetBrains TeamCity: access tokens (base64 of `{"typ": "TCV2"}`, then two parts).
    p(
        "TeamCity access token",
        &["eyJ0eXAiOiAiVENWMiJ9"],
        r"\b(eyJ0eXAiOiAiVENWMiJ9\.[A-Za-z0-9_-]{20,80}\.[A-Za-z0-9_-]{20,80})(?:[^A-Za-z0-9_.-]|$)",
        20,
        3.0,
    ),
    // Source: OneSignal: app and organization API keys (`os_v2_app_`, `os_v2_org_`).
    p(
        "OneSignal API key",
        &["os_v2_"],
        r"\b(os_v2_(?:app|org)_[a-z0-9]{50,120})\b",
        10,
        3.0,
    ),
    // Source: MailerSend: API tokens (`mlsn.`).
    p(
        "MailerSend API token",
        &["mlsn."],
        r"\b(mlsn\.[a-f0-9]{64})\b",
        5,
        3.0,
    ),
    // Source: Klaviyo: private API keys (`pk_` and 34 hex characters).
    p(
        "Klaviyo private API key",
        &["pk_"],
        r"\b(pk_[a-f0-9]{34})\b",
        3,
        3.0,
    ),
    // Source: PostHog: personal API keys (`phx_`; project keys, `phc_`, are public).
    p(
        "PostHog personal API key",
        &["phx_"],
        r"\b(phx_[A-Za-z0-9]{30,60})\b",
        4,
        3.0,
    ),
    // Source: dbt Cloud: service account and personal access tokens (`dbtc_`, `dbtu_`).
    p(
        "dbt Cloud token",
        &["dbtc_", "dbtu_"],
        r"\b(dbt[cu]_[A-Za-z0-9_-]{40,64})(?:[^A-Za-z0-9_-]|$)",
        5,
        3.0,
    ),
    // Source: the Rust package registry: API tokens (`cio` and 32 characters).
    p(
        "Rust package registry API token",
        &["cio"],
        r"\b(cio[A-Za-z0-9]{32})\b",
        3,
        3.5,
    ),
    // Source: Kubernetes: kubeconfig `client-key-data`, a base64 PEM private key.
    p(
        "Kubernetes client key",
        &["client-key-data"],
        r#"client-key-data["']?\s*:\s*["']?(LS0tLS1CRUdJTi[A-Za-z0-9+/]{60,}={0,2})"#,
        0,
        3.5,
    ),
    // Source: Microsoft security-utilities, "common annotated security keys": 52 characters,
    // the `JQQJ9` signature, a provider letter, 16 characters, and a date-coded tail (Azure
    // DevOps 84-character personal access tokens, among others).
    p(
        "Azure common annotated security key",
        &["JQQJ9"],
        r"(?:^|[^A-Za-z0-9])([A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}(?:[A-Za-z0-9]{2}==)?)(?:[^A-Za-z0-9=]|$)",
        0,
        4.0,
    ),
    // Source: Microsoft security-utilities, identifiable keys: Azure Functions keys carry
    // `AzFu` after 44 characters.
    p(
        "Azure Functions key",
        &["AzFu"],
        r"(?:^|[^A-Za-z0-9_-])([A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}[AQgw]==)(?:[^A-Za-z0-9_=-]|$)",
        0,
        4.0,
    ),
    // Source: Microsoft security-utilities, identifiable keys: Azure AI Search query and admin
    // keys carry `AzSe` after 42 characters.
    p(
        "Azure AI Search key",
        &["AzSe"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9]{42}AzSe[A-D][A-Za-z0-9]{5})(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    // Source: Microsoft security-utilities, identifiable keys: 44-character messaging and
    // cache keys carry a signature after 33 characters (`+ARm` Relay, `+AEh` Event Hubs,
    // `+ASb` Service Bus, `AIoT` IoT Hub and devices, `AzCa` Cache for Redis, `AZEG` Event Grid).
    p(
        "Azure Relay, Event Hubs or Service Bus key",
        &["+ARm", "+AEh", "+ASb"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{33}\+A(?:Rm|Eh|Sb)[A-P][A-Za-z0-9+/]{5}=)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure IoT Hub key",
        &["AIoT"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{33}AIoT[A-P][A-Za-z0-9+/]{5}=)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure Cache for Redis key",
        &["AzCa"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{33}AzCa[A-P][A-Za-z0-9+/]{5}=)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure Event Grid key",
        &["AZEG"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{33}AZEG[A-P][A-Za-z0-9+/]{5}=)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    // Source: Microsoft security-utilities, identifiable keys: 88-character account keys carry
    // a signature after 76 characters (`+ASt` Storage, `ACDb` Cosmos DB, `+ABa` Batch, `+AMC`
    // Machine Learning classic web services, `APIM` API Management).
    p(
        "Azure storage account identifiable key",
        &["+ASt"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}\+ASt[A-Za-z0-9+/]{5}[AQgw]==)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure Cosmos DB key",
        &["ACDb"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}ACDb[A-Za-z0-9+/]{5}[AQgw]==)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure Batch key",
        &["+ABa"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}\+ABa[A-Za-z0-9+/]{5}[AQgw]==)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure Machine Learning web service key",
        &["+AMC"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}\+AMC[A-Za-z0-9+/]{5}[AQgw]==)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    p(
        "Azure API Management key",
        &["APIM"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{76}APIM[A-Za-z0-9+/]{5}[AQgw]==)(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    // Source: Microsoft security-utilities, identifiable keys: Azure Container Registry keys
    // carry `+ACR` after 42 characters.
    p(
        "Azure Container Registry key",
        &["+ACR"],
        r"(?:^|[^A-Za-z0-9+/_-])([A-Za-z0-9+/]{42}\+ACR[A-D][A-Za-z0-9+/]{5})(?:[^A-Za-z0-9+/_=-]|$)",
        0,
        4.0,
    ),
    // Source: ClickHouse Cloud docs, "Managing API keys": secret keys start `4b1d`, 42
    // characters in all.
    p(
        "ClickHouse Cloud API secret",
        &["4b1d"],
        r"\b(4b1d[A-Za-z0-9]{38})\b",
        4,
        3.5,
    ),
    // Source: GitLab docs, "Session cookie": `_gitlab_session` holds a 32-character session id.
    p(
        "GitLab session cookie",
        &["_gitlab_session="],
        r"_gitlab_session=([0-9a-z]{32})\b",
        0,
        3.0,
    ),
    // Source: Pinecone docs, "API keys": `pcsk_`, a short key id, `_`, the secret.
    p(
        "Pinecone API key",
        &["pcsk_"],
        r"\b(pcsk_[A-Za-z0-9]{4,10}_[A-Za-z0-9]{40,80})\b",
        5,
        3.5,
    ),
    // Source: npm docs, "npmrc": `_authToken` for a registry; before `npm_` tokens it was a
    // UUID.
    p(
        "npm legacy auth token",
        &["_authToken"],
        r#"_authToken["']?\s*[=:]\s*["']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b"#,
        0,
        3.0,
    ),
    // Source: npm docs, "npmrc": `_auth` is base64 of `user:password`.
    basic(p(
        "npm basic auth credentials",
        &["_auth"],
        r#"(?:^|[^A-Za-z0-9_])_auth["']?\s*[=:]\s*["']?([A-Za-z0-9+/]{8,}={0,2})(?:[^A-Za-z0-9+/=]|$)"#,
        0,
        2.5,
    )),
    // Source: Docker docs, "docker login" and `config.json`: each registry's `auth` is base64
    // of `user:password`.
    basic(p(
        "Docker registry credentials",
        &["\"auth\""],
        r#""auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})""#,
        0,
        2.5,
    )),
    // Source: AWS docs, "Temporary security credentials": session tokens are base64 of a
    // serialized structure that begins the same way (`IQoJb3JpZ2luX2Vj`, older `FwoGZXIvYXdz`).
    p(
        "AWS session token",
        &["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdz"],
        r"\b((?:IQoJb3JpZ2luX2Vj|FwoGZXIvYXdz)[A-Za-z0-9/+]{100,}={0,2})(?:[^A-Za-z0-9/+=]|$)",
        0,
        4.0,
    ),
    // Source: Amazon Marketplace Web Service docs, "MWS auth token": `amzn.mws.` and a UUID.
    p(
        "Amazon MWS auth token",
        &["amzn.mws."],
        r"\b(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b",
        9,
        3.0,
    ),
    // Source: Google Identity docs, "Using OAuth 2.0": refresh tokens start `1//0`.
    p(
        "Google OAuth refresh token",
        &["1//0"],
        r"(?:^|[^A-Za-z0-9_/:-])(1//0[A-Za-z0-9_-]{40,})(?:[^A-Za-z0-9_-]|$)",
        4,
        3.5,
    ),
    // Source: Salesforce docs, "Session ID": the org id (`00D…`), `!`, the session secret.
    p(
        "Salesforce access token",
        &["00D"],
        r"\b(00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,})",
        0,
        4.0,
    ),
    // Source: Django docs, "SECRET_KEY": `startproject` writes `django-insecure-` and 50
    // characters; a key so written and committed signs every session.
    p(
        "Django secret key",
        &["django-insecure-"],
        r"\b(django-insecure-[a-z0-9!@#$%^&*(\-_=+)]{50})(?:[^a-z0-9!@#$%^&*(\-_=+)]|$)",
        16,
        3.5,
    ),
    // Source: Authress docs, "Service client access keys": `sc_`…`.acc_`… dotted parts.
    p(
        "Authress service client access key",
        &[".acc_", ".acc-"],
        r"\b((?:sc|ext|scauth|authress)_[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}\.[A-Za-z0-9+/_=-]{30,120})",
        0,
        3.5,
    ),
    // Source: Fly.io docs, "Access tokens": macaroon tokens `fm1a_`, `fm1r_`, `fm2_`.
    p(
        "Fly.io macaroon token",
        &["fm1a_", "fm1r_", "fm2_"],
        r"\b(fm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3})(?:[^A-Za-z0-9+/=]|$)",
        4,
        4.0,
    ),
    // Source: Microsoft docs, "Grant limited access with shared access signatures": a SAS
    // URL's `sig` is an HMAC of the string-to-sign under the account key.
    p(
        "Azure shared access signature",
        &["sv=20"],
        r#"sv=20\d\d-\d\d-\d\d&[^\s"'<>]{0,400}?[?&]sig=([A-Za-z0-9%+/]{43,}(?:%3D|=){0,2})"#,
        0,
        3.5,
    ),
    // Source: Datadog docs, "API and Application Keys": 32 hex digits, set as `DD_API_KEY`.
    assigned!(
        "Datadog API key",
        &["datadog", "dd_api_key", "dd-api-key"],
        "datadog|dd[_-]?api[_-]?key",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Datadog docs, "API and Application Keys": 40 hex digits, set as `DD_APP_KEY`.
    assigned!(
        "Datadog application key",
        &["datadog", "dd_app_key", "dd_application_key"],
        "datadog|dd[_-]?app(?:lication)?[_-]?key",
        r"[A-Za-z0-9]{40}",
        2.5,
    ),
    // Source: Okta developer docs, "Create an API token": `00` and 40 URL-safe characters.
    assigned!(
        "Okta API token",
        &["okta"],
        "okta",
        r"00[A-Za-z0-9_-]{40}",
        3.0,
    ),
    // Source: Snyk docs, "Authentication for API": a UUID, set as `SNYK_TOKEN`.
    assigned!(
        "Snyk API token",
        &["snyk"],
        "snyk",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: Asana developer docs, "Personal access token": `1/` or `2/`, numeric ids, `:` and 32 hex digits.
    assigned!(
        "Asana personal access token",
        &["asana"],
        "asana",
        r"[0-2]/[0-9]{10,16}(?:/[0-9]{10,16})?:[a-f0-9]{32}",
        3.0,
    ),
    // Source: Asana developer docs, "OAuth": the app's 32-character client secret.
    assigned!(
        "Asana client secret",
        &["asana"],
        "asana",
        r"[a-z0-9]{32}",
        3.0,
    ),
    // Source: X developer docs, "OAuth 2.0 Bearer Token": a run of `A`s, then letters, digits and `%`.
    assigned!(
        "Twitter bearer token",
        &["twitter"],
        "twitter",
        r"A{18,24}[A-Za-z0-9%]{80,120}",
        3.0,
    ),
    // Source: X developer docs, "API key and secret": the 25-character consumer key.
    assigned!(
        "Twitter API key",
        &["twitter"],
        "twitter",
        r"[A-Za-z0-9]{25}",
        3.0,
    ),
    // Source: X developer docs, "API key and secret": the 50-character consumer secret.
    assigned!(
        "Twitter API secret",
        &["twitter"],
        "twitter",
        r"[A-Za-z0-9]{50}",
        3.0,
    ),
    // Source: X developer docs, "Access token and secret": the user id, `-` and letters and digits.
    assigned!(
        "Twitter access token",
        &["twitter"],
        "twitter",
        r"[0-9]{15,25}-[A-Za-z0-9]{20,40}",
        3.0,
    ),
    // Source: X developer docs, "Access token and secret": the 45-character secret.
    assigned!(
        "Twitter access token secret",
        &["twitter"],
        "twitter",
        r"[A-Za-z0-9]{45}",
        3.0,
    ),
    // Source: Fastly docs, "Using API tokens": 32 URL-safe characters, set as `FASTLY_API_TOKEN`.
    assigned!(
        "Fastly API token",
        &["fastly"],
        "fastly",
        r"[A-Za-z0-9_-]{32}",
        3.0,
    ),
    // Source: Algolia docs, "API keys": 32 hex digits (the search-only key is public and not reported).
    assigned!(
        "Algolia admin API key",
        &["algolia"],
        "algolia",
        r"[A-Za-z0-9]{32}",
        2.5,
    ),
    // Source: PagerDuty developer docs, "API access keys": 20 characters (user tokens start `u+`).
    assigned!(
        "PagerDuty API key",
        &["pagerduty", "pager_duty", "PagerDuty"],
        "pagerduty|pager_duty",
        r"[A-Za-z0-9_+-]{20}",
        3.0,
    ),
    // Source: Cloudflare docs, "Create API token": 40 URL-safe characters, set as `CLOUDFLARE_API_TOKEN`.
    assigned!(
        "Cloudflare API token",
        &["cloudflare", "cf_api_token"],
        "cloudflare|cf_api_token",
        r"[A-Za-z0-9_-]{40}",
        3.0,
    ),
    // Source: Cloudflare docs, "Get Global API key (legacy)": 37 hex digits.
    assigned!(
        "Cloudflare global API key",
        &["cloudflare", "cf_api_key"],
        "cloudflare|cf_api_key",
        r"[a-f0-9]{37}",
        2.5,
    ),
    // Source: Heroku Dev Center, "Heroku CLI authentication": a UUID, set as `HEROKU_API_KEY`.
    assigned!(
        "Heroku API key (legacy)",
        &["heroku"],
        "heroku",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: Bitbucket Cloud docs, "OAuth on Bitbucket Cloud": the consumer's 32-character secret.
    assigned!(
        "Bitbucket OAuth consumer secret",
        &["bitbucket"],
        "bitbucket",
        r"[A-Za-z0-9]{32}|[A-Za-z0-9_=-]{64}",
        3.0,
    ),
    // Source: Codecov docs, "The Codecov token": a UUID, set as `CODECOV_TOKEN`.
    assigned!(
        "Codecov upload token",
        &["codecov"],
        "codecov",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9]{32}",
        2.5,
    ),
    // Source: Cohere docs, "API keys": 40 letters and digits, set as `CO_API_KEY`.
    assigned!(
        "Cohere API key",
        &["cohere", "co_api_key"],
        "cohere|co_api_key",
        r"[A-Za-z0-9]{40}",
        3.0,
    ),
    // Source: Coinbase developer docs, "API key authentication": 64 URL-safe characters.
    assigned!(
        "Coinbase API secret",
        &["coinbase"],
        "coinbase",
        r"[A-Za-z0-9_-]{64}",
        3.0,
    ),
    // Source: Confluent docs, "Use API keys": 64 base64 characters.
    assigned!(
        "Confluent Cloud API secret",
        &["confluent", "ccloud"],
        "confluent|ccloud",
        r"[A-Za-z0-9+/]{64}",
        3.0,
    ),
    // Source: Contentful docs, "Authentication": 43 URL-safe characters. Only the Preview API's
    // token is read: it shows unpublished content, where the Delivery API's token of the same
    // shape serves published content to browsers.
    assigned!(
        "Contentful preview API token",
        &["contentful"],
        "contentful[A-Za-z0-9_.-]{0,20}?preview",
        r"[A-Za-z0-9_-]{43}",
        3.0,
    ),
    // Source: Discord developer docs, "Bot token": base64 user id, `.`, timestamp, `.`, HMAC.
    assigned!(
        "Discord bot token",
        &["discord"],
        "discord",
        r"[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}",
        3.0,
    ),
    // Source: Discord developer docs, "OAuth2": the application's 32-character client secret.
    assigned!(
        "Discord client secret",
        &["discord"],
        "discord",
        r"[A-Za-z0-9_-]{32}|[a-f0-9]{64}",
        3.0,
    ),
    // Source: Dropbox developer docs, "OAuth guide": 11 characters, ten `A`s, 43 more.
    assigned!(
        "Dropbox long-lived access token",
        &["dropbox"],
        "dropbox",
        r"[a-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=-]{43}",
        3.0,
    ),
    // Source: Etsy Open API docs, "Authentication": the 24-character keystring.
    assigned!("Etsy API key", &["etsy"], "etsy", r"[a-z0-9]{24}", 3.0,),
    // Source: Meta for Developers, "App secret": 32 hex digits, under a name that says secret
    // (the client token, of the same shape, ships in apps).
    assigned!(
        "Facebook app secret",
        &["facebook", "fb_app_secret", "fb_secret"],
        "(?:facebook|fb)[A-Za-z0-9_.-]{0,20}?secret",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Finicity (Mastercard Open Banking) docs, "App key": 32 hex digits.
    assigned!(
        "Finicity app key",
        &["finicity"],
        "finicity",
        r"[a-f0-9]{32}|[A-Za-z0-9]{20}",
        2.5,
    ),
    // Source: Flickr API docs, "API keys": 32 hex digits.
    assigned!(
        "Flickr API key",
        &["flickr"],
        "flickr",
        r"[A-Za-z0-9]{32}",
        2.5,
    ),
    // Source: FreshBooks API docs, "Authentication": 64 lower-case letters and digits.
    assigned!(
        "FreshBooks access token",
        &["freshbooks"],
        "freshbooks",
        r"[a-z0-9]{64}",
        3.0,
    ),
    // Source: Gitter developer docs, "Authentication": 40 characters.
    assigned!(
        "Gitter access token",
        &["gitter"],
        "gitter",
        r"[a-z0-9_-]{40}",
        3.0,
    ),
    // Source: GoCardless API docs, "Authentication": `live_` or `sandbox_` and 40 URL-safe characters.
    assigned!(
        "GoCardless access token",
        &["gocardless"],
        "gocardless",
        r"(?:live|sandbox)_[A-Za-z0-9_=-]{40}",
        3.0,
    ),
    // Source: Intercom developer docs, "Authentication": 60 base64 characters.
    assigned!(
        "Intercom access token",
        &["intercom"],
        "intercom",
        r"[A-Za-z0-9_=-]{60}",
        3.0,
    ),
    // Source: Kraken API docs, "Authentication": an 88-character base64 private key.
    assigned!(
        "Kraken API secret",
        &["kraken"],
        "kraken",
        r"[A-Za-z0-9/+=_-]{80,90}",
        3.0,
    ),
    // Source: KuCoin API docs, "Creating an API": a UUID secret.
    assigned!(
        "KuCoin API secret",
        &["kucoin"],
        "kucoin",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-f0-9]{24}",
        2.5,
    ),
    // Source: LaunchDarkly docs, "Keys": `sdk-` or `api-` and a UUID (mobile keys are public).
    assigned!(
        "LaunchDarkly key",
        &[
            "launchdarkly",
            "launch_darkly",
            "LaunchDarkly",
            "ld_sdk_key",
            "ld_api_key"
        ],
        "launchdarkly|launch_darkly|ld_sdk_key|ld_api_key",
        r"(?:sdk|api)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Za-z0-9_=-]{40}",
        2.5,
    ),
    // Source: Mailgun docs, "API keys": 32 hex digits, `-`, 8, `-`, 8.
    assigned!(
        "Mailgun API or webhook signing key",
        &["mailgun"],
        "mailgun",
        r"[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}",
        2.5,
    ),
    // Source: Mattermost developer docs, "Personal access tokens": 26 lower-case letters and digits.
    assigned!(
        "Mattermost access token",
        &["mattermost"],
        "mattermost",
        r"[a-z0-9]{26}",
        3.0,
    ),
    // Source: MessageBird (Bird) developer docs, "Authentication": 25 letters and digits.
    assigned!(
        "MessageBird API key",
        &["messagebird", "message_bird", "message-bird", "MessageBird"],
        "message_?bird|message-bird",
        r"[A-Za-z0-9]{25}",
        3.0,
    ),
    // Source: Netlify docs, "Personal access tokens" before the `nfp_` prefix: 40 to 46 characters.
    assigned!(
        "Netlify access token (legacy)",
        &["netlify"],
        "netlify",
        r"[A-Za-z0-9_-]{40,46}",
        3.0,
    ),
    // Source: NYT developer docs, "Get started": 32 characters.
    assigned!(
        "New York Times API key",
        &["nytimes", "nyt_api"],
        "nytimes|nyt_api",
        r"[A-Za-z0-9_-]{32}",
        3.0,
    ),
    // Source: Plaid docs, "API keys": 30 hex digits.
    assigned!("Plaid secret", &["plaid"], "plaid", r"[A-Za-z0-9]{30}", 2.5,),
    // Source: RapidAPI docs, "API keys": 50 URL-safe characters, sent as `X-RapidAPI-Key`.
    assigned!(
        "RapidAPI key",
        &["rapidapi", "rapid_api", "RapidAPI"],
        "rapidapi|rapid_api",
        r"[A-Za-z0-9_-]{50}",
        3.0,
    ),
    // Source: Sendbird docs, "Authentication": 40 hex digits.
    assigned!(
        "Sendbird API token",
        &["sendbird", "SendBird"],
        "sendbird",
        r"[a-f0-9]{40}",
        2.5,
    ),
    // Source: Sentry docs, "Auth tokens" before the `sntrys_`/`sntryu_` prefixes: 64 hex digits.
    assigned!(
        "Sentry auth token (legacy)",
        &["sentry"],
        "sentry",
        r"[a-f0-9]{64}",
        2.5,
    ),
    // Source: Squarespace developer docs, "Authentication": a UUID.
    assigned!(
        "Squarespace API key",
        &["squarespace"],
        "squarespace",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: Sumo Logic docs, "Access keys": 64 letters and digits.
    assigned!(
        "Sumo Logic access key",
        &["sumo"],
        "sumo_?logic|sumo",
        r"[A-Za-z0-9]{64}",
        3.0,
    ),
    // Source: Travis CI docs, "API authentication": 22 URL-safe characters.
    assigned!(
        "Travis CI token",
        &["travis"],
        "travis",
        r"[A-Za-z0-9_-]{22}",
        3.0,
    ),
    // Source: Twitch developer docs, "Registering your app": 30 lower-case letters and digits.
    assigned!(
        "Twitch client secret",
        &["twitch"],
        "twitch",
        r"[a-z0-9]{30}",
        3.0,
    ),
    // Source: Zendesk developer docs, "API token": 40 letters and digits.
    assigned!(
        "Zendesk API token",
        &["zendesk"],
        "zendesk",
        r"[A-Za-z0-9]{40}",
        3.0,
    ),
    // Source: Yandex Cloud docs, "IAM token": `t1.` and two dotted base64url parts.
    assigned!(
        "Yandex IAM token",
        &["yandex"],
        "yandex",
        r"t1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]{86}={0,2}",
        3.0,
    ),
    // Source: Yandex Cloud docs, "Static access keys": `YC` and 38 characters.
    assigned!(
        "Yandex Cloud static access key",
        &["yandex"],
        "yandex",
        r"YC[A-Za-z0-9_-]{38}",
        3.0,
    ),
    // Source: Linear developer docs, "OAuth 2.0 authentication": 32 hex digits.
    assigned!(
        "Linear client secret",
        &["linear"],
        "linear",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: LinkedIn developer docs, "Authentication": the 16-character client secret.
    assigned!(
        "LinkedIn client secret",
        &["linkedin", "linked_in", "linked-in", "LinkedIn"],
        "linked_?in|linked-in",
        r"[A-Za-z0-9]{16}",
        3.0,
    ),
    // Source: Alibaba Cloud docs, "Create an AccessKey pair": 30 letters and digits.
    assigned!(
        "Alibaba Cloud AccessKey secret",
        &["alibaba", "aliyun", "alicloud"],
        "alibaba|aliyun|alicloud",
        r"[A-Za-z0-9]{30}",
        3.0,
    ),
    // Source: Beamer docs, "API": `b_` and 44 characters.
    assigned!(
        "Beamer API key",
        &["beamer"],
        "beamer",
        r"b_[A-Za-z0-9_=-]{44}",
        3.0,
    ),
    // Source: Bittrex API docs, "Authentication": 32 hex digits.
    assigned!(
        "Bittrex API secret",
        &["bittrex"],
        "bittrex",
        r"[A-Za-z0-9]{32}",
        2.5,
    ),
    // Source: Cisco Meraki Dashboard API docs, "Authorization": 40 hex digits.
    assigned!(
        "Cisco Meraki API key",
        &["meraki"],
        "meraki",
        r"[a-f0-9]{40}",
        2.5,
    ),
    // Source: Drone docs, "API authentication": 32 letters and digits, set as `DRONE_TOKEN`.
    assigned!(
        "Drone CI token",
        &["drone"],
        "drone",
        r"[A-Za-z0-9]{32}",
        3.0,
    ),
    // Source: Finnhub docs, "Authentication": 20 lower-case letters and digits.
    assigned!(
        "Finnhub API key",
        &["finnhub"],
        "finnhub",
        r"[a-z0-9]{20}",
        3.0,
    ),
    // Source: JFrog docs, "Identity tokens": 64 letters and digits.
    assigned!(
        "JFrog identity token",
        &["jfrog", "artifactory"],
        "jfrog|artifactory",
        r"[A-Za-z0-9]{64}|[A-Za-z0-9]{73}",
        3.0,
    ),
    // Source: SonarQube docs, "Generating and using tokens" before the `squ_` prefix: 40 hex digits.
    assigned!(
        "SonarQube token (legacy)",
        &["sonar"],
        "sonar[_.-]?(?:login|token)",
        r"[A-Za-z0-9_=-]{40}",
        2.5,
    ),
    // Source: CircleCI docs, "Managing API tokens" before the `CCIPAT_` prefix: 40 hex digits.
    assigned!(
        "CircleCI API token (legacy)",
        &["circleci", "circle_token", "circle-token", "CircleCI"],
        "circleci|circle_token|circle-token",
        r"[a-f0-9]{40}",
        2.5,
    ),
    // Source: Azure DevOps docs, "Use personal access tokens": 52 base32 characters (the 84-character form carries a signature and is matched alone).
    assigned!(
        "Azure DevOps personal access token",
        &[
            "azure_devops",
            "azure-devops",
            "azuredevops",
            "azdo",
            "ado_pat",
            "ado-pat",
            "adopat",
            "vsts",
            "system_accesstoken",
            "system.accesstoken",
            "systemaccesstoken",
            "AzureDevOps",
            "System.AccessToken"
        ],
        "azure[_-]?devops|azdo|ado[_-]?pat|vsts|system[_.]?accesstoken",
        r"[a-z2-7]{52}",
        3.0,
    ),
    // Source: Jenkins docs, "Authenticating scripted clients": `11` and 32 hex digits.
    assigned!(
        "Jenkins API token",
        &["jenkins"],
        "jenkins",
        r"11[a-f0-9]{32}",
        2.5,
    ),
    // Source: Vercel docs, "Access tokens" before the `vcp_` prefix: 24 letters and digits.
    assigned!(
        "Vercel access token (legacy)",
        &["vercel", "now_token"],
        "vercel|now_token",
        r"[A-Za-z0-9]{24}",
        3.0,
    ),
    // Source: Railway docs, "Public API": a UUID, set as `RAILWAY_TOKEN`.
    assigned!(
        "Railway API token",
        &["railway"],
        "railway",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: Pusher docs, "App keys": the 20-hex-digit secret, under a name that says secret
    // (the app key, of the same shape, is public).
    assigned!(
        "Pusher app secret",
        &["pusher"],
        "pusher[A-Za-z0-9_.-]{0,20}?secret",
        r"[a-f0-9]{20}",
        2.5,
    ),
    // Source: Mixpanel docs, "Project secret": 32 hex digits, under a name that says secret
    // (the project token, of the same shape, is public).
    assigned!(
        "Mixpanel API secret",
        &["mixpanel"],
        "mixpanel[A-Za-z0-9_.-]{0,20}?secret",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Amplitude docs, "API keys and secret keys": 32 hex digits, under a name that says
    // secret (the API key, of the same shape, ships in browsers).
    assigned!(
        "Amplitude secret key",
        &["amplitude"],
        "amplitude[A-Za-z0-9_.-]{0,20}?secret",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Rollbar docs, "Access tokens": 32 hex digits.
    assigned!(
        "Rollbar access token",
        &["rollbar"],
        "rollbar",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Postmark developer docs, "API authentication": a UUID.
    assigned!(
        "Postmark server token",
        &["postmark"],
        "postmark",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: SparkPost docs, "API keys": 40 hex digits.
    assigned!(
        "SparkPost API key",
        &["sparkpost", "SparkPost"],
        "sparkpost",
        r"[a-f0-9]{40}",
        2.5,
    ),
    // Source: Mailchimp Transactional (Mandrill) docs, "Authentication": 22 URL-safe characters.
    assigned!(
        "Mandrill API key",
        &["mandrill"],
        "mandrill",
        r"[A-Za-z0-9_-]{22}",
        3.0,
    ),
    // Source: Vonage (Nexmo) docs, "Authentication": the 16-character API secret.
    assigned!(
        "Vonage API secret",
        &["vonage", "nexmo"],
        "vonage|nexmo",
        r"[A-Za-z0-9]{16}",
        3.0,
    ),
    // Source: Twilio docs, "Auth tokens": 32 hex digits, set as `TWILIO_AUTH_TOKEN`.
    assigned!(
        "Twilio auth token",
        &["twilio"],
        "twilio",
        r"[a-f0-9]{32}",
        2.5,
    ),
    // Source: Atlassian docs, "Manage API tokens" before the `ATATT` prefix: 24 letters and digits.
    assigned!(
        "Atlassian API token (legacy)",
        &["atlassian", "jira", "confluence"],
        "atlassian|jira|confluence",
        r"[A-Za-z0-9]{24}",
        3.0,
    ),
    // Source: Auth0 docs, "Application settings": the 64-character client secret.
    assigned!(
        "Auth0 client secret",
        &["auth0"],
        "auth0",
        r"[A-Za-z0-9_-]{64}",
        3.0,
    ),
    // Source: Codacy docs, "Project API tokens": 32 letters and digits.
    assigned!(
        "Codacy project token",
        &["codacy"],
        "codacy",
        r"[A-Za-z0-9]{32}",
        3.0,
    ),
    // Source: Coveralls docs, "Repo token": 32 to 37 letters and digits.
    assigned!(
        "Coveralls repository token",
        &["coveralls"],
        "coveralls",
        r"[A-Za-z0-9]{32,37}",
        3.0,
    ),
    // Source: Sauce Labs docs, "Access key": a UUID.
    assigned!(
        "Sauce Labs access key",
        &["sauce"],
        "sauce",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: BrowserStack docs, "Access key": 20 letters and digits.
    assigned!(
        "BrowserStack access key",
        &["browserstack", "BrowserStack"],
        "browserstack",
        r"[A-Za-z0-9]{20}",
        3.0,
    ),
    // Source: Cypress docs, "Record key": a UUID, set as `CYPRESS_RECORD_KEY`.
    assigned!(
        "Cypress record key",
        &["cypress"],
        "cypress",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: Percy docs, "Project token": 64 hex digits, set as `PERCY_TOKEN`.
    assigned!("Percy token", &["percy"], "percy", r"[a-f0-9]{64}", 2.5,),
    // Source: HashiCorp Vault docs, "Tokens" before 1.10: `s.` and 24 letters and digits.
    assigned!(
        "HashiCorp Vault token (legacy)",
        &["vault"],
        "vault",
        r"s\.[A-Za-z0-9]{24}",
        3.0,
    ),
    // Source: HashiCorp Consul docs, "ACL tokens": a UUID secret, set as `CONSUL_HTTP_TOKEN`.
    assigned!(
        "Consul ACL token",
        &["consul"],
        "consul",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: HashiCorp Nomad docs, "ACL tokens": a UUID secret, set as `NOMAD_TOKEN`.
    assigned!(
        "Nomad ACL token",
        &["nomad"],
        "nomad",
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        2.5,
    ),
    // Source: ngrok docs, "Your authtoken": digits and letters, `_`, letters and digits.
    assigned!(
        "ngrok authtoken",
        &["ngrok"],
        "ngrok",
        r"[0-9][A-Za-z0-9]{20,30}_[A-Za-z0-9]{18,30}",
        3.0,
    ),
    // Source: Dropbox developer docs, "App console": the app key and app secret, 15
    // lower-case letters and digits each.
    assigned!(
        "Dropbox app secret",
        &["dropbox"],
        "dropbox",
        r"[a-z0-9]{15}",
        2.5,
    ),
    // Source: Meta for Developers, "Access tokens": an app access token is the app id, `|`
    // (or `%7C` in a URL) and the app secret.
    assigned!(
        "Facebook app access token",
        &["facebook", "fb_access_token", "fb_app_token"],
        "facebook|fb_access_token|fb_app_token",
        r"[0-9]{15,16}(?:\||%7C)[A-Za-z0-9_-]{27,40}",
        3.0,
    ),
    // Source: Airtable docs, "API keys" (deprecated in favour of personal access tokens): 17
    // characters starting `key`.
    assigned!(
        "Airtable API key (legacy)",
        &["airtable"],
        "airtable",
        r"[A-Za-z0-9]{17}",
        3.0,
    ),
    // Source: HubSpot developer docs, "API keys" (retired in favour of private app tokens): a
    // UUID, in upper or lower case.
    assigned!(
        "HubSpot API key (legacy)",
        &["hubspot", "hapikey", "HubSpot"],
        "hubspot|hapikey",
        r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
        2.5,
    ),
    // Source: Lob docs, "Authentication": `live_` or `test_` and 35 hex digits (`_pub` keys are
    // publishable).
    assigned!(
        "Lob API key",
        &["lob_"],
        "lob_",
        r"(?:live|test)_[a-f0-9]{35}",
        2.5,
    ),
    // Source: Private AI docs, "Authentication": a 32-character API key.
    assigned!(
        "Private AI API key",
        &["privateai", "private_ai", "private-ai"],
        "private[_-]?ai",
        r"[A-Za-z0-9]{32}",
        3.0,
    ),
    // Source: NuGet docs, "nuget.config reference": `packageSourceCredentials` hold a
    // `ClearTextPassword` (or an encrypted `Password`, which is only safe on the machine that
    // encrypted it).
    p(
        "NuGet source password",
        &["ClearTextPassword", "key=\"Password\""],
        r#"<add\s+key="(?:ClearText)?Password"\s+value="([^"%$\s]{8,})"\s*/>"#,
        0,
        3.0,
    ),
    // Source: NVIDIA API Catalog docs, "API keys": `nvapi-` and 64 URL-safe characters.
    p(
        "NVIDIA API key",
        &["nvapi-"],
        r"\b(nvapi-[A-Za-z0-9_-]{64})(?:[^A-Za-z0-9_-]|$)",
        6,
        3.5,
    ),
    // Source: Notion developer docs, "Authorization": internal integration secrets were
    // `secret_` and 43 letters and digits before the `ntn_` prefix.
    p(
        "Notion integration secret (legacy)",
        &["secret_"],
        r"\b(secret_[A-Za-z0-9]{43})\b",
        7,
        4.0,
    ),
    // Source: Supabase docs, "API keys": secret keys start `sb_secret_`.
    p(
        "Supabase secret key",
        &["sb_secret_"],
        r"\b(sb_secret_[A-Za-z0-9_-]{20,100})(?:[^A-Za-z0-9_-]|$)",
        10,
        3.5,
    ),
    // Source: Atlassian docs, "Bitbucket Data Center HTTP access tokens": `BBDC-` and 44
    // characters.
    p(
        "Bitbucket Data Center access token",
        &["BBDC-"],
        r"\b(BBDC-[A-Za-z0-9+/@_-]{44})(?:[^A-Za-z0-9+/@_=-]|$)",
        5,
        3.5,
    ),
    // Source: DataStax Astra DB docs, "Application tokens": `AstraCS:`, 24 letters, `:`, 64 hex
    // digits.
    p(
        "DataStax Astra DB token",
        &["AstraCS:"],
        r"\b(AstraCS:[A-Za-z]{24}:[a-f0-9]{64})\b",
        8,
        3.5,
    ),
    // Source: Login with Amazon docs, "Client secret": `amzn1.oa2-cs.v1.` and 64 hex digits.
    p(
        "Login with Amazon client secret",
        &["amzn1.oa2-cs.v1."],
        r"\b(amzn1\.oa2-cs\.v1\.[a-f0-9]{64})\b",
        16,
        3.0,
    ),
    // Source: Microsoft docs, "Azure AI services keys" (Azure OpenAI, Speech, Translator,
    // Vision, Language): 32 hex digits, set as `AZURE_OPENAI_API_KEY` and the like (the
    // 84-character form carries a signature and is matched alone).
    assigned!(
        "Azure AI services key",
        &[
            "azure_openai",
            "azure-openai",
            "azureopenai",
            "azure_cognitive",
            "azure_ai",
            "azure_speech",
            "azure_translator",
            "azure_vision",
            "azure_language"
        ],
        "azure[_-]?(?:openai|cognitive|ai|speech|translator|vision|language)",
        r"[a-f0-9]{32}",
        2.5,
    ),
];

/// One generator template per provider, for measuring recall: `{A:n}` mixed-case
/// alphanumerics, `{a:n}` lower-case alphanumerics, `{U:n}` upper-case alphanumerics, `{h:n}`
/// lower-case hex, `{d:n}` digits, `{l:n}` letters, `{u:n}` base64url, `{b:n}` base64, `{B:n}`
/// base32, `{c:n}` lower-case base32, `{crc}` the base62 CRC32 of the 30 characters before it, and `{basic}` base64 of
/// `user:password`.
pub static SAMPLES: &[(&str, &str)] = &[
    ("Artifactory API key", "AKCp{A:69}"),
    ("npm access token", "npm_{A:36}"),
    ("NuGet API key", "oy2{a:43}"),
    ("Private Packagist token", "packagist_uut_{h:68}"),
    ("Google OAuth access token", "ya29.{u:150}"),
    (
        "Microsoft Teams incoming webhook URL",
        "https://acme.webhook.office.com/webhookb2/{h:8}-{h:4}-{h:4}-{h:4}-{h:12}@{h:8}-{h:4}-{h:4}-{h:4}-{h:12}/IncomingWebhook/{h:32}/{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("OpenShift user token", "sha256~{u:43}"),
    ("Defined Networking API token", "dnkey-{a:26}-{a:52}"),
    ("Intra42 client secret", "s-s4t2ud-{h:64}"),
    ("MaxMind license key", "{A:6}_{A:29}_mmk"),
    ("SettleMint access token", "sm_pat_{A:16}"),
    ("GitHub personal access token", "ghp_{A:30}{crc}"),
    ("GitHub OAuth access token", "gho_{A:30}{crc}"),
    ("GitHub App user-to-server token", "ghu_{A:30}{crc}"),
    ("GitHub App installation token", "ghs_{A:30}{crc}"),
    ("GitHub refresh token", "ghr_{A:30}{crc}"),
    (
        "GitHub fine-grained personal access token",
        "github_pat_{A:22}_{A:59}",
    ),
    ("npm access token", "npm_{A:30}{crc}"),
    ("AWS access key ID", "AKIA{B:16}"),
    ("AWS secret access key", "aws_secret_access_key = {b:40}"),
    ("Slack bot token", "xoxb-{d:11}-{d:12}-{A:24}"),
    ("Slack user token", "xoxp-{d:11}-{d:11}-{d:12}-{a:32}"),
    ("Slack app-level token", "xapp-1-{U:11}-{d:13}-{h:64}"),
    (
        "Slack incoming webhook URL",
        "https://hooks.slack.com/services/T{U:8}/B{U:10}/{A:24}",
    ),
    ("Stripe secret key", "sk_live_{A:24}"),
    ("Stripe restricted key", "rk_live_{A:24}"),
    ("GitLab personal access token", "glpat-{u:20}"),
    ("GitLab deploy token", "gldt-{u:20}"),
    ("GitLab runner token", "glrt-{u:20}"),
    ("GitLab pipeline trigger token", "glptt-{h:40}"),
    ("GitLab runner registration token", "GR1348941{u:20}"),
    ("Google API key", "AIza{u:35}"),
    ("Google OAuth client secret", "GOCSPX-{u:28}"),
    ("Azure storage account key", "AccountKey={b:86}=="),
    (
        "Discord webhook URL",
        "https://discord.com/api/webhooks/{d:18}/{u:68}",
    ),
    ("Telegram bot token", "{d:10}:AA{u:33}"),
    ("Stripe webhook signing secret", "whsec_{A:32}"),
    ("Twilio API key", "SK{h:32}"),
    ("SendGrid API key", "SG.{u:22}.{u:43}"),
    ("Mailgun API key", "key-{h:32}"),
    ("Mailchimp API key", "{h:32}-us{d:2}"),
    ("Shopify access token", "shpat_{h:32}"),
    ("Square access token", "EAAA{u:60}"),
    ("Square OAuth secret", "sq0csp-{u:43}"),
    ("PyPI upload token", "pypi-AgEIcHlwaS5vcmc{u:80}"),
    ("RubyGems API key", "rubygems_{h:48}"),
    ("Docker Hub personal access token", "dckr_pat_{u:27}"),
    ("HashiCorp Vault token", "hvs.{u:95}"),
    ("Terraform Cloud token", "{a:14}.atlasv1.{u:67}"),
    ("Doppler token", "dp.pt.{A:43}"),
    ("Pulumi access token", "pul-{h:40}"),
    ("DigitalOcean token", "dop_v1_{h:64}"),
    ("Heroku API key", "HRKU-AA{u:58}"),
    ("Fly.io token", "fo1_{u:43}"),
    ("Cloudflare origin CA key", "v1.0-{h:24}-{h:146}"),
    ("Databricks token", "dapi{h:32}"),
    ("Grafana service account token", "glsa_{A:32}_{h:8}"),
    ("Grafana Cloud token", "glc_{b:64}"),
    ("New Relic user API key", "NRAK-{U:27}"),
    ("Sentry user token", "sntryu_{h:64}"),
    ("OpenAI API key", "sk-proj-{u:40}T3BlbkFJ{u:40}"),
    ("Anthropic API key", "sk-ant-api03-{u:93}AA"),
    ("Hugging Face token", "hf_{l:34}"),
    ("Perplexity API key", "pplx-{A:48}"),
    ("Notion integration token", "ntn_{d:11}{A:35}"),
    ("Linear API key", "lin_api_{A:40}"),
    ("Postman API key", "PMAK-{h:24}-{h:34}"),
    ("Age secret key", "AGE-SECRET-KEY-1{U:58}"),
    ("Alibaba Cloud access key ID", "LTAI{A:20}"),
    ("PlanetScale token", "pscale_tkn_{u:43}"),
    ("Supabase access token", "sbp_{h:40}"),
    ("Contentful token", "CFPAT-{u:43}"),
    ("Dynatrace token", "dt0c01.{U:24}.{U:64}"),
    ("Flutterwave secret key", "FLWSECK-{h:32}-X"),
    ("Frame.io token", "fio-u-{u:64}"),
    ("Mapbox secret token", "sk.eyJ{u:60}.{u:22}"),
    ("Airtable personal access token", "pat{A:14}.{h:64}"),
    ("Shippo API token", "shippo_live_{h:40}"),
    ("Prefect API key", "pnu_{A:36}"),
    ("Sourcegraph access token", "sgp_{h:40}"),
    ("Infracost API key", "ico-{A:32}"),
    ("Readme API key", "rdme_{a:70}"),
    ("JSON Web Token", "eyJ{u:30}.eyJ{u:60}.{u:43}"),
    ("Atlassian API token", "ATATT3{u:186}"),
    ("Azure AD client secret", "{A:3}{d:1}Q~{A:34}"),
    ("Twilio API key", "SK{h:32}"),
    ("Adobe client secret", "p8e-{A:32}"),
    ("Clojars deploy token", "CLOJARS_{a:60}"),
    ("Duffel API token", "duffel_live_{u:43}"),
    ("EasyPost API key", "EZAK{A:54}"),
    ("Facebook access token", "EAAM{A:120}"),
    ("Harness personal access token", "pat.{A:22}.{h:24}.{A:20}"),
    ("Octopus Deploy API key", "API-{U:26}"),
    ("1Password secret key", "A3-{U:6}-{U:11}-{U:5}-{U:5}-{U:5}"),
    ("1Password service account token", "ops_eyJ{b:260}"),
    ("Scalingo API token", "tk-us-{u:48}"),
    ("Typeform personal access token", "tfp_{u:59}"),
    ("JFrog reference token", "cmVmd{A:59}"),
    ("GitLab CI/CD job token", "glcbt-{A:3}_{u:20}"),
    ("GitLab feature flag client token", "glffct-{u:20}"),
    ("GitLab feed token", "glft-{u:20}"),
    ("GitLab incoming mail token", "glimt-{u:25}"),
    ("GitLab Kubernetes agent token", "glagent-{u:50}"),
    ("GitLab OAuth application secret", "gloas-{u:64}"),
    ("GitLab SCIM token", "glsoat-{u:20}"),
    ("Slack configuration token", "xoxe.xoxb-1-{U:164}"),
    ("New Relic browser API token", "NRJS-{h:19}"),
    ("Dropbox short-lived access token", "sl.{u:135}"),
    ("Buildkite API access token", "bkua_{h:40}"),
    ("CircleCI personal API token", "CCIPAT_{A:22}_{h:40}"),
    ("Figma personal access token", "figd_{u:40}"),
    ("Groq API key", "gsk_{A:52}"),
    ("Replicate API token", "r8_{A:37}"),
    ("xAI API key", "xai-{A:80}"),
    ("Netlify personal access token", "nfp_{A:36}"),
    ("Render API key", "rnd_{A:32}"),
    ("Resend API key", "re_{A:8}_{A:24}"),
    ("Brevo API key", "xkeysib-{h:64}-{A:16}"),
    ("LangSmith API key", "lsv2_pt_{h:32}_{h:10}"),
    ("Tailscale key", "tskey-auth-{A:12}-{A:30}"),
    ("Sentry organization token", "sntrys_eyJ{A:80}"),
    ("SonarQube token", "squ_{h:40}"),
    ("Deno Deploy token", "ddp_{A:36}"),
    ("OpenRouter API key", "sk-or-v1-{h:64}"),
    (
        "HubSpot private app token",
        "pat-na1-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("New Relic insert key", "NRII-{u:32}"),
    ("New Relic license key", "{h:36}NRAL"),
    (
        "Plaid access token",
        "access-production-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Slack legacy token", "xoxs-{d:10}-{d:11}-{d:12}-{h:64}"),
    ("Slack app or refresh token", "xoxa-2-{A:40}"),
    (
        "Zapier webhook URL",
        "https://hooks.zapier.com/hooks/catch/{d:8}/{a:7}/",
    ),
    (
        "Azure shared access key",
        "Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b:43}=",
    ),
    ("Bitbucket app password", "ATBB{A:32}"),
    ("Linear OAuth token", "lin_oauth_{h:64}"),
    ("Hugging Face organization token", "api_org_{l:34}"),
    (
        "Braintree access token",
        "access_token$production${a:16}${h:32}",
    ),
    ("Cloudinary URL", "cloudinary://{d:15}:{u:27}@acme"),
    (
        "Firebase Cloud Messaging server key",
        "AAAA{u:7}:APA91b{u:134}",
    ),
    ("Segment public API token", "sgp_{A:64}"),
    ("Tavily API key", "tvly-dev-{A:32}"),
    ("Yandex Cloud API key", "AQVN{u:36}"),
    ("Docker Hub organization access token", "dckr_oat_{u:32}"),
    ("Doppler CLI, SCIM or audit token", "dp.ct.{A:43}"),
    ("Grafana API key", "eyJrIjoi{A:72}"),
    (
        "Vercel Blob read-write token",
        "vercel_blob_rw_{A:16}_{A:30}",
    ),
    ("Adafruit IO key", "aio_{A:28}"),
    (
        "Sidekiq gem server credentials",
        "BUNDLE_GEMS__CONTRIBSYS__COM={h:8}:{h:8}",
    ),
    (
        "Azure App Configuration secret",
        "Endpoint=https://acme.azconfig.io;Id={A:4}-l0-s0:{A:20};Secret={b:43}=",
    ),
    (
        "Azure access key",
        "endpoint=https://acme.communication.azure.com/;accesskey={b:43}=",
    ),
    (
        "Langfuse secret key",
        "sk-lf-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("E2B API key", "e2b_{h:40}"),
    (
        "Tines webhook URL",
        "https://acme.tines.com/webhook/{a:32}/{a:32}",
    ),
    (
        "Azure Logic Apps webhook signature",
        "https://prod-12.westus.logic.azure.com:443/workflows/{h:32}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={u:43}",
    ),
    ("Flutterwave encryption key", "FLWSECK_TEST-{h:12}"),
    ("ClickUp personal token", "pk_{d:8}_{U:32}"),
    ("WooCommerce API key", "cs_{h:40}"),
    (
        "Mercado Pago access token",
        "APP_USR-{d:16}-{d:6}-{h:32}-{d:9}",
    ),
    ("Backblaze B2 application key", "K00{A:28}"),
    ("Tencent Cloud SecretId", "AKID{A:32}"),
    ("Rancher API token", "token-{a:5}:{a:54}"),
    (
        "TeamCity access token",
        "eyJ0eXAiOiAiVENWMiJ9.{u:36}.{u:48}",
    ),
    ("OneSignal API key", "os_v2_app_{a:113}"),
    ("MailerSend API token", "mlsn.{h:64}"),
    ("Klaviyo private API key", "pk_{h:34}"),
    ("PostHog personal API key", "phx_{A:43}"),
    ("dbt Cloud token", "dbtc_{u:48}"),
    ("Rust package registry API token", "cio{A:32}"),
    (
        "Kubernetes client key",
        "client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo{b:200}",
    ),
    (
        "Azure Cosmos DB account key",
        "AccountEndpoint=https://acme.documents.azure.com:443/;AccountKey={b:86}==;",
    ),
    (
        "Azure common annotated security key",
        "{A:52}JQQJ99{A:1}B{A:16}c{A:7}",
    ),
    ("Azure Functions key", "{u:44}AzFu{u:5}A=="),
    ("Azure AI Search key", "{A:42}AzSeC{A:5}"),
    (
        "Azure Relay, Event Hubs or Service Bus key",
        "{b:33}+AEhB{b:5}=",
    ),
    ("Azure IoT Hub key", "{b:33}AIoTC{b:5}="),
    ("Azure Cache for Redis key", "{b:33}AzCaD{b:5}="),
    ("Azure Event Grid key", "{b:33}AZEGE{b:5}="),
    (
        "Azure storage account identifiable key",
        "{b:76}+ASt{b:5}A==",
    ),
    ("Azure Cosmos DB key", "{b:76}ACDb{b:5}Q=="),
    ("Azure Batch key", "{b:76}+ABa{b:5}g=="),
    (
        "Azure Machine Learning web service key",
        "{b:76}+AMC{b:5}w==",
    ),
    ("Azure API Management key", "{b:76}APIM{b:5}A=="),
    ("Azure Container Registry key", "{b:42}+ACRA{b:5}"),
    ("ClickHouse Cloud API secret", "4b1d{A:38}"),
    ("GitLab session cookie", "_gitlab_session={a:32}"),
    ("Pinecone API key", "pcsk_{A:5}_{A:63}"),
    (
        "npm legacy auth token",
        "//npm.pkg.example.com/:_authToken={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("npm basic auth credentials", "_auth={basic}"),
    ("Docker registry credentials", "\"auth\": \"{basic}\""),
    ("AWS session token", "IQoJb3JpZ2luX2Vj{b:300}"),
    (
        "Amazon MWS auth token",
        "amzn.mws.{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Google OAuth refresh token", "1//0{u:100}"),
    ("Salesforce access token", "00D{A:15}!AQ{A:100}"),
    ("Django secret key", "django-insecure-{a:50}"),
    (
        "Authress service client access key",
        "sc_{A:20}.{A:5}.acc_{a:20}.{u:60}",
    ),
    ("Fly.io macaroon token", "fm2_{b:200}"),
    (
        "Azure shared access signature",
        "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&spr=https&sig={b:43}%3D",
    ),
    ("Datadog API key", "DD_API_KEY={h:32}"),
    ("Datadog application key", "DATADOG_APP_KEY={h:40}"),
    ("Okta API token", "OKTA_API_TOKEN=00{u:40}"),
    (
        "Snyk API token",
        "SNYK_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    (
        "Asana personal access token",
        "ASANA_TOKEN=2/{d:16}/{d:16}:{h:32}",
    ),
    ("Asana client secret", "ASANA_CLIENT_SECRET={a:32}"),
    (
        "Twitter bearer token",
        "TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA{A:90}",
    ),
    ("Twitter API key", "TWITTER_API_KEY={A:25}"),
    ("Twitter API secret", "TWITTER_API_SECRET={A:50}"),
    ("Twitter access token", "TWITTER_ACCESS_TOKEN={d:19}-{A:31}"),
    (
        "Twitter access token secret",
        "TWITTER_ACCESS_SECRET={A:45}",
    ),
    ("Fastly API token", "FASTLY_API_TOKEN={u:32}"),
    ("Algolia admin API key", "ALGOLIA_ADMIN_KEY={h:32}"),
    ("PagerDuty API key", "PAGERDUTY_API_KEY=u+{u:18}"),
    ("Cloudflare API token", "CLOUDFLARE_API_TOKEN={u:40}"),
    ("Cloudflare global API key", "CF_API_KEY={h:37}"),
    (
        "Heroku API key (legacy)",
        "HEROKU_API_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    (
        "Bitbucket OAuth consumer secret",
        "BITBUCKET_CLIENT_SECRET={A:32}",
    ),
    (
        "Codecov upload token",
        "CODECOV_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Cohere API key", "CO_API_KEY={A:40}"),
    ("Coinbase API secret", "COINBASE_API_SECRET={u:64}"),
    (
        "Confluent Cloud API secret",
        "CONFLUENT_CLOUD_API_SECRET={b:64}",
    ),
    (
        "Contentful preview API token",
        "CONTENTFUL_PREVIEW_ACCESS_TOKEN={u:43}",
    ),
    (
        "Discord bot token",
        "DISCORD_BOT_TOKEN=M{u:25}.{u:6}.{u:38}",
    ),
    ("Discord client secret", "DISCORD_CLIENT_SECRET={u:32}"),
    (
        "Dropbox long-lived access token",
        "DROPBOX_TOKEN={a:11}AAAAAAAAAA{u:43}",
    ),
    ("Etsy API key", "ETSY_API_KEY={a:24}"),
    ("Facebook app secret", "FACEBOOK_APP_SECRET={h:32}"),
    ("Finicity app key", "FINICITY_APP_KEY={h:32}"),
    ("Flickr API key", "FLICKR_API_KEY={h:32}"),
    ("FreshBooks access token", "FRESHBOOKS_TOKEN={a:64}"),
    ("Gitter access token", "GITTER_TOKEN={a:40}"),
    (
        "GoCardless access token",
        "GOCARDLESS_ACCESS_TOKEN=live_{u:40}",
    ),
    (
        "Intercom access token",
        "INTERCOM_ACCESS_TOKEN=dG9rOj{u:54}",
    ),
    ("Kraken API secret", "KRAKEN_API_SECRET={b:86}=="),
    (
        "KuCoin API secret",
        "KUCOIN_API_SECRET={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    (
        "LaunchDarkly key",
        "LAUNCHDARKLY_SDK_KEY=sdk-{h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    (
        "Mailgun API or webhook signing key",
        "MAILGUN_SIGNING_KEY={h:32}-{h:8}-{h:8}",
    ),
    ("Mattermost access token", "MATTERMOST_TOKEN={a:26}"),
    ("MessageBird API key", "MESSAGEBIRD_API_KEY={A:25}"),
    ("Netlify access token (legacy)", "NETLIFY_AUTH_TOKEN={u:43}"),
    ("New York Times API key", "NYTIMES_API_KEY={A:32}"),
    ("Plaid secret", "PLAID_SECRET={h:30}"),
    ("RapidAPI key", "X-RapidAPI-Key={u:50}"),
    ("Sendbird API token", "SENDBIRD_API_TOKEN={h:40}"),
    ("Sentry auth token (legacy)", "SENTRY_AUTH_TOKEN={h:64}"),
    (
        "Squarespace API key",
        "SQUARESPACE_API_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Sumo Logic access key", "SUMO_ACCESS_KEY={A:64}"),
    ("Travis CI token", "TRAVIS_API_TOKEN={u:22}"),
    ("Twitch client secret", "TWITCH_CLIENT_SECRET={a:30}"),
    ("Zendesk API token", "ZENDESK_API_TOKEN={A:40}"),
    ("Yandex IAM token", "YANDEX_IAM_TOKEN=t1.{u:40}.{u:86}"),
    (
        "Yandex Cloud static access key",
        "YANDEX_SECRET_ACCESS_KEY=YC{u:38}",
    ),
    ("Linear client secret", "LINEAR_CLIENT_SECRET={h:32}"),
    ("LinkedIn client secret", "LINKEDIN_CLIENT_SECRET={A:16}"),
    (
        "Alibaba Cloud AccessKey secret",
        "ALICLOUD_SECRET_KEY={A:30}",
    ),
    ("Beamer API key", "BEAMER_API_KEY=b_{u:44}"),
    ("Bittrex API secret", "BITTREX_API_SECRET={h:32}"),
    ("Cisco Meraki API key", "MERAKI_DASHBOARD_API_KEY={h:40}"),
    ("Drone CI token", "DRONE_TOKEN={A:32}"),
    ("Finnhub API key", "FINNHUB_API_KEY={a:20}"),
    ("JFrog identity token", "JFROG_IDENTITY_TOKEN={A:64}"),
    ("SonarQube token (legacy)", "SONAR_TOKEN={h:40}"),
    ("CircleCI API token (legacy)", "CIRCLECI_TOKEN={h:40}"),
    (
        "Azure DevOps personal access token",
        "AZURE_DEVOPS_EXT_PAT={c:52}",
    ),
    ("Jenkins API token", "JENKINS_API_TOKEN=11{h:32}"),
    ("Vercel access token (legacy)", "VERCEL_TOKEN={A:24}"),
    (
        "Railway API token",
        "RAILWAY_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Pusher app secret", "PUSHER_APP_SECRET={h:20}"),
    ("Mixpanel API secret", "MIXPANEL_API_SECRET={h:32}"),
    ("Amplitude secret key", "AMPLITUDE_SECRET_KEY={h:32}"),
    ("Rollbar access token", "ROLLBAR_ACCESS_TOKEN={h:32}"),
    (
        "Postmark server token",
        "POSTMARK_SERVER_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("SparkPost API key", "SPARKPOST_API_KEY={h:40}"),
    ("Mandrill API key", "MANDRILL_API_KEY={u:22}"),
    ("Vonage API secret", "VONAGE_API_SECRET={A:16}"),
    ("Twilio auth token", "TWILIO_AUTH_TOKEN={h:32}"),
    ("Atlassian API token (legacy)", "JIRA_API_TOKEN={A:24}"),
    ("Auth0 client secret", "AUTH0_CLIENT_SECRET={u:64}"),
    ("Codacy project token", "CODACY_PROJECT_TOKEN={A:32}"),
    ("Coveralls repository token", "COVERALLS_REPO_TOKEN={A:33}"),
    (
        "Sauce Labs access key",
        "SAUCE_ACCESS_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("BrowserStack access key", "BROWSERSTACK_ACCESS_KEY={A:20}"),
    (
        "Cypress record key",
        "CYPRESS_RECORD_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Percy token", "PERCY_TOKEN={h:64}"),
    ("HashiCorp Vault token (legacy)", "VAULT_TOKEN=s.{A:24}"),
    (
        "Consul ACL token",
        "CONSUL_HTTP_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    (
        "Nomad ACL token",
        "NOMAD_TOKEN={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("ngrok authtoken", "NGROK_AUTHTOKEN=2{A:26}_{A:21}"),
    ("Dropbox app secret", "DROPBOX_APP_SECRET={a:15}"),
    (
        "Facebook app access token",
        "FACEBOOK_ACCESS_TOKEN={d:16}|{u:32}",
    ),
    ("Airtable API key (legacy)", "AIRTABLE_API_KEY=key{A:14}"),
    (
        "HubSpot API key (legacy)",
        "HUBSPOT_API_KEY={h:8}-{h:4}-{h:4}-{h:4}-{h:12}",
    ),
    ("Lob API key", "LOB_API_KEY=live_{h:35}"),
    ("Private AI API key", "PRIVATE_AI_API_KEY={A:32}"),
    (
        "NuGet source password",
        "<add key=\"ClearTextPassword\" value=\"{A:24}\" />",
    ),
    ("NVIDIA API key", "nvapi-{u:64}"),
    ("Notion integration secret (legacy)", "secret_{A:43}"),
    ("Supabase secret key", "sb_secret_{u:31}"),
    ("Bitbucket Data Center access token", "BBDC-{u:44}"),
    ("DataStax Astra DB token", "AstraCS:{l:24}:{h:64}"),
    ("Login with Amazon client secret", "amzn1.oa2-cs.v1.{h:64}"),
    ("Azure AI services key", "AZURE_OPENAI_API_KEY={h:32}"),
];

/// Expand a `SAMPLES` template with characters from `next` (a source of random numbers).
pub fn expand(template: &str, next: &mut dyn FnMut() -> u64) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let spec = &rest[open + 1..close];
        rest = &rest[(close + 1).min(rest.len())..];
        if spec == "basic" {
            use base64::Engine;
            let password = expand("{A:20}", next);
            out.push_str(
                &base64::engine::general_purpose::STANDARD.encode(format!("deploy:{password}")),
            );
            continue;
        }
        if spec == "crc" {
            let body: String = out
                .chars()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push_str(&base62_6(crc32(body.as_bytes())));
            continue;
        }
        let Some((class, n)) = spec.split_once(':') else {
            continue;
        };
        let alphabet: &str = match class {
            "A" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "a" => "abcdefghijklmnopqrstuvwxyz0123456789",
            "U" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "h" => "0123456789abcdef",
            "d" => "0123456789",
            "l" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            "u" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            "b" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            "B" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
            "c" => "abcdefghijklmnopqrstuvwxyz234567",
            _ => "x",
        };
        let chars: Vec<char> = alphabet.chars().collect();
        for _ in 0..n.parse::<usize>().unwrap_or(0) {
            out.push(chars[(next() % chars.len() as u64) as usize]);
        }
    }
    out.push_str(rest);
    out
}

pub struct Compiled {
    pub keywords: AhoCorasick,
    /// Keyword index → provider index.
    pub keyword_provider: Vec<usize>,
    /// Each provider's pattern, compiled the first time one of its keywords is seen: a scan
    /// compiles only the patterns its files can match, which keeps start-up short.
    patterns: Vec<std::sync::OnceLock<Regex>>,
    pem_header: std::sync::OnceLock<Regex>,
}

impl Compiled {
    /// The pattern of provider `i`.
    pub fn pattern(&self, i: usize) -> &Regex {
        self.patterns[i]
            .get_or_init(|| Regex::new(PROVIDERS[i].pattern).expect("provider pattern is valid"))
    }

    /// The header of a PEM, OpenSSH or SSH2 (`---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`)
    /// private key: group 1 names a PEM key, group 2 an SSH2 one.
    pub fn pem_header(&self) -> &Regex {
        self.pem_header.get_or_init(|| {
            Regex::new(
                r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 (?:ENCRYPTED )?)?PRIVATE KEY(?: BLOCK)?)-----|---- BEGIN (SSH2 ENCRYPTED PRIVATE KEY) ----",
            )
            .expect("valid")
        })
    }
}

pub static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut keywords = Vec::new();
    let mut keyword_provider = Vec::new();
    for (i, provider) in PROVIDERS.iter().enumerate() {
        let mut own: Vec<String> = Vec::new();
        for kw in provider.keywords {
            own.push(kw.to_string());
            if provider.assigned {
                // Setting names are written in lower, camel or upper case: `datadog_api_key`,
                // `datadogApiKey`, `DATADOG_API_KEY`. (Capitalised forms are listed where they
                // are usual: each variant grows the automaton every byte goes through.)
                own.push(kw.to_ascii_uppercase());
            }
        }
        own.sort();
        own.dedup();
        for kw in own {
            keywords.push(kw);
            keyword_provider.push(i);
        }
    }
    keywords.push("-----BEGIN".to_string());
    keyword_provider.push(usize::MAX);
    keywords.push("PuTTY-User-Key-File-".to_string());
    keyword_provider.push(usize::MAX);
    keywords.push("---- BEGIN SSH2".to_string());
    keyword_provider.push(usize::MAX);
    for manifest in ["kind: Secret", "kind: \"Secret\"", "kind: 'Secret'"] {
        keywords.push(manifest.to_string());
        keyword_provider.push(KUBERNETES_SECRET);
    }
    Compiled {
        // A full DFA: the keywords include short, common ones (`SK`, `re_`), which leave the
        // searchers' byte prefilters nothing rare to skip to; the DFA reads each byte once.
        keywords: AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&keywords)
            .expect("keywords are valid"),
        keyword_provider,
        patterns: PROVIDERS
            .iter()
            .map(|_| std::sync::OnceLock::new())
            .collect(),
        pem_header: std::sync::OnceLock::new(),
    }
});

/// A credential in a provider's format: which provider, and where in the text.
pub struct Detection {
    pub provider: usize,
    pub start: usize,
    pub end: usize,
}

pub struct Detections {
    /// In provider-table order, then by position; no two overlap.
    pub credentials: Vec<Detection>,
    /// Whether a private-key header keyword occurs (the caller reads the key blocks).
    pub key_material: bool,
    /// Whether `kind: Secret` occurs (the caller reads the Kubernetes manifests).
    pub kubernetes_secret: bool,
    /// Whether any keyword occurs: a text without one holds no credential of any format.
    pub any_keyword: bool,
}

/// The keyword index of `kind: Secret`, beside `usize::MAX` for private-key headers.
const KUBERNETES_SECRET: usize = usize::MAX - 1;

/// Every value in `text` in a provider's format that passes the provider's checks: not a
/// documented example, not a placeholder, entropy above the floor, checksum valid. One value,
/// one detection: the first provider (in table order) that claims a span keeps it.
pub fn detect(text: &str) -> Detections {
    let compiled = &*COMPILED;
    // Where each provider's keywords occur: its pattern is only run around them, so a file
    // full of common short keywords costs what its hits cost, not a pass per provider.
    // (provider, position) of each keyword found; most texts have few, so no table of every
    // provider is built (a setting's value is read this way too, thousands of times a scan).
    let mut hits: Vec<(usize, usize)> = Vec::new();
    let mut key_material = false;
    let mut kubernetes_secret = false;
    let mut any_keyword = false;
    for hit in compiled.keywords.find_overlapping_iter(text) {
        any_keyword = true;
        match compiled.keyword_provider[hit.pattern().as_usize()] {
            usize::MAX => key_material = true,
            KUBERNETES_SECRET => kubernetes_secret = true,
            i => hits.push((i, hit.start())),
        }
    }
    // By provider, in table order (the first to claim a value keeps it), then by position.
    hits.sort_unstable();
    let mut credentials: Vec<Detection> = Vec::new();
    for group in hits.chunk_by(|a, b| a.0 == b.0) {
        let i = group[0].0;
        let provider = &PROVIDERS[i];
        let positions: Vec<usize> = group.iter().map(|&(_, at)| at).collect();
        let mut matches: Vec<regex::Captures> = Vec::new();
        let pattern = compiled.pattern(i);
        for (from, to) in windows(text, &positions) {
            // Searched from `from` with the text before it as context (`\b`, `^` hold), up to
            // `to`; a match that reaches `to` may go on, so it is read again without the end.
            let mut at = from;
            while let Some(caps) = pattern.captures_at(&text[..to], at) {
                let whole = caps.get(0).expect("group 0");
                let caps = if whole.end() == to && to < text.len() {
                    match pattern.captures_at(text, whole.start()) {
                        Some(longer) => longer,
                        None => break,
                    }
                } else {
                    caps
                };
                let end = caps.get(0).expect("group 0").end();
                at = if end > at {
                    end
                } else {
                    // An empty match: step over one character.
                    text[at..]
                        .chars()
                        .next()
                        .map_or(text.len(), |c| at + c.len_utf8())
                };
                matches.push(caps);
                if at >= to {
                    break;
                }
            }
        }
        matches.sort_by_key(|c| c.get(1).map_or(0, |m| m.start()));
        matches.dedup_by_key(|c| c.get(1).map_or(0, |m| m.start()));
        for caps in matches {
            let m = caps.get(1).expect("every provider pattern has group 1");
            if credentials
                .iter()
                .any(|d| d.start < m.end() && m.start() < d.end)
            {
                continue;
            }
            let secret = Secret::new(m.as_str());
            let value = secret.expose();
            if KNOWN_EXAMPLES.contains(&value) {
                continue;
            }
            let body = &value[provider.visible.min(value.len())..];
            if is_placeholder(body) || entropy(body) < provider.min_entropy {
                continue;
            }
            if provider.assigned {
                // No prefix vouches for these values: a hand-typed run (`0123456789abcdef…`)
                // or a name that says otherwise rules one out.
                let whole = caps.get(0).expect("group 0");
                if ascending_run(body, 6) || !names_a_secret(&text[whole.start()..m.start()]) {
                    continue;
                }
            }
            if let Some(verify) = provider.verify
                && !verify(&secret)
            {
                continue;
            }
            credentials.push(Detection {
                provider: i,
                start: m.start(),
                end: m.end(),
            });
        }
    }
    Detections {
        credentials,
        key_material,
        kubernetes_secret,
        any_keyword,
    }
}

/// Last words of a setting's name that say its value is not a secret: identifiers, addresses,
/// names and versions (`CLOUDFLARE_ZONE_ID`, `SENTRY_RELEASE`, `DATADOG_SITE`, `SNYK_ORG`).
const NOT_SECRET_LAST_WORDS: &[&str] = &[
    "id",
    "ids",
    "sha",
    "hash",
    "digest",
    "checksum",
    "commit",
    "release",
    "revision",
    "rev",
    "ref",
    "version",
    "url",
    "uri",
    "host",
    "hostname",
    "addr",
    "address",
    "endpoint",
    "domain",
    "site",
    "region",
    "zone",
    "name",
    "username",
    "user",
    "handle",
    "email",
    "org",
    "organization",
    "project",
    "team",
    "workspace",
    "account",
    "tenant",
    "channel",
    "guild",
    "path",
    "file",
    "dir",
    "image",
    "tag",
    "enabled",
    "port",
];

/// Words anywhere in a setting's name that say its value is meant to be public or is a
/// digest: `ALGOLIA_SEARCH_ONLY_API_KEY`, `MAPBOX_PUBLIC_TOKEN`, `DATADOG_SHA256_SUM`.
const NOT_SECRET_WORDS: &[&str] = &[
    "public",
    "pub",
    "publishable",
    "search",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "digest",
    "hash",
];

/// Whether the setting name in `key_text` (everything from where the pattern started to the
/// value: name, quotes and `=`/`:`) may name a secret.
fn names_a_secret(key_text: &str) -> bool {
    let name_end = key_text
        .rfind(|c: char| c.is_ascii_alphanumeric())
        .map_or(0, |i| i + 1);
    let name = &key_text[..name_end];
    let name_start = name
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .map_or(0, |i| i + 1);
    // Split as secret-named keys are (`facebookAppId` → FACEBOOK, APP, ID).
    let words = super::assignments::words(&name[name_start..]);
    let listed = |list: &[&str], word: &String| list.iter().any(|w| word.eq_ignore_ascii_case(w));
    let last_says_not = words
        .last()
        .is_some_and(|w| listed(NOT_SECRET_LAST_WORDS, w));
    !last_says_not && !words.iter().any(|w| listed(NOT_SECRET_WORDS, w))
}

/// Windows of the text around keyword positions, merged where they overlap: from a little
/// before the keyword (patterns may start with context) to well after it (tokens are long).
fn windows(text: &str, positions: &[usize]) -> Vec<(usize, usize)> {
    const BEFORE: usize = 512;
    const AFTER: usize = 4096;
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &at in positions {
        let from = crate::source::floor_char_boundary(text, at.saturating_sub(BEFORE));
        let to = crate::source::floor_char_boundary(text, (at + AFTER).min(text.len()));
        match out.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

/// Shannon entropy in bits per character.
pub fn entropy(text: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in text.bytes() {
        counts[b as usize] += 1;
    }
    let n = text.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// `xxxx`, `0000`, `XXXXXXXX…` runs and obvious fill-ins are placeholders, not credentials.
pub fn is_placeholder(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    let first = body.chars().next();
    body.chars().all(|c| Some(c) == first)
        || lower.contains("xxxxxxxx")
        || lower.contains("00000000")
        || lower.contains("example")
        || lower.contains("placeholder")
        || lower.contains("redacted")
}

/// Whether `text` holds `n` or more consecutive characters each one after the last (`012345`,
/// `abcdef`): a value typed by hand, not generated (about 1 in 40,000 random 32-hex-digit values has one).
fn ascending_run(text: &str, n: usize) -> bool {
    let bytes = text.as_bytes();
    let mut run = 1;
    for pair in bytes.windows(2) {
        if pair[1] == pair[0].wrapping_add(1) && pair[1].is_ascii_alphanumeric() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

/// `user:password` in base64 (npm `_auth`, Docker `auth`): printable text, a user and a
/// password that is neither a placeholder nor a reference (`${NPM_PASSWORD}`).
pub fn verify_basic_auth(secret: &Secret) -> bool {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(secret.expose()) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    let Some((user, password)) = text.split_once(':') else {
        return false;
    };
    let lower = password.to_ascii_lowercase();
    !user.is_empty()
        && !password.is_empty()
        && !text.chars().any(char::is_control)
        && !password.starts_with(['$', '<', '{', '%'])
        && !is_placeholder(password)
        && !["password", "pass", "passwd", "secret", "token", "changeme"].contains(&lower.as_str())
}

/// GitHub and npm tokens end in 6 base62 characters: the CRC32 of the 30 before them.
pub fn verify_crc32_base62(secret: &Secret) -> bool {
    let value = secret.expose();
    let Some((_, token)) = value.split_once('_') else {
        return false;
    };
    if token.len() != 36 {
        return false;
    }
    let (body, check) = token.split_at(30);
    base62_6(crc32(body.as_bytes())) == check
}

fn base62_6(mut n: u32) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("ascii")
}

/// CRC-32 (IEEE 802.3, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: LazyLock<[u32; 256]> = LazyLock::new(|| {
        let mut table = [0u32; 256];
        for (i, slot) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        table
    });
    let mut crc = !0u32;
    for &b in data {
        crc = TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_zlib() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn published_example_tokens_verify() {
        // Published examples of the format (a blog write-up and an issue thread), not live tokens.
        assert!(verify_crc32_base62(&Secret::new(
            "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"
        )));
        assert!(verify_crc32_base62(&Secret::new(
            "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"
        )));
        assert!(!verify_crc32_base62(&Secret::new(
            "ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18"
        )));
    }

    #[test]
    fn patterns_compile_and_entropy_is_sane() {
        assert_eq!(COMPILED.patterns.len(), PROVIDERS.len());
        assert!(entropy("aaaa") < 0.01);
        assert!(entropy("abcd") > 1.99);
        assert!(is_placeholder("xxxxxxxxxxxxxxxxxxxx"));
    }

    #[test]
    fn a_setting_name_can_say_its_value_is_no_secret() {
        for secret in [
            "DD_API_KEY=",
            "datadog_app_key: \"",
            "  \"datadogApiKey\": \"",
            "CODACY_PROJECT_TOKEN=",
            "SNYK_TOKEN => '",
            // SonarQube's scanner takes its token as `sonar.login`.
            "sonar.login=",
        ] {
            assert!(names_a_secret(secret), "{secret}");
        }
        for not_secret in [
            "CLOUDFLARE_ZONE_ID=",
            "SENTRY_RELEASE: ",
            "snykOrg: ",
            "ALGOLIA_SEARCH_ONLY_API_KEY=",
            "MAPBOX_PUBLIC_TOKEN: '",
            "DATADOG_AGENT_SHA256=",
            "facebookAppId = \"",
        ] {
            assert!(!names_a_secret(not_secret), "{not_secret}");
        }
    }

    /// Second shapes of a format, beside the one its sample template generates.
    #[test]
    fn other_documented_shapes_are_found_whole() {
        for (text, token) in [
            (
                "token: glpat-Kx8vQ2mZ7pL4nR9wTy6bJ3hFq5Xc.01ab3cd9e.\n",
                "glpat-Kx8vQ2mZ7pL4nR9wTy6bJ3hFq5Xc.01ab3cd9e",
            ),
            (
                "token: glpat-Kx8vQ2mZ7pL4nR9wTy6b.\n",
                "glpat-Kx8vQ2mZ7pL4nR9wTy6b",
            ),
            (
                "src: sgp_4f2a9c7e1b3d5f60_8c1e4a7b9d2f6e3a0c5b8d1f4e7a2c9b6d3f0e1a\n",
                "sgp_4f2a9c7e1b3d5f60_8c1e4a7b9d2f6e3a0c5b8d1f4e7a2c9b6d3f0e1a",
            ),
        ] {
            let found = detect(text);
            let spans: Vec<&str> = found
                .credentials
                .iter()
                .map(|d| &text[d.start..d.end])
                .collect();
            assert_eq!(spans, vec![token], "{text}");
        }
    }

    #[test]
    fn typed_runs_are_told_from_generated_values() {
        assert!(ascending_run("0123456789abcdef", 6));
        assert!(ascending_run("xyzabcdefq", 6));
        assert!(!ascending_run("7ac71ec1a5611ca4e1ae4eaeea05eebe", 6));
        assert!(!ascending_run("01234", 6));
    }

    #[test]
    fn basic_credentials_decode_to_a_user_and_a_password() {
        use base64::Engine;
        let encode = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let ok = encode("deploy:Kx8vQ2mZ7pL4nR9w");
        assert!(verify_basic_auth(&Secret::new(&ok)));
        for rejected in [
            encode("deploy"),
            encode(":Kx8vQ2mZ7pL4nR9w"),
            encode("deploy:"),
            encode("user:password"),
            encode("deploy:${REGISTRY_PASSWORD}"),
            encode("deploy:\u{1}\u{2}"),
            "not base64!".to_string(),
        ] {
            assert!(!verify_basic_auth(&Secret::new(&rejected)), "{rejected}");
        }
    }
}
