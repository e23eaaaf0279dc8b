package dev.byoos.spec.config;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import dev.byoos.contract.AptSources;

@ConfigMapping(prefix = "byoos.spec")
public interface SpecServiceConfig {

    Outbox outbox();

    /**
     * Hosts a spec may point build workers at (base mirrors, tarball URLs, base image registries):
     * names, {@code .suffix} entries for subdomains, IP literals, or {@value AptSources#TOKEN} for
     * the hosts this machine's apt sources name (the default). Anything else is rejected.
     */
    @WithDefault(AptSources.TOKEN)
    java.util.List<String> allowedHosts();

    /**
     * The mirror a Debian or Ubuntu spec without {@code os.base} bootstraps its release's suite from,
     * per distribution (an http(s) archive URL, validation's DefaultBases). Unset: such specs must
     * name a base. No public mirror is written into the factory; the devstack fills these from its
     * machine's apt sources.
     */
    DefaultMirrors defaultMirrors();

    interface DefaultMirrors {
        java.util.Optional<String> debian();

        java.util.Optional<String> ubuntu();
    }

    /**
     * Webhook sources by name ({@code POST /api/v1/hooks/<name>}), each with its shared secret and
     * the teams whose specs it may rebuild. No sources are configured by default.
     */
    java.util.Map<String, Hook> hooks();

    /**
     * How far a webhook's signed timestamp may be from the service's clock, either way; a delivery
     * id is remembered this long, so a replay is refused by one check or the other.
     */
    @WithDefault("5m")
    Duration hookWindow();

    interface Hook {
        /** The HMAC-SHA256 key the sender signs with (GitHub's webhook "secret"). */
        String secret();

        /** How the sender signs: {@code byoos} (the default) or {@code github}; see docs/webhooks.md. */
        @WithDefault("byoos")
        HookScheme scheme();

        /** Teams whose specs this source may rebuild. */
        java.util.List<String> teams();

        /**
         * For the {@code github} scheme, whose signature covers only the body: the one spec the
         * source rebuilds ({@code <team>/<name>}), fixed here because the query is not signed.
         */
        java.util.Optional<String> spec();
    }

    enum HookScheme {
        /** HMAC over method, path, query, timestamp, delivery id and body (X-Byoos-* headers). */
        BYOOS,
        /** GitHub's X-Hub-Signature-256 over the body only; the target spec comes from the config. */
        GITHUB
    }

    /**
     * Systems registered to submit specs on {@code byoos.specs.submitted} by signing the whole
     * event instead of carrying a bearer token, by name. None by default.
     */
    java.util.Map<String, IntakeSource> intakeSources();

    interface IntakeSource {
        /** The CloudEvent {@code source} attribute this system's events carry. */
        String source();

        /** The HMAC-SHA256 key (its UTF-8 bytes), if the system signs with a shared secret. */
        java.util.Optional<String> hmacSecret();

        /** Base64 X.509 (SubjectPublicKeyInfo) Ed25519 public key, if the system signs with Ed25519. */
        java.util.Optional<String> ed25519PublicKey();

        /** Teams this system may submit specs for. */
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

    /**
     * How requests wait for a database connection. Bounded both ways, so that under overload a
     * request is answered 503 with Retry-After quickly instead of queueing for the pool's default
     * 30 s and failing with 500 (DatabasePool, ProblemMappers).
     */
    Database database();

    interface Database {
        /**
         * How long an operation (a transaction, or a one-off statement on the pool) waits for a free
         * connection before it fails as busy; 0 waits as long as it takes (DatabasePool).
         */
        @WithDefault("2s")
        Duration acquireTimeout();

        /** Operations that may wait for a connection at once; one more fails as busy at once. */
        @WithDefault("256")
        int maxWaiting();

        /** The Retry-After of a 503 answered because the database was busy. */
        @WithDefault("2s")
        Duration retryAfter();
    }

    /** What the pipeline page ({@code /pipeline}) reports beside the builds: stuck builds and dependencies. */
    Pipeline pipeline();

    interface Pipeline {
        /** A build not in a final state whose record has not changed for this long is listed as stuck. */
        @WithDefault("15m")
        Duration stuckAfter();

        /** How often the other services' readiness and spec-service's own dependencies are checked. */
        @WithDefault("10s")
        Duration healthPollInterval();

        /** How long one readiness request may take; a service that does not answer in time counts as down. */
        @WithDefault("3s")
        Duration healthTimeout();

