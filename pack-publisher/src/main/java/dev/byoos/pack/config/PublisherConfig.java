package dev.byoos.pack.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "publisher")
public interface PublisherConfig {

    Registry registry();

    Retry retry();

    Targets targets();

    interface Registry {
        /**
         * The registry's base URL: {@code https://harbor.example.com} (TLS) or
         * {@code http://127.0.0.1:5000} (plain HTTP).
         */
        String url();

        /**
         * PEM file of the certificate authorities that sign the registry's TLS certificate, for
         * registries behind a private CA; without it the JVM's default trust store is used.
         */
        Optional<Path> caCertificate();

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

    /** See {@link dev.byoos.pack.render.TargetSettings}. */
    interface Targets {
        Optional<URI> azureVhdBaseUrl();

        Optional<String> gcpProject();

        Optional<String> vsphereTemplateFolder();
    }
}
