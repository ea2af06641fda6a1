//! gitleaks' default rule ids and the built-in leakhound rules that find the same credentials.
//!
//! gitleaks configs name gitleaks' rules (`disabledRules = ["generic-api-key"]`, a `[[rules]]`
//! that extends a default rule, `targetRules`, `.gitleaksignore` lines). leakhound's rules have
//! their own ids, so each gitleaks default id (gitleaks 8.30, `config/gitleaks.toml`) is listed
//! here with the leakhound rules that cover it. An empty list: leakhound has no rule for that
//! credential (the id is known, not a typo, and there is nothing to disable).
//! A mapping is only given where the leakhound rule finds the same kind of credential: disabling
//! too much would hide leaks, disabling too little only shows more findings.

/// `(gitleaks id, leakhound ids)`, sorted by gitleaks id.
pub const GITLEAKS_DEFAULT_IDS: &[(&str, &[&str])] = &[
    ("1password-secret-key", &["onepassword.secret-key"]),
    (
        "1password-service-account-token",
        &["onepassword.service-account-token"],
    ),
    ("adafruit-api-key", &[]),
    ("adobe-client-id", &[]),
    ("adobe-client-secret", &[]),
    ("age-secret-key", &["age.secret-key"]),
    ("airtable-api-key", &["airtable.api-key"]),
    ("airtable-personnal-access-token", &["airtable.pat"]),
    ("algolia-api-key", &["algolia.admin-api-key"]),
    ("alibaba-access-key-id", &["alibaba.access-key-id"]),
    ("alibaba-secret-key", &["alibaba.access-key-secret"]),
    ("anthropic-admin-api-key", &["anthropic.admin-key"]),
    ("anthropic-api-key", &["anthropic.api-key"]),
    ("artifactory-api-key", &["jfrog.api-key"]),
    ("artifactory-reference-token", &["jfrog.reference-token"]),
    ("asana-client-id", &[]),
    ("asana-client-secret", &[]),
    ("atlassian-api-token", &["atlassian.api-token"]),
    ("authress-service-client-access-key", &[]),
    ("aws-access-token", &["aws.access-key-id"]),
    (
        "aws-amazon-bedrock-api-key-long-lived",
        &["aws.bedrock-api-key"],
    ),
    (
        "aws-amazon-bedrock-api-key-short-lived",
        &["aws.bedrock-short-term-api-key"],
    ),
    ("azure-ad-client-secret", &["azure.entra-client-secret"]),
    ("beamer-api-token", &[]),
    ("bitbucket-client-id", &[]),
    ("bitbucket-client-secret", &[]),
    ("bittrex-access-key", &[]),
    ("bittrex-secret-key", &[]),
    ("cisco-meraki-api-key", &[]),
    (
        "clickhouse-cloud-api-secret-key",
        &["clickhouse-cloud.api-secret"],
    ),
    ("clojars-api-token", &[]),
    ("cloudflare-api-key", &["cloudflare.api-token-legacy"]),
    ("cloudflare-global-api-key", &["cloudflare.global-api-key"]),
    ("cloudflare-origin-ca-key", &["cloudflare.origin-ca-key"]),
    ("codecov-access-token", &[]),
    ("cohere-api-token", &["cohere.api-key"]),
    ("coinbase-access-token", &[]),
    ("confluent-access-token", &[]),
    ("confluent-secret-key", &["confluent.api-secret"]),
    (
        "contentful-delivery-api-token",
        &["contentful.delivery-token"],
    ),
    (
        "curl-auth-header",
        &["url-credentials.basic-auth", "url-credentials.bearer"],
    ),
    ("curl-auth-user", &["url-credentials.curl-user"]),
    ("databricks-api-token", &["databricks.access-token"]),
    ("datadog-access-token", &["datadog.app-key"]),
    ("defined-networking-api-token", &[]),
    ("digitalocean-access-token", &["digitalocean.oauth-token"]),
    ("digitalocean-pat", &["digitalocean.pat"]),
    (
        "digitalocean-refresh-token",
        &["digitalocean.refresh-token"],
    ),
    ("discord-api-token", &[]),
    ("discord-client-id", &[]),
    ("discord-client-secret", &[]),
    ("doppler-api-token", &["doppler.personal-token"]),
    ("droneci-access-token", &["drone-ci.access-token"]),
    ("dropbox-api-token", &["dropbox.app-secret"]),
    (
        "dropbox-long-lived-api-token",
        &["dropbox.long-lived-token"],
    ),
    (
        "dropbox-short-lived-api-token",
        &["dropbox.short-lived-token"],
    ),
    (
        "duffel-api-token",
        &["duffel.live-access-token", "duffel.test-access-token"],
    ),
    ("dynatrace-api-token", &["dynatrace.api-token"]),
    ("easypost-api-token", &["easypost.production-api-key"]),
    ("easypost-test-api-token", &["easypost.test-api-key"]),
    ("etsy-access-token", &[]),
    ("facebook-access-token", &["facebook.access-token"]),
    ("facebook-page-access-token", &["facebook.access-token"]),
    ("facebook-secret", &["facebook.app-secret"]),
    ("fastly-api-token", &["fastly.api-token"]),
    ("finicity-api-token", &[]),
    ("finicity-client-secret", &[]),
    ("finnhub-access-token", &[]),
    ("flickr-access-token", &[]),
    ("flutterwave-encryption-key", &[]),
    ("flutterwave-public-key", &[]),
    (
        "flutterwave-secret-key",
        &["flutterwave.secret-key", "flutterwave.test-secret-key"],
    ),
    (
        "flyio-access-token",
        &["flyio.access-token", "flyio.macaroon-token"],
    ),
    ("frameio-api-token", &["frameio.developer-token"]),
    ("freemius-secret-key", &[]),
    ("freshbooks-access-token", &[]),
    ("gcp-api-key", &["google.api-key"]),
    (
        "generic-api-key",
        &[
            "generic.api-key",
            "generic.password",
            "generic.secret",
            "generic.token",
        ],
    ),
    (
        "github-app-token",
        &[
            "github.server-to-server-token",
            "github.user-to-server-token",
        ],
    ),
    ("github-fine-grained-pat", &["github.pat-fine-grained"]),
    ("github-oauth", &["github.oauth-token"]),
    ("github-pat", &["github.pat-classic"]),
    ("github-refresh-token", &["github.refresh-token"]),
    ("gitlab-cicd-job-token", &["gitlab.ci-build-token"]),
    ("gitlab-deploy-token", &["gitlab.deploy-token"]),
    ("gitlab-feature-flag-client-token", &[]),
    ("gitlab-feed-token", &["gitlab.feed-token"]),
    (
        "gitlab-incoming-mail-token",
        &["gitlab.incoming-mail-token"],
    ),
    ("gitlab-kubernetes-agent-token", &["gitlab.agent-token"]),
    ("gitlab-oauth-app-secret", &["gitlab.oauth-app-secret"]),
    ("gitlab-pat", &["gitlab.pat"]),
    ("gitlab-pat-routable", &["gitlab.pat-routable"]),
    ("gitlab-ptt", &["gitlab.pipeline-trigger-token"]),
    ("gitlab-rrt", &["gitlab.runner-registration-token"]),
    (
        "gitlab-runner-authentication-token",
        &["gitlab.runner-token"],
    ),
    (
        "gitlab-runner-authentication-token-routable",
        &["gitlab.runner-token"],
    ),
    ("gitlab-scim-token", &["gitlab.scim-token"]),
    ("gitlab-session-cookie", &[]),
    ("gitter-access-token", &[]),
    ("gocardless-api-token", &["gocardless.access-token"]),
    ("grafana-api-key", &["grafana.api-key"]),
    ("grafana-cloud-api-token", &["grafana.cloud-token"]),
    (
        "grafana-service-account-token",
        &["grafana.service-account-token"],
    ),
    ("harness-api-key", &["harness.api-token"]),
    ("hashicorp-tf-api-token", &["terraform.api-token"]),
    ("hashicorp-tf-password", &[]),
    ("heroku-api-key", &["heroku.api-key-legacy"]),
    ("heroku-api-key-v2", &["heroku.api-key"]),
    ("hubspot-api-key", &["hubspot.api-key"]),
    ("huggingface-access-token", &["huggingface.token"]),
    (
        "huggingface-organization-api-token",
        &["huggingface.org-token"],
    ),
    ("infracost-api-token", &[]),
    ("intercom-api-key", &["intercom.access-token"]),
    ("intra42-client-secret", &[]),
    ("jfrog-api-key", &["jfrog.api-key"]),
    ("jfrog-identity-token", &[]),
    ("jwt", &["jwt.token"]),
    ("jwt-base64", &["jwt.token"]),
    ("kraken-access-token", &["kraken.private-key"]),
    (
        "kubernetes-secret-yaml",
        &["kubernetes.secret", "kubernetes.secret-data-first"],
    ),
    ("kucoin-access-token", &[]),
    ("kucoin-secret-key", &[]),
    ("launchdarkly-access-token", &["launchdarkly.access-token"]),
    ("linear-api-key", &["linear.api-key"]),
    ("linear-client-secret", &[]),
    ("linkedin-client-id", &[]),
    ("linkedin-client-secret", &["linkedin.client-secret"]),
    ("lob-api-key", &["lob.live-api-key", "lob.test-api-key"]),
    ("lob-pub-api-key", &[]),
    ("looker-client-id", &[]),
    ("looker-client-secret", &[]),
    ("mailchimp-api-key", &["mailchimp.api-key"]),
    ("mailgun-private-api-token", &["mailgun.api-key"]),
    ("mailgun-pub-key", &[]),
    ("mailgun-signing-key", &[]),
    ("mapbox-api-token", &["mapbox.public-token"]),
    ("mattermost-access-token", &["mattermost.access-token"]),
    ("maxmind-license-key", &[]),
    ("messagebird-api-token", &["messagebird.access-key"]),
    ("messagebird-client-id", &[]),
    (
        "microsoft-teams-webhook",
        &["microsoft-teams.incoming-webhook"],
    ),
    ("netlify-access-token", &["netlify.access-token"]),
    ("new-relic-browser-api-token", &["newrelic.browser-api-key"]),
    ("new-relic-insert-key", &["newrelic.insights-key"]),
    ("new-relic-user-api-id", &[]),
    ("new-relic-user-api-key", &["newrelic.user-api-key"]),
    ("notion-api-token", &["notion.integration-token"]),
    ("npm-access-token", &["npm.access-token"]),
    ("nuget-config-password", &[]),
    ("nytimes-access-token", &[]),
    ("octopus-deploy-api-key", &["octopus-deploy.api-key"]),
    ("okta-access-token", &["okta.api-token"]),
    (
        "openai-api-key",
        &[
            "openai.admin-key",
            "openai.legacy-key",
            "openai.project-key",
            "openai.service-account-key",
        ],
    ),
    ("openshift-user-token", &["openshift.oauth-token"]),
    ("perplexity-api-key", &["perplexity.api-key"]),
    ("pkcs12-file", &["private-key.pkcs12-file"]),
    (
        "plaid-api-token",
        &["plaid.access-token", "plaid.sandbox-access-token"],
    ),
    ("plaid-client-id", &[]),
    ("plaid-secret-key", &["plaid.secret"]),
    ("planetscale-api-token", &["planetscale.api-token"]),
    ("planetscale-oauth-token", &["planetscale.oauth-token"]),
    ("planetscale-password", &["planetscale.password"]),
    ("postman-api-token", &["postman.api-key"]),
    ("prefect-api-token", &[]),
    (
        "private-key",
        &[
            "private-key.dsa",
            "private-key.ec",
            "private-key.encrypted",
            "private-key.one-line",
            "private-key.openssh",
            "private-key.pgp",
            "private-key.pkcs8",
            "private-key.putty",
            "private-key.rsa",
        ],
    ),
    ("privateai-api-token", &[]),
    ("pulumi-api-token", &["pulumi.access-token"]),
    ("pypi-upload-token", &["pypi.api-token"]),
    ("rapidapi-access-token", &["rapidapi.api-key"]),
    ("readme-api-token", &[]),
    ("rubygems-api-token", &["rubygems.api-key"]),
    ("scalingo-api-token", &[]),
    ("sendbird-access-id", &[]),
    ("sendbird-access-token", &["sendbird.api-token"]),
    ("sendgrid-api-token", &["sendgrid.api-key"]),
    ("sendinblue-api-token", &["brevo.api-key"]),
    ("sentry-access-token", &[]),
    ("sentry-org-token", &["sentry.org-token"]),
    ("sentry-user-token", &["sentry.user-token"]),
    ("settlemint-application-access-token", &[]),
    ("settlemint-personal-access-token", &[]),
    ("settlemint-service-access-token", &[]),
    (
        "shippo-api-token",
        &["shippo.live-api-token", "shippo.test-api-token"],
    ),
    ("shopify-access-token", &["shopify.access-token"]),
    ("shopify-custom-access-token", &["shopify.custom-app-token"]),
    (
        "shopify-private-app-access-token",
        &["shopify.private-app-token"],
    ),
    ("shopify-shared-secret", &["shopify.shared-secret"]),
    ("sidekiq-secret", &[]),
    ("sidekiq-sensitive-url", &[]),
    ("slack-app-token", &["slack.app-token"]),
    ("slack-bot-token", &["slack.bot-token"]),
    ("slack-config-access-token", &["slack.config-access-token"]),
    ("slack-config-refresh-token", &["slack.refresh-token"]),
    ("slack-legacy-bot-token", &["slack.bot-token"]),
    ("slack-legacy-token", &["slack.legacy-token"]),
    ("slack-legacy-workspace-token", &["slack.legacy-token"]),
    ("slack-user-token", &["slack.user-token"]),
    (
        "slack-webhook-url",
        &["slack.webhook", "slack.workflow-webhook"],
    ),
    ("snyk-api-token", &["snyk.api-token"]),
    (
        "sonar-api-token",
        &["sonarqube.legacy-token", "sonarqube.token"],
    ),
    ("sourcegraph-access-token", &["sourcegraph.access-token"]),
    (
        "square-access-token",
        &["square.access-token", "square.oauth-access-token"],
    ),
    ("squarespace-access-token", &[]),
    (
        "stripe-access-token",
        &[
            "stripe.restricted-key",
            "stripe.secret-key",
            "stripe.test-key",
        ],
    ),
    ("sumologic-access-id", &["sumologic.access-id"]),
    ("sumologic-access-token", &["sumologic.access-key"]),
    ("telegram-bot-api-token", &["telegram.bot-token"]),
    ("travisci-access-token", &["travis-ci.api-token"]),
    ("twilio-api-key", &["twilio.api-key-sid"]),
    ("twitch-api-token", &["twitch.token"]),
    ("twitter-access-secret", &[]),
    ("twitter-access-token", &["twitter-x.access-token"]),
    ("twitter-api-key", &["twitter-x.api-key"]),
    ("twitter-api-secret", &["twitter-x.api-secret"]),
    ("twitter-bearer-token", &["twitter-x.bearer-token"]),
    ("typeform-api-token", &["typeform.personal-access-token"]),
    ("vault-batch-token", &["hashicorp-vault.batch-token"]),
    (
        "vault-service-token",
        &[
            "hashicorp-vault.service-token",
            "hashicorp-vault.token-legacy",
        ],
    ),
    ("yandex-access-token", &["yandex-cloud.iam-token"]),
    ("yandex-api-key", &["yandex-cloud.api-key"]),
    (
        "yandex-aws-access-token",
        &["yandex-cloud.static-access-key-id"],
    ),
    ("zendesk-secret-key", &["zendesk.api-token"]),
];

