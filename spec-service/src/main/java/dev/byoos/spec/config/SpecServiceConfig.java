package dev.byoos.spec.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

@ConfigMapping(prefix = "byoos.spec")
public interface SpecServiceConfig {

    Outbox outbox();

    /**
     * Hosts a spec may point build workers at (base mirrors, tarball URLs, base image registries):
     * names, {@code .suffix} entries for subdomains, or IP literals. Anything else is rejected.
     */
    /** Unset: {@code HostPolicy.DEFAULT_ALLOWED}, the public Debian, Ubuntu and Rocky mirrors and registries. */
    java.util.Optional<java.util.List<String>> allowedHosts();

    /**
     * Webhook sources by name ({@code POST /api/v1/hooks/<name>}), each with its shared secret and
     * the teams whose specs it may rebuild. No sources are configured by default.
     */
    java.util.Map<String, Hook> hooks();

    interface Hook {
        /** The HMAC-SHA256 key the sender signs bodies with (GitHub's webhook "secret"). */
        String secret();

        /** Teams whose specs this source may rebuild. */
        java.util.List<String> teams();
    }

    /**
     * Whether the build workers run the image-builder executor (a Kubernetes Image Builder checkout,
     * Packer and cloud credentials): then aws AMIs, azure VHDs and vSphere templates built inside
     * their clouds are accepted. Off by default: without it nobody waits for a build that cannot start.
     */
    ImageBuilder imageBuilder();

    interface ImageBuilder {
        @WithDefault("false")
        boolean enabled();
    }

    interface Outbox {
        /** How often the relay looks for records a crash left unpublished. */
        @WithDefault("1s")
        Duration pollInterval();

        /** Records locked and published per transaction. */
        @WithDefault("100")
        int batchSize();
    }
}
