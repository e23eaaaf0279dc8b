package dev.byoos.pack.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * pack-publisher's settings, {@code byoos.publisher.*}. The registry's private CA, when it has one,
 * is the TLS configuration {@value #REGISTRY_TLS} ({@code quarkus.tls.registry.trust-store.pem.certs}).
 */
@ConfigMapping(prefix = "byoos.publisher")
public interface PublisherConfig {

    /** The named TLS configuration (Quarkus's TLS registry) that says which CAs the registry's certificate may come from. */
    String REGISTRY_TLS = "registry";

    Registry registry();

    Retry retry();

    Targets targets();

    Signing signing();

    Revocation revocation();

    /**
     * How long Kafka may take to acknowledge an outcome's announcement ({@code pack.published},
     * {@code build.failed}); past it, or when Kafka refuses it for now, the consumer waits with the
     * {@link #retry()} backoff and sends it again, for as long as Kafka is away.
     */
    @WithDefault("60s")
    Duration announceTimeout();

    /** What revoking a pack version does in the registry besides tagging its {@code .revoked} marker. */
    interface Revocation {
        /**
         * Also delete the version's pack manifest, so its tag no longer resolves (the registry must
         * allow deletes). Off by default: clusters that pinned the version keep pulling it.
         */
        @WithDefault("false")
        boolean removeTag();
    }

    interface Registry {
        /**
         * The registry's base URL: {@code https://harbor.example.com} (TLS) or
         * {@code http://127.0.0.1:5000} (plain HTTP).
         */
        String url();

        /**
         * Path below the registry under which {@code spectro-packs/archive/<name>} repositories are
         * created; the same base content path Palette's pack registry is configured with.
         */
        @WithDefault("byoos")
        String basePath();

        /** For Basic challenges, and for the token realm of Bearer challenges; anonymous without it. */
        Optional<String> username();

        Optional<String> password();
    }

    /** How long to wait between attempts while the registry is unavailable; the wait doubles up to the cap. */
    interface Retry {
        @WithDefault("1s")
        Duration initialBackoff();

        @WithDefault("60s")
        Duration maxBackoff();
    }

    /**
     * The installation's ECDSA P-256 signing key pair as PEM files, the one artifact-service signs
     * with (PKCS#8 private key, SubjectPublicKeyInfo public key): pack manifests are signed with it.
     */
    interface Signing {
        Path privateKeyFile();

        Path publicKeyFile();
    }

    /** See {@link dev.byoos.pack.render.TargetSettings}. */
    interface Targets {
        Optional<URI> azureVhdBaseUrl();

        Optional<String> gcpProject();

        Optional<String> vsphereTemplateFolder();
    }
}