/// The leakhound rules covering the gitleaks default rule `id`; `None` if `id` is not one of
/// gitleaks' default ids.
pub fn leakhound_ids(id: &str) -> Option<&'static [&'static str]> {
    GITLEAKS_DEFAULT_IDS
        .binary_search_by(|(gitleaks, _)| (*gitleaks).cmp(id))
        .ok()
        .map(|index| GITLEAKS_DEFAULT_IDS[index].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mapped_id_is_a_builtin_rule_and_the_table_is_sorted() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        for (gitleaks, ids) in GITLEAKS_DEFAULT_IDS {
            for id in *ids {
                assert!(
                    rules.get(id).is_some(),
                    "{gitleaks} maps to {id}, which is not a built-in rule"
                );
            }
        }
        assert!(
            GITLEAKS_DEFAULT_IDS
                .windows(2)
                .all(|pair| pair[0].0 < pair[1].0),
            "sorted, no duplicates"
        );
        assert_eq!(
            GITLEAKS_DEFAULT_IDS.len(),
            222,
            "gitleaks 8.30's default rules"
        );
    }

    #[test]
    fn lookups() {
        assert_eq!(
            leakhound_ids("github-pat"),
            Some(&["github.pat-classic"][..])
        );
        assert_eq!(leakhound_ids("generic-api-key").map(<[_]>::len), Some(4));
        assert_eq!(leakhound_ids("bittrex-access-key"), Some(&[][..]));
        assert_eq!(leakhound_ids("github.pat-classic"), None);
        assert_eq!(leakhound_ids("generic-apikey"), None);
    }
}
