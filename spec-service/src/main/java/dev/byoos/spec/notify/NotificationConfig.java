package dev.byoos.spec.notify;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Outgoing notifications: where subscriptions may point, and how deliveries are sent and retried. */
@ConfigMapping(prefix = "byoos.spec.notifications")
public interface NotificationConfig {

    /**
     * Hosts a subscription may name although they are not public https endpoints: names,
     * {@code .suffix} entries or IP literals ({@code HostPolicy}'s syntax). Only these may use http
     * or resolve to internal, loopback, link-local or private addresses. Unset: none.
     */
    Optional<List<String>> allowedHosts();

    /**
     * The AES-256 key (32 bytes, base64) subscriptions' signing secrets are encrypted under in the
     * database ({@link SecretCipher}). Required: without it the service refuses to start.
     */
    Optional<String> secretKey();

    /** Keys that were {@code secret-key} before a rotation: they still decrypt, never encrypt. Unset: none. */
    Optional<List<String>> previousSecretKeys();

    /** How often the dispatcher looks for deliveries that are due. */
    @WithDefault("1s")
    Duration pollInterval();

    /**
     * Attempts this replica has in flight at most, each to a different subscription: a receiver
     * that answers slowly holds one of them, never the others.
     */
    @WithDefault("8")
    int concurrency();

    /** How long connecting to a receiver and its whole answer may take. */
    @WithDefault("10s")
    Duration timeout();

    /** The wait after a delivery's first failed attempt; it doubles with every further one. */
    @WithDefault("10s")
    Duration initialBackoff();

    /** The longest wait between two attempts. */
    @WithDefault("10m")
    Duration maxBackoff();

    /** Attempts after which a delivery is given up as FAILED (until someone redelivers it). */
    @WithDefault("8")
    int maxAttempts();
}