        /**
         * The base URLs (no path) of the other services, whose {@code /q/health/ready} spec-service
         * polls: their checks say whether S3, the registry and Kafka answer them. Polled server-side
         * only, so the browser never needs to reach internal hosts. Unset: that service is not shown.
         */
        java.util.Optional<java.net.URI> buildWorker();

        java.util.Optional<java.net.URI> artifactService();

        java.util.Optional<java.net.URI> packPublisher();
    }

    /**
     * How the event consumers wait out a database outage (messaging's DependencyWait): capped
     * exponential backoff, their partitions paused meanwhile, nothing dead-lettered for it.
     */
    Consumers consumers();

    interface Consumers {
        @WithDefault("500ms")
        Duration initialBackoff();

        @WithDefault("15s")
        Duration maxBackoff();
    }

    /**
     * How long rows that have done their work are kept (RowRetention): published outbox records
     * and idempotency keys. One replica at a time deletes them, in small batches.
     */
    Retention retention();

    interface Retention {
        /** A published outbox record is deleted this long after Kafka acknowledged it. */
        @WithDefault("7d")
        Duration outbox();

        /**
         * An Idempotency-Key is forgotten this long after its first use; a repeat after that is a
         * new request (of an identical spec: it gets the stored version's builds, as a resubmission).
         */
        @WithDefault("7d")
        Duration idempotencyKeys();

        /**
         * A notification delivery that was delivered or gave up is deleted, with its attempt log,
         * this long after it was queued; pending ones are kept however old.
         */
        @WithDefault("30d")
        Duration deliveries();

        /**
         * How often a replica tries to purge, the first time one interval after it started; it skips
         * the run while another replica purges.
         */
        @WithDefault("1h")
        Duration interval();

        /** Rows deleted per transaction, so a purge never holds many row locks or a long transaction. */
        @WithDefault("500")
        int batchSize();
    }

    /** Spec schedules (SpecSchedules). */
    Schedules schedules();

    interface Schedules {
        /** How often each replica looks for due schedules; a firing happens once whichever replica claims it. */
        @WithDefault("30s")
        Duration tickInterval();

        /** The shortest time between two firings a schedule may ask for: each firing rebuilds every target. */
        @WithDefault("1h")
        Duration minInterval();

        /** Due schedules one tick claims at most; the rest wait for the next tick. */
        @WithDefault("20")
        int batchSize();
    }

    /** The input watcher (InputWatcher): changed debootstrap bases and new Kubernetes patch releases. */
    Watch watch();

    interface Watch {
        /** Whether this replica runs the watcher at all; with it off here, another replica may still. */
        @WithDefault("true")
        boolean enabled();

        /** How often the inputs are checked; each check is made by one replica, whichever claims it. */
        @WithDefault("15m")
        Duration interval();

        /** How long connecting to a mirror, and its whole answer, may take. */
        @WithDefault("10s")
        Duration timeout();

        /** The largest InRelease/Release file read; a larger answer is an error, not an observation. */
        @WithDefault("4194304")
        int maxReleaseBytes();
    }

    /**
     * A Kubernetes support matrix file (the bundled byoos/kubernetes-support-matrix.json's format)
     * that replaces the bundled one, so operators can add a patch release without a new version of
     * the service. Read at start. Unset: the bundled matrix.
     */
    java.util.Optional<java.nio.file.Path> kubernetesSupportMatrixFile();

    /** The dead-letter admin API (DeadLetters). */
    DeadLetters deadLetters();

    interface DeadLetters {
        /** Dead letters listed when the request names no limit. */
        @WithDefault("50")
        int defaultLimit();

        /** The most dead letters one request may list. */
        @WithDefault("500")
        int maxLimit();

        /** How long reading the dead-letter topics, or Kafka's acknowledgement of a replay, may take. */
        @WithDefault("10s")
        Duration kafkaTimeout();
    }

    interface Outbox {
        /**
         * How often the relay looks again while records are left unpublished (Kafka unreachable, a
         * pass failed).
         */
        @WithDefault("1s")
        Duration pollInterval();

        /**
         * How often the relay looks at an outbox it left empty, for records another replica committed
         * and then crashed before relaying: every commit on this replica relays at once, so nothing
         * else can be waiting there.
         */
        @WithDefault("15s")
        Duration idlePollInterval();

        /** Records locked and published per transaction. */
        @WithDefault("100")
        int batchSize();
    }
}
